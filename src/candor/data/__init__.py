"""Data at the edge: loading tables, hashing their content, and splitting them without leaks."""

from candor.data._hash import content_hash
from candor.data._load import BUNDLED, Dataset, load_dataset, read_table
from candor.data._split import Split, split_dataset
from candor.data._store import ObjectStore, Snapshot

__all__ = [
    "BUNDLED",
    "Dataset",
    "ObjectStore",
    "Snapshot",
    "Split",
    "content_hash",
    "load_dataset",
    "read_table",
    "split_dataset",
]
