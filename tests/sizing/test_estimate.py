"""Each family's formula gives the size of what sizes it, and the what-ifs rescale it."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from candor._units import format_bytes
from candor.errors import DataError
from candor.sizing import WhatIf, estimate_memory, output_layer, rescale


def _data(n: int = 400, d: int = 12, k: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_classification(n, d, n_informative=6, n_classes=k, random_state=0)
    return pd.DataFrame(X, columns=[f"f{i}" for i in range(d)]), y


def _part(est, name):  # type: ignore[no-untyped-def]
    return next(p for p in est.model if p.name == name)


def test_linear_models_are_classes_times_features() -> None:
    X, y = _data(d=12, k=4)
    est = estimate_memory(
        LogisticRegression(max_iter=500).fit(X, y), rows=100, row_bytes=96, n_input=12
    )
    coef = _part(est, "coefficients")
    assert coef.bytes == 4 * 12 * 8 and "4 classes x 12 features" in coef.formula
    assert est.family == "linear"


def test_knn_stores_rows_times_features_and_svm_its_support_vectors() -> None:
    X, y = _data(n=300, d=10)
    knn = estimate_memory(KNeighborsClassifier().fit(X, y), rows=10, row_bytes=80, n_input=10)
    assert _part(knn, "stored rows").bytes == 300 * 10 * 8
    svc = SVC().fit(X, y)
    sv = estimate_memory(svc, rows=10, row_bytes=80, n_input=10)
    assert _part(sv, "support vectors").bytes == svc.support_vectors_.shape[0] * 10 * 8
    assert sv.family == "svm"


def test_trees_are_nodes_times_bytes_per_node() -> None:
    X, y = _data(n=500, d=8, k=3)
    forest = RandomForestClassifier(n_estimators=7, random_state=0).fit(X, y)
    est = estimate_memory(forest, rows=10, row_bytes=64, n_input=8)
    nodes = sum(t.tree_.node_count for t in forest.estimators_)
    trees = _part(est, "trees")
    assert trees.bytes == nodes * (64 + 3 * 8)  # a node record and a value per class
    assert f"7 trees, {nodes:,} nodes" in trees.formula


def test_network_weights_are_counted_layer_by_layer() -> None:
    X, y = _data(d=12, k=3)
    mlp = MLPClassifier(hidden_layer_sizes=(16, 8), max_iter=50).fit(X, y)
    est = estimate_memory(mlp, rows=10, row_bytes=96, n_input=12)
    n = 12 * 16 + 16 + 16 * 8 + 8 + 8 * 3 + 3
    assert _part(est, "weights").bytes == n * 8
    # predicting holds two consecutive layers' activations per row
    work = next(p for p in est.batch if p.name == "model's working arrays")
    assert work.bytes == 10 * max(12 + 16, 16 + 8, 8 + 3) * 8


def test_the_batch_grows_with_its_rows() -> None:
    X, y = _data()
    model = LogisticRegression(max_iter=500).fit(X, y)
    small = estimate_memory(model, rows=1_000, row_bytes=96, n_input=12)
    large = estimate_memory(model, rows=100_000, row_bytes=96, n_input=12)
    assert large.model_bytes == small.model_bytes
    assert large.batch_peak == pytest.approx(100 * small.batch_peak, rel=1e-9)


def test_the_output_layer_what_if_names_the_part_that_dominates() -> None:
    est = output_layer(5_000_000, 512)
    d = est.dominant
    assert d.name == "the output layer" and d.formula == "5,000,000 x 512 float32"
    assert format_bytes(d.bytes) == "9.5 GiB"
    trained = output_layer(5_000_000, 512, train=True)
    # weights, gradients and Adam's two moments: four copies
    assert trained.model_bytes == pytest.approx(4 * est.model_bytes)


def test_what_ifs_rescale_each_family_by_what_sizes_it() -> None:
    X, y = _data(n=400, d=12, k=3)
    lin = LogisticRegression(max_iter=500).fit(X, y)
    big = rescale(lin, n_input=12, row_bytes=96, what=WhatIf(classes=1000, features=120))
    assert _part(big, "coefficients").bytes == 1000 * 120 * 8
    knn = KNeighborsClassifier().fit(X, y)
    more = rescale(knn, n_input=12, row_bytes=96, what=WhatIf(rows=40_000))
    assert _part(more, "stored rows").bytes == 40_000 * 12 * 8
    forest = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)
    base = _part(estimate_memory(forest, rows=10, row_bytes=96, n_input=12), "trees").bytes
    grown = _part(rescale(forest, n_input=12, row_bytes=96, what=WhatIf(rows=4_000)), "trees")
    # fully grown trees: nodes per training row as fitted, so 10x the rows is about 10x the nodes
    assert grown.bytes == pytest.approx(10 * base, rel=0.01)
    assert rescale(
        lin, n_input=12, row_bytes=96, what=WhatIf(rows=10**6)
    ).model_bytes == pytest.approx(
        estimate_memory(lin, rows=1000, row_bytes=96, n_input=12).model_bytes
    )


def test_training_memory_counts_the_data_and_the_optimiser() -> None:
    X, y = _data(n=400, d=12, k=3)
    mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=30).fit(X, y)
    train = rescale(mlp, n_input=12, row_bytes=96, what=WhatIf(rows=1_000_000, train=True))
    names = {p.name for p in train.model}
    assert {"training data", "gradients and Adam's two moments"} <= names
    assert train.dominant.name in ("training data", "prepared copies", "training data")
    assert train.total >= 1_000_000 * 96


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_the_cnn_is_sized_from_its_parameters_and_forward_hooks() -> None:
    from sklearn.datasets import load_digits

    from candor.ladder._cnn import SmallCNN

    X, y = load_digits(return_X_y=True, as_frame=True)
    cnn = SmallCNN(epochs=1).fit(X.iloc[:200], y.iloc[:200])
    est = estimate_memory(cnn, rows=100, row_bytes=512, n_input=64)
    n = sum(int(p.numel()) for p in cnn.net_.parameters())
    assert _part(est, "weights").bytes == n * 4
    acts = next(p for p in est.batch if p.name == "activations")
    assert "forward hooks" in acts.formula and acts.bytes > 0
    train = rescale(cnn, n_input=64, row_bytes=512, what=WhatIf(rows=10_000, train=True))
    adam = next(p for p in train.model if p.name == "Adam's two moments")
    assert adam.bytes == 2 * n * 4
    more = rescale(cnn, n_input=64, row_bytes=512, what=WhatIf(classes=1000))
    assert "output layer 64 x 1,000" in _part(more, "weights").formula


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": -5}, "--rows -5: give at least 1"),
        ({"classes": 1}, "--classes 1: give at least 2"),
        ({"features": 10**12}, "is beyond"),
        ({"batch": 2.5}, "give a whole number"),
    ],
)
def test_absurd_what_ifs_are_refused_with_the_reason(kwargs: dict, message: str) -> None:
    with pytest.raises(DataError, match=message):
        WhatIf(**kwargs)
