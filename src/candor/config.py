"""The project file, ``candor.toml``: read with tomllib, validated with pydantic.

An unknown key, a wrong type or a missing required key is a ``ConfigError`` that names the key, the
file and line, and the nearest valid key.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from candor.errors import ConfigError

CONFIG_NAME = "candor.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProjectSection(_Section):
    name: str
    goal: str = ""


class DataSection(_Section):
    source: str
    target: str
    group: str | None = None
    time: str | None = None
    task: Literal["binary", "multiclass", "regression"] | None = None
    test_size: float = Field(0.25, gt=0, lt=1)
    seed: int = 0
    #: where dataset snapshots go: a folder or an fsspec URL such as s3://bucket/candor/objects
    snapshots: str | None = None


class MetricSection(_Section):
    primary: str = "roc_auc"
    secondary: list[str] = Field(default_factory=list)
    min_acceptable: float | None = None
    level: float = Field(0.95, gt=0, lt=1)
    n_resamples: int = Field(10_000, ge=1_000)


class CostsSection(_Section):
    false_positive: float = Field(1.0, ge=0)
    false_negative: float = Field(1.0, ge=0)


class BudgetsSection(_Section):
    latency_p99_ms: float | None = Field(None, gt=0)
    model_mb: float | None = Field(None, gt=0)
    monthly_usd: float | None = Field(None, ge=0)


class SizingSection(_Section):
    #: a CSV of instance types and prices replacing the packaged catalogue
    catalogue: str | None = None
    #: single-row requests per second to size the deployment for
    qps: float | None = Field(None, gt=0)
    #: only these providers' instances (aws, gcp, azure)
    providers: list[str] = Field(default_factory=list)
    #: rows per batch when measuring a batch's peak memory and throughput
    batch: int = Field(1000, ge=1, le=10_000_000)


Gate = Literal["audit", "min_acceptable", "beats_champion", "budgets"]
GATES: tuple[Gate, ...] = ("audit", "min_acceptable", "beats_champion", "budgets")


class RegistrySection(_Section):
    #: the alias ``candor register`` puts on a new version, and the one ``promote`` moves to it
    candidate: str = "candidate"
    champion: str = "champion"
    #: a new champion may score worse than the one it replaces by at most this much, on the same
    #: held-out rows: in the metric's units for scores between 0 and 1 (accuracy, AUC, F1,
    #: Brier...), a share of the champion's value for RMSE, MAE, log loss and cost
    margin: float = Field(0.01, ge=0)
    #: the release gates ``candor promote`` runs, in order
    gates: list[Gate] = Field(default_factory=lambda: list(GATES))


class FeedbackSection(_Section):
    """``candor serve``'s routing rules: which predictions go to the review queue, and why."""

    #: route a classification whose top class probability is below this (0: never)
    min_confidence: float = Field(0.6, ge=0, le=1)
    #: route a regression whose 90% prediction interval is wider than this (target's units)
    max_interval_width: float | None = Field(None, gt=0)
    #: route a row more unusual than this share of held-out training rows (1: never)
    novelty: float = Field(0.99, ge=0, le=1)
    #: score this alias alongside the served model (never returned); route when they disagree
    shadow: str | None = None
    #: a regression's disagreement with the shadow that routes it, as a share of the answer
    shadow_tolerance: float = Field(0.1, ge=0)


class TrackingSection(_Section):
    uri: str | None = None
    experiment: str | None = None


class Config(_Section):
    """The whole of candor.toml."""

    project: ProjectSection
    data: DataSection
    metric: MetricSection = Field(default_factory=MetricSection)  # type: ignore[arg-type]
    costs: CostsSection | None = None
    budgets: BudgetsSection = Field(default_factory=BudgetsSection)  # type: ignore[arg-type]
    tracking: TrackingSection = Field(default_factory=TrackingSection)
    sizing: SizingSection = Field(default_factory=SizingSection)  # type: ignore[arg-type]
    registry: RegistrySection = Field(default_factory=RegistrySection)  # type: ignore[arg-type]
    feedback: FeedbackSection = Field(default_factory=FeedbackSection)  # type: ignore[arg-type]

    @field_validator("metric")
    @classmethod
    def _known_metrics(cls, v: MetricSection) -> MetricSection:
        from candor.stats import METRICS

        for name in [v.primary, *v.secondary]:
            if name not in METRICS:
                near = difflib.get_close_matches(name, METRICS, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                raise ValueError(f"unknown metric {name!r}{hint} (known: {', '.join(METRICS)})")
        return v


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        sub = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if sub is None:
            return None
        model = sub
    return model


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Line of ``loc`` in the file: a ``[table]`` header, or ``key =`` inside its table.

    Falls back to the enclosing table's header when the key itself is absent (a missing key).
    """
    path = ".".join(map(str, loc))
    table, key = ".".join(map(str, loc[:-1])), str(loc[-1])
    current, table_line = "", None
    for i, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[([^\[\]]+)\]", line)
        if header:
            current = header.group(1).strip()
            if current == path:
                return i
            if current == table:
                table_line = i
            continue
        if current == table and re.match(rf"^\"?{re.escape(key)}\"?\s*=", line):
            return i
    return table_line if loc[:-1] else None


def _describe(err: Any, path: Path, text: str) -> str:
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc)
    line = _line_of(text, loc) if loc else None
    where = f"{path}:{line}" if line else str(path)
    if err["type"] == "extra_forbidden":
        model = _model_at(loc)
        valid = list(model.model_fields) if model else []
        near = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f" Did you mean {'.'.join(map(str, (*loc[:-1], near[0])))!r}?" if near else ""
        return f"{where}: unknown key {key!r}.{hint} Valid keys here: {', '.join(valid)}."
    if err["type"] == "missing":
        return f"{where}: required key {key!r} is missing."
    got = err.get("input")
    shown = "" if isinstance(got, dict) else f" (got {got!r})"
    msg = str(err["msg"]).removeprefix("Value error, ")
    return f"{where}: {key}: {msg}{shown}."


def parse_config(text: str, path: Path) -> Config:
    """Validate the text of a candor.toml (``path`` is only used in messages)."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}. Check quotes and [section] headers."
        ) from exc
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(e, path, text) for e in exc.errors()]
        raise ConfigError("candor.toml is not valid:\n  " + "\n  ".join(problems)) from None


def load_config(path: str | Path) -> Config:
    """Read and validate ``path`` (a candor.toml, or a folder holding one)."""
    p = Path(path)
    if p.is_dir():
        p = p / CONFIG_NAME
    if not p.is_file():
        raise ConfigError(f"no {CONFIG_NAME} at {p}. Run `candor init` to create one.")
    return parse_config(p.read_text(encoding="utf-8"), p)


def find_config(start: str | Path = ".") -> Path | None:
    """The nearest candor.toml in ``start`` or a folder above it."""
    here = Path(start).resolve()
    for folder in [here, *here.parents]:
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    return None


def config_template(name: str, source: str, target: str, primary: str = "roc_auc") -> str:
    """A commented candor.toml for ``candor init`` (values escaped: TOML accepts JSON strings)."""
    name, source, target, primary = (json.dumps(v) for v in (name, source, target, primary))
    return f"""# candor project file. Every key is documented here; unknown keys are rejected.

[project]
name = {name}
goal = ""                     # what the model is for, in one sentence (used in model cards)

[data]
source = {source}   # CSV, Parquet, or a bundled set such as "sklearn:breast_cancer"
target = {target}
# group = "customer_id"       # rows of one group never straddle train and test
# time = "signup_date"        # when set, test rows come after train rows
# task = "binary"             # binary | multiclass | regression; inferred from the target if unset
test_size = 0.25
seed = 0                      # splits and resamples are deterministic given the seed

[metric]
primary = {primary}
secondary = []                # e.g. ["accuracy", "f1", "brier"]
# min_acceptable = 0.80       # release gate: the primary metric's lower bound must reach this
level = 0.95                  # confidence level of every interval
n_resamples = 10000           # bootstrap resamples

# [costs]                     # what one mistake costs the business (binary tasks)
# false_positive = 1.0
# false_negative = 20.0

[budgets]
# latency_p99_ms = 50
# model_mb = 100
# monthly_usd = 300

# [sizing]                    # candor size: where and at what load the model would be served
# qps = 200                   # single-row requests per second
# providers = ["aws"]         # aws | gcp | azure; all when unset
# catalogue = "instances.csv" # your own instance prices (same columns as candor's)

# [registry]                  # candor register / promote: aliases and release gates
# candidate = "candidate"     # the alias a newly registered version gets
# champion = "champion"       # the alias promote moves (and rollback moves back)
# margin = 0.01               # how much worse than the champion a new one may be (paired; a share of it for rmse/mae/log_loss/cost)
# gates = ["audit", "min_acceptable", "beats_champion", "budgets"]

# [feedback]                  # candor serve: which predictions go to the review queue
# min_confidence = 0.6        # route a classification whose top probability is below this
# max_interval_width = 50     # route a regression whose 90% interval is wider (target's units)
# novelty = 0.99              # route a row more unusual than this share of training rows
# shadow = "candidate"        # score this alias alongside (never returned); route disagreements
# shadow_tolerance = 0.1      # regression: a relative difference from the shadow that routes
"""
