"""Clinical evaluation of a binary risk model (e.g. 30-day readmission).

One call evaluates predictions the way a clinical team needs before a model goes near
patients: discrimination (AUROC, AUPRC), calibration (Brier score, calibration intercept and
slope, ECE, observed/expected ratio, reliability diagram), thresholds and alert burden
(sensitivity, specificity, PPV, NPV, flag rate, alerts per day, number needed to evaluate, at
a grid and at operating points chosen by policy), the decision curve (net benefit against
treat-all and treat-none), every metric per subgroup with disparity ratios and small-cell
suppression, per calendar month, and a TRIPOD+AI checklist. Every number has a
patient-level bootstrap interval, seeded and reproducible::

    from wardwatch.evaluate import evaluate_predictions
    report = evaluate_predictions(y, p, patient_ids=pid, index_times=t,
                                  subgroups={"sex": sex, "site": site})
    report.auroc            # Estimate(value=0.78, low=0.77, high=0.79, ...)
    report.save_html("evaluation.html")

The single-sample metrics are public too (:func:`auroc`, :func:`calibration_slope`, ...), with
optional weights.
"""

from wardwatch.evaluate._bootstrap import Resampler, percentile_ci
from wardwatch.evaluate._calibration import calibration_intercept, calibration_slope
from wardwatch.evaluate._config import (
    POLICY_METRICS,
    EvaluationConfig,
    OperatingPolicy,
    evaluation_config,
)
from wardwatch.evaluate._evaluate import evaluate_predictions
from wardwatch.evaluate._metrics import (
    auroc,
    average_precision,
    brier_score,
    confusion,
    expected_calibration_error,
    net_benefit,
    observed_expected_ratio,
    rates,
    reliability,
    treat_all_net_benefit,
)
from wardwatch.evaluate._report import EvaluationReport
from wardwatch.evaluate._summary import Estimate
from wardwatch.evaluate._thresholds import choose_threshold
from wardwatch.evaluate._tripod import CONTEXT_KEYS as TRIPOD_CONTEXT_KEYS

__all__ = [
    "POLICY_METRICS",
    "TRIPOD_CONTEXT_KEYS",
    "Estimate",
    "EvaluationConfig",
    "EvaluationReport",
    "OperatingPolicy",
    "Resampler",
    "auroc",
    "average_precision",
    "brier_score",
    "calibration_intercept",
    "calibration_slope",
    "choose_threshold",
    "confusion",
    "evaluate_predictions",
    "evaluation_config",
    "expected_calibration_error",
    "net_benefit",
    "observed_expected_ratio",
    "percentile_ci",
    "rates",
    "reliability",
    "treat_all_net_benefit",
]
