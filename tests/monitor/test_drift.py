"""Reference profiles and drift reports: method choice, inputs, edge cases, round trip."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy import stats

from wardwatch.monitor._drift import ReferenceProfile, drift_report


def _frame(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(60 + shift * 10, 12, n)
    age[::25] = np.nan
    return pd.DataFrame(
        {
            "age": age,
            "lactate": rng.gamma(2.0 + shift, 1.0, n),
            "grade": rng.integers(1, 4, n).astype(float),  # 3 distinct -> treated as categories
            "ward": rng.choice(["ICU", "MED", "SURG", "ED"], n, p=[0.1, 0.5, 0.3, 0.1]),
            "sex": rng.choice(["F", "M"], n),
        }
    )


NUM, CAT = ["age", "lactate", "grade"], ["ward", "sex"]


def test_auto_methods_small_reference() -> None:
    ref, cur = _frame(500, 1), _frame(400, 2, shift=0.5)
    res = drift_report(ReferenceProfile.from_table(ref, NUM, CAT), cur, correction="none")
    methods = {c.column: c.method for c in res.columns}
    assert methods == {
        "age": "ks",
        "lactate": "ks",
        "grade": "chisquare",
        "ward": "chisquare",
        "sex": "z",
    }
    a, b = ref["age"].dropna(), cur["age"].dropna()
    expected = stats.ks_2samp(a, b)
    age = res["age"]
    assert age.statistic == pytest.approx(expected.statistic, abs=1e-9)
    assert age.p_value == pytest.approx(expected.pvalue, rel=1e-6, abs=1e-9)
    assert age.drifted == (expected.pvalue <= 0.05)
    assert age.missing_rate_reference == pytest.approx(20 / 500)
    assert age.missing_rate_delta == pytest.approx(16 / 400 - 20 / 500)


def test_auto_methods_large_reference() -> None:
    ref, cur = _frame(3_000, 1), _frame(2_000, 2, shift=1.0)
    res = drift_report(ReferenceProfile.from_table(ref, NUM, CAT), cur)
    methods = {c.column: c.method for c in res.columns}
    assert methods == {
        "age": "wasserstein",
        "lactate": "wasserstein",
        "grade": "jensenshannon",
        "ward": "jensenshannon",
        "sex": "jensenshannon",
    }
    a, b = ref["age"].dropna(), cur["age"].dropna()
    w = stats.wasserstein_distance(a, b) / np.std(a)
    assert res["age"].statistic == pytest.approx(w, rel=1e-6)
    assert res["age"].drifted
    assert res["age"].p_value is None
    assert res["age"].ks_statistic == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-9)


def test_bh_correction_across_test_columns() -> None:
    ref, cur = _frame(600, 1), _frame(600, 2, shift=0.15)
    prof = ReferenceProfile.from_table(ref, NUM, CAT)
    raw = drift_report(prof, cur, correction="none")
    bh = drift_report(prof, cur)
    p = [c.p_value for c in raw.columns]
    adjusted = stats.false_discovery_control(p)
    np.testing.assert_allclose([c.p_adjusted for c in bh.columns], adjusted, rtol=1e-9)
    assert all(c.p_adjusted == c.p_value for c in raw.columns)
    assert bh.n_drifted <= raw.n_drifted


def test_inputs_pyarrow_with_nulls_pandas_numpy_agree() -> None:
    ref, cur = _frame(300, 1), _frame(300, 2, shift=0.3)
    prof = ReferenceProfile.from_table(ref, NUM, CAT)
    table = pa.Table.from_pandas(cur, preserve_index=False)
    # nulls rather than NaN in pyarrow
    table = table.set_column(
        0, "age", pa.array(cur["age"].tolist(), pa.float64(), from_pandas=True)
    )
    mapping = {k: cur[k].to_numpy() for k in cur.columns}
    results = [drift_report(prof, x).to_dict() for x in (cur, table, mapping)]
    assert results[0] == results[1] == results[2]
    prof_arrow = ReferenceProfile.from_table(pa.Table.from_pandas(ref), NUM, CAT)
    assert drift_report(prof_arrow, cur).to_dict() == results[0]


def test_all_missing_current_numeric_does_not_crash() -> None:
    ref, cur = _frame(300, 1), _frame(200, 2)
    cur["age"] = np.nan
    res = drift_report(ReferenceProfile.from_table(ref, NUM, CAT), cur)
    age = res["age"]
    assert math.isnan(age.statistic)
    assert not age.drifted
    assert age.missing_rate_current == 1.0
    assert age.missing_rate_delta == pytest.approx(1 - 12 / 300)
    assert age.to_dict()["statistic"] is None


def test_new_and_empty_categories() -> None:
    ref = pd.DataFrame({"code": ["A"] * 60 + ["B"] * 40})
    cur = pd.DataFrame({"code": ["A"] * 50 + ["C"] * 30 + ["D"] * 15 + [None] * 5})
    prof = ReferenceProfile.from_table(ref, [], ["code"])
    col = drift_report(prof, cur)["code"]
    assert col.new_category_rate == pytest.approx(45 / 95)
    assert col.new_categories == ("C", "D")
    assert col.missing_rate_current == pytest.approx(0.05)
    assert col.method == "chisquare"
    assert col.p_value == 0.0
    assert col.drifted
    empty = drift_report(prof, pd.DataFrame({"code": pd.Series([None] * 4, dtype=object)}))["code"]
    assert math.isnan(empty.statistic)
    assert not empty.drifted
    assert empty.missing_rate_current == 1.0


def test_non_string_categories_are_str() -> None:
    ref = pa.table({"icd": pa.array([1, 2, 2, None], pa.int64())})
    prof = ReferenceProfile.from_table(ref, [], ["icd"])
    assert dict(prof["icd"].counts) == {"1": 1, "2": 2}
    assert prof["icd"].n_missing == 1


def test_explicit_methods_and_errors() -> None:
    ref, cur = _frame(400, 1), _frame(400, 2, shift=0.3)
    prof = ReferenceProfile.from_table(ref, NUM, CAT)
    res = drift_report(prof, cur, method={"age": "psi", "ward": "psi", "lactate": "wasserstein"})
    assert res["age"].statistic == res["age"].psi
    assert res["age"].p_value is None
    assert res["lactate"].method == "wasserstein"
    assert res["sex"].method == "z"
    with pytest.raises(ValueError, match="numeric"):
        drift_report(prof, cur, method={"ward": "ks"})
    with pytest.raises(ValueError, match="unknown method"):
        drift_report(prof, cur, method="nope")  # type: ignore[arg-type]


def test_profile_round_trip(tmp_path: Path) -> None:
    ref, cur = _frame(500, 1), _frame(500, 2, shift=0.2)
    prof = ReferenceProfile.from_table(ref, NUM, CAT)
    back = ReferenceProfile.from_table(prof.to_table())
    prof.to_parquet(tmp_path / "ref.parquet")
    loaded = ReferenceProfile.read_parquet(tmp_path / "ref.parquet")
    for other in (back, loaded):
        assert list(other) == list(prof)
        for name in prof:
            a, b = prof[name], other[name]
            assert (a.kind, a.n, a.n_missing, dict(a.counts)) == (
                b.kind,
                b.n,
                b.n_missing,
                dict(b.counts),
            )
            if a.values is not None:
                assert b.values is not None
                assert b.edges is not None
                assert a.edges is not None
                np.testing.assert_array_equal(a.values, b.values)
                np.testing.assert_array_equal(a.edges, b.edges)
        assert drift_report(other, cur).to_dict() == drift_report(prof, cur).to_dict()
    with pytest.raises(ValueError, match="numeric="):
        ReferenceProfile.from_table(ref)


def test_result_has_aggregates_only() -> None:
    ref, cur = _frame(200, 1), _frame(200, 2)
    out = drift_report(ReferenceProfile.from_table(ref, NUM, CAT), cur).to_dict()
    assert 0.0 <= out["share_drifted"] <= 1.0
    for col in out["columns"]:
        assert set(col) >= {
            "column",
            "method",
            "statistic",
            "p_value",
            "p_adjusted",
            "drifted",
            "psi",
        }
        assert all(not isinstance(v, list | np.ndarray) or len(v) <= 5 for v in col.values())
