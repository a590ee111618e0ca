"""Pricing: a catalogue of cloud instances and the cheapest that serves a model.

The catalogue ships with the package (``instances.csv``: provider, name, vCPU, RAM, GPU, on-demand
price per hour, region, and the date and source of each price; see ``INSTANCES.md``). A user's own
file with the same columns replaces it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from candor.errors import DataError

COLUMNS = [
    "provider",
    "name",
    "vcpu",
    "ram_gib",
    "gpu",
    "gpu_count",
    "gpu_mem_gib",
    "usd_per_hour",
    "region",
    "price_date",
    "source",
]
HOURS_PER_MONTH = 730.0
#: share of an instance's RAM a deployment may plan to use (the rest: the OS, spikes)
RAM_HEADROOM = 0.8
#: share of a core's measured throughput a deployment may plan to use (queueing stays short)
CPU_HEADROOM = 0.7
GIB = 2**30
#: instance families that sustain only a share of each vCPU (credits): not for a steady load
BURSTABLE = ("t2.", "t3.", "t3a.", "t4g.", "Standard_B", "e2-micro", "e2-small", "e2-medium")


def load_catalogue(path: str | Path | None = None) -> pd.DataFrame:
    """The instance catalogue: the packaged one, or a user's CSV with the same columns."""
    if path is None:
        with resources.files("candor.sizing").joinpath("instances.csv").open("r") as f:
            df = pd.read_csv(f, keep_default_na=False)
        where = "candor's packaged instances.csv"
    else:
        p = Path(path)
        if not p.is_file():
            raise DataError(
                f"no catalogue file at {p}: give a CSV with columns {', '.join(COLUMNS)}"
            )
        try:
            df = pd.read_csv(p, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"{p} is not a readable CSV: {exc}") from exc
        where = str(p)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"the catalogue {where} lacks column(s) {', '.join(missing)}; it needs "
            + ", ".join(COLUMNS)
        )
    if df.empty:
        raise DataError(f"the catalogue {where} has no instances")
    for col in ("vcpu", "ram_gib", "gpu_count", "gpu_mem_gib", "usd_per_hour"):
        values = pd.to_numeric(df[col].replace("", "0"), errors="coerce")
        bad = df.loc[values.isna() | (values < 0), "name"].tolist()
        if bad:
            raise DataError(
                f"the catalogue {where} has a missing, negative or non-numeric {col} for "
                + ", ".join(map(str, bad[:5]))
            )
        df[col] = values
    for col in ("vcpu", "ram_gib", "usd_per_hour"):
        bad = df.loc[df[col] <= 0, "name"].tolist()
        if bad:
            raise DataError(
                f"the catalogue {where} has a zero {col} for {', '.join(map(str, bad[:5]))}"
            )
    dup = df.duplicated(["provider", "name"])
    if dup.any():
        raise DataError(
            f"the catalogue {where} lists {', '.join(df.loc[dup, 'name'].astype(str)[:5])} twice"
        )
    return df.reset_index(drop=True)


@dataclass(frozen=True)
class Placement:
    """Where a model would be served and what it would cost."""

    provider: str
    instance: str
    count: int
    vcpu: int
    ram_gib: float
    workers_per_instance: int
    usd_per_hour: float
    monthly_usd: float
    region: str
    price_date: str
    source: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class NoFit:
    """No instance in the catalogue holds even one worker."""

    needed_bytes: float
    largest: str
    largest_ram_gib: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def place(
    catalogue: pd.DataFrame,
    *,
    worker_bytes: float,
    rows_per_second_per_core: float | None,
    qps: float | None,
    providers: list[str] | None = None,
    gpu: bool = False,
) -> Placement | NoFit:
    """The cheapest instance type and count that holds the workers the load needs.

    One worker per vCPU while RAM allows (with ``RAM_HEADROOM``); each worker serves
    ``rows_per_second_per_core`` x ``CPU_HEADROOM`` single-row requests per second. Without a
    ``qps``, one instance with one worker. GPU instances are considered only when ``gpu``.
    """
    if worker_bytes <= 0 or not math.isfinite(worker_bytes):
        raise DataError(f"memory per worker must be a positive number of bytes, not {worker_bytes}")
    if qps is not None and (qps <= 0 or not math.isfinite(qps)):
        raise DataError(f"--qps {qps}: give a positive number of requests per second")
    df = catalogue
    if providers:
        df = df[df.provider.isin(providers)]
        if df.empty:
            raise DataError(
                f"no instance of provider(s) {', '.join(providers)} in the catalogue; it has "
                + ", ".join(sorted(catalogue.provider.unique()))
            )
    if not gpu:
        df = df[df.gpu_count == 0]
    if qps is not None:  # a steady load: burstable instances only sustain a share of a core
        df = df[~df.name.astype(str).str.startswith(BURSTABLE)]
    best: Placement | None = None
    records: list[dict[Any, Any]] = df.to_dict("records")
    for row in records:
        vcpu, ram, price = int(row["vcpu"]), float(row["ram_gib"]), float(row["usd_per_hour"])
        usable = ram * GIB * RAM_HEADROOM
        workers = min(vcpu, int(usable // worker_bytes))
        if workers < 1:
            continue
        if qps is None or not rows_per_second_per_core:
            count = 1
            reason = (
                f"memory only, no request rate given: room for {workers} worker(s) of "
                f"{worker_bytes / GIB:,.2g} GiB in {RAM_HEADROOM:.0%} of its RAM"
            )
        else:
            per_worker = rows_per_second_per_core * CPU_HEADROOM
            per_instance = workers * per_worker
            count = max(1, math.ceil(qps / per_instance))
            reason = (
                f"{qps:,.0f} requests/s / ({rows_per_second_per_core:,.0f} per core x "
                f"{CPU_HEADROOM:.0%}) = {qps / per_worker:,.2f} workers; {workers} fit on each "
                f"instance, so {count} instance(s); burstable types left out under a steady load"
            )
        cost = count * price * HOURS_PER_MONTH
        if best is None or cost < best.monthly_usd - 1e-9:
            best = Placement(
                str(row["provider"]),
                str(row["name"]),
                count,
                vcpu,
                ram,
                workers,
                price,
                cost,
                str(row["region"]),
                str(row["price_date"]),
                str(row["source"]),
                reason,
            )
    if best is not None:
        return best
    from candor._units import format_bytes

    largest = df.sort_values("ram_gib").iloc[-1] if not df.empty else catalogue.iloc[0]
    split = math.ceil(worker_bytes / (float(largest.ram_gib) * GIB * RAM_HEADROOM))
    return NoFit(
        worker_bytes,
        str(largest["name"]),
        float(largest.ram_gib),
        f"no instance in the catalogue holds {format_bytes(worker_bytes)} (with "
        f"{1 - RAM_HEADROOM:.0%} of its RAM kept free): the largest, {largest['name']} with "
        f"{format_bytes(float(largest.ram_gib) * GIB)}, would need it split across {split} of "
        "them, which candor does not do; shrink it (fewer classes or features, a smaller "
        "model) or add a larger instance to your catalogue (--catalogue)",
    )
