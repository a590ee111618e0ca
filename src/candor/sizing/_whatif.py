"""What-ifs without training: the same model with more classes, features or rows, another batch
size, or the memory of training it rather than serving it.

Each family's parts are rescaled by what sizes them: coefficients by classes x features, stored
rows (kNN) and support vectors (SVM) by rows x features, fully grown trees by rows (nodes per
training row as fitted), boosted trees by classes (their leaves are capped, so rows do not grow
them), networks by recounting their layers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from candor.errors import DataError
from candor.sizing._estimate import (
    SKLEARN_NODE_BYTES,
    MemoryEstimate,
    Part,
    _classes,
    _final,
    _transforms,
    _width,
    activations_per_row,
    batch_parts,
    estimate_memory,
)

#: beyond these a what-if is not a plan but a typo
MAX_CLASSES = 10**10
MAX_FEATURES = 10**9
MAX_ROWS = 10**13
MAX_BATCH = 10**9


@dataclass(frozen=True)
class WhatIf:
    """The dimensions asked about; None keeps the model's own."""

    classes: int | None = None
    features: int | None = None
    rows: int | None = None
    batch: int | None = None
    train: bool = False

    def __post_init__(self) -> None:
        for name, value, top in (
            ("classes", self.classes, MAX_CLASSES),
            ("features", self.features, MAX_FEATURES),
            ("rows", self.rows, MAX_ROWS),
            ("batch", self.batch, MAX_BATCH),
        ):
            if value is None:
                continue
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
                raise DataError(f"--{name} {value!r}: give a whole number")
            if value < 1 or (name == "classes" and value < 2):
                raise DataError(
                    f"--{name} {value:,}: give at least {2 if name == 'classes' else 1}"
                )
            if value > top:
                raise DataError(f"--{name} {value:,} is beyond {top:,}: check the number (a typo?)")

    @property
    def asked(self) -> bool:
        return any(v is not None for v in (self.classes, self.features, self.rows, self.batch))

    def describe(self) -> str:
        bits = []
        if self.classes is not None:
            bits.append(f"{self.classes:,} classes")
        if self.features is not None:
            bits.append(f"{self.features:,} features")
        if self.rows is not None:
            bits.append(f"{self.rows:,} training rows")
        if self.batch is not None:
            bits.append(f"batches of {self.batch:,}")
        return ", ".join(bits) or "as fitted"


def _coef_rows(k: int) -> int:
    return 1 if k == 2 else k


def _train_rows(final: Any) -> int | None:
    """Training rows the fitted model saw, where it records them."""
    est = final
    cal = getattr(final, "calibrated_classifiers_", None)
    if cal:
        est = cal[0].estimator
    if hasattr(est, "n_samples_fit_"):
        return int(est.n_samples_fit_)
    if hasattr(est, "tree_"):
        return int(est.tree_.n_node_samples[0])
    if (
        hasattr(est, "estimators_")
        and len(getattr(est, "estimators_", []))
        and hasattr(est.estimators_[0], "tree_")
    ):
        # bootstrap: a tree's root holds about 63% distinct rows; its weight counts the draws
        return round(float(est.estimators_[0].tree_.weighted_n_node_samples[0]))
    if hasattr(est, "support_vectors_") and hasattr(est, "_n_samples_fit"):
        return int(est._n_samples_fit)
    return None


def rescale(
    model: Any,
    *,
    n_input: int,
    row_bytes: float,
    what: WhatIf,
    train_rows: int | None = None,
    default_batch: int = 1000,
) -> MemoryEstimate:
    """The fitted model's estimate with the dimensions in ``what`` replaced."""
    final = _final(model)
    base = estimate_memory(
        model, rows=what.batch or default_batch, row_bytes=row_bytes, n_input=n_input
    )
    k0 = _classes(final)
    d0 = _width(model, n_input)
    k = what.classes or k0
    d1 = what.features or n_input
    ratio_d = d1 / n_input
    d = max(1, round(d0 * ratio_d))
    n0 = train_rows or _train_rows(final)
    notes: list[str] = []
    parts: list[Part] = []
    est = (
        final.calibrated_classifiers_[0].estimator
        if getattr(final, "calibrated_classifiers_", None)
        else final
    )
    for p in base.model:
        parts.append(_rescale_part(p, est, final, k0, k, d0, d, n0, what.rows, notes, n_input, d1))
    batch_rows = what.batch or default_batch
    if hasattr(final, "net_"):
        batch, peak = batch_parts(model, base.family, batch_rows, row_bytes * ratio_d, d1)
        if what.features is not None:
            notes.append("a network's activations are counted at its fitted input size")
    else:
        batch, peak = batch_parts(
            model, base.family, batch_rows, row_bytes * ratio_d, d1, width=d, classes=k
        )
    out = MemoryEstimate(base.family, parts, batch, batch_rows, peak, list(dict.fromkeys(notes)))
    if what.train:
        rows = what.rows or n0 or 0
        if not rows:
            raise DataError("--train needs the number of training rows: give --rows")
        return training_estimate(
            model, out, rows=rows, width=d, classes=k, row_bytes=row_bytes * ratio_d
        )
    return out


def _rescale_part(
    p: Part,
    est: Any,
    final: Any,
    k0: int,
    k: int,
    d0: int,
    d: int,
    n0: int | None,
    rows: int | None,
    notes: list[str],
    n_input: int,
    d1: int,
) -> Part:
    grow = (rows / n0) if (rows and n0) else 1.0
    if rows and not n0 and p.name in ("stored rows", "support vectors", "trees", "tree"):
        notes.append(f"the training rows behind {p.name} are not recorded: not rescaled by rows")
    name = p.name
    if name == "coefficients":
        r = _coef_rows(k)
        return Part(name, float(r * d * 8), f"{r:,} classes x {d:,} features x 8 B")
    if name == "class means and variances":
        return Part(name, float(2 * k * d * 8), f"2 x {k:,} classes x {d:,} features x 8 B")
    if name == "stored rows":
        n = round((n0 or est._fit_X.shape[0]) * grow)
        return Part(name, float(n * d * 8), f"{n:,} rows x {d:,} features x 8 B")
    if name == "support vectors":
        sv = est.support_vectors_.shape[0]
        n = round(sv * grow)
        share = f" ({sv / n0:.0%} of training rows, as fitted)" if n0 else ""
        return Part(name, float(n * d * 8), f"{n:,} support vectors{share} x {d:,} features x 8 B")
    if name == "weights" and hasattr(est, "coefs_"):
        widths = [d] + [c.shape[1] for c in est.coefs_[:-1]] + [_coef_rows(k) if k > 2 else 1]
        n = sum(a * b + b for a, b in itertools.pairwise(widths))
        shape = " -> ".join(str(w) for w in widths)
        return Part(name, float(n * 8), f"{n:,} parameters ({shape}) x 8 B")
    if name == "weights" and hasattr(final, "net_"):
        return _rescale_torch(final, k, n_input, d1)
    if name in ("tree", "trees") and hasattr(est, "_predictors"):
        # HistGradientBoosting: leaves capped, one tree per class and iteration
        trees = int(p.counts["trees"])
        factor = (k if k > 2 else 1) / (k0 if k0 > 2 else 1)
        if rows:
            notes.append(
                "boosted trees have capped leaves: more rows do not grow them (more iterations would)"
            )
        return Part(
            name,
            p.bytes * factor,
            f"{round(trees * factor):,} trees at {p.bytes / trees:,.0f} B each",
        )
    if name in ("tree", "trees"):
        trees = int(p.counts["trees"])
        nodes = round(p.counts["nodes"] * grow)
        per = SKLEARN_NODE_BYTES + 8 * (k if k > 2 or hasattr(est, "predict_proba") else 1)
        if rows and n0:
            notes.append(
                f"fully grown trees: nodes grow with training rows ({nodes:,} at {rows:,} rows, "
                "as many per row as fitted)"
            )
        lead = f"{trees:,} trees, " if trees > 1 else ""
        return Part(name, float(nodes * per), f"{lead}{nodes:,} nodes x {per} B")
    if name in ("LightGBM trees", "XGBoost trees"):
        t0, n0_ = p.counts["trees"], p.counts["nodes"]
        per_tree, per_node = int(p.counts["per_tree"]), int(p.counts["per_node"])
        factor = (k if k > 2 else 1) / (k0 if k0 > 2 else 1)
        if rows:
            notes.append(
                "boosted trees have capped leaves: more rows do not grow them (more iterations would)"
            )
        t, n = round(t0 * factor), round(n0_ * factor)
        return Part(
            name,
            float(t * per_tree + n * per_node),
            f"{t:,} trees x {per_tree} B + {n:,} nodes x {per_node} B",
        )
    if name.startswith("other arrays"):
        return Part(
            name,
            p.bytes * d / max(d0, 1),
            p.formula + (f", scaled to {d:,} features" if d != d0 else ""),
        )
    return p


def _rescale_torch(model: Any, k: int, n_input: int, d1: int) -> Part:
    """A network's parameters with its output layer resized to ``k`` classes and its first dense
    layer to the new input size (pixels scale the flattened convolution output)."""
    from torch import nn

    layers = [m for m in model.net_.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    total = 0
    dense = [m for m in layers if isinstance(m, nn.Linear)]
    for m in layers:
        if isinstance(m, nn.Linear):
            fan_in, fan_out = m.in_features, m.out_features
            if m is dense[0]:
                fan_in = round(fan_in * d1 / n_input)
            if m is dense[-1]:
                fan_out = k
            total += fan_in * fan_out + fan_out
        else:
            total += sum(int(p.numel()) for p in m.parameters())
    last = dense[-1]
    return Part(
        "weights",
        float(total * 4),
        f"{total:,} parameters x 4 B (output layer {last.in_features} x {k:,})",
    )


def output_layer(
    classes: int, features: int, *, batch: int = 1, train: bool = False
) -> MemoryEstimate:
    """No model at hand: a network's output layer of ``features`` inputs and ``classes`` outputs
    in float32, the size that dominates a many-class classifier."""
    WhatIf(classes=classes, features=features, batch=batch)
    n = classes * features + classes
    parts = [
        Part(
            "the output layer", float(classes * features * 4), f"{classes:,} x {features:,} float32"
        ),
        Part("its biases", float(classes * 4), f"{classes:,} float32"),
    ]
    if train:
        parts += [
            Part("its gradients", float(n * 4), f"{n:,} parameters x 4 B"),
            Part("Adam's two moments", float(2 * n * 4), f"2 x {n:,} parameters x 4 B"),
        ]
    batch_parts_ = [
        Part(
            "logits and probabilities",
            float(2 * batch * classes * 4),
            f"2 x {batch:,} rows x {classes:,} x 4 B",
        )
    ]
    return MemoryEstimate(
        "nn",
        parts,
        batch_parts_,
        batch,
        batch_parts_[0].bytes,
        ["no model given: the output layer alone, as a lower bound for the whole network"],
    )


# -- training memory -------------------------------------------------------------------------------


def training_estimate(
    model: Any, serving: MemoryEstimate, *, rows: int, width: int, classes: int, row_bytes: float
) -> MemoryEstimate:
    """Peak memory of fitting the model on ``rows`` rows: the data, its prepared copies, the
    fitted model itself and the family's training state."""
    final = _final(model)
    est = (
        final.calibrated_classifiers_[0].estimator
        if getattr(final, "calibrated_classifiers_", None)
        else final
    )
    k = classes
    out = _coef_rows(k)
    data = Part("training data", rows * row_bytes, f"{rows:,} rows x {row_bytes:,.0f} B")
    prep_copies = 2.27 if _transforms(model) else 1.0
    prepared = rows * width * 8.0
    parts: list[Part] = [data]
    if hasattr(model, "steps") and len(model.steps) > 1:
        parts.append(
            Part(
                "prepared copies",
                prep_copies * prepared,
                f"{prep_copies:g} x {rows:,} rows x {width:,} features x 8 B",
            )
        )
    state: list[Part] = []
    if hasattr(final, "net_"):
        acts = activations_per_row(final, width)
        per_row = sum(v for _, v in acts)
        b = int(getattr(final, "batch_size", 64))
        weights = next(p for p in serving.model if p.name == "weights").bytes
        state = [
            Part(
                "data as a float32 tensor", rows * width * 4.0, f"{rows:,} rows x {width:,} x 4 B"
            ),
            Part("gradients", weights, "one per weight"),
            Part("Adam's two moments", 2 * weights, "two per weight"),
            Part(
                "activations kept for backward",
                2.0 * b * per_row * 4,
                f"2 x batch {b} x {per_row:,} values (all layers, and their gradients) x 4 B",
            ),
        ]
    elif hasattr(est, "coefs_"):
        weights = next(p for p in serving.model if p.name == "weights").bytes
        b = min(200, rows)
        widths = sum(c.shape[1] for c in est.coefs_)
        state = [
            Part("gradients and Adam's two moments", 3 * weights, "three per weight"),
            Part("best weights kept (early stopping)", weights, "one per weight"),
            Part(
                "activations and their deltas",
                2.0 * b * widths * 8,
                f"2 x batch {b} x {widths:,} x 8 B",
            ),
        ]
    elif hasattr(est, "_fit_X"):
        state = [Part("stored rows", rows * width * 8.0, f"{rows:,} x {width:,} x 8 B")]
    elif hasattr(est, "support_vectors_"):
        # one-vs-one: each pair's problem holds about 2n/k rows, and libsvm caches their kernel
        pair = rows if k <= 2 else 2.0 * rows / k
        cache = min(float(getattr(est, "cache_size", 200)) * 2**20, pair * pair * 8.0)
        state = [
            Part("data copies", 2.0 * rows * width * 8, f"2 x {rows:,} rows x {width:,} x 8 B"),
            Part(
                "kernel cache",
                cache,
                f"libsvm's cache: min(cache_size, ({pair:,.0f} rows a pair)^2 x 8 B)",
            ),
        ]
    elif hasattr(est, "coef_") or hasattr(est, "theta_"):
        state = [
            Part(
                "per-row scores and gradients",
                3.0 * rows * max(out, 1) * 8,
                f"3 x {rows:,} rows x {out} x 8 B",
            ),
            Part(
                "optimiser history (L-BFGS, 10 pairs)",
                20.0 * out * width * 8,
                f"20 x {out} x {width:,} x 8 B",
            ),
        ]
    elif hasattr(est, "booster_") or hasattr(est, "get_booster") or hasattr(est, "_predictors"):
        leaves = int(getattr(est, "num_leaves", None) or getattr(est, "max_leaf_nodes", None) or 64)
        per_iter = k if k > 2 else 1
        state = [
            Part("binned data", float(rows * width), f"{rows:,} rows x {width:,} features x 1 B"),
            Part(
                "gradients, hessians and scores",
                rows * per_iter * 16.0,
                f"{rows:,} rows x {per_iter} x 16 B",
            ),
            Part(
                "histograms",
                float(leaves * width * 256 * 16),
                f"{leaves} leaves x {width:,} features x 256 bins x 16 B",
            ),
        ]
    elif hasattr(est, "tree_") or hasattr(est, "estimators_"):
        state = [
            Part("data as float32", rows * width * 4.0, f"{rows:,} x {width:,} x 4 B"),
            Part("sample indices and sort buffers", rows * 24.0, f"{rows:,} rows x 24 B"),
        ]
    parts += state
    model_bytes = serving.model_bytes
    parts.append(Part("the fitted model", model_bytes, "as estimated for serving"))
    return MemoryEstimate(
        serving.family,
        parts,
        [],
        0,
        0.0,
        [
            *serving.notes,
            f"training on {rows:,} rows: the parts are added, an upper bound on their peak; "
            "against measured fits it ranged from 0.6x to 3.3x (bench/README.md), so take it "
            "as a rough figure",
        ],
    )


def dominant_sentence(e: MemoryEstimate) -> str:
    """``"the output layer: 5,000,000 x 512 float32 (...) = 9.5 GiB"``."""
    from candor._units import format_bytes

    d = e.dominant
    return f"{d.name}: {d.formula} = {format_bytes(d.bytes)}"
