"""The result type every figure travels in (candor/stats/_estimate.py)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from candor.stats import Estimate


@pytest.fixture
def estimate() -> Estimate:
    return Estimate(0.95, 0.93, 0.97, 0.95, 500, "Wilson")


def test_contains_includes_both_bounds(estimate):
    assert estimate.contains(0.93)
    assert estimate.contains(0.97)
    assert not estimate.contains(0.9299)
    assert not estimate.contains(0.9701)


def test_half_width_is_half_the_interval(estimate):
    assert estimate.half_width == pytest.approx(0.02)


def test_printed_form_carries_interval_n_and_method(estimate):
    assert str(estimate) == "0.950 (0.930-0.970), n=500, Wilson 95%"


def test_to_dict_is_plain_json(estimate):
    d = json.loads(json.dumps(estimate.to_dict()))
    assert d == {
        "value": 0.95,
        "low": 0.93,
        "high": 0.97,
        "level": 0.95,
        "n": 500,
        "method": "Wilson",
    }


def test_estimate_is_frozen(estimate):
    with pytest.raises(dataclasses.FrozenInstanceError):
        estimate.value = 1.0  # type: ignore[misc]


def test_format_prints_nan_and_switches_to_significant_digits_for_large_values():
    assert Estimate(float("nan"), 0.0, 1.0, 0.95, 3, "x").format() == "nan (0.000-1.000)"
    assert Estimate(123456.0, 1e5, 2e5, 0.95, 3, "x").format() == "1.235e+05 (1e+05-2e+05)"
