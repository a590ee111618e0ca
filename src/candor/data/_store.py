"""Datasets as versions: content-addressed Parquet objects with a manifest, through fsspec.

An object's name is the hash of its content (column names, dtypes, row values: see
:func:`~candor.data.content_hash`), not of its file name, so the same table stored twice takes the
space once, and a run that records a dataset hash can find the exact rows again. The layout is the
same on a local disk and on ``s3://`` (anything fsspec opens)::

    ROOT/ab/abcdef....parquet   the rows
    ROOT/ab/abcdef....json      the manifest: rows, schema, per-column summary, source, time, bytes

Writes go to a temporary name and are renamed, so an interrupted snapshot leaves no half object;
reads check the file against the SHA-256 its manifest records, so a corrupted object is an error,
not wrong data.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from candor.data._hash import content_hash
from candor.errors import DataError


@dataclass(frozen=True)
class ColumnSummary:
    name: str
    dtype: str
    missing: int
    distinct: int
    min: Any = None
    max: Any = None
    top: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Snapshot:
    """One stored version of a dataset."""

    hash: str
    rows: int
    bytes: int
    source: str
    created: str
    columns: list[ColumnSummary]
    #: SHA-256 of the Parquet file as written
    checksum: str = ""

    @property
    def short(self) -> str:
        return self.hash[:12]

    def to_dict(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "rows": self.rows,
            "bytes": self.bytes,
            "source": self.source,
            "created": self.created,
            "columns": [c.to_dict() for c in self.columns],
            "checksum": self.checksum,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Snapshot:
        return cls(
            d["hash"],
            int(d["rows"]),
            int(d["bytes"]),
            d.get("source", ""),
            d.get("created", ""),
            [ColumnSummary(**c) for c in d["columns"]],
            d.get("checksum", ""),
        )


def _plain(v: Any) -> Any:
    """A JSON-safe scalar."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def summarise(frame: pd.DataFrame) -> list[ColumnSummary]:
    """Per column: dtype, missing and distinct counts, the range of numbers, the commonest values."""
    out = []
    for name in frame.columns:
        col = frame[name]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        top = [] if numeric else [_plain(v) for v in col.value_counts().index[:5]]
        out.append(
            ColumnSummary(
                str(name),
                str(col.dtype),
                int(col.isna().sum()),
                int(col.nunique()),
                _plain(col.min()) if numeric and col.notna().any() else None,
                _plain(col.max()) if numeric and col.notna().any() else None,
                top,
            )
        )
    return out


class ObjectStore:
    """Content-addressed dataset snapshots under ``root`` (a folder or an fsspec URL)."""

    def __init__(self, root: str) -> None:
        import fsspec

        self.root = root.rstrip("/")
        self.fs, self.base = fsspec.core.url_to_fs(self.root)

    def _paths(self, digest: str) -> tuple[str, str]:
        folder = f"{self.base}/{digest[:2]}"
        return f"{folder}/{digest}.parquet", f"{folder}/{digest}.json"

    def put(self, frame: pd.DataFrame, source: str = "") -> tuple[Snapshot, bool]:
        """Store ``frame`` unless the same content is there already; the snapshot and whether it
        was written now."""
        if frame.shape[1] == 0:
            raise DataError("a dataset with no columns cannot be snapshotted")
        digest = content_hash(frame)
        data_path, meta_path = self._paths(digest)
        if self.fs.exists(meta_path) and self.fs.exists(data_path):
            return self.show(digest), False
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        payload = buf.getvalue()
        snap = Snapshot(
            digest,
            len(frame),
            len(payload),
            source,
            time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            summarise(frame),
            hashlib.sha256(payload).hexdigest(),
        )
        self.fs.makedirs(data_path.rsplit("/", 1)[0], exist_ok=True)
        for path, blob in ((data_path, payload), (meta_path, json.dumps(snap.to_dict()).encode())):
            tmp = f"{path}.tmp-{time.time_ns()}"
            with self.fs.open(tmp, "wb") as f:
                f.write(blob)
            self.fs.mv(tmp, path)
        return snap, True

    def _resolve(self, prefix: str) -> str:
        prefix = prefix.strip().lower()
        if len(prefix) < 4 or any(c not in "0123456789abcdef" for c in prefix):
            raise DataError(
                f"{prefix!r} is not a dataset hash: give at least 4 hexadecimal characters "
                "(`candor data list` shows them)"
            )
        folder = f"{self.base}/{prefix[:2]}"
        names = [
            p.rsplit("/", 1)[-1][: -len(".json")]
            for p in (self.fs.ls(folder, detail=False) if self.fs.exists(folder) else [])
            if p.endswith(".json")
        ]
        hits = [n for n in names if n.startswith(prefix)]
        if not hits:
            raise DataError(f"no dataset {prefix} in {self.root}: `candor data list` shows them")
        if len(hits) > 1:
            raise DataError(f"{prefix} matches {len(hits)} datasets: give more of the hash")
        return hits[0]

    def show(self, prefix: str) -> Snapshot:
        digest = self._resolve(prefix)
        with self.fs.open(self._paths(digest)[1], "rb") as f:
            return Snapshot.from_dict(json.loads(f.read()))

    def get(self, prefix: str) -> pd.DataFrame:
        """The rows of a snapshot, checked against its hash."""
        snap = self.show(prefix)
        with self.fs.open(self._paths(snap.hash)[0], "rb") as f:
            raw = f.read()
        if hashlib.sha256(raw).hexdigest() != snap.checksum:
            raise DataError(
                f"dataset {snap.short} is corrupted: its file no longer matches the checksum "
                "recorded when it was stored; restore it from a copy"
            )
        return pd.read_parquet(io.BytesIO(raw))

    def list(self) -> list[Snapshot]:
        """Every snapshot, newest first."""
        if not self.fs.exists(self.base):
            return []
        metas = [p for p in self.fs.find(self.base) if p.endswith(".json")]
        snaps = []
        for p in metas:
            with self.fs.open(p, "rb") as f:
                snaps.append(Snapshot.from_dict(json.loads(f.read())))
        return sorted(snaps, key=lambda s: s.created, reverse=True)

    def total_bytes(self) -> int:
        if not self.fs.exists(self.base):
            return 0
        return int(sum(self.fs.du(self.base, total=False).values()))
