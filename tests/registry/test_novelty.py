"""The novelty profile fitted at registration: calibrated on held-out rows, so an ordinary row's
score is uniform; a row that breaks training's correlations, leaves its ranges or brings an
unseen category scores high and says why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from candor.registry._novelty import NoveltyProfile


def _correlated(n: int, seed: int, dims: int = 6, mix_seed: int = 0) -> pd.DataFrame:
    """Rows of one correlated Gaussian (``mix_seed`` picks it; ``seed`` the rows)."""
    mix = np.eye(dims) + 0.9 * np.random.default_rng(mix_seed).normal(size=(dims, dims))
    rows = np.random.default_rng(seed + 1000).normal(size=(n, dims)) @ mix
    return pd.DataFrame(rows, columns=[f"x{i}" for i in range(dims)])


@pytest.mark.parametrize("threshold", [0.9, 0.99])
def test_an_ordinary_rows_score_is_calibrated_so_a_threshold_routes_its_share(
    threshold: float,
) -> None:
    shares = []
    for seed in range(10):  # fit on one sample, score fresh rows of the same distribution
        profile = NoveltyProfile.fit(_correlated(2000, seed, mix_seed=seed), seed=seed)
        scores = np.array(
            [n.score for n in profile.score(_correlated(4000, 50 + seed, mix_seed=seed))]
        )
        shares.append(float((scores > threshold).mean()))
    expected = 1 - threshold
    # 10 x 4000 rows and 1000 calibration rows each: the mean share sits near the nominal one
    assert abs(np.mean(shares) - expected) < 0.3 * expected, shares


def test_rows_that_break_trainings_correlations_score_high() -> None:
    train = _correlated(2000, 0)
    profile = NoveltyProfile.fit(train)
    rng = np.random.default_rng(1)
    broken = pd.DataFrame({c: rng.permutation(train[c].to_numpy()) for c in train.columns})
    scores = np.array([n.score for n in profile.score(broken.head(500))])
    assert np.median(scores) > 0.95
    assert (scores > 0.99).mean() > 0.4  # against 1% of ordinary rows
    assert all(not n.reasons for n in profile.score(broken.head(50)) if n.score < 1)


def test_a_number_outside_trainings_range_is_named_with_the_range() -> None:
    train = _correlated(500, 0)
    profile = NoveltyProfile.fit(train)
    row = train.head(1).assign(x2=1e6)
    (novelty,) = profile.score(row)
    assert novelty.score == 1.0
    assert len(novelty.reasons) == 1
    assert novelty.reasons[0].startswith("x2 = 1e+06 is above anything in training (max ")


def test_an_unseen_category_is_named_and_a_missing_value_is_not_novel() -> None:
    rng = np.random.default_rng(0)
    train = pd.DataFrame(
        {"plan": rng.choice(["basic", "pro"], 300), "age": rng.normal(40, 10, 300)}
    )
    profile = NoveltyProfile.fit(train)
    live = pd.DataFrame(
        {"plan": ["enterprise", "pro", "pro", None], "age": [40.0, np.nan, 40.0, np.nan]}
    )
    unseen, missing, usual, empty = profile.score(live)
    assert unseen.reasons == ("plan = 'enterprise' was never seen in training",)
    assert missing.reasons == () and missing.score < 0.9  # one of two: the imputer's job
    assert usual.reasons == () and usual.score < 0.9
    # a row mostly missing is one the model has no evidence for
    assert empty.reasons == ("2 of 2 inputs are missing",) and empty.score == 1.0


def test_the_profile_survives_json_with_the_same_scores() -> None:
    import json

    train = _correlated(400, 3)
    profile = NoveltyProfile.fit(train)
    again = NoveltyProfile.from_dict(json.loads(profile.to_json()))
    live = _correlated(50, 4)
    assert [n.score for n in again.score(live)] == [n.score for n in profile.score(live)]


def test_a_model_without_numeric_columns_still_gets_a_profile() -> None:
    train = pd.DataFrame({"colour": ["red", "blue"] * 50})
    profile = NoveltyProfile.fit(train)
    (n,) = profile.score(pd.DataFrame({"colour": ["green"]}))
    assert n.score == 1.0 and "green" in n.reasons[0]


@pytest.mark.slow
def test_conformal_bands_cover_90_percent_in_each_band_when_noise_grows_with_novelty() -> None:
    from candor.registry._novelty import conformal_bands

    rng = np.random.default_rng(0)
    covered = {0: [], 1: [], 2: []}  # type: dict[int, list[float]]
    for _ in range(200):
        nov = rng.uniform(size=300)
        noise = 1 + 3 * nov  # unusual rows are harder
        bands = conformal_bands(rng.normal(size=300) * noise, nov, level=0.9)
        live = rng.uniform(size=3000)
        res = np.abs(rng.normal(size=3000) * (1 + 3 * live))
        band = np.searchsorted(bands["edges"], live, side="right")
        hw = np.asarray(bands["half_widths"])[band]
        for b in range(3):
            covered[b].append(float((res[band == b] <= hw[band == b]).mean()))
    for b, shares in covered.items():
        assert 0.88 <= np.mean(shares) <= 0.93, (b, np.mean(shares))
    assert bands["half_widths"][0] < bands["half_widths"][2]


def test_a_small_test_set_gets_fewer_bands() -> None:
    from candor.registry._novelty import conformal_bands

    rng = np.random.default_rng(1)
    assert len(conformal_bands(rng.normal(size=50), rng.uniform(size=50))["half_widths"]) == 1
    assert len(conformal_bands(rng.normal(size=70), rng.uniform(size=70))["half_widths"]) == 2
