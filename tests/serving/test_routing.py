"""[feedback]'s routing rules: each fires on its own evidence and says why."""

from __future__ import annotations

from candor.registry._novelty import Novelty
from candor.serving._routing import RoutingRules, route_reasons


def test_a_confident_usual_agreed_answer_is_not_routed() -> None:
    out = {"prediction": "yes", "confidence": 0.93}
    assert (
        route_reasons(out, RoutingRules(), novelty=Novelty(0.4, ()), shadow={"prediction": "yes"})
        == []
    )


def test_low_confidence_names_the_probability_and_the_threshold() -> None:
    reasons = route_reasons({"prediction": 1, "confidence": 0.51}, RoutingRules(min_confidence=0.7))
    assert reasons == ["low confidence: top probability 0.510 below 0.7"]


def test_novelty_routes_above_the_threshold_or_with_a_named_column() -> None:
    rules = RoutingRules(novelty=0.99)
    out = {"prediction": 1, "confidence": 0.9}
    assert route_reasons(out, rules, novelty=Novelty(0.98, ())) == []
    assert route_reasons(out, rules, novelty=Novelty(0.995, ())) == [
        "out of distribution: more unusual than 99.5% of training rows"
    ]
    named = route_reasons(out, rules, novelty=Novelty(1.0, ("age = 400 is above anything",)))
    assert named == ["out of distribution: age = 400 is above anything"]
    assert route_reasons(out, RoutingRules(novelty=1.0), novelty=Novelty(1.0, ())) == []


def test_a_regression_disagrees_with_its_shadow_only_beyond_the_tolerance() -> None:
    rules = RoutingRules(shadow_tolerance=0.1)
    out = {"prediction": 100.0}
    assert route_reasons(out, rules, shadow={"prediction": 95.0}) == []
    assert route_reasons(out, rules, shadow={"prediction": 80.0}, shadow_name="v2") == [
        "shadow disagrees: v2 says 80"
    ]


def test_every_rule_that_fires_is_listed() -> None:
    reasons = route_reasons(
        {"prediction": "a", "confidence": 0.4},
        RoutingRules(),
        novelty=Novelty(1.0, ("x = 9 is above anything",)),
        shadow={"prediction": "b"},
        shadow_name="v3 (@candidate)",
    )
    assert [r.split(":")[0] for r in reasons] == [
        "low confidence",
        "out of distribution",
        "shadow disagrees",
    ]


def test_a_regression_with_a_wide_interval_is_routed_only_when_the_rule_is_set() -> None:
    out = {"prediction": 150.0, "interval": [100.0, 200.0], "interval_level": 0.9}
    assert route_reasons(out, RoutingRules()) == []
    assert route_reasons(out, RoutingRules(max_interval_width=80)) == [
        "low confidence: 90% interval 100 wide, over 80"
    ]
    assert route_reasons(out, RoutingRules(max_interval_width=120)) == []


def test_several_novel_columns_stay_one_reason() -> None:
    reasons = route_reasons(
        {"prediction": 1, "confidence": 0.9},
        RoutingRules(),
        novelty=Novelty(1.0, ("a = 9 is above anything", "b = 'x' was never seen in training")),
    )
    assert reasons == [
        "out of distribution: a = 9 is above anything, b = 'x' was never seen in training"
    ]
    assert "; " not in reasons[0]
