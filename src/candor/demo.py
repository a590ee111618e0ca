"""``candor demo``: the whole loop on bundled data, in a project folder of its own.

On scikit-learn's breast cancer set: the audit of the split first, then the model ladder and its
recommendation, then a few models scored on the held-out test rows (a leaderboard in which every
metric has its interval), a paired comparison of the top two, the claims the test set supports, and
every run recorded in MLflow inside the demo folder. It grows with each capability.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor.audit import AuditReport
from candor.auditing import audit_project
from candor.errors import CandorError, GateFailed
from candor.forecasting import ForecastRun, forecast_project
from candor.ladder._climb import Progress
from candor.laddering import LadderRun, ladder_project
from candor.project import Project, init_project, log_evaluation
from candor.registering import Promotion, Registration, promote, register
from candor.reporting import ReportResult, report
from candor.serving._tour import ServingTour, serve_held_out
from candor.sizer import SizeRun, size_project
from candor.stats import Comparison, Evaluation, compare, evaluate

DEMO_SOURCE = "sklearn:breast_cancer"
DEMO_METRICS = ["roc_auc", "accuracy", "f1", "brier", "log_loss"]
DEMO_MODEL = "breast-cancer"


@dataclass(frozen=True)
class DemoSpec:
    """Which bundled data the demo runs on, and what it registers."""

    source: str
    model: str
    label: str
    goal: str
    metrics: list[str]
    primary: str
    min_acceptable: float
    #: the ladder's rungs (None: every rung that applies)
    rungs: list[str] | None = None
    #: the rung to register (None: the ladder's recommendation)
    register_rung: str | None = None
    #: the forecast's anchors, as shares of the training rows, and its repeats (None: defaults)
    forecast_fractions: tuple[float, ...] | None = None
    forecast_repeats: int | None = None
    #: the target column, for a CSV or Parquet source (a bundled set names its own)
    target: str | None = None


BREAST_CANCER = DemoSpec(
    DEMO_SOURCE,
    DEMO_MODEL,
    "breast cancer",
    "flag tumours likely to be malignant for a second reading",
    DEMO_METRICS,
    "roc_auc",
    0.90,
)
#: ``candor demo --images``: 8x8 scans of handwritten digits, the CNN registered to look inside it
DIGITS = DemoSpec(
    "sklearn:digits",
    "digits",
    "handwritten digits",
    "read handwritten digits from 8x8 scans, sending doubtful ones to a person",
    ["accuracy", "log_loss", "brier"],
    "accuracy",
    0.90,
    rungs=["dummy", "linear", "knn", "svm_rbf", "cnn"],
    register_rung="cnn",
    # a network is refitted for every anchor and fold: five anchors from 1/8 to 1/2, one pass
    # (about a minute on 2 cores, where the default 9 anchors and 2 passes take about five)
    forecast_fractions=tuple(2.0 ** (-k / 2) for k in range(6, 1, -1)),
    forecast_repeats=1,
)


def _models(seed: int) -> dict[str, Callable[[], Any]]:
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "dummy (prior)": lambda: DummyClassifier(strategy="prior"),
        "logistic regression": lambda: make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=1000)
        ),
        "random forest": lambda: RandomForestClassifier(
            n_estimators=200, random_state=seed, n_jobs=1
        ),
        "gradient boosting": lambda: HistGradientBoostingClassifier(random_state=seed),
    }


@dataclass(frozen=True)
class LeakyAct:
    """The trap first: the same data exported twice, split at random, so most test rows have a
    copy in training. A one-nearest-neighbour model then looks perfect; the audit says why; on the
    project's honest split the same model scores what it is worth."""

    model: str
    rows: int
    leaky: Evaluation
    honest: Evaluation
    audit: AuditReport

    @property
    def finding(self) -> Any:
        """The audit's worst finding on the leaky split (the exact duplicates)."""
        return next(iter(sorted(self.audit.findings, key=lambda f: f.severity != "error")), None)

    def to_dict(self) -> dict[str, Any]:
        f = self.finding
        return {
            "model": self.model,
            "rows": self.rows,
            "leaky": self.leaky.to_dict(),
            "honest": self.honest.to_dict(),
            "audit_verdict": self.audit.verdict,
            "finding": None if f is None else {"text": f.text, "fix": f.fix},
        }


def leaky_act(project: Project, *, seed: int = 0, n_resamples: int = 2_000) -> LeakyAct:
    """Score a one-nearest-neighbour model on a leaky split of the project's data, audit that
    split, and score the model again on the project's own split (see :class:`LeakyAct`)."""
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from candor.audit import audit

    ds = project.dataset()
    frame, features, target = ds.frame, ds.features, ds.target
    # the classic accident: a table appended to itself (two exports merged), split at random
    twice = pd.concat([frame, frame], ignore_index=True)
    order = np.random.default_rng(seed).permutation(len(twice))
    cut = int(len(twice) * 0.75)
    train, test = twice.iloc[order[:cut]], twice.iloc[order[cut:]]
    split = project.split(ds)
    honest_train, honest_test = frame.iloc[split.train], frame.iloc[split.test]

    def score(tr: pd.DataFrame, te: pd.DataFrame) -> Evaluation:
        model = make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=1))
        model.fit(tr[features].to_numpy(), tr[target].to_numpy())
        proba = model.predict_proba(te[features].to_numpy())
        pred = np.asarray(model.classes_)[np.argmax(proba, axis=1)]
        return evaluate(
            te[target].to_numpy(), pred, metrics=["accuracy"], n_resamples=n_resamples, seed=seed
        )

    report = audit(train, test, target, task=ds.task, seed=seed, checks=["exact_duplicates"])
    return LeakyAct(
        "1-nearest neighbour",
        len(twice),
        score(train, test),
        score(honest_train, honest_test),
        report,
    )


@dataclass(frozen=True)
class DemoResult:
    """What the demo found: one evaluation per model, the comparison of the top two, the runs."""

    folder: Path
    n_train: int
    n_test: int
    primary: str
    evaluations: dict[str, Evaluation]
    comparison: Comparison
    run_ids: dict[str, str]
    audit: AuditReport
    ladder: LadderRun | None = None
    forecast: ForecastRun | None = None
    size: SizeRun | None = None
    registered: Registration | None = None
    promotion: Promotion | None = None
    #: the dummy's promotion, refused by the gates: what they guard against
    blocked: str = ""
    #: the champion served for a moment: the held-out rows as traffic, the routed ones reviewed
    serving: ServingTour | None = None
    #: the project's report: one self-contained HTML file of all the above
    report: ReportResult | None = None
    #: the trap first: a leaky split's too-good score, the audit's finding, the honest score
    leak: LeakyAct | None = None
    #: what the data is, in words
    dataset: str = "breast cancer"

    @property
    def runs_recorded(self) -> int:
        """MLflow runs the demo wrote: the audit, the ladder's parent and rungs, the evaluations."""
        ladder_runs = 0 if self.ladder is None else 1 + len(self.ladder.result.rungs)
        forecast_runs = 0 if self.forecast is None or self.forecast.run_id is None else 1
        size_runs = 0 if self.size is None or self.size.run_id is None else 1
        register_runs = 0 if self.registered is None else 1 + bool(self.blocked)
        return 1 + ladder_runs + forecast_runs + size_runs + register_runs + len(self.run_ids)

    def leaderboard(self) -> list[tuple[str, Evaluation]]:
        """Models from best to worst by the primary metric's point value."""
        return sorted(self.evaluations.items(), key=lambda kv: -kv[1][self.primary].value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "primary": self.primary,
            "leaderboard": [{"model": m, **ev.to_dict()} for m, ev in self.leaderboard()],
            "comparison": self.comparison.to_dict(),
            "run_ids": self.run_ids,
            "audit": self.audit.to_dict(),
            "ladder": None if self.ladder is None else self.ladder.to_dict(),
            "forecast": None if self.forecast is None else self.forecast.to_dict(),
            "size": None if self.size is None else self.size.to_dict(),
            "registered": None if self.registered is None else self.registered.to_dict(),
            "promotion": None if self.promotion is None else self.promotion.to_dict(),
            "blocked": self.blocked,
            "serving": None if self.serving is None else self.serving.to_dict(),
            "report": None if self.report is None else self.report.to_dict(),
            "leak": None if self.leak is None else self.leak.to_dict(),
        }


def run_demo(
    folder: str | Path = "candor-demo",
    *,
    seed: int = 0,
    n_resamples: int = 10_000,
    on_progress: Progress | None = None,
    on_stage: Callable[[str], None] | None = None,
    images: bool = False,
    spec: DemoSpec | None = None,
) -> DemoResult:
    """Create (or reuse) the demo project in ``folder`` and evaluate a few models honestly;
    ``on_stage`` hears each step's name as it starts, ``on_progress`` the ladder's rungs.
    ``images`` runs it on ``sklearn:digits`` with the CNN rung (:data:`DIGITS`); ``spec`` names
    other data and rungs."""
    spec = spec or (DIGITS if images else BREAST_CANCER)
    if images or spec.register_rung == "cnn":
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            raise CandorError(
                "candor demo --images trains the CNN rung, which needs PyTorch: run make "
                "demo-images (it installs the extra), or pip install 'candor[nn]'"
            )

    def stage(what: str) -> None:
        if on_stage is not None:
            on_stage(what)

    root = Path(folder)
    if not (root / "candor.toml").exists():
        cfg = init_project(root, name="candor-demo", source=spec.source, target=spec.target)
        # a release gate with a threshold to meet: the champion's pessimistic bound must reach it
        text = cfg.read_text(encoding="utf-8")
        cfg.write_text(
            text.replace(
                "# min_acceptable = 0.80 ", f"min_acceptable = {spec.min_acceptable:.2f}   ", 1
            ).replace('goal = ""', f'goal = "{spec.goal}"', 1),
            encoding="utf-8",
        )
    # the trap first: what a leaky split does to a score, and how the audit catches it
    stage("The trap first: scoring a leaky split, then auditing it")
    leak = leaky_act(Project.load(root), seed=seed)
    stage(f"Auditing {spec.source}'s honest split")
    audited = audit_project(root)  # the data first: a leak makes every number below meaningless
    # then the ladder: which model is worth it, from the simplest up
    stage("Climbing the model ladder")
    climbed = ladder_project(root, rungs=spec.rungs, on_progress=on_progress)
    # and what more data would buy the recommended model, before anyone promises a deadline
    stage("Forecasting what more data would buy")
    plan: dict[str, Any] = {}
    if spec.forecast_fractions is not None:
        plan["fractions"] = spec.forecast_fractions
    forecasted = forecast_project(root, repeats=spec.forecast_repeats, **plan)
    # and what serving it would take: memory, latency, an instance and its monthly cost
    stage("Sizing the model for serving (fresh processes)")
    sized = size_project(root, repeats=2)
    # then into the registry, and through the release gates to champion (a rerun of the demo
    # promotes its new version only if it is no worse than the last one)
    stage("Registering and promoting through the gates")
    registered = register(root, name=spec.model, rung=spec.register_rung)
    promoted: Promotion | None
    try:
        promoted = promote(root, name=spec.model, version=registered.version)
    except GateFailed as exc:  # a rerun whose new model is worse than the last champion
        promoted, refused = None, str(exc)
    else:
        refused = ""
    # and the gates at work: the dummy (always the majority class) may not replace it
    blocked = refused
    try:
        dummy = register(root, name=spec.model, rung="dummy", alias="")
        promote(root, name=spec.model, version=dummy.version)
    except GateFailed as exc:
        blocked = str(exc)
    # and serving it: every prediction logged, the doubtful ones routed to review, the KPIs
    stage("Serving the champion: held-out rows as traffic, doubtful ones reviewed")
    toured = serve_held_out(root, f"{spec.model}@champion")
    stage("Scoring a leaderboard on the held-out rows")
    project = Project.load(root)
    ds = project.dataset()
    split = project.split(ds)
    X, y = ds.X.to_numpy(), ds.y.to_numpy()
    tracker = project.tracker()
    evaluations: dict[str, Evaluation] = {}
    scores: dict[str, np.ndarray] = {}
    preds: dict[str, np.ndarray] = {}
    run_ids: dict[str, str] = {}
    # the leaderboard's usual suspects, and the registered champion itself (for --images, the
    # network: the one the ladder recommended and the registry holds)
    contenders: dict[str, Callable[[], Any]] = dict(_models(seed))
    champion_name = ""
    if promoted is not None:
        champion_name = f"the champion: {registered.rung} (v{registered.version})"
    for name in [*contenders, champion_name] if champion_name else contenders:
        if name == champion_name:
            from candor.registering import load

            loaded = load(f"{spec.model}@champion", project=root)
            proba = loaded.predict_proba(ds.frame.iloc[split.test][ds.features])
            classes = list(loaded.classes)
        else:
            model = contenders[name]().fit(X[split.train], y[split.train])
            proba = model.predict_proba(X[split.test])
            classes = list(model.classes_)
        pred = np.asarray(classes, dtype=object)[np.argmax(proba, axis=1)].astype(y.dtype)
        ev = evaluate(
            y[split.test],
            pred,
            proba,
            metrics=spec.metrics,
            n_resamples=n_resamples,
            seed=seed,
        )
        evaluations[name] = ev
        scores[name] = proba
        preds[name] = pred
        run_ids[name] = log_evaluation(
            tracker,
            ev,
            run_name=f"demo: {name}",
            dataset_hash=ds.content_hash,
            project_root=project.root,
            params={"model": name, **{f"split_{k}": v for k, v in split.to_dict().items()}},
        )
    primary = spec.primary
    ranked = sorted(evaluations, key=lambda m: -evaluations[m][primary].value)
    a, b = ranked[0], ranked[1]
    y_test = y[split.test]
    if primary == "roc_auc":  # binary: the scores, compared by DeLong's paired test
        comparison = compare(
            y_test,
            score_a=scores[a][:, 1],
            score_b=scores[b][:, 1],
            metric=primary,
            names=(a, b),
            n_resamples=n_resamples,
            seed=seed,
        )
    else:  # the labels, by the paired bootstrap (and McNemar's test for accuracy)
        comparison = compare(
            y_test,
            preds[a],
            preds[b],
            metric=primary,
            names=(a, b),
            n_resamples=n_resamples,
            seed=seed,
        )
    stage("Writing the report")
    written = report(root)
    return DemoResult(
        root.resolve(),
        len(split.train),
        len(split.test),
        primary,
        evaluations,
        comparison,
        run_ids,
        audited.report,
        climbed,
        forecasted,
        sized,
        registered,
        promoted,
        blocked,
        toured,
        # last, the story told with pictures: every section that ran, in one file
        written,
        leak,
        spec.label,
    )
