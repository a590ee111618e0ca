"""The instance catalogue and the cheapest home for a model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from candor.errors import DataError
from candor.sizing import NoFit, Placement, load_catalogue, place
from candor.sizing._price import COLUMNS, GIB, HOURS_PER_MONTH

MIB = 2**20


def test_the_packaged_catalogue_says_where_each_price_comes_from() -> None:
    cat = load_catalogue()
    assert list(cat.columns[: len(COLUMNS)]) == COLUMNS
    assert set(cat.provider) == {"aws", "gcp", "azure"}
    assert (cat.usd_per_hour > 0).all() and (cat.vcpu > 0).all() and (cat.ram_gib > 0).all()
    assert cat.source.str.startswith("https://").all()
    assert cat.price_date.str.match(r"\d{4}-\d{2}-\d{2}").all()
    assert cat.ram_gib.max() >= 1900  # a 2 TiB what-if still finds a home
    assert (cat.gpu_count > 0).any()


def _cat(rows: list[tuple[str, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "provider": "aws",
                "name": name,
                "vcpu": vcpu,
                "ram_gib": ram,
                "gpu": "",
                "gpu_count": 0,
                "gpu_mem_gib": 0,
                "usd_per_hour": price,
                "region": "us-east-1",
                "price_date": "2026-11-01",
                "source": "https://example.org",
            }
            for name, vcpu, ram, price in rows
        ]
    )


def test_the_cheapest_instance_that_holds_the_workers_and_the_load_wins() -> None:
    cat = _cat([("small", 2, 4, 0.10), ("big", 16, 64, 0.70), ("mem", 2, 64, 0.30)])
    one = place(cat, worker_bytes=500 * MIB, rows_per_second_per_core=None, qps=None)
    assert isinstance(one, Placement) and one.instance == "small" and one.count == 1
    assert one.monthly_usd == pytest.approx(0.10 * HOURS_PER_MONTH)
    # 100 requests/s per core at 70%: 1,000 requests/s need 15 workers
    loaded = place(cat, worker_bytes=500 * MIB, rows_per_second_per_core=100, qps=1000)
    assert isinstance(loaded, Placement)
    workers = loaded.count * loaded.workers_per_instance
    assert workers * 100 * 0.7 >= 1000
    assert loaded.monthly_usd <= 8 * 0.10 * HOURS_PER_MONTH  # 8 small beat 1 big and 8 mem
    # a worker of 20 GiB: only the 64 GiB instances hold it, and "mem" is the cheaper
    heavy = place(cat, worker_bytes=20 * GIB, rows_per_second_per_core=None, qps=None)
    assert isinstance(heavy, Placement) and heavy.instance == "mem"


def test_a_steady_load_is_not_put_on_burstable_instances() -> None:
    cat = _cat([("t3.medium", 2, 4, 0.04), ("m7a.large", 2, 8, 0.12)])
    idle = place(cat, worker_bytes=500 * MIB, rows_per_second_per_core=None, qps=None)
    busy = place(cat, worker_bytes=500 * MIB, rows_per_second_per_core=1000, qps=10)
    assert isinstance(idle, Placement) and idle.instance == "t3.medium"
    assert isinstance(busy, Placement) and busy.instance == "m7a.large"


def test_a_model_no_instance_holds_is_said_so_with_the_largest() -> None:
    cat = load_catalogue()
    where = place(cat, worker_bytes=10 * 2**40, rows_per_second_per_core=None, qps=None)
    assert isinstance(where, NoFit)
    largest = cat.sort_values("ram_gib").iloc[-1]
    assert largest["name"] in where.message and "split across" in where.message


def test_a_users_catalogue_replaces_the_packaged_one(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    _cat([("onprem-1", 8, 32, 0.05)]).to_csv(path, index=False)
    cat = load_catalogue(path)
    assert list(cat.name) == ["onprem-1"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda df: df.drop(columns=["usd_per_hour"]), "lacks column"),
        (lambda df: df.assign(usd_per_hour=-1.0), "negative"),
        (lambda df: df.assign(vcpu="many"), "non-numeric vcpu"),
        (lambda df: pd.concat([df, df]), "twice"),
        (lambda df: df.iloc[0:0], "no instances"),
    ],
)
def test_a_broken_catalogue_is_refused_with_what_is_wrong(
    tmp_path: Path, edit: object, message: str
) -> None:
    path = tmp_path / "bad.csv"
    edit(_cat([("a", 2, 4, 0.1)])).to_csv(path, index=False)  # type: ignore[operator]
    with pytest.raises(DataError, match=message):
        load_catalogue(path)
    with pytest.raises(DataError, match="no catalogue file"):
        load_catalogue(tmp_path / "missing.csv")
