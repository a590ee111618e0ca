"""Which predictions go to a person, and why: ``[feedback]``'s routing rules, as pure functions.

A prediction is routed when any rule fires; its reasons are kept with it in the log (in the same
transaction as the prediction, so a routed prediction is never answered without being queued).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from candor.registry._novelty import Novelty


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """The thresholds of ``[feedback]`` (see :class:`candor.config.FeedbackSection`)."""

    min_confidence: float = 0.6
    novelty: float = 0.99
    shadow_tolerance: float = 0.1
    max_interval_width: float | None = None

    @classmethod
    def from_config(cls, section: Any) -> RoutingRules:
        return cls(
            section.min_confidence,
            section.novelty,
            section.shadow_tolerance,
            section.max_interval_width,
        )


def route_reasons(
    output: dict[str, Any],
    rules: RoutingRules,
    *,
    novelty: Novelty | None = None,
    shadow: dict[str, Any] | None = None,
    shadow_name: str = "",
) -> list[str]:
    """Why ``output`` (one served prediction) should be reviewed; empty when it should not.

    >>> route_reasons({"prediction": 1, "confidence": 0.55}, RoutingRules())
    ['low confidence: top probability 0.550 below 0.6']
    >>> route_reasons({"prediction": 1, "confidence": 0.9}, RoutingRules(),
    ...               shadow={"prediction": 0}, shadow_name="v2 (@candidate)")
    ['shadow disagrees: v2 (@candidate) says 0']
    """
    reasons: list[str] = []
    confidence = output.get("confidence")
    if confidence is not None and confidence < rules.min_confidence:
        reasons.append(
            f"low confidence: top probability {confidence:.3f} below {rules.min_confidence:g}"
        )
    interval = output.get("interval")
    if interval is not None and rules.max_interval_width is not None:
        width = interval[1] - interval[0]
        if width > rules.max_interval_width:
            reasons.append(
                f"low confidence: {output.get('interval_level', 0.9):.0%} interval {width:.4g} "
                f"wide, over {rules.max_interval_width:g}"
            )
    if novelty is not None and (novelty.reasons or novelty.score > rules.novelty):
        # ", " inside one reason: "; " separates the reasons of a routed prediction
        detail = ", ".join(novelty.reasons) or (
            f"more unusual than {novelty.score:.1%} of training rows"
        )
        reasons.append(f"out of distribution: {detail}")
    if shadow is not None and _disagree(output["prediction"], shadow["prediction"], rules):
        said = shadow["prediction"]
        said = f"{said:.4g}" if isinstance(said, float) else said
        reasons.append(f"shadow disagrees: {shadow_name or 'the shadow model'} says {said}")
    return reasons


def _disagree(a: Any, b: Any, rules: RoutingRules) -> bool:
    if isinstance(a, float) and isinstance(b, float):  # regression: a relative difference
        scale = max(abs(a), abs(b), 1e-12)
        return not math.isclose(a, b) and abs(a - b) / scale > rules.shadow_tolerance
    return bool(a != b)
