"""Dataset memory at scale: bytes per row of each column, as pandas holds it and as Arrow does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from candor.errors import DataError


@dataclass(frozen=True)
class ColumnMemory:
    name: str
    dtype: str
    pandas_bytes_per_row: float
    arrow_bytes_per_row: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DataMemory:
    """Per-column bytes per row, measured on the data at hand and multiplied out."""

    rows_measured: int
    columns: list[ColumnMemory]

    @property
    def pandas_bytes_per_row(self) -> float:
        return sum(c.pandas_bytes_per_row for c in self.columns)

    @property
    def arrow_bytes_per_row(self) -> float | None:
        if any(c.arrow_bytes_per_row is None for c in self.columns):
            return None
        return sum(c.arrow_bytes_per_row or 0.0 for c in self.columns)

    def at(self, rows: int) -> tuple[float, float | None]:
        """Bytes in pandas and in Arrow for ``rows`` rows like these."""
        arrow = self.arrow_bytes_per_row
        return rows * self.pandas_bytes_per_row, None if arrow is None else rows * arrow

    def largest(self, k: int = 3) -> list[ColumnMemory]:
        return sorted(self.columns, key=lambda c: -c.pandas_bytes_per_row)[:k]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_measured": self.rows_measured,
            "pandas_bytes_per_row": self.pandas_bytes_per_row,
            "arrow_bytes_per_row": self.arrow_bytes_per_row,
            "columns": [c.to_dict() for c in self.columns],
            "method": "pandas memory_usage(deep=True) and pyarrow Table.nbytes per column, "
            "divided by the rows measured",
        }


def data_memory(frame: pd.DataFrame) -> DataMemory:
    """Measure each column's bytes per row in pandas (strings counted deeply) and in Arrow.

    >>> dm = data_memory(pd.DataFrame({"x": [1.0, 2.0], "y": [1, 2]}))
    >>> dm.pandas_bytes_per_row, dm.at(1_000_000)[0]
    (16.0, 16000000.0)
    """
    import pyarrow as pa

    if len(frame) == 0:
        raise DataError("no rows to measure: dataset memory needs at least one row")
    n = len(frame)
    cols = []
    usage = frame.memory_usage(deep=True, index=False)
    for name in frame.columns:
        try:
            arrow = float(pa.Table.from_pandas(frame[[name]], preserve_index=False).nbytes) / n
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            arrow = None  # a mixed-type column Arrow cannot type
        cols.append(ColumnMemory(str(name), str(frame[name].dtype), float(usage[name]) / n, arrow))
    return DataMemory(n, cols)
