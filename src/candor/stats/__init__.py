"""Honest statistics: every figure with its interval, its n and its method.

Pure numerical code: arrays in, frozen results out; no printing, files, config or tracking.
"""

from candor.stats._bootstrap import (
    BootstrapResult,
    RowStats,
    bootstrap,
    paired_rows,
    rows_from_codes,
)
from candor.stats._claims import Claim, claim_for, detectable_difference
from candor.stats._compare import Comparison, compare
from candor.stats._delong import delong, delong_interval, delong_paired
from candor.stats._estimate import Estimate
from candor.stats._evaluate import (
    Evaluation,
    estimate_metric,
    evaluate,
    get_metric,
    metric_value,
)
from candor.stats._inputs import Predictions, prepare_predictions
from candor.stats._mcnemar import McNemarResult, mcnemar
from candor.stats._metrics import METRICS, Costs, Metric, default_metrics
from candor.stats._proportion import clopper_pearson_interval, rule_of_three_upper, wilson_interval

__all__ = [
    "METRICS",
    "BootstrapResult",
    "Claim",
    "Comparison",
    "Costs",
    "Estimate",
    "Evaluation",
    "McNemarResult",
    "Metric",
    "Predictions",
    "RowStats",
    "bootstrap",
    "claim_for",
    "clopper_pearson_interval",
    "compare",
    "default_metrics",
    "delong",
    "delong_interval",
    "delong_paired",
    "detectable_difference",
    "estimate_metric",
    "evaluate",
    "get_metric",
    "mcnemar",
    "metric_value",
    "paired_rows",
    "prepare_predictions",
    "rows_from_codes",
    "rule_of_three_upper",
    "wilson_interval",
]
