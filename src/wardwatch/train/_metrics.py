"""Validation and test metrics of predicted probabilities (all from scikit-learn).

``auroc``
    area under the ROC curve: the chance that a random positive is ranked above a random
    negative. 0.5 is chance, 1 is perfect.
``auprc``
    average precision (area under the precision-recall curve). Its chance level is the
    prevalence, so compare it with ``prevalence``.
``brier``
    mean squared difference between probability and outcome (0 is perfect; always
    predicting the prevalence ``p`` scores ``p(1-p)``). Sensitive to calibration.
``log_loss``
    mean negative log-likelihood (0 is perfect; the prevalence alone scores the outcome's
    entropy). Punishes confident mistakes hard.
``prevalence``
    share of positives in the split.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

__all__ = ["METRICS", "binary_metrics"]

METRICS = ("auroc", "auprc", "brier", "log_loss", "prevalence")


def binary_metrics(y_true: np.ndarray, y_prob: np.ndarray) -> dict[str, float]:
    """The :data:`METRICS` of probabilities ``y_prob`` for 0/1 outcomes ``y_true``.

    AUROC and AUPRC are NaN when ``y_true`` holds a single outcome.
    """
    y = np.asarray(y_true, dtype=np.int64)
    p = np.clip(np.asarray(y_prob, dtype=np.float64), 0.0, 1.0)
    both = np.unique(y).size == 2
    return {
        "auroc": float(roc_auc_score(y, p)) if both else float("nan"),
        "auprc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "prevalence": float(y.mean()) if len(y) else float("nan"),
    }
