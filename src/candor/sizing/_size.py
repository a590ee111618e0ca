"""``candor.size``: measure a model, estimate it, extrapolate it, and price it."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor._units import format_bytes, listing
from candor.errors import DataError
from candor.sizing._data import DataMemory, data_memory
from candor.sizing._estimate import MemoryEstimate, estimate_memory
from candor.sizing._measure import Measurement, load_model, measure
from candor.sizing._price import GIB, NoFit, Placement, load_catalogue, place
from candor.sizing._whatif import WhatIf, dominant_sentence, output_layer, rescale
from candor.stats import Estimate

#: an estimate within this share of the measurement counts as agreeing with it
TOLERANCE = 0.25
#: rows of the sample handed to the measuring process
SAMPLE_ROWS = 2_000
#: a worker's interpreter when nothing was measured: Python with pandas and scikit-learn
ASSUMED_PROCESS_BYTES = 450 * 2**20


@dataclass(frozen=True)
class Check:
    """The analytic estimate next to the measurement it predicts."""

    estimated: float
    measured: Estimate

    @property
    def ratio(self) -> float:
        return self.estimated / self.measured.value if self.measured.value > 0 else math.inf

    @property
    def agrees(self) -> bool:
        return abs(self.ratio - 1.0) <= TOLERANCE

    def sentence(self) -> str:
        return (
            f"the estimate, {format_bytes(self.estimated)}, is {self.ratio:.2f}x the measured "
            f"{format_bytes(self.measured.value)} ({format_bytes(self.measured.low)} to "
            f"{format_bytes(self.measured.high)}, n = {self.measured.n})"
            + ("" if self.agrees else f": off by more than {TOLERANCE:.0%}")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimated_bytes": self.estimated,
            "measured_bytes": self.measured.to_dict(),
            "ratio": self.ratio,
            "agrees_within": TOLERANCE,
            "agrees": self.agrees,
        }


@dataclass(frozen=True)
class Verdict:
    """One budget from candor.toml against the evidence."""

    budget: str
    limit: float
    verdict: str  # "within", "over" or "unclear"
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SizeResult:
    name: str
    format: str
    file_bytes: int
    estimate: MemoryEstimate
    measurement: Measurement | None
    check: Check | None
    what: WhatIf
    scenario: MemoryEstimate | None
    data: DataMemory | None
    data_rows: int | None
    placement: Placement | NoFit | None
    worker_bytes: float
    worker_method: str
    qps: float | None
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        m = self.measurement
        bits = [f"{self.name}: {format_bytes(self.file_bytes)} on disk ({self.format})"]
        if m is not None:
            r, b = m.resident_bytes, m.batch_peak_bytes
            bits.append(
                f"loading adds {format_bytes(r.value)} ({format_bytes(r.low)} to "
                f"{format_bytes(r.high)}) of resident memory and predicting {m.batch_rows:,} "
                f"rows {format_bytes(b.value)} more ({format_bytes(b.low)} to "
                f"{format_bytes(b.high)})"
            )
            p50, p99, rate = m.single_p50_ms, m.single_p99_ms, m.rows_per_second_per_core
            bits.append(
                f"one row takes {_ms(p50.value)} at the median ({_ms(p50.low)} to "
                f"{_ms(p50.high)}) and {_ms(p99.value)} at p99 ({_bound(p99)}); batched, one core "
                f"predicts {_sig(rate.value)} rows/s ({_sig(rate.low)} to {_sig(rate.high)})"
            )
        if self.scenario is not None:
            bits.append(
                f"with {self.what.describe()}"
                + (" (training)" if self.what.train else "")
                + f": {format_bytes(self.scenario.total)} (estimated from each part's formula; "
                "serving estimates were within 25% of measurement on candor's panel), dominated by "
                + dominant_sentence(self.scenario)
            )
        p = self.placement
        if isinstance(p, Placement):
            what = "to train on" if self.what.train else "home"
            bits.append(
                f"cheapest {what}: {p.count} x {p.provider} {p.instance} ({p.vcpu} vCPU, "
                f"{p.ram_gib:g} GiB) at ${p.monthly_usd:,.0f}/month"
            )
        elif isinstance(p, NoFit):
            bits.append(p.message)
        return "; ".join(bits) + "."

    def __str__(self) -> str:
        return self.sentence

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "format": self.format,
            "file_bytes": self.file_bytes,
            "estimate": self.estimate.to_dict(),
            "measurement": None if self.measurement is None else self.measurement.to_dict(),
            "check": None if self.check is None else self.check.to_dict(),
            "what_if": {**self.what.__dict__, "described": self.what.describe()},
            "scenario": None if self.scenario is None else self.scenario.to_dict(),
            "data": None if self.data is None else self.data.to_dict(),
            "data_rows": self.data_rows,
            "placement": None if self.placement is None else self.placement.to_dict(),
            "worker_bytes": self.worker_bytes,
            "worker_method": self.worker_method,
            "qps": self.qps,
            "budgets": [v.to_dict() for v in self.verdicts],
            "notes": list(self.notes),
            "sentence": self.sentence,
        }


def _sig(v: float) -> str:
    """Three significant figures with thousands separators: 116,083 -> '116,000'."""
    if not math.isfinite(v) or v == 0:
        return "unbounded" if not math.isfinite(v) else "0"
    digits = 3 - math.floor(math.log10(abs(v))) - 1
    return f"{round(v, digits):,.{max(digits, 0)}f}"


def _ms(v: float) -> str:
    if not math.isfinite(v):
        return "unbounded"
    return f"{v:.3g} ms" if v < 100 else f"{v:,.0f} ms"


def _bound(e: Estimate) -> str:
    if not math.isfinite(e.high):
        return f"at least {_ms(e.low)}; too few calls to bound it above"
    return f"{_ms(e.low)} to {_ms(e.high)}"


def _save(model: Any, folder: Path) -> Path:
    from candor.ladder._measure import model_bytes

    data, _, filename = model_bytes(model)
    path = folder / filename
    path.write_bytes(data)
    return path


def _input_columns(model: Any) -> list[str] | None:
    """The columns a fitted model was trained on, where it records them."""
    names = getattr(model, "feature_names_in_", None)
    if names is None and hasattr(model, "feature_name"):  # a LightGBM Booster
        names = model.feature_name()
    if names is None and getattr(model, "feature_names", None):  # an XGBoost Booster
        names = model.feature_names
    return None if names is None else [str(n) for n in names]


def _match_columns(model: Any, X: pd.DataFrame, where: str) -> pd.DataFrame:
    """``X`` with the model's input columns in its order, or a clear error naming what is missing."""
    names = _input_columns(model)
    if names is None:
        shape = getattr(model, "image_shape", None)
        if shape is not None and X.shape[1] != int(np.prod(shape)):
            raise DataError(
                f"{where} has {X.shape[1]} columns but the network takes {int(np.prod(shape))} "
                "pixels: give rows with its input columns"
            )
        return X
    have = set(map(str, X.columns))
    missing = [n for n in names if n not in have]
    if missing:
        raise DataError(
            f"{where} lacks {len(missing)} of the model's {len(names)} input columns "
            f"({listing(missing)}): give rows with the columns the model was trained on"
        )
    return X.rename(columns=str)[names]


def _verdicts(
    budgets: dict[str, float | None],
    file_bytes: int,
    m: Measurement | None,
    placement: Placement | NoFit | None,
) -> list[Verdict]:
    out: list[Verdict] = []
    mb = budgets.get("model_mb")
    if mb:
        size_mb = file_bytes / 1e6
        out.append(
            Verdict(
                "model_mb",
                mb,
                "within" if size_mb <= mb else "over",
                f"the saved model is {size_mb:,.2f} MB",
            )
        )
    p99 = budgets.get("latency_p99_ms")
    if p99 and m is not None:
        e = m.single_p99_ms
        if e.low > p99:
            verdict = "over"
        elif e.high <= p99:
            verdict = "within"
        else:
            verdict = "unclear"
        out.append(
            Verdict(
                "latency_p99_ms",
                p99,
                verdict,
                f"single-row p99 {_ms(e.value)} ({_bound(e)}; {e.n:,} calls)",
            )
        )
    usd = budgets.get("monthly_usd")
    if usd is not None and placement is not None:
        if isinstance(placement, Placement):
            out.append(
                Verdict(
                    "monthly_usd",
                    usd,
                    "within" if placement.monthly_usd <= usd else "over",
                    f"{placement.count} x {placement.instance} at ${placement.monthly_usd:,.0f}"
                    f"/month (on-demand list price of {placement.price_date})",
                )
            )
        else:
            out.append(Verdict("monthly_usd", usd, "over", placement.message))
    return out


def size(
    model: Any,
    X: pd.DataFrame,
    *,
    name: str | None = None,
    batch: int = 1000,
    repeats: int = 3,
    what: WhatIf | None = None,
    qps: float | None = None,
    catalogue: str | Path | pd.DataFrame | None = None,
    providers: list[str] | None = None,
    budgets: dict[str, float | None] | None = None,
    data: pd.DataFrame | None = None,
    data_rows: int | None = None,
    measure_it: bool = True,
    max_seconds: float = 1.0,
) -> SizeResult:
    """Measure ``model`` (a fitted estimator or a saved file) on rows like ``X``, estimate its
    memory part by part, answer the what-ifs in ``what``, and find the cheapest instance.

    ``data`` (default ``X``) is the dataset whose memory is measured per column and multiplied out
    to ``data_rows`` (default: ``what.rows``, else its own rows).
    """
    what = what or WhatIf()
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X)
    if len(X) == 0:
        raise DataError("no rows to predict: sizing needs a sample of the model's input")
    cat = catalogue if isinstance(catalogue, pd.DataFrame) else load_catalogue(catalogue)
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="candor-size-") as tmp:
        if isinstance(model, (str, Path)):
            path = Path(model)
            fitted, fmt = load_model(path)
        else:
            # estimated as a server would hold it: loaded back from the saved file
            path = _save(model, Path(tmp))
            fitted, fmt = load_model(path)
        label = name or path.name
        file_bytes = path.stat().st_size
        X = _match_columns(fitted, X, "the rows given")
        sample = X.sample(min(len(X), SAMPLE_ROWS), random_state=0) if len(X) > SAMPLE_ROWS else X
        row_bytes = float(sample.memory_usage(deep=False, index=False).sum()) / len(sample)
        estimate = estimate_memory(fitted, rows=batch, row_bytes=row_bytes, n_input=X.shape[1])
        m = (
            measure(path, sample, batch=batch, repeats=repeats, fmt=fmt, max_seconds=max_seconds)
            if measure_it
            else None
        )
    check = Check(estimate.total, m.peak_bytes) if m is not None else None
    scenario = None
    if what.asked or what.train:
        scenario = rescale(
            fitted, n_input=X.shape[1], row_bytes=row_bytes, what=what, default_batch=batch
        )
    frame = X if data is None else data
    dm = data_memory(frame)
    rows_for_data = data_rows or what.rows or len(frame)
    process = m.process_bytes.value if m is not None else ASSUMED_PROCESS_BYTES
    if scenario is None and m is not None:
        worker = m.worker_bytes.value
        method = "measured: " + m.worker_bytes.method
    else:
        used = scenario or estimate
        first = m.first_call_bytes.value if m is not None else 0.0
        worker = process + used.total + first
        method = (
            f"{'measured' if m is not None else 'assumed'} interpreter "
            f"({format_bytes(process)}) + estimated {'training' if what.train else 'model and batch'}"
            f" ({format_bytes(used.total)})"
        )
    rate = None
    if m is not None and math.isfinite(m.single_p50_ms.value) and m.single_p50_ms.value > 0:
        rate = 1000.0 / m.single_p50_ms.value
    if qps is not None and (what.classes or what.features):
        notes.append(
            "throughput is the fitted model's as measured: the what-if's own speed is not estimated"
        )
    placement = place(
        cat,
        worker_bytes=worker,
        rows_per_second_per_core=rate,
        qps=None if what.train else qps,
        providers=providers,
        gpu=False,
    )
    verdicts = _verdicts(budgets or {}, file_bytes, m, placement)
    return SizeResult(
        label,
        fmt,
        file_bytes,
        estimate,
        m,
        check,
        what,
        scenario,
        dm,
        rows_for_data,
        placement,
        worker,
        method,
        qps,
        verdicts,
        notes + list(estimate.notes),
    )


def size_output_layer(
    classes: int,
    features: int,
    *,
    batch: int = 1,
    train: bool = False,
    catalogue: str | Path | pd.DataFrame | None = None,
    providers: list[str] | None = None,
) -> tuple[MemoryEstimate, Placement | NoFit]:
    """A what-if with no model at all: a network's output layer and where it would fit."""
    est = output_layer(classes, features, batch=batch, train=train)
    cat = catalogue if isinstance(catalogue, pd.DataFrame) else load_catalogue(catalogue)
    where = place(
        cat,
        worker_bytes=ASSUMED_PROCESS_BYTES + est.total,
        rows_per_second_per_core=None,
        qps=None,
        providers=providers,
    )
    return est, where


__all__ = ["GIB", "Check", "SizeResult", "Verdict", "size", "size_output_layer"]
