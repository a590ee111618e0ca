"""Content hashes of tables: the same content gives the same hash, whatever the file is called."""

from __future__ import annotations

import hashlib

import pandas as pd


def content_hash(frame: pd.DataFrame) -> str:
    """SHA-256 over column names, dtypes and row values (pandas' stable per-row hash).

    >>> a = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    >>> content_hash(a) == content_hash(a.copy())
    True
    """
    h = hashlib.sha256()
    for name, dtype in frame.dtypes.items():
        h.update(f"{name}\x1f{dtype}\x1e".encode())
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    h.update(rows.tobytes())
    return h.hexdigest()
