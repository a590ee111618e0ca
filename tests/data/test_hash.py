"""Content hashes: the same table gives the same hash whatever its file is called; any change shows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from candor.data import content_hash, load_dataset


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {"id": [1, 2, 3, 4], "city": ["Oslo", "Lima", "Pune", "Oslo"], "y": [0, 1, 1, 0]}
    )


def test_same_content_under_different_file_names_has_the_same_hash(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    table.to_csv(tmp_path / "train_v1.csv", index=False)
    (tmp_path / "copy").mkdir()
    table.to_csv(tmp_path / "copy" / "final_FINAL.csv", index=False)
    a = load_dataset("train_v1.csv", "y", base_dir=tmp_path)
    b = load_dataset("copy/final_FINAL.csv", "y", base_dir=tmp_path)
    assert a.content_hash == b.content_hash == content_hash(table)


def test_hash_is_a_sha256_hex_digest(table: pd.DataFrame) -> None:
    digest = content_hash(table)
    assert len(digest) == 64
    int(digest, 16)


def test_hash_ignores_the_index(table: pd.DataFrame) -> None:
    assert content_hash(table) == content_hash(table.set_axis([10, 20, 30, 40]))


def test_a_changed_value_changes_the_hash(table: pd.DataFrame) -> None:
    changed = table.copy()
    changed.loc[2, "city"] = "Pisa"
    assert content_hash(changed) != content_hash(table)
    relabelled = table.assign(y=[0, 1, 1, 1])
    assert content_hash(relabelled) != content_hash(table)


def test_added_or_dropped_rows_change_the_hash(table: pd.DataFrame) -> None:
    assert content_hash(table.iloc[:3]) != content_hash(table)
    assert content_hash(pd.concat([table, table.iloc[:1]])) != content_hash(table)


def test_column_order_changes_the_hash(table: pd.DataFrame) -> None:
    assert content_hash(table[["y", "id", "city"]]) != content_hash(table)


def test_dtype_changes_the_hash(table: pd.DataFrame) -> None:
    assert content_hash(table.astype({"id": "float64"})) != content_hash(table)


def test_renamed_column_changes_the_hash(table: pd.DataFrame) -> None:
    assert content_hash(table.rename(columns={"city": "town"})) != content_hash(table)


def test_values_moved_between_columns_change_the_hash() -> None:
    a = pd.DataFrame({"p": [1, 2], "q": [3, 4]})
    assert content_hash(a) != content_hash(pd.DataFrame({"p": [3, 4], "q": [1, 2]}))
    assert content_hash(a) != content_hash(pd.DataFrame({"p": [1, 2], "q": [4, 3]}))
