"""Operating points chosen by policy, against a brute-force search; the threshold table."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix
from tests.evaluate.conftest import make_sample

from wardwatch.evaluate import OperatingPolicy, choose_threshold


def _brute(y: np.ndarray, p: np.ndarray, policy: OperatingPolicy) -> float | None:
    """Every distinct probability as threshold; the feasible one the policy prefers."""
    feasible = []
    for t in np.unique(p):
        tn, fp, fn, tp = confusion_matrix(y, p >= t, labels=[0, 1]).ravel()
        value = {
            "sensitivity": tp / (tp + fn) if tp + fn else np.nan,
            "specificity": tn / (tn + fp) if tn + fp else np.nan,
            "ppv": tp / (tp + fp) if tp + fp else np.nan,
            "npv": tn / (tn + fn) if tn + fn else np.nan,
            "flag_rate": (tp + fp) / len(y),
        }[policy.metric]
        if bool(policy.met(value)):
            feasible.append((tp + fp, t))
    if not feasible:
        return None
    _flags, t = min(feasible) if policy.fewest_flags else max(feasible)
    return float(t)


POLICIES = [
    OperatingPolicy(name="s80", metric="sensitivity", at_least=0.8),
    OperatingPolicy(name="spec90", metric="specificity", at_least=0.9),
    OperatingPolicy(name="ppv30", metric="ppv", at_least=0.3),
    OperatingPolicy(name="npv95", metric="npv", at_least=0.95),
    OperatingPolicy(name="flag10", metric="flag_rate", at_most=0.1),
]


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_policy_matches_brute_force(policy: OperatingPolicy, seed: int) -> None:
    s = make_sample(700, seed, decimals=2)
    assert choose_threshold(s.y, s.p, policy) == _brute(s.y, s.p, policy)


def test_sensitivity_floor_takes_the_fewest_flags() -> None:
    y = np.array([1, 0, 1, 0, 1, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    # sensitivity >= 2/3 is met from 0.7 down; the highest such threshold flags fewest
    policy = OperatingPolicy(name="s", metric="sensitivity", at_least=0.66)
    assert choose_threshold(y, p, policy) == 0.7
    # a flag-rate cap takes the lowest threshold it allows: 2 of 8 flagged at 0.8
    cap = OperatingPolicy(name="f", metric="flag_rate", at_most=0.25)
    assert choose_threshold(y, p, cap) == 0.8


def test_unreachable_policy_gives_none() -> None:
    y = np.array([0, 1, 0, 1])
    p = np.array([0.9, 0.5, 0.4, 0.1])  # the highest score is a non-event
    policy = OperatingPolicy(name="p", metric="ppv", at_least=0.99)
    assert choose_threshold(y, p, policy) is None


def test_policy_rule_in_words() -> None:
    assert POLICIES[0].rule == "sensitivity ≥ 0.8"
    assert POLICIES[-1].rule == "flag_rate ≤ 0.1"
    assert POLICIES[0].fewest_flags
    assert not POLICIES[2].fewest_flags
