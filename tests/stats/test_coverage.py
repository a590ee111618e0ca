"""Do candor's 95% intervals contain the truth 95% of the time?

Each test draws many datasets from a distribution whose true metric is known, asks candor for the
interval on each, and counts how often the interval contains the truth. With R datasets the measured
rate has a standard error of sqrt(0.95 × 0.05 / R): 0.5 points at R = 2,000, 1.1 at R = 400. The
band 93-97% therefore flags a method that is off by two points or more; it does not certify the
third decimal. Seeds are fixed, so every run draws the same datasets and the tests are deterministic.

The per-dataset bootstrap seed is drawn from the simulation's generator, so resampling noise differs
between datasets as it would between real evaluations.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest
from scipy import stats
from threadpoolctl import threadpool_limits

from candor.stats import Estimate, evaluate, wilson_interval
from candor.stats._metrics import EXACT_LEVELS

pytestmark = pytest.mark.slow

NOMINAL_BAND = (0.93, 0.97)

#: one simulated dataset: the estimates to check, all against the same truth
Draw = Callable[[np.random.Generator], tuple[Estimate, ...]]


@pytest.fixture(autouse=True)
def _one_blas_thread() -> Iterator[None]:
    # the simulations run side by side under pytest-xdist; threaded BLAS would only oversubscribe
    with threadpool_limits(1):
        yield


def coverage(draw: Draw, truth: float, reps: int, seed: int) -> tuple[np.ndarray, set[str]]:
    """Share of ``reps`` datasets whose interval contains ``truth`` (one rate per estimate drawn),
    and the interval methods that were used."""
    rng = np.random.default_rng(seed)
    hits: list[list[bool]] = []
    methods: set[str] = set()
    for _ in range(reps):
        estimates = draw(rng)
        hits.append([e.contains(truth) for e in estimates])
        methods.update(e.method for e in estimates)
    return np.mean(hits, axis=0), methods


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


# --- Wilson, for accuracy --------------------------------------------------------------------------
def _accuracy_data(rng: np.random.Generator, n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    y = rng.integers(0, 2, size=n)
    return y, np.where(rng.random(n) < p, y, 1 - y)


def test_wilson_interval_for_accuracy_covers_95_percent():
    def draw(rng: np.random.Generator) -> tuple[Estimate, ...]:
        y, pred = _accuracy_data(rng, n=200, p=0.85)
        return (evaluate(y, pred, metrics=["accuracy"])["accuracy"],)

    (rate,), methods = coverage(draw, truth=0.85, reps=2_000, seed=101)
    assert methods == {"Wilson"}
    assert NOMINAL_BAND[0] <= rate <= NOMINAL_BAND[1], rate


def test_wilson_exact_coverage_at_n_200_is_close_to_nominal_across_rates():
    # no simulation: sum the binomial probabilities of the counts whose interval holds p
    n = 200
    intervals = [wilson_interval(k, n) for k in range(n + 1)]
    low = np.array([e.low for e in intervals])
    high = np.array([e.high for e in intervals])
    counts = np.arange(n + 1)
    rates = np.linspace(0.05, 0.95, 181)
    exact = np.array([stats.binom.pmf(counts, n, p)[(low <= p) & (p <= high)].sum() for p in rates])
    assert exact[np.isclose(rates, 0.85)][0] == pytest.approx(0.941, abs=0.001)
    assert 0.945 <= exact.mean() <= 0.955, exact.mean()
    assert exact.min() >= 0.93, exact.min()


# --- DeLong (logit), for binary ROC AUC -------------------------------------------------------------
def test_delong_logit_interval_for_roc_auc_covers_95_percent():
    mu = 1.2  # binormal: negatives N(0, 1), positives N(mu, 1)

    def draw(rng: np.random.Generator) -> tuple[Estimate, ...]:
        y = (rng.random(250) < 0.4).astype(int)
        score = _sigmoid(rng.normal(size=250) + mu * y)
        return (evaluate(y, y_score=score, metrics=["roc_auc"])["roc_auc"],)

    true_auc = stats.norm.cdf(mu / np.sqrt(2))  # P(N(mu, 1) > N(0, 1)); sigmoid keeps the order
    (rate,), methods = coverage(draw, truth=true_auc, reps=2_000, seed=102)
    assert methods == {"DeLong (logit)"}
    assert NOMINAL_BAND[0] <= rate <= NOMINAL_BAND[1], rate


# --- BCa bootstrap, for F1 and MAE ------------------------------------------------------------------
#: probabilities of the confusion cells (true, predicted) = 00, 01, 10, 11
CONFUSION = np.array([0.57, 0.08, 0.10, 0.25])
TRUE_F1 = 2 * CONFUSION[3] / (2 * CONFUSION[3] + CONFUSION[1] + CONFUSION[2])  # 0.735


def test_bca_interval_for_f1_covers_95_percent():
    def draw(rng: np.random.Generator) -> tuple[Estimate, ...]:
        cell = rng.choice(4, size=200, p=CONFUSION)
        ev = evaluate(cell // 2, cell % 2, metrics=["f1"], n_resamples=1_000, seed=_seed(rng))
        return (ev["f1"],)

    (rate,), methods = coverage(draw, truth=TRUE_F1, reps=2_000, seed=103)
    assert methods == {"bootstrap BCa (1,000 resamples)"}
    assert NOMINAL_BAND[0] <= rate <= NOMINAL_BAND[1], rate


def _mae_draw(n: int, method: str) -> Draw:
    """Regression errors of random sign with |error| ~ Exponential(1): true MAE 1, skewed."""

    def draw(rng: np.random.Generator) -> tuple[Estimate, ...]:
        y = rng.normal(size=n)
        error = rng.exponential(1.0, size=n) * rng.choice([-1.0, 1.0], size=n)
        ev = evaluate(
            y, y + error, metrics=["mae"], method=method, n_resamples=1_000, seed=_seed(rng)
        )
        return (ev["mae"],)

    return draw


def test_bca_interval_for_mae_covers_95_percent():
    # BCa runs a little under nominal on skewed losses; 3,000 datasets keep the noise at 0.4 points
    (rate,), methods = coverage(_mae_draw(200, "auto"), truth=1.0, reps=3_000, seed=104)
    assert methods == {"bootstrap BCa (1,000 resamples)"}
    assert NOMINAL_BAND[0] <= rate <= NOMINAL_BAND[1], rate


def test_bootstrap_undercovers_mae_at_20_rows_and_bca_less_so():
    """A known limit, documented rather than hidden: with 20 rows of skewed errors, the bootstrap
    sees too little of the tail. Measured on these 2,000 datasets: percentile 89.8%, BCa 91.1%.
    The claims flag n < 30 as rough for this reason."""
    (pct,), _ = coverage(_mae_draw(20, "percentile"), truth=1.0, reps=2_000, seed=105)
    (bca,), _ = coverage(_mae_draw(20, "bca"), truth=1.0, reps=2_000, seed=105)
    assert 0.87 <= pct <= 0.92, pct
    assert 0.89 <= bca <= 0.93, bca
    assert bca > pct  # same datasets: BCa's skew correction recovers part of the gap


# --- the cluster bootstrap, for accuracy with correlated rows ---------------------------------------
def test_cluster_bootstrap_covers_95_percent_where_row_wilson_undercovers():
    n_groups, size = 60, 8
    a, b = 3.4, 0.6  # each customer's own accuracy ~ Beta(a, b): mean 0.85, intra-class corr 0.2
    truth = a / (a + b)

    def draw(rng: np.random.Generator) -> tuple[Estimate, ...]:
        own = rng.beta(a, b, size=n_groups)
        right = (rng.random((n_groups, size)) < own[:, None]).ravel()
        y = rng.integers(0, 2, size=n_groups * size)
        pred = np.where(right, y, 1 - y)
        groups = np.repeat(np.arange(n_groups), size)
        clustered = evaluate(
            y, pred, metrics=["accuracy"], groups=groups, n_resamples=1_000, seed=_seed(rng)
        )
        as_if_independent = evaluate(y, pred, metrics=["accuracy"])
        return clustered["accuracy"], as_if_independent["accuracy"]

    (cluster_rate, row_rate), methods = coverage(draw, truth=truth, reps=2_000, seed=106)
    assert methods == {"cluster bootstrap BCa (1,000 resamples)", "Wilson"}
    assert NOMINAL_BAND[0] <= cluster_rate <= NOMINAL_BAND[1], cluster_rate
    # design effect 1 + 7 × 0.2 = 2.4: a row interval is sqrt(2.4) too narrow, covering ~80%
    assert row_rate < 0.90, row_rate


# --- the binned bootstrap, for ROC AUC on many distinct scores --------------------------------------
def test_binned_bca_interval_for_roc_auc_covers_95_percent():
    mu, n = 1.0, 2_200

    def draw(rng: np.random.Generator) -> tuple[Estimate, ...]:
        y = (rng.random(n) < 0.4).astype(int)
        score = _sigmoid(rng.normal(size=n) + mu * y)
        ev = evaluate(
            y,
            y_score=score,
            metrics=["roc_auc"],
            method="bca",
            n_resamples=1_000,
            seed=_seed(rng),
        )
        return (ev["roc_auc"],)

    assert len(np.unique(_sigmoid(np.random.default_rng(0).normal(size=n)))) > EXACT_LEVELS
    (rate,), methods = coverage(draw, truth=stats.norm.cdf(mu / np.sqrt(2)), reps=400, seed=107)
    assert methods == {"bootstrap BCa (1,000 resamples)"}
    assert NOMINAL_BAND[0] <= rate <= NOMINAL_BAND[1], rate


# --- the jackknife-normal interval, for per-row means over very many rows ---------------------------
def test_jackknife_normal_interval_for_mae_at_large_n_covers_95_percent():
    n = 25_000  # x 10,000 default resamples: over evaluate's bootstrap budget

    def draw(rng: np.random.Generator) -> tuple[Estimate, ...]:
        y = rng.normal(size=n)
        error = rng.exponential(1.0, size=n) * rng.choice([-1.0, 1.0], size=n)
        return (evaluate(y, y + error, metrics=["mae"])["mae"],)

    (rate,), methods = coverage(draw, truth=1.0, reps=1_500, seed=108)
    assert methods == {"normal, jackknife SE"}
    assert NOMINAL_BAND[0] <= rate <= NOMINAL_BAND[1], rate
