"""Dataset snapshots: named by content, stored once, checked on read, the same through fsspec."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from candor.data import ObjectStore, content_hash, read_table
from candor.errors import DataError
from tests._in_process import candor_in_process
from tests._subprocess import candor


def _frame(n: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "city": rng.choice(["Lisbon", "Porto", None], size=n),
            "day": pd.date_range("2024-01-01", periods=n, freq="h"),
            "y": rng.integers(0, 2, size=n),
        }
    )


def test_the_same_content_is_stored_once_whatever_the_file_is_called(tmp_path: Path) -> None:
    frame = _frame()
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "copy_with_another_name.csv", index=False)
    a, b = (
        read_table(str(tmp_path / "a.csv")),
        read_table(str(tmp_path / "copy_with_another_name.csv")),
    )
    store = ObjectStore(str(tmp_path / "objects"))
    first, wrote = store.put(a, source="a.csv")
    second, wrote_again = store.put(b, source="copy_with_another_name.csv")
    assert wrote and not wrote_again and first.hash == second.hash == content_hash(a)
    assert len(store.list()) == 1 and second.source == "a.csv"  # the first record stands
    back = store.get(first.hash[:8])
    pd.testing.assert_frame_equal(back, a, check_dtype=False)
    changed, wrote_changed = store.put(a.assign(x=a.x + 1))
    assert wrote_changed and changed.hash != first.hash and len(store.list()) == 2


def test_the_manifest_summarises_each_column(tmp_path: Path) -> None:
    snap, _ = ObjectStore(str(tmp_path)).put(_frame(), source="t")
    cols = {c.name: c for c in snap.columns}
    assert snap.rows == 200 and set(cols) == {"x", "city", "day", "y"}
    assert cols["x"].min is not None and cols["x"].min <= cols["x"].max
    assert cols["city"].missing > 0 and set(cols["city"].top) <= {"Lisbon", "Porto"}
    assert json.loads(json.dumps(snap.to_dict()))["hash"] == snap.hash


def test_a_flipped_byte_is_refused_with_a_checksum_error(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    snap, _ = store.put(_frame())
    path = next(tmp_path.rglob(f"{snap.hash}.parquet"))
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError, match="corrupted: its file no longer matches the checksum"):
        store.get(snap.hash)


def test_hashes_are_resolved_from_a_prefix_or_refused_clearly(tmp_path: Path) -> None:
    store = ObjectStore(str(tmp_path))
    snap, _ = store.put(_frame())
    assert store.show(snap.hash[:6]).hash == snap.hash
    with pytest.raises(DataError, match="not a dataset hash"):
        store.show("xyz")
    with pytest.raises(DataError, match="no dataset"):
        store.show("0000" if not snap.hash.startswith("0000") else "ffff")
    with pytest.raises(DataError, match="no columns"):
        store.put(pd.DataFrame(index=range(3)))


def test_an_fsspec_url_works_the_same_as_a_folder() -> None:
    store = ObjectStore(f"memory://candor-test-{time.time_ns()}/objects")
    snap, wrote = store.put(_frame())
    assert wrote and not store.put(_frame())[1]
    assert store.get(snap.hash).shape == (200, 4) and [s.hash for s in store.list()] == [snap.hash]


@pytest.mark.slow
def test_a_100_mb_dataset_snapshotted_twice_is_stored_once(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.normal(size=(1_250_000, 10)), columns=[f"c{i}" for i in range(10)])
    assert frame.memory_usage(index=False).sum() == 100_000_000
    store = ObjectStore(str(tmp_path / "objects"))
    t0 = time.perf_counter()
    first, wrote = store.put(frame)
    t1 = time.perf_counter()
    again, wrote_again = store.put(frame.copy())
    t2 = time.perf_counter()
    on_disk = store.total_bytes()
    assert wrote and not wrote_again and first.hash == again.hash
    assert on_disk < 1.05 * first.bytes + 100_000  # one Parquet file and its manifest
    print(
        f"\n100 MB dataset: stored {first.bytes / 1e6:.0f} MB of Parquet in {t1 - t0:.1f} s; the "
        f"second snapshot wrote nothing in {t2 - t1:.1f} s; {on_disk / 1e6:.0f} MB on disk in all"
    )


@pytest.mark.slow
def test_candor_data_snapshot_list_and_show(tmp_path: Path) -> None:
    assert candor_in_process("init --source sklearn:iris", cwd=tmp_path).returncode == 0
    first = candor("data snapshot --json", cwd=tmp_path)  # a real subprocess; the rest in this one
    assert first.returncode == 0, first.stderr
    snap = json.loads(first.stdout)
    assert snap["written"] and snap["rows"] == 150
    second = candor_in_process("data snapshot", cwd=tmp_path)
    assert "already stored: nothing written" in second.stdout
    listed = json.loads(candor_in_process("data list --json", cwd=tmp_path).stdout)
    assert [s["hash"] for s in listed] == [snap["hash"]]
    shown = candor_in_process(f"data show {snap['hash'][:8]}", cwd=tmp_path)
    assert shown.returncode == 0 and "150 rows" in shown.stdout
    bad = candor_in_process("data show nothex", cwd=tmp_path)
    assert (
        bad.returncode != 0 and "not a dataset hash" in bad.stderr and "Traceback" not in bad.stderr
    )
    # the ladder's runs record the same hash: a run's data can be found again
    ladder = candor_in_process("ladder --rungs dummy --json", cwd=tmp_path)
    assert json.loads(ladder.stdout)["dataset_hash"] == snap["hash"]
