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

from candor.audit import AuditReport
from candor.auditing import audit_project
from candor.errors import GateFailed
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
        }


def run_demo(
    folder: str | Path = "candor-demo",
    *,
    seed: int = 0,
    n_resamples: int = 10_000,
    on_progress: Progress | None = None,
) -> DemoResult:
    """Create (or reuse) the demo project in ``folder`` and evaluate a few models honestly."""
    root = Path(folder)
    if not (root / "candor.toml").exists():
        cfg = init_project(root, name="candor-demo", source=DEMO_SOURCE)
        # a release gate with a threshold to meet: the champion's pessimistic bound must reach it
        text = cfg.read_text(encoding="utf-8")
        cfg.write_text(
            text.replace("# min_acceptable = 0.80 ", "min_acceptable = 0.90   ", 1).replace(
                'goal = ""', 'goal = "flag tumours likely to be malignant for a second reading"', 1
            ),
            encoding="utf-8",
        )
    audited = audit_project(root)  # the data first: a leak makes every number below meaningless
    # then the ladder: which model is worth it, from the simplest up
    climbed = ladder_project(root, on_progress=on_progress)
    # and what more data would buy the recommended model, before anyone promises a deadline
    forecasted = forecast_project(root)
    # and what serving it would take: memory, latency, an instance and its monthly cost
    sized = size_project(root, repeats=2)
    # then into the registry, and through the release gates to champion (a rerun of the demo
    # promotes its new version only if it is no worse than the last one)
    registered = register(root, name=DEMO_MODEL)
    promoted: Promotion | None
    try:
        promoted = promote(root, name=DEMO_MODEL, version=registered.version)
    except GateFailed as exc:  # a rerun whose new model is worse than the last champion
        promoted, refused = None, str(exc)
    else:
        refused = ""
    # and the gates at work: the dummy (always the majority class) may not replace it
    blocked = refused
    try:
        dummy = register(root, name=DEMO_MODEL, rung="dummy", alias="")
        promote(root, name=DEMO_MODEL, version=dummy.version)
    except GateFailed as exc:
        blocked = str(exc)
    # and serving it: every prediction logged, the doubtful ones routed to review, the KPIs
    toured = serve_held_out(root, f"{DEMO_MODEL}@champion")
    project = Project.load(root)
    ds = project.dataset()
    split = project.split(ds)
    X, y = ds.X.to_numpy(), ds.y.to_numpy()
    tracker = project.tracker()
    evaluations: dict[str, Evaluation] = {}
    scores: dict[str, np.ndarray] = {}
    run_ids: dict[str, str] = {}
    for name, make in _models(seed).items():
        model = make().fit(X[split.train], y[split.train])
        proba = model.predict_proba(X[split.test])
        classes = list(model.classes_)
        pred = np.asarray(classes)[np.argmax(proba, axis=1)]
        ev = evaluate(
            y[split.test], pred, proba, metrics=DEMO_METRICS, n_resamples=n_resamples, seed=seed
        )
        evaluations[name] = ev
        scores[name] = proba
        run_ids[name] = log_evaluation(
            tracker,
            ev,
            run_name=f"demo: {name}",
            dataset_hash=ds.content_hash,
            project_root=project.root,
            params={"model": name, **{f"split_{k}": v for k, v in split.to_dict().items()}},
        )
    primary = "roc_auc"
    ranked = sorted(evaluations, key=lambda m: -evaluations[m][primary].value)
    a, b = ranked[0], ranked[1]
    y_test = y[split.test]
    comparison = compare(
        y_test,
        score_a=scores[a][:, 1],
        score_b=scores[b][:, 1],
        metric=primary,
        names=(a, b),
        n_resamples=n_resamples,
        seed=seed,
    )
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
        report(root),
    )
