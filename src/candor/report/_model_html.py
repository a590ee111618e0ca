"""The held-out view of one model as HTML: metrics and claims, confusion matrix, per-class
precision and recall, ROC and precision-recall curves, reliability, business cost, permutation
importance, and the example gallery. Figures come back too, for MLflow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from candor.report import _figures as fig
from candor.report import _insights as ins
from candor.stats import Costs, Estimate, Evaluation

TABLE = '<table class="grid">'


@dataclass(frozen=True)
class HeldOut:
    """A model and the held-out rows it is shown on."""

    source: str  # where the model came from, in words
    task: str
    classes: list[Any]
    proba: Callable[[Any], np.ndarray] | None  # class probabilities in the order of ``classes``
    predict: Callable[[Any], np.ndarray]
    X: pd.DataFrame
    y: pd.Series
    evaluation: Evaluation | None
    primary: str
    costs: Costs | None
    seed: int = 0
    native: Any = None  # the fitted model itself (a SmallCNN gets the "Inside the network" view)


def est_from_dict(d: dict[str, Any] | None) -> Estimate | None:
    """An ``Estimate`` from its ``to_dict()`` (None stays None)."""
    if not d:
        return None
    return Estimate(d["value"], d["low"], d["high"], d["level"], d["n"], d["method"])


def est_text(e: Estimate | None, digits: int = 3) -> str:
    """``value (low-high), n, method level``; "n/a" for nothing to count."""
    if e is None:
        return "n/a (nothing to count)"
    return f"{e.format(digits)}, n={e.n:,}, {e.method} {e.level:.0%}"


def figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _metrics_html(ev: Evaluation) -> str:
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(e.format())}</td><td>{e.n:,}</td>"
        f"<td>{escape(e.method)} {e.level:.0%}</td></tr>"
        for name, e in ev.metrics.items()
    )
    claims = "".join(f"<li>{escape(c.text)}</li>" for c in ev.claims)
    skipped = "".join(
        f"<li>{escape(name)} not computed: {escape(why)}</li>" for name, why in ev.skipped.items()
    )
    return (
        f"<h3>Metrics on {ev.n:,} held-out rows</h3>{TABLE}<thead><tr><th>metric</th>"
        "<th>value (interval)</th><th>n</th><th>method</th></tr></thead>"
        f"<tbody>{rows}</tbody></table><h3>What the data supports</h3>"
        f'<ul class="claims">{claims}{skipped}</ul>'
    )


def _cell(v: object) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _probability(p: float) -> str:
    """Three decimals, never rounded up to a certainty the model did not give: 0.99996 is
    "> 0.999", not "1".

    >>> _probability(0.99996), _probability(0.5), _probability(1.0), _probability(1e-5)
    ('> 0.999', '0.500', '1.000', '< 0.001')
    """
    if 0.9995 <= p < 1.0:
        return "> 0.999"
    if 0.0 < p < 0.0005:
        return "< 0.001"
    return f"{p:.3f}"


def _p_label(p: float) -> str:
    text = _probability(p)
    return f"p {text}" if text[0] in "<>" else f"p={text}"


def _gallery_table(title: str, frame: pd.DataFrame, empty: str) -> str:
    if frame.empty:
        return f"<h4>{escape(title)}</h4><p>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(_probability(v) if c == 'confidence' else _cell(v))}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f'<h4>{escape(title)}</h4><div class="scroll">{TABLE}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _score_for(
    h: HeldOut, codes: np.ndarray
) -> tuple[Callable[[np.ndarray, np.ndarray], float], str]:
    from sklearn.metrics import accuracy_score, roc_auc_score

    if h.task == "binary":
        return (lambda y, p: float(roc_auc_score(y, p[:, 1]))), "ROC AUC"
    return (lambda y, p: float(accuracy_score(y, np.argmax(p, axis=1)))), "accuracy"


def classifier_view(h: HeldOut) -> tuple[str, dict[str, str]]:
    """The section's inner HTML and its figures (name -> SVG)."""
    assert h.proba is not None
    figs: dict[str, str] = {}
    out: list[str] = [f"<p>{escape(h.source)}.</p>"]
    if h.evaluation is not None:
        out.append(_metrics_html(h.evaluation))
    labels = [str(c) for c in h.classes]
    index = {c: i for i, c in enumerate(h.classes)}
    codes = np.array([index[v] for v in h.y])
    proba = np.asarray(h.proba(h.X), dtype=float)
    pred = np.argmax(proba, axis=1)
    k, n = len(labels), len(codes)

    counts = ins.confusion(codes, pred, k)
    figs["confusion.svg"] = fig.confusion_svg(counts, labels)
    out.append("<h3>Confusion matrix</h3>")
    out.append(
        figure(
            figs["confusion.svg"],
            f"Counts and shares of each true class (rows) on {n:,} held-out rows; the predicted "
            "class is the most probable one.",
        )
    )
    pc = ins.per_class(counts)
    rows = "".join(
        f"<tr><td>{escape(labels[i])}</td><td>{int(counts[i].sum()):,}</td>"
        f"<td>{escape(est_text(p))}</td><td>{escape(est_text(r))}</td></tr>"
        for i, (p, r) in enumerate(pc)
    )
    recalls = [(labels[i], r) for i, (_, r) in enumerate(pc) if r is not None]
    precisions = [(labels[i], p) for i, (p, _) in enumerate(pc) if p is not None]
    out.append(
        f"<h3>Per class</h3>{TABLE}<thead><tr><th>class</th><th>true rows</th>"
        "<th>precision (95% Wilson)</th><th>recall (95% Wilson)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    if recalls and precisions:
        figs["per_class.svg"] = fig.dot_whisker_svg(
            [f"{c}: recall" for c, _ in recalls] + [f"{c}: precision" for c, _ in precisions],
            [e for _, e in recalls] + [e for _, e in precisions],
            xlabel="share (95% Wilson interval)",
        )
        out.append(
            figure(
                figs["per_class.svg"],
                "Each class's recall (n: its true rows) and precision (n: rows predicted as "
                "it), with 95% Wilson intervals.",
            )
        )

    if h.task == "binary" and 0 < codes.sum() < n:
        s = proba[:, 1]
        roc = ins.roc_band(codes, s, h.seed)
        pr = ins.pr_band(codes, s, h.seed)
        auc = h.evaluation.metrics.get("roc_auc") if h.evaluation else None
        ap = h.evaluation.metrics.get("pr_auc") if h.evaluation else None
        figs["roc.svg"] = fig.curve_band_svg(
            roc.x,
            roc.y,
            roc.low,
            roc.high,
            xlabel="false-positive rate",
            ylabel="true-positive rate",
            title="ROC" + (f": AUC {auc.format()}" if auc else ""),
            diagonal=True,
        )
        figs["pr.svg"] = fig.curve_band_svg(
            pr.x,
            pr.y,
            pr.low,
            pr.high,
            xlabel=f"recall of {labels[1]}",
            ylabel="precision",
            title="Precision-recall" + (f": AP {ap.format()}" if ap else ""),
            baseline=float(codes.mean()),
        )
        out.append("<h3>ROC and precision-recall</h3><div class='row'>")
        out.append(figure(figs["roc.svg"], f"n={roc.n:,} rows; band: {roc.method}."))
        out.append(figure(figs["pr.svg"], f"n={pr.n:,} rows; band: {pr.method}."))
        out.append("</div>")
        if auc:
            out.append(f"<p>ROC AUC {escape(est_text(auc))}.</p>")
        rel = ins.reliability((codes == 1).astype(int), s, f"predicted probability of {labels[1]}")
    else:
        rel = ins.reliability((pred == codes).astype(int), proba.max(axis=1), "confidence")
    figs["reliability.svg"] = fig.reliability_svg(rel.mean_predicted, rel.observed, xlabel=rel.what)
    out.append("<h3>Calibration</h3>")
    out.append(
        figure(
            figs["reliability.svg"],
            f"{len(rel.observed)} equal-count bins of the {rel.what} (n per bin: "
            f"{', '.join(str(e.n) for e in rel.observed)}); each dot is the observed share with "
            "its 95% Wilson interval.",
        )
    )

    if h.task == "binary" and h.costs is not None:
        cc = ins.cost_curve(codes, proba[:, 1], h.costs)
        figs["cost.svg"] = fig.cost_svg(
            cc.thresholds, cc.cost, cc.low, cc.high, chosen=cc.chosen, best=cc.best
        )
        out.append("<h3>Business cost</h3>")
        out.append(
            figure(
                figs["cost.svg"],
                f"A false positive costs {h.costs.false_positive:g}, a false negative "
                f"{h.costs.false_negative:g} ([costs] in candor.toml); n={n:,} rows; band: "
                "Student's t interval of the mean row cost at each threshold.",
            )
        )
        out.append(
            f"<p>At the threshold in use ({cc.chosen:.2f}): {escape(est_text(cc.at_chosen))} per "
            f"row. The cheapest threshold on these rows, {cc.best:.2f}: "
            f"{escape(est_text(cc.at_best))} per row (chosen on the same rows, so optimistic).</p>"
        )
    elif h.costs is None:
        out.append(
            "<h3>Business cost</h3><p>No [costs] in candor.toml: set false_positive and "
            "false_negative to see the cost of each threshold.</p>"
        )

    out.append(_importance_html(h, codes, figs))
    out.append(_gallery_html(h, proba, codes, figs))
    return "".join(out), figs


def _importance_html(h: HeldOut, codes: np.ndarray, figs: dict[str, str]) -> str:
    assert h.proba is not None
    score, name = _score_for(h, codes)
    try:
        imps = ins.permutation_importances(h.proba, h.X, codes, score, name, seed=h.seed)
    except ValueError as exc:  # e.g. one class only among the held-out rows
        return f"<h3>Permutation importance</h3><p>Not computed: {escape(str(exc))}.</p>"
    top = imps[:15]
    figs["importance.svg"] = fig.dot_whisker_svg(
        [i.feature for i in top], [i.drop for i in top], xlabel=f"drop in {name} when shuffled"
    )
    return "<h3>Permutation importance</h3>" + figure(
        figs["importance.svg"],
        f"The {len(top)} most important of {len(imps)} columns. {top[0].drop.method}; 95% "
        "intervals. A column the model shares with a correlated one can look unimportant.",
    )


GALLERY_GROUPS = (
    ("confident_right", "Most confident right answers", "none"),
    ("confident_wrong", "Most confident wrong answers", "No wrong answer on these rows."),
    ("uncertain", "Least certain (smallest margin between the top two classes)", "none"),
)


def _pixel_grid(X: pd.DataFrame) -> tuple[int, int] | None:
    """The image shape when the columns are a square grid of pixels (as the CNN rung reads them)."""
    from candor.ladder._cnn import image_shape

    numeric = all(pd.api.types.is_numeric_dtype(t) for t in X.dtypes)
    return image_shape([str(c) for c in X.columns], numeric)


def _gallery_images(
    h: HeldOut, proba: np.ndarray, codes: np.ndarray, figs: dict[str, str], shape: tuple[int, int]
) -> str:
    columns = [str(c) for c in h.X.columns]
    g = ins.gallery(h.X.set_axis(columns, axis=1), codes, proba, h.classes, columns)
    out = [
        "<h3>Examples</h3><p>Held-out images with their true and predicted class and the model's "
        f"confidence (its largest class probability), out of {len(codes):,} held-out rows; dark "
        "is a high pixel value.</p>"
    ]
    for key, title, empty in GALLERY_GROUPS:
        frame = getattr(g, key)
        if frame.empty:
            out.append(f"<h4>{escape(title)}</h4><p>{escape(empty)}</p>")
            continue
        name = f"gallery_{key}.svg"
        figs[name] = fig.image_grid_svg(
            list(frame[columns].to_numpy(dtype=float).reshape(len(frame), *shape)),
            [
                f"row {r.row}\ntrue {r.true}, predicted {r.predicted}\n({_p_label(r.confidence)})"
                for r in frame.itertuples(index=False)
            ],
            columns=len(frame),
        )
        out.append(
            f"<h4>{escape(title)}</h4>"
            + figure(
                figs[name],
                f"{len(frame)} held-out images; row is the row's index in the data, p the "
                "model's probability of its predicted class.",
            )
        )
    return "".join(out)


def _gallery_html(h: HeldOut, proba: np.ndarray, codes: np.ndarray, figs: dict[str, str]) -> str:
    shape = _pixel_grid(h.X)
    if shape is not None:
        return _gallery_images(h, proba, codes, figs, shape)
    columns = list(h.X.columns[:6])
    g = ins.gallery(h.X, codes, proba, h.classes, columns)
    return (
        "<h3>Examples</h3><p>Held-out rows with the model's confidence (its largest class "
        f"probability); the first {len(columns)} of {h.X.shape[1]} columns shown.</p>"
        + _gallery_table("Most confident right answers", g.confident_right, "none")
        + _gallery_table(
            "Most confident wrong answers", g.confident_wrong, "No wrong answer on these rows."
        )
        + _gallery_table(
            "Least certain (smallest margin between the top two classes)", g.uncertain, "none"
        )
    )


def regression_view(h: HeldOut) -> tuple[str, dict[str, str]]:
    """Metrics and claims for a regression; the classifier pictures do not apply."""
    out = [f"<p>{escape(h.source)}.</p>"]
    if h.evaluation is not None:
        out.append(_metrics_html(h.evaluation))
    out.append(
        "<p>Confusion, ROC, calibration and the example gallery apply to classifiers; this "
        "project's target is a regression.</p>"
    )
    return "".join(out), {}
