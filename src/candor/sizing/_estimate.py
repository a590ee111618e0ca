"""Analytic memory estimates: what a fitted model holds, and what predicting a batch adds.

Each model family has a formula in terms of what sizes it (classes x features for linear models,
nodes x bytes per node for trees, stored rows x features for kNN, support vectors for SVMs,
parameters for networks); everything else a fitted pipeline holds (preprocessing statistics, names,
Python objects) is counted from its arrays. The bytes-per-node figures of LightGBM's and XGBoost's
native trees and the size of a Python estimator object are constants measured once against
glibc's count of live bytes (see bench/size.py) and stated next to each estimate.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: what loading leaves behind besides the model's own objects (skops' and the loader's state);
#: measured: the intercept of live bytes against the counted parts over the bundled rungs
LOADER_BYTES = 18_000
#: an array's header, shape and strides, and the allocator's bookkeeping
ARRAY_OVERHEAD_BYTES = 540
#: PyTorch module and tensor objects around a small network's weights, and the state-dict load
#: (measured on the CNN rung: 296 KB live for 153 KB of weights)
TORCH_OBJECT_BYTES = 140_000
#: PyTorch (oneDNN) allocates kernels and scratch space for each new batch shape (measured: the
#: intercept of peak against batch rows on the CNN rung, 7.3 MB)
TORCH_SHAPE_BYTES = 7_300_000
#: a transforming preprocessing step holds its input and its output at once, plus masks
PREP_COPIES = 2.27
#: scikit-learn's tree node record (sklearn.tree._tree.NODE_DTYPE)
SKLEARN_NODE_BYTES = 64
#: LightGBM 4.x, per tree and per node of a model loaded from its text (measured: a least-squares
#: fit of live bytes over the bundled data sets' LightGBM rungs, each within 2%)
LIGHTGBM_TREE_BYTES = 815
LIGHTGBM_NODE_BYTES = 33
#: XGBoost 3.x, per tree and per node (the node is 20 B, its statistics 16 B; measured the same way,
#: each within 3%)
XGBOOST_TREE_BYTES = 355
XGBOOST_NODE_BYTES = 53
#: XGBoost's predictor allocates about this much per tree on each call (measured: the intercept of
#: peak against batch rows, 0.15 MB for 300 trees and 1.5 MB for 3,000)
XGBOOST_TREE_PREDICT_BYTES = 500


@dataclass(frozen=True)
class Part:
    """One thing that takes memory, with the formula that gives its size."""

    name: str
    bytes: float
    formula: str
    #: what the formula counts (trees, nodes, bytes per tree and per node), for rescaling
    counts: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "bytes": self.bytes, "formula": self.formula}


@dataclass(frozen=True)
class MemoryEstimate:
    """A model's memory, part by part: held once loaded, and added while predicting a batch."""

    family: str
    model: list[Part]
    batch: list[Part]
    batch_rows: int
    #: bytes the batch's stages add at their peak (the parts above do not all live at once)
    batch_peak: float
    notes: list[str] = field(default_factory=list)

    @property
    def model_bytes(self) -> float:
        return float(sum(p.bytes for p in self.model))

    @property
    def total(self) -> float:
        """Peak bytes of a process serving the model: what it holds plus a batch's peak."""
        return self.model_bytes + self.batch_peak

    @property
    def dominant(self) -> Part:
        return max([*self.model, *self.batch], key=lambda p: p.bytes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "model_bytes": self.model_bytes,
            "batch_rows": self.batch_rows,
            "batch_peak_bytes": self.batch_peak,
            "total_bytes": self.total,
            "dominant": self.dominant.to_dict(),
            "model": [p.to_dict() for p in self.model],
            "batch": [p.to_dict() for p in self.batch],
            "notes": list(self.notes),
        }


# -- inspecting a fitted model ---------------------------------------------------------------------


def _array_bytes(a: np.ndarray) -> int:
    if a.dtype == object:
        return int(a.nbytes) + sum(sys.getsizeof(v) for v in a.ravel())
    return int(a.nbytes)


@dataclass
class _Tally:
    objects: int = 0
    arrays: int = 0
    array_bytes: int = 0
    python_bytes: int = 0
    #: special structures counted by formula, by the id of the object that holds them
    parts: list[Part] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)


def _final(model: Any) -> Any:
    return model.steps[-1][1] if hasattr(model, "steps") else model


_OWNERS = ("sklearn", "lightgbm", "xgboost", "candor", "numpy", "scipy")


def _walk(obj: Any, tally: _Tally, depth: int = 0) -> None:
    """Count what ``obj`` holds: arrays by their buffers, Python objects and containers by
    ``sys.getsizeof``, native boosters and trees by formula. Attribute names are interned and
    shared, so dictionary keys that are strings are not counted."""
    if id(obj) in tally.seen or depth > 40:
        return
    tally.seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        tally.arrays += 1
        base = obj if obj.base is None else None
        tally.array_bytes += _array_bytes(obj) if base is not None else 0
        if obj.base is not None and isinstance(obj.base, np.ndarray):
            _walk(obj.base, tally, depth + 1)
        tally.python_bytes += ARRAY_OVERHEAD_BYTES
        return
    if isinstance(obj, (str, bytes, int, float, bool, complex)) or obj is None:
        tally.python_bytes += sys.getsizeof(obj)
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        tally.python_bytes += sys.getsizeof(obj)
        for v in obj:
            _walk(v, tally, depth + 1)
        return
    if isinstance(obj, dict):
        tally.python_bytes += sys.getsizeof(obj)
        for k, v in obj.items():
            if not isinstance(k, str):
                _walk(k, tally, depth + 1)
            _walk(v, tally, depth + 1)
        return
    kind = type(obj).__module__ + "." + type(obj).__name__
    if kind == "sklearn.tree._tree.Tree":
        tally.objects += 1
        tally.python_bytes += sys.getsizeof(obj)
        tally.parts.append(_sklearn_tree(obj))
        return
    if kind.endswith("predictor.TreePredictor"):  # HistGradientBoosting's trees
        inner = _Tally(seen=tally.seen)
        for v in vars(obj).values():
            _walk(v, inner, depth + 1)
        own = sys.getsizeof(obj) + sys.getsizeof(vars(obj))
        tally.parts.append(
            Part(
                "tree",
                inner.array_bytes + inner.python_bytes + own,
                f"{len(obj.nodes):,} nodes x {obj.nodes.itemsize} B + "
                f"{inner.python_bytes + own + inner.array_bytes - obj.nodes.nbytes:,} B",
                {"trees": 1, "nodes": len(obj.nodes)},
            )
        )
        tally.objects += 1
        return
    if kind == "lightgbm.basic.Booster":
        tally.objects += 1
        tally.parts.append(_lightgbm_booster(obj))
        return
    if kind == "xgboost.core.Booster":
        tally.objects += 1
        tally.parts.append(_xgboost_booster(obj))
        return
    if type(obj).__module__.split(".")[0] in _OWNERS and hasattr(obj, "__dict__"):
        tally.objects += 1
        tally.python_bytes += sys.getsizeof(obj) + sys.getsizeof(vars(obj))
        for v in vars(obj).values():
            _walk(v, tally, depth + 1)


def _sklearn_tree(tree: Any) -> Part:
    per = SKLEARN_NODE_BYTES + int(np.prod(tree.value.shape[1:])) * tree.value.itemsize
    return Part(
        "tree",
        tree.node_count * per,
        f"{tree.node_count:,} nodes x {per} B",
        {"trees": 1, "nodes": tree.node_count},
    )


def _booster_part(name: str, trees: int, nodes: int, per_tree: int, per_node: int) -> Part:
    return Part(
        name,
        float(trees * per_tree + nodes * per_node),
        f"{trees:,} trees x {per_tree} B + {nodes:,} nodes x {per_node} B",
        {"trees": trees, "nodes": nodes, "per_tree": per_tree, "per_node": per_node},
    )


def _lightgbm_booster(booster: Any) -> Part:
    dump = booster.dump_model(num_iteration=-1)
    leaves = sum(int(t["num_leaves"]) for t in dump["tree_info"])
    trees = len(dump["tree_info"])
    return _booster_part(
        "LightGBM trees", trees, 2 * leaves - trees, LIGHTGBM_TREE_BYTES, LIGHTGBM_NODE_BYTES
    )


def _xgboost_booster(booster: Any) -> Part:
    import json

    raw = json.loads(bytes(booster.save_raw("json")))
    trees = raw["learner"]["gradient_booster"]["model"]["trees"]
    nodes = sum(int(t["tree_param"]["num_nodes"]) for t in trees)
    return _booster_part("XGBoost trees", len(trees), nodes, XGBOOST_TREE_BYTES, XGBOOST_NODE_BYTES)


def _merge_trees(parts: list[Part]) -> list[Part]:
    """Many trees (a forest, boosting) become one part: total nodes x bytes per node."""
    trees = [p for p in parts if p.name == "tree"]
    rest = [p for p in parts if p.name != "tree"]
    if len(trees) <= 1:
        return parts
    nodes = int(sum(p.counts["nodes"] for p in trees))
    total = sum(p.bytes for p in trees)
    per = total / max(nodes, 1)
    return [
        Part(
            "trees",
            total,
            f"{len(trees):,} trees, {nodes:,} nodes x {per:,.0f} B",
            {"trees": len(trees), "nodes": nodes},
        ),
        *rest,
    ]


def _torch_parts(model: Any) -> list[Part]:
    net = model.net_
    params = sum(int(p.numel()) for p in net.parameters())
    size = next(net.parameters()).element_size()
    buffers = sum(int(b.numel()) * b.element_size() for b in net.buffers())
    parts = [
        Part("weights", float(params * size), f"{params:,} parameters x {size} B"),
        Part(
            "PyTorch objects",
            float(TORCH_OBJECT_BYTES + buffers),
            f"modules and tensors, about {TORCH_OBJECT_BYTES:,} B, + {buffers:,} B of buffers",
        ),
    ]
    return parts


def activations_per_row(model: Any, n_input: int) -> list[tuple[str, int]]:
    """Each layer's output size per input row, in elements, from forward hooks on one row."""
    import torch

    net = model.net_
    sizes: list[tuple[str, int]] = []
    hooks = [
        m.register_forward_hook(
            lambda mod, _in, out, name=name: sizes.append(
                (f"{type(mod).__name__} {name}", int(out[0].numel()))
            )
        )
        for name, m in net.named_modules()
        if not list(m.children())
    ]
    try:
        with torch.no_grad():
            model.predict_proba(np.zeros((1, n_input), dtype=np.float32))
    finally:
        for h in hooks:
            h.remove()
    return sizes


def _model_parts(model: Any) -> tuple[str, list[Part], list[str]]:
    """The named, formula-sized parts of a fitted model and the rest counted from its arrays."""
    final = _final(model)
    if hasattr(final, "net_"):
        return "nn", _torch_parts(final), []
    family, main = _family_part(final)
    tally = _Tally()
    _walk(model, tally)
    structures = _merge_trees(tally.parts)
    parts: list[Part] = []
    main_bytes = 0.0
    if main is not None:
        parts.append(main)
        main_bytes = main.bytes
    parts.extend(structures)
    other = max(0.0, tally.array_bytes - main_bytes)
    parts.append(
        Part(
            "other arrays (preprocessing statistics, names)",
            other,
            f"{tally.arrays:,} arrays counted element by element",
        )
    )
    parts.append(
        Part(
            "Python objects",
            tally.python_bytes + LOADER_BYTES,
            f"{tally.objects:,} objects and {tally.arrays:,} array headers (sys.getsizeof), "
            f"and {LOADER_BYTES:,} B of loader state",
        )
    )
    return family, parts, []


def _family_part(final: Any) -> tuple[str, Part | None]:
    """The family of the final estimator and the array its size is stated by, if any."""
    est = getattr(final, "estimator", None)
    cal = getattr(final, "calibrated_classifiers_", None)
    if cal:  # CalibratedClassifierCV: the family of what it calibrates
        inner = [c.estimator for c in cal]
        family, part = _family_part(inner[0])
        if part is not None and len(inner) > 1:
            part = Part(part.name, part.bytes * len(inner), f"{len(inner)} x ({part.formula})")
        return family, part
    fitted_trees = hasattr(final, "tree_") or hasattr(final, "estimators_")
    if est is not None and not hasattr(final, "coef_") and not fitted_trees:
        return _family_part(est)
    name = type(final).__name__
    if hasattr(final, "support_vectors_"):
        sv = final.support_vectors_
        return "svm", Part(
            "support vectors",
            float(sv.nbytes),
            f"{sv.shape[0]:,} support vectors x {sv.shape[1]:,} features x {sv.itemsize} B",
        )
    if hasattr(final, "_fit_X"):
        fx = np.asarray(final._fit_X)
        return "neighbours", Part(
            "stored rows",
            float(fx.nbytes),
            f"{fx.shape[0]:,} rows x {fx.shape[1]:,} features x {fx.itemsize} B",
        )
    if hasattr(final, "coefs_"):
        n = sum(c.size + b.size for c, b in zip(final.coefs_, final.intercepts_, strict=True))
        shape = (
            " -> ".join(str(c.shape[0]) for c in final.coefs_) + f" -> {final.coefs_[-1].shape[1]}"
        )
        return "nn", Part("weights", float(n * 8), f"{n:,} parameters ({shape}) x 8 B")
    if hasattr(final, "theta_"):
        k, d = final.theta_.shape
        return "linear", Part(
            "class means and variances",
            float(2 * k * d * 8),
            f"2 x {k:,} classes x {d:,} features x 8 B",
        )
    if hasattr(final, "coef_"):
        coef = np.atleast_2d(final.coef_)
        return "linear", Part(
            "coefficients",
            float(coef.nbytes),
            f"{coef.shape[0]:,} classes x {coef.shape[1]:,} features x {coef.itemsize} B",
        )
    if hasattr(final, "tree_") or hasattr(final, "estimators_") or "Gradient" in name:
        return "tree" if hasattr(final, "tree_") else "ensemble", None
    if hasattr(final, "booster_") or hasattr(final, "get_booster"):
        return "ensemble", None
    if hasattr(final, "net_"):
        return "nn", None
    return "other", None


# -- predicting a batch ----------------------------------------------------------------------------


def _steps(model: Any) -> list[Any]:
    return list(model.steps[:-1]) if hasattr(model, "steps") else []


def _transforms(model: Any) -> bool:
    """Whether the preprocessing computes new arrays (imputing, scaling, encoding) rather than
    passing columns through."""
    for _, step in _steps(model):
        inner = getattr(step, "transformers_", None)
        if inner is None:
            return True
        for _, t, _ in inner:
            # a fitted ColumnTransformer holds "passthrough" as a FunctionTransformer without func
            identity = type(t).__name__ == "FunctionTransformer" and t.func is None
            if not (identity or (isinstance(t, str) and t in ("passthrough", "drop"))):
                return True
    return False


def _classes(final: Any) -> int:
    classes = getattr(final, "classes_", None)
    if classes is not None:
        return max(1, len(classes))
    return int(getattr(final, "n_outputs_", 1) or 1)


def _width(model: Any, n_input: int) -> int:
    final = _final(model)
    for attr in ("n_features_in_", "n_features_"):
        v = getattr(final, attr, None)
        if isinstance(v, (int, np.integer)):
            return int(v)
    return n_input


def _working(family: str, final: Any, rows: int, width: int, k: int) -> tuple[float, str]:
    """Bytes the final estimator allocates for ``rows`` rows of ``width`` prepared features."""
    out = rows * k * 8
    est = final
    cal = getattr(final, "calibrated_classifiers_", None)
    if cal:
        est = cal[0].estimator
    if hasattr(est, "coefs_"):  # MLP: two consecutive layers' activations at once
        widths = [c.shape[1] for c in est.coefs_]
        pair = max(a + b for a, b in zip([width, *widths[:-1]], widths, strict=True))
        return rows * pair * 8.0, f"{rows:,} rows x {pair:,} activations (two layers) x 8 B"
    if hasattr(est, "_fit_X"):
        nn = int(getattr(est, "n_neighbors", 5))
        per = nn * 32 + k * 8
        return float(rows * per), (
            f"{rows:,} rows x ({nn} neighbours x 32 B for distances, indices, weights and "
            f"labels + {k:,} classes x 8 B)"
        )
    if hasattr(est, "support_vectors_"):
        pairs = max(1, k * (k - 1) // 2)
        per = pairs * 18 + k * 28
        return float(rows * per), (
            f"{rows:,} rows x ({pairs:,} one-vs-one decisions x 18 B + {k:,} classes x 28 B)"
        )
    if cal and hasattr(est, "coef_"):  # calibrated linear SVMs: scores, then each calibrator's
        return float(
            rows * k * 36
        ), f"{rows:,} rows x {k:,} classes x 36 B (scores and calibration)"
    if hasattr(est, "theta_"):
        return rows * width * 8 * 2.0 + 3 * out, (
            f"{rows:,} rows x {width:,} features x 8 B x 2 (per-class squared distances) "
            f"+ 3 x {k:,} class scores (log-likelihoods, their normalisation, probabilities)"
        )
    if hasattr(est, "_predictors"):  # HistGradientBoosting: raw scores, then the link's copies
        raw = rows * (k if k > 2 else 1) * 8
        return raw + 2.0 * out, f"{rows:,} rows x (raw scores + 2 x {k:,} probabilities) x 8 B"
    if family in ("tree", "ensemble") and (hasattr(est, "tree_") or hasattr(est, "estimators_")):
        # a forest sums each tree's scores into a total: two score arrays at once
        copies = 2 if hasattr(est, "estimators_") else 1
        return rows * width * 4 + copies * out, (
            f"{rows:,} rows x {width:,} features as float32 + {copies} x {k:,} class scores x 8 B"
        )
    return float(out), f"{rows:,} rows x {k:,} outputs x 8 B"


def batch_parts(
    model: Any,
    family: str,
    rows: int,
    row_bytes: float,
    n_input: int,
    *,
    width: int | None = None,
    classes: int | None = None,
) -> tuple[list[Part], float]:
    """What predicting ``rows`` rows adds, part by part, and the peak of those that coexist.

    The stages: the batch itself (kept throughout), the preprocessing (its input and output at
    once), then the prepared features and the model's own working arrays.
    """
    final = _final(model)
    width = width or _width(model, n_input)
    k = classes or _classes(final)
    prepared = float(rows * width * 8)
    parts = [Part("the batch", rows * row_bytes, f"{rows:,} rows x {row_bytes:,.0f} B")]
    if hasattr(final, "net_"):
        return _torch_batch(final, rows, row_bytes, n_input, parts)
    if _steps(model):
        copies = PREP_COPIES if _transforms(model) else 1.0
        prep = copies * prepared
        parts.append(
            Part(
                "preprocessing",
                prep,
                f"{copies:g} x {rows:,} rows x {width:,} features x 8 B",
            )
        )
    else:
        prep = 0.0
        prepared = 0.0
    work, formula = _working(family, final, rows, width, k)
    parts.append(Part("model's working arrays", work, formula))
    peak = rows * row_bytes + max(prep, prepared + work)
    return parts, peak


def estimate_memory(model: Any, *, rows: int, row_bytes: float, n_input: int) -> MemoryEstimate:
    """The memory a fitted model holds and what predicting ``rows`` rows adds.

    ``row_bytes`` is one input row as a DataFrame holds it; ``n_input`` the number of input
    columns.
    """
    family, parts, notes = _model_parts(model)
    batch, peak = batch_parts(model, family, rows, row_bytes, n_input)
    return MemoryEstimate(family, parts, batch, rows, peak, notes)


def _torch_batch(
    model: Any, rows: int, row_bytes: float, n_input: int, parts: list[Part]
) -> tuple[list[Part], float]:
    acts = activations_per_row(model, n_input)
    size = next(model.net_.parameters()).element_size()
    # while a layer computes, its input and the output before that are still held
    window = [sum(v for _, v in acts[max(0, i - 2) : i + 1]) for i in range(len(acts))]
    i = int(np.argmax(window))
    names = " + ".join(n for n, _ in acts[max(0, i - 2) : i + 1])
    act = float(rows * window[i] * size)
    convert = 2.0 * rows * n_input * size
    parts.append(
        Part("input as tensors", convert, f"2 x {rows:,} rows x {n_input} inputs x {size} B")
    )
    parts.append(
        Part(
            "activations",
            act,
            f"{rows:,} rows x {window[i]:,} values (layers {names}) x {size} B, from forward hooks",
        )
    )
    parts.append(
        Part("kernels for the batch shape", TORCH_SHAPE_BYTES, "measured once for PyTorch CPU")
    )
    peak = rows * row_bytes + max(convert, act) + TORCH_SHAPE_BYTES
    return parts, peak
