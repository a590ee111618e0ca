"""Request rows as the registered model's signature says: one pydantic model per input schema.

Every column the model was trained on is required, no other is accepted, numbers must be finite
numbers (``null`` means missing, which the model's imputers handle), text must be text. A
violation is a 422 that names the field, never a 500 from deep inside the model.
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from candor.registry import Feature


def _field_name(i: int, name: str) -> str:
    """A Python identifier for a column (the column's own name stays its JSON alias)."""
    ident = re.sub(r"\W", "_", name)
    if not ident.isidentifier() or keyword.iskeyword(ident) or ident.startswith("_"):
        ident = f"f{i}_{ident}".strip("_")
    return ident if ident.isidentifier() else f"f{i}"


def row_model(features: list[Feature]) -> type[BaseModel]:
    """The pydantic model of one request row for ``features``."""
    fields: dict[str, Any] = {}
    used: set[str] = set()
    for i, f in enumerate(features):
        name = _field_name(i, f.name)
        if name in used:
            name = f"f{i}"
        used.add(name)
        if f.numeric:
            # strict: a string or a boolean is not a number (an int is)
            fields[name] = (
                float | None,
                Field(..., alias=f.name, allow_inf_nan=False, strict=True),
            )
        else:
            fields[name] = (str | None, Field(..., alias=f.name, max_length=10_000))
    model: type[BaseModel] = create_model(
        "Row",
        __config__=ConfigDict(extra="forbid", populate_by_name=False, strict=False),
        **fields,
    )
    return model


def rows_as_records(rows: list[BaseModel]) -> list[dict[str, Any]]:
    """Rows back as ``{column: value}`` records, by the columns' own names."""
    return [r.model_dump(by_alias=True) for r in rows]
