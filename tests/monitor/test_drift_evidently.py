"""Our method choice and values equal Evidently 0.7's DataDriftPreset on the same data.

Evidently is a test-only dependency; importing it takes several seconds, so one module
fixture runs each report once.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest

from wardwatch.monitor import _stats as st
from wardwatch.monitor._drift import EVIDENTLY_NAMES, ReferenceProfile, drift_report

evidently = pytest.importorskip("evidently")
# Evidently's chi-square divides by a zero expected count for a new category (p = 0).
pytestmark = pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")

NUM = ["age", "lactate", "creat", "grade", "flag"]
CAT = ["ward", "sex", "code"]


def _frame(n: int, seed: int, shift: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(60 + 4 * shift, 12, n).round(1)
    age[rng.random(n) < 0.05] = np.nan
    codes = ["A", "B", "C", "D"] + (["NEW"] if shift else [])
    return pd.DataFrame(
        {
            "age": age,
            "lactate": rng.gamma(2.0 + shift, 1.0, n),
            "creat": rng.lognormal(0.0, 0.4, n).round(2),
            "grade": rng.integers(1, 4 + (shift > 0), n).astype(float),
            "flag": (rng.random(n) < 0.2 + 0.1 * shift).astype(float),
            "ward": rng.choice(["ICU", "MED", "SURG", "ED"], n, p=[0.1, 0.5, 0.3, 0.1]),
            "sex": rng.choice(["F", "M"], n, p=[0.5 + 0.05 * shift, 0.5 - 0.05 * shift]),
            "code": rng.choice(codes, n),
        }
    )


def _evidently(ref: pd.DataFrame, cur: pd.DataFrame, **preset: Any) -> dict[str, tuple[str, float]]:
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    dd = DataDefinition(numerical_columns=NUM, categorical_columns=CAT)
    report = Report([DataDriftPreset(**preset)])
    run = report.run(
        Dataset.from_pandas(cur, data_definition=dd), Dataset.from_pandas(ref, data_definition=dd)
    )
    out: dict[str, tuple[str, float]] = {}
    for m in run.dict()["metrics"]:
        found = re.match(r"ValueDrift\(column=(\w+),method=([^,]+),threshold", m["metric_name"])
        if found:
            out[found.group(1)] = (found.group(2), float(m["value"]))
    return out


@pytest.fixture(scope="module", params=[500, 5_000], ids=["tests-500", "distances-5000"])
def pair(
    request: pytest.FixtureRequest,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, tuple[str, float]]]:
    n = int(request.param)
    ref, cur = _frame(n, 1, 0.0), _frame(n, 2, 0.4)
    return ref, cur, _evidently(ref, cur)


def test_methods_and_values_equal_evidently(
    pair: tuple[pd.DataFrame, pd.DataFrame, dict[str, tuple[str, float]]],
) -> None:
    ref, cur, ev = pair
    ours = drift_report(ReferenceProfile.from_table(ref, NUM, CAT), cur, correction="none")
    assert {c.column for c in ours.columns} == set(ev)
    for col in ours.columns:
        name, value = ev[col.column]
        assert EVIDENTLY_NAMES[col.method] == name, col.column
        assert col.score == pytest.approx(value, rel=1e-6, abs=1e-6), col.column
    if len(ref) == 500:
        assert {c.method for c in ours.columns} == {"ks", "chisquare", "z"}
    else:
        assert {c.method for c in ours.columns} == {"wasserstein", "jensenshannon"}


def test_psi_evidently_mode_equals_evidently_psi(
    pair: tuple[pd.DataFrame, pd.DataFrame, dict[str, tuple[str, float]]],
) -> None:
    ref, cur, _ = pair
    ev = _evidently(ref, cur, per_column_method={"age": "psi", "lactate": "psi", "grade": "psi"})
    for col in ("age", "lactate", "grade"):
        a, b = ref[col].dropna().to_numpy(), cur[col].dropna().to_numpy()
        assert ev[col][0].lower() == "psi"  # the name Evidently echoes when a method is given
        assert st.psi(a, b, bins="evidently") == pytest.approx(ev[col][1], rel=1e-6, abs=1e-6), col
