"""Paired comparison of two models on the same rows: the interval of the difference, and a verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from candor.errors import MetricError
from candor.stats._bootstrap import bootstrap, paired_rows
from candor.stats._delong import delong_paired
from candor.stats._estimate import Estimate
from candor.stats._evaluate import estimate_metric, get_metric
from candor.stats._inputs import class_order, prepare_predictions
from candor.stats._mcnemar import mcnemar
from candor.stats._metrics import Costs

Verdict = Literal["A is better", "B is better", "no detectable difference"]


@dataclass(frozen=True, slots=True)
class Comparison:
    """Model A against model B on one metric, on the same rows."""

    metric: str
    name_a: str
    name_b: str
    a: Estimate
    b: Estimate
    difference: Estimate  # A minus B
    verdict: Verdict
    p_value: float | None
    test: str

    @property
    def winner(self) -> str | None:
        """The better model's name, or None when the data cannot tell them apart."""
        return {"A is better": self.name_a, "B is better": self.name_b}.get(self.verdict)

    @property
    def sentence(self) -> str:
        d = self.difference
        pct = f"{d.level:.0%}"
        evidence = (
            f"{self.metric} {self.a.format()} vs {self.b.format()}; difference {d.value:+.3f} "
            f"({pct} CI {d.low:+.3f} to {d.high:+.3f}), {d.method}"
        )
        if self.p_value is not None:
            # the method usually names the test already ("DeLong paired"): say it once
            named = self.test.lower() in d.method.lower()
            evidence += f", {'' if named else self.test + ' '}p={self.p_value:.3g}"
        evidence += f", n={d.n:,}"
        if self.winner is None:
            same = d.low == d.high == d.value == 0.0
            return (
                f"No detectable difference between {self.name_a} and {self.name_b}: {evidence}. "
                + (
                    "They score the same on every row of this test set (the same predictions, "
                    "or ranked alike)."
                    if same
                    else "This test set cannot tell them apart."
                )
            )
        loser = self.name_b if self.winner == self.name_a else self.name_a
        return f"{self.winner} is better than {loser}: {evidence}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "name_a": self.name_a,
            "name_b": self.name_b,
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "difference": self.difference.to_dict(),
            "verdict": self.verdict,
            "winner": self.winner,
            "p_value": self.p_value,
            "test": self.test,
            "sentence": self.sentence,
        }


def compare(
    y_true: Any,
    pred_a: Any = None,
    pred_b: Any = None,
    *,
    score_a: Any = None,
    score_b: Any = None,
    metric: str = "accuracy",
    task: str | None = None,
    groups: Any = None,
    costs: Costs | None = None,
    names: tuple[str, str] = ("A", "B"),
    level: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> Comparison:
    """Compare two models' predictions on the same rows.

    The difference's interval comes from a paired bootstrap (the joint table of both models'
    outcomes, or clusters when ``groups`` is given), or DeLong's paired test for binary ROC AUC.
    Accuracy also gets McNemar's test. The verdict is read off the interval: it excludes zero, or
    there is "no detectable difference".

    >>> y = [0, 1] * 100
    >>> c = compare(y, y, [1 - v if i % 4 == 0 else v for i, v in enumerate(y)], names=("good", "bad"))
    >>> c.winner
    'good'
    """
    classes = None
    if task != "regression":
        y_arr = np.asarray(y_true)
        if pred_a is not None or pred_b is not None:
            classes = class_order(y_arr, pred_a, pred_b)
    pa = prepare_predictions(y_true, pred_a, score_a, task, classes)
    pb = prepare_predictions(y_true, pred_b, score_b, pa.task, classes or pa.classes or None)
    m = get_metric(metric, pa.task)
    if m.needs_score and (pa.score is None or pb.score is None):
        raise MetricError(
            f"metric {metric!r} needs scores for both models: pass score_a and score_b"
        )
    if not m.needs_score and (pa.pred is None or pb.pred is None):
        raise MetricError(
            f"metric {metric!r} needs predictions for both models: pass pred_a and pred_b"
        )
    g = None if groups is None else np.asarray(groups)
    opts: dict[str, Any] = {
        "groups": g,
        "costs": costs,
        "level": level,
        "n_resamples": n_resamples,
        "seed": seed,
    }
    est_a, est_b = estimate_metric(m, pa, **opts), estimate_metric(m, pb, **opts)
    p_value: float | None = None
    test = ""
    if m.name == "roc_auc" and pa.task == "binary" and g is None:
        assert pa.score is not None and pb.score is not None
        diff, p_value = delong_paired(pa.y, pa.score[:, 1], pb.score[:, 1], level)
        test = "DeLong"
    else:
        rows = paired_rows(m.rows(pa, costs), m.rows(pb, costs))
        value = None
        if m.exact is not None:
            value = m.exact(pa) - m.exact(pb)
        diff = bootstrap(
            rows, groups=g, n_resamples=n_resamples, level=level, seed=seed, value=value
        ).estimate
        diff = Estimate(diff.value, diff.low, diff.high, level, diff.n, "paired " + diff.method)
        if m.name == "accuracy" and g is None:  # McNemar assumes independent rows
            assert pa.pred is not None and pb.pred is not None
            right_a, right_b = pa.pred == pa.y, pb.pred == pb.y
            mc = mcnemar(int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b)))
            p_value, test = mc.p_value, mc.method
    verdict = _verdict(diff, m.greater_is_better)
    return Comparison(m.name, names[0], names[1], est_a, est_b, diff, verdict, p_value, test)


def _verdict(diff: Estimate, greater_is_better: bool) -> Verdict:
    if diff.low > 0:
        return "A is better" if greater_is_better else "B is better"
    if diff.high < 0:
        return "B is better" if greater_is_better else "A is better"
    return "no detectable difference"
