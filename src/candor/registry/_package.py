"""The folder a registered model lives in: an MLflow pyfunc model (so MLflow's own loaders work)
whose ``artifacts/candor/`` holds the model in a safe format and a manifest, and a ``CHECKSUMS``
file listing the SHA-256 of every other file in the folder.

The checksum of ``CHECKSUMS`` itself is recorded on the model version in the registry's database,
so a file changed in the artifact store (a flipped byte, a swapped model, an added file) is
refused on load, never silently used.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor.errors import ChecksumMismatch, DataError
from candor.registry._formats import save_model

CHECKSUMS = "CHECKSUMS"
#: files MLflow itself adds to a model folder when it loads one from the registry
MLFLOW_ADDS = frozenset({"registered_model_meta"})
MANIFEST = "candor_model.json"
CANDOR_DIR = ("artifacts", "candor")
ENTRY = '''"""Loads a candor model for MLflow's pyfunc loaders: models from code, no pickle."""

import mlflow

from candor.registry._pyfunc import CandorPyfunc

mlflow.models.set_model(CandorPyfunc())
'''


@dataclass(frozen=True, slots=True)
class Feature:
    """One input column: its name and the dtype it had in training."""

    name: str
    dtype: str

    @property
    def numeric(self) -> bool:
        return self.dtype.startswith(("int", "uint", "float", "bool", "Int", "UInt", "Float"))

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "dtype": self.dtype}


@dataclass(frozen=True)
class Manifest:
    """What loading needs besides the files: format, task, labels, inputs, trusted types."""

    format: str
    task: str
    classes: list[Any]
    features: list[Feature]
    trusted_types: list[str]
    candor_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "task": self.task,
            "classes": self.classes,
            "features": [f.to_dict() for f in self.features],
            "trusted_types": self.trusted_types,
            "candor_version": self.candor_version,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        return cls(
            d["format"],
            d["task"],
            list(d["classes"]),
            [Feature(f["name"], f["dtype"]) for f in d["features"]],
            list(d["trusted_types"]),
            d.get("candor_version", ""),
        )


def plain(v: Any) -> Any:
    """A label as JSON keeps it: numpy scalars become Python ones."""
    return v.item() if isinstance(v, np.generic) else v


def features_of(X: pd.DataFrame) -> list[Feature]:
    return [Feature(str(c), str(X[c].dtype)) for c in X.columns]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_checksums(root: Path) -> str:
    """List every file under ``root`` with its SHA-256 in ``root/CHECKSUMS``; that file's hash."""
    lines = [
        f"{_sha256(p)}  {p.relative_to(root).as_posix()}"
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != CHECKSUMS
    ]
    text = "\n".join(lines) + "\n"
    (root / CHECKSUMS).write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode()).hexdigest()


def verify_checksums(root: Path, expected: str | None, what: str) -> None:
    """Refuse a folder whose files differ from its ``CHECKSUMS``, or whose ``CHECKSUMS`` differs
    from ``expected`` (the hash the registry recorded). ``what`` names the model in messages."""
    listing = root / CHECKSUMS
    if not listing.is_file():
        raise ChecksumMismatch(
            f"{what} has no {CHECKSUMS} file: it was not stored by candor, or its files were "
            "changed. Register the model again from its run"
        )
    text = listing.read_text(encoding="utf-8")
    if expected is not None and hashlib.sha256(text.encode()).hexdigest() != expected:
        raise ChecksumMismatch(
            f"{what}: its {CHECKSUMS} file does not match the checksum the registry recorded "
            f"(sha256 {expected[:12]}...); the stored files were changed after registration. "
            "Do not use it; register the model again from a trusted run"
        )
    listed: dict[str, str] = {}
    for line in text.splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name != CHECKSUMS
    } - MLFLOW_ADDS
    bad = sorted(n for n in listed if n not in present or _sha256(root / n) != listed[n])
    extra = sorted(present - set(listed))
    if bad or extra:
        parts = []
        if bad:
            parts.append(f"changed or missing: {', '.join(bad)}")
        if extra:
            parts.append(f"not stored by candor: {', '.join(extra)}")
        raise ChecksumMismatch(
            f"{what} failed its checksum check ({'; '.join(parts)}): the stored files are "
            "corrupted or were tampered with. Do not use it; register the model again from a "
            "trusted run"
        )


def build_package(
    model: Any,
    folder: Path,
    *,
    task: str,
    classes: list[Any],
    example: pd.DataFrame,
    allow_pickle: bool = False,
    novelty: bytes | None = None,
    serving_rows: pd.DataFrame | None = None,
) -> tuple[Manifest, str, str]:
    """Write the whole model folder under ``folder``; its manifest, the checksum to record and
    the engine ``candor serve`` will run it with.

    ``example`` is a few training rows: the input example and the signature's source;
    ``novelty`` the training rows' novelty profile (JSON), for ``candor serve``'s routing;
    ``serving_rows`` held-out rows on which an ONNX export for serving must give the model's own
    answers before it is stored (None: no export).
    """
    import mlflow
    from mlflow.models import infer_signature

    fmt, files, trusted = save_model(model, allow_pickle=allow_pickle)
    manifest = Manifest(
        fmt,
        task,
        [plain(c) for c in classes],
        features_of(example),
        trusted,
        metadata.version("candor"),
    )
    # MLflow copies an artifact folder under its own name: artifacts/candor/
    staging = folder.parent / CANDOR_DIR[-1]
    staging.mkdir(parents=True)
    for name, data in files.items():
        (staging / name).write_bytes(data)
    (staging / MANIFEST).write_text(json.dumps(manifest.to_dict(), indent=2), encoding="utf-8")
    if novelty is not None:
        from candor.registry._novelty import NOVELTY_FILE

        (staging / NOVELTY_FILE).write_bytes(novelty)
    entry = folder.parent / "candor_entry.py"
    entry.write_text(ENTRY, encoding="utf-8")

    from candor.registry._loaded import LoadedModel

    preview = LoadedModel.from_folder(staging, manifest, allow_pickle=allow_pickle)
    output: Any = preview.predict(example)
    engine = "native: no held-out rows were given to check an ONNX export on"
    if serving_rows is not None:
        from candor.registry._engine import SERVING_CHECK, engine_note, serving_export

        extra, engine = serving_export(preview, serving_rows)
        for name, data in extra.items():
            (staging / name).write_bytes(data)
        (staging / SERVING_CHECK).write_bytes(engine_note(engine))
    # the signature keeps the training dtypes: MLflow will not cast int64 to float64 itself
    with warnings.catch_warnings():  # MLflow's hint about integer columns missing values
        warnings.simplefilter("ignore", UserWarning)
        signature = infer_signature(example, pd.Series(output, name="prediction"), {"proba": False})
    try:
        mlflow.pyfunc.save_model(
            str(folder),
            python_model=str(entry),
            artifacts={"candor": str(staging)},
            signature=signature,
            input_example=example,
            pip_requirements=[f"candor=={metadata.version('candor')}"],
        )
    except Exception as exc:  # MLflow's own validation of the example against the signature
        raise DataError(f"MLflow could not package the model: {exc}") from exc
    return manifest, write_checksums(folder), engine


def candor_folder(root: Path) -> Path:
    """Where the safe-format files and the manifest lie inside a model folder."""
    return root.joinpath(*CANDOR_DIR)


def read_manifest(folder: Path) -> Manifest:
    path = folder / MANIFEST
    if not path.is_file():
        raise DataError(f"{folder} holds no {MANIFEST}: it is not a model candor registered")
    return Manifest.from_dict(json.loads(path.read_text(encoding="utf-8")))
