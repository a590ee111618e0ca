"""Closing the loop: the predictions people reviewed become the next dataset version.

An export is the project's data, unchanged and in its order, followed by one row per reviewed
prediction: its inputs and the label the reviewers settled on (a correction replaces the model's
answer, a confirmation keeps it). It is stored content-addressed like any snapshot, so the same
reviews give the same version (exporting twice writes nothing new), and its lineage (which
predictions, reviewers and model versions, from which data) is an MLflow run tagged
``candor.kind = feedback export``.

How a project trains on it: candor.toml stays on the original data, and ``candor retrain`` (or
:func:`training_data`) reads the export back with the project's own split for the original rows
and every feedback row on the training side. The held-out rows are therefore the very rows the
champion was evaluated on, and a comparison with it stays paired. Pointing ``[data] source`` at
an export instead would redraw the split over the longer table and break that; it is refused.
A reviewed prediction whose inputs are those of a held-out row is left out (reported as skipped):
training on it would leak the test set into the comparison.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from candor.errors import ConfigError, DataError

if TYPE_CHECKING:  # imported where used: `candor kpis --log-url` needs neither (nor scikit-learn)
    from candor.data import Dataset, Split
    from candor.project import Project

KIND = "feedback export"
DOCUMENT = "feedback.json"
_PAGE = 1000


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    """One added row and where it came from."""

    row: int  # its position in the exported table
    prediction_id: str
    model: str
    version: str
    predicted: Any  # the model's answer
    label: Any  # the label people settled on: the target of the new row
    action: str  # confirm | correct
    reviewer: str  # who gave the verdict that counts (the latest)
    reviewers: list[str]  # everyone who acted on the prediction
    predicted_at: float
    reviewed_at: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "prediction_id": self.prediction_id,
            "model": self.model,
            "version": self.version,
            "predicted": self.predicted,
            "label": self.label,
            "action": self.action,
            "reviewer": self.reviewer,
            "reviewers": self.reviewers,
            "predicted_at": self.predicted_at,
            "reviewed_at": self.reviewed_at,
        }


@dataclass(frozen=True, slots=True)
class SkippedReview:
    """A reviewed prediction that did not become a row, and why."""

    prediction_id: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"prediction_id": self.prediction_id, "reason": self.reason}


@dataclass(frozen=True)
class FeedbackExport:
    """A dataset version made of the project's data and the reviewed predictions."""

    hash: str
    rows: int
    base_hash: str
    base_rows: int
    base_source: str
    added: list[FeedbackRow]
    skipped: list[SkippedReview]
    written: bool  # False: the same version was exported before, nothing new was stored
    run_id: str
    store: str
    log: str
    out: str | None = None

    @property
    def short(self) -> str:
        return self.hash[:12]

    @property
    def corrected(self) -> int:
        return sum(r.action == "correct" for r in self.added)

    @property
    def confirmed(self) -> int:
        return sum(r.action == "confirm" for r in self.added)

    @property
    def reviewers(self) -> list[str]:
        return sorted({r.reviewer for r in self.added})

    @property
    def versions(self) -> list[str]:
        return sorted({f"{r.model} v{r.version}" for r in self.added})

    @property
    def sentence(self) -> str:
        n = len(self.added)
        what = (
            f"dataset {self.short}: the {self.base_rows:,} rows of {self.base_source} "
            f"({self.base_hash[:12]}) and {n:,} reviewed prediction{'s' if n != 1 else ''} "
            f"({self.corrected:,} corrected, {self.confirmed:,} confirmed; answered by "
            f"{', '.join(self.versions)}; reviewed by {', '.join(self.reviewers)})"
        )
        if not self.written:
            return f"Already exported {what}: nothing new was stored (MLflow run {self.run_id})."
        return f"Exported {what}, in {self.store}; lineage in MLflow run {self.run_id}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "rows": self.rows,
            "base_hash": self.base_hash,
            "base_rows": self.base_rows,
            "base_source": self.base_source,
            "added": [r.to_dict() for r in self.added],
            "skipped": [s.to_dict() for s in self.skipped],
            "corrected": self.corrected,
            "confirmed": self.confirmed,
            "reviewers": self.reviewers,
            "versions": self.versions,
            "written": self.written,
            "mlflow_run_id": self.run_id,
            "store": self.store,
            "log": self.log,
            "out": self.out,
            "sentence": self.sentence,
        }


# ---- the prediction log --------------------------------------------------------------------------


def open_prediction_log(path: str | Path = ".", log_url: str | None = None) -> Any:
    """The prediction log at ``log_url``, else the project's default one; a SQLite file that is
    not there is an error (opening it would create an empty log and report nothing)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from candor.serving import PredictionLog

    if log_url is None:
        from candor.serving._server import default_log_url

        log_url = default_log_url(Path(path))
    url = log_url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DataError(
            f"{url[:200]!r} is not a database URL: give sqlite:///path/to/predictions.db or "
            "postgresql://user@host/db"
        ) from None
    db = parsed.database
    if parsed.get_backend_name() == "sqlite" and db and db != ":memory:" and not Path(db).is_file():
        raise DataError(
            f"no prediction log at {db}: `candor serve NAME@champion` writes it as it answers; "
            "or give the log's URL with --log-url"
        )
    return PredictionLog(url)


def reviewed_items(queue: Any) -> list[Any]:
    """Every routed prediction with a verdict, oldest first (the queue's own order)."""
    out: list[Any] = []
    while True:
        page = queue.items(status="reviewed", limit=_PAGE, offset=len(out))
        out.extend(page)
        if len(page) < _PAGE:
            return out


# ---- rows from reviews ---------------------------------------------------------------------------


def _cell(value: Any, dtype: Any) -> Any:
    """``value`` (decoded from JSON) as a value of a column of ``dtype``; ValueError if it is not."""
    kind = getattr(dtype, "kind", "O")
    if value is None:
        if kind in "iub":
            raise ValueError("is missing")
        return None
    if kind in "iu":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ValueError(f"{value!r} is not a whole number")
        return int(value)
    if kind == "f":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{value!r} is not a number")
        return float(value)
    if kind == "b":
        if not isinstance(value, bool):
            raise ValueError(f"{value!r} is not true or false")
        return value
    if kind == "M":
        return pd.Timestamp(value)
    if isinstance(dtype, pd.CategoricalDtype) and value not in set(dtype.categories):
        raise ValueError(f"{value!r} is not one of the column's categories")
    return value if isinstance(dtype, pd.CategoricalDtype) else str(value)


def _extra_columns(ds: Dataset, item: Any) -> dict[str, Any]:
    """The group and time columns of a feedback row, which models never take as inputs: from the
    inputs when given, else a group of its own and the prediction's time."""
    out: dict[str, Any] = {}
    inputs = item.record.inputs
    if ds.group is not None:
        if ds.group in inputs:
            out[ds.group] = inputs[ds.group]
        elif ds.frame[ds.group].dtype.kind in "OUST":
            out[ds.group] = f"feedback:{item.record.id}"  # one prediction, one entity
        else:
            raise ValueError(
                f"its inputs lack the group column {ds.group!r}, and a numeric group cannot be "
                "made up: send it with the prediction"
            )
    if ds.time is not None:
        if ds.time in inputs:
            out[ds.time] = inputs[ds.time]
        elif ds.frame[ds.time].dtype.kind == "M":
            out[ds.time] = pd.Timestamp(item.record.time, unit="s")
        else:
            raise ValueError(
                f"its inputs lack the time column {ds.time!r}, and the prediction's time cannot "
                "be put on that column's numeric scale: send it with the prediction"
            )
    return out


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()


def feedback_rows(
    ds: Dataset, split: Split, items: list[Any]
) -> tuple[pd.DataFrame, list[FeedbackRow], list[SkippedReview]]:
    """The rows reviewed ``items`` add to ``ds`` (typed as its columns), their lineage, and the
    reviewed predictions left out with the reason."""
    from candor.serving import ReviewError, parse_label

    base = ds.frame
    features = ds.features
    classes = [] if ds.task == "regression" else sorted(base[ds.target].unique(), key=str)
    rows: list[dict[str, Any]] = []
    kept: list[Any] = []
    skipped: list[SkippedReview] = []
    for item in items:
        rec, verdict = item.record, item.verdict
        if verdict is None:
            continue
        given = set(rec.inputs) - {ds.group, ds.time}
        missing = [c for c in features if c not in given]
        extra = sorted(given - set(features))
        try:
            if missing or extra:
                parts = []
                if missing:
                    parts.append(f"lack {', '.join(missing[:5])}")
                if extra:
                    parts.append(f"have {', '.join(extra[:5])}, which the data has not")
                raise ValueError(f"its inputs {' and '.join(parts)}")
            values = {**{c: rec.inputs[c] for c in features}, **_extra_columns(ds, item)}
            row = {}
            for c, v in values.items():
                try:
                    row[c] = _cell(v, base[c].dtype)
                except ValueError as exc:
                    raise ValueError(f"input {c!r} {exc}") from None
            row[ds.target] = parse_label(item.label, ds.task, classes)
        except (ValueError, ReviewError) as exc:
            skipped.append(SkippedReview(rec.id, str(exc)))
            continue
        rows.append(row)
        kept.append(item)
    frame = pd.DataFrame(rows, columns=list(base.columns))
    frame = frame.astype(base.dtypes.to_dict()) if rows else base.iloc[:0]
    # a held-out row trained on would flatter the new model on the very rows it is judged on
    held_out = set(_row_hashes(base.iloc[split.test], features).tolist())
    leaks = np.fromiter(
        (h in held_out for h in _row_hashes(frame, features).tolist()), bool, len(frame)
    )
    for item in (k for k, leak in zip(kept, leaks, strict=True) if leak):
        skipped.append(
            SkippedReview(
                item.record.id,
                "its inputs are those of a held-out test row: training on it would leak into the "
                "comparison with the champion",
            )
        )
    frame = frame[~leaks].reset_index(drop=True)
    kept = [k for k, leak in zip(kept, leaks, strict=True) if not leak]
    lineage = [
        FeedbackRow(
            len(base) + i,
            it.record.id,
            it.record.model,
            it.record.version,
            it.record.outputs.get("prediction"),
            it.label,
            it.verdict.action,
            it.verdict.reviewer,
            sorted({a.reviewer for a in it.actions}),
            it.record.time,
            it.verdict.time,
        )
        for i, it in enumerate(kept)
    ]
    return frame, lineage, skipped


# ---- export --------------------------------------------------------------------------------------


def _refuse_export_as_source(project: Project, ds: Dataset) -> None:
    tracker = project.tracker()
    if not tracker.has_runs:
        return
    run = tracker.latest_run(KIND, {"candor.dataset_hash": ds.content_hash})
    if run is not None:
        base = run.data.tags.get("candor.feedback.base_hash", "?")
        raise ConfigError(
            f"[data] source in candor.toml is a feedback export ({ds.content_hash[:12]}); point "
            f"it back at the original data ({base[:12]}): an export is always the original data "
            "plus every reviewed row, and `candor retrain` trains on it with the original split"
        )


TABLE_SUFFIXES = (".parquet", ".pq", ".csv")


def _write_table(frame: pd.DataFrame, out: Path) -> None:
    from candor.project import write_bytes_atomic

    buf = io.BytesIO()
    if out.suffix.lower() == ".csv":
        buf.write(frame.to_csv(index=False).encode("utf-8"))
    else:
        frame.to_parquet(buf, index=False)
    write_bytes_atomic(out, buf.getvalue())


def export_feedback(
    project: str | Path = ".", *, log_url: str | None = None, out: str | Path | None = None
) -> FeedbackExport:
    """Write the project's data plus every reviewed prediction as a new dataset version.

    Each prediction with a verdict becomes a row: its inputs, and the label people settled on as
    the target. The version is content-addressed (the same reviews give the same version: nothing
    is duplicated by a second export), its lineage recorded in MLflow; ``out`` also writes it as
    a Parquet or CSV file. Train on it with :func:`candor.retrain`.
    """
    from candor.project import Project
    from candor.serving import ReviewQueue
    from candor.serving._log import _safe

    if out is not None and Path(out).suffix.lower() not in TABLE_SUFFIXES:
        raise DataError(f"--out {out}: give a .parquet or .csv file name")
    p = Project.load(project)
    ds = p.dataset()
    split = p.split(ds)
    _refuse_export_as_source(p, ds)
    log = open_prediction_log(p.root, log_url)
    try:
        items = reviewed_items(ReviewQueue(log))
        where = _safe(log.url)
    finally:
        log.close()
    if not items:
        raise DataError(
            f"no reviewed predictions in the log at {where}: confirm or correct some in the "
            "review queue (/review on `candor serve`), then export again"
        )
    added_frame, added, skipped = feedback_rows(ds, split, items)
    if not added:
        reasons = "; ".join(f"{s.prediction_id}: {s.reason}" for s in skipped[:3])
        raise DataError(
            f"none of the {len(items):,} reviewed prediction(s) fits the project's data "
            f"({reasons}{'; ...' if len(skipped) > 3 else ''})"
        )
    frame = pd.concat([ds.frame, added_frame], ignore_index=True)
    store = p.object_store()
    base_source = p.config.data.source
    store.put(ds.frame, source=base_source)  # the lineage's base can be found again
    snap, _ = store.put(
        frame,
        source=f"feedback export: {base_source} ({ds.content_hash[:12]}) + {len(added):,} "
        "reviewed rows",
    )
    if out is not None:
        _write_table(frame, Path(out))
    tracker = p.tracker()
    previous = tracker.latest_run(KIND, {"candor.dataset_hash": snap.hash})
    if previous is not None:
        run_id, written = str(previous.info.run_id), False
    else:
        run_id = _record_export(p, snap.hash, ds, added, skipped, where)
        written = True
    return FeedbackExport(
        snap.hash,
        len(frame),
        ds.content_hash,
        len(ds.frame),
        base_source,
        added,
        skipped,
        written,
        run_id,
        store.root,
        where,
        None if out is None else str(out),
    )


def _record_export(
    project: Project,
    digest: str,
    ds: Dataset,
    added: list[FeedbackRow],
    skipped: list[SkippedReview],
    log: str,
) -> str:
    reviewers = sorted({r.reviewer for r in added})
    versions = sorted({f"{r.model}/{r.version}" for r in added})
    return project.tracker().log_run(
        "feedback export",
        metrics={
            "feedback_rows": float(len(added)),
            "feedback_corrected": float(sum(r.action == "correct" for r in added)),
            "feedback_skipped": float(len(skipped)),
        },
        params={"log": log, "base_rows": len(ds.frame), "rows": len(ds.frame) + len(added)},
        tags={
            "candor.kind": KIND,
            "candor.dataset_hash": digest,
            "candor.feedback.base_hash": ds.content_hash,
            "candor.feedback.base_rows": str(len(ds.frame)),
            "candor.feedback.rows": str(len(added)),
            "candor.feedback.reviewers": ", ".join(reviewers),
            "candor.feedback.versions": ", ".join(versions),
        },
        documents={
            DOCUMENT: {
                "dataset_hash": digest,
                "base": {
                    "hash": ds.content_hash,
                    "rows": len(ds.frame),
                    "source": project.config.data.source,
                },
                "log": log,
                "rows": [r.to_dict() for r in added],
                "skipped": [s.to_dict() for s in skipped],
            }
        },
    )


# ---- training on an export -----------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackData:
    """An export ready to train on: the table, and a split whose held-out rows are the project's."""

    dataset: Dataset
    split: Split
    base_hash: str
    base_rows: int
    run_id: str
    reviewers: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        return self.dataset.n_rows - self.base_rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_hash": self.dataset.content_hash,
            "base_hash": self.base_hash,
            "base_rows": self.base_rows,
            "added": self.added,
            "reviewers": self.reviewers,
            "export_run_id": self.run_id,
            "split": {**self.split.to_dict(), "feedback_rows_in_train": self.added},
        }


def training_data(project: str | Path | Project = ".", dataset: str | None = None) -> FeedbackData:
    """The latest feedback export of the project's data (or the export ``dataset``, a hash or its
    first characters) with the project's own split of the original rows and the feedback rows on
    the training side: the held-out rows are the ones the champion was judged on."""
    from candor.data import Dataset, Split, content_hash
    from candor.project import Project

    p = project if isinstance(project, Project) else Project.load(project)
    ds = p.dataset()
    tracker = p.tracker()
    run = None
    if dataset is not None:
        digest = p.object_store().show(dataset).hash
        run = (
            tracker.latest_run(KIND, {"candor.dataset_hash": digest}) if tracker.has_runs else None
        )
        if run is None:
            raise DataError(
                f"dataset {digest[:12]} is not a feedback export of this project: "
                "`candor feedback export` writes one"
            )
    elif tracker.has_runs:
        run = tracker.latest_run(KIND, {"candor.feedback.base_hash": ds.content_hash})
    if run is None:
        raise DataError(
            f"no feedback export of the project's data ({ds.content_hash[:12]}) yet: review "
            "predictions at /review on `candor serve`, then run `candor feedback export`"
        )
    tags = run.data.tags
    digest, base_hash = tags["candor.dataset_hash"], tags["candor.feedback.base_hash"]
    base_rows = int(tags["candor.feedback.base_rows"])
    if base_hash != ds.content_hash:
        raise DataError(
            f"feedback export {digest[:12]} was made from data {base_hash[:12]}, but the "
            f"project's data is now {ds.content_hash[:12]}: its held-out rows would not be the "
            "champion's. Run `candor feedback export` again"
        )
    stored = p.object_store().get(digest)
    # the original rows as the project reads them, then the feedback rows in their types
    tail = stored.iloc[base_rows:].astype(ds.frame.dtypes.to_dict())
    frame = pd.concat([ds.frame, tail], ignore_index=True)
    if content_hash(frame) != digest:
        raise DataError(
            f"feedback export {digest[:12]} does not start with the project's {base_rows:,} rows "
            "as recorded; export again"
        )
    split = p.split(ds)
    feedback = np.arange(base_rows, len(frame))
    train_split = Split(
        np.concatenate([split.train, feedback]),
        split.test,
        split.strategy,
        split.seed,
        split.test_size,
        split.dropped,
    )
    export = Dataset(
        frame,
        ds.target,
        ds.task,
        f"feedback export {digest[:12]} of {p.config.data.source}",
        ds.group,
        ds.time,
        digest,
    )
    reviewers = [r for r in tags.get("candor.feedback.reviewers", "").split(", ") if r]
    return FeedbackData(export, train_split, base_hash, base_rows, str(run.info.run_id), reviewers)
