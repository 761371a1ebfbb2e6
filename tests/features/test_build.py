"""build_features on the hand-built lake of ``_cases`` (values worked out by hand there)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from tests.features._cases import AS_OF, E1_EXPECTED, T, hand_lake

from wardwatch.features import FeatureSet, build_features, load_usecase, parse_usecase
from wardwatch.features._spec import default_usecase_path
from wardwatch.quality import open_engine


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> FeatureSet:
    lake = hand_lake(tmp_path_factory.mktemp("lake"))
    with open_engine("duckdb", lake) as engine:
        return build_features(engine, load_usecase(default_usecase_path()), as_of=AS_OF)


def _row(fs: FeatureSet, index_id: str) -> pd.Series:
    rows = fs.frame[fs.frame["index_id"] == index_id]
    assert len(rows) == 1, f"{index_id}: {len(rows)} rows"
    return rows.iloc[0]


def test_cohort_attrition_counts_each_exclusion(built: FeatureSet) -> None:
    steps = [(a.step, a.excluded, a.remaining) for a in built.attrition]
    assert steps == [
        ("index events", 0, 11),
        ("under_age", 1, 10),
        ("died_in_hospital", 1, 9),
        ("transfer_out", 1, 8),
        ("incomplete_follow_up", 1, 7),
    ]
    assert sorted(built.frame["index_id"]) == sorted(["E0", "E1", "E1R", "E1P", "E1L", "E6", "E7"])


def test_labels_look_forward_and_skip_planned_stays(built: FeatureSet) -> None:
    labels = dict(zip(built.frame["index_id"], built.frame["label"], strict=True))
    assert labels == {"E0": 0, "E1": 1, "E1R": 0, "E1P": 0, "E1L": 0, "E6": 0, "E7": 0}
    t = built.source_times.set_index("index_id")
    assert t.loc["E1", "label_time"] == pd.Timestamp("2024-03-20 08:00", tz="UTC")
    assert pd.isna(t.loc["E6", "label_time"])  # the next stay starts 31 days later


def test_e1_features_match_the_hand_computation(built: FeatureSet) -> None:
    row = _row(built, "E1")
    assert row["index_time"] == pd.Timestamp(T)
    for name, expected in E1_EXPECTED.items():
        if isinstance(expected, float):
            assert math.isclose(row[name], expected, rel_tol=1e-9), (name, row[name], expected)
        else:
            assert row[name] == expected, (name, row[name], expected)
    # labs never measured in the window are missing, not zero
    for name in ("potassium_last", "hemoglobin_last", "wbc_last", "bnp_last"):
        assert math.isnan(row[name]), name


def test_subgroups(built: FeatureSet) -> None:
    row = _row(built, "E1")
    assert (row["group_age_band"], row["group_sex"], row["group_payer"]) == (
        "65-79",
        "female",
        "Medicare",
    )
    assert _row(built, "E6")["group_payer"] == "unknown"
    assert _row(built, "E6")["group_age_band"] == "45-64"


def test_source_times_never_pass_the_prediction_time(built: FeatureSet) -> None:
    t = built.source_times
    for f in built.usecase.features:
        src = t[f"{f.name}__src"]
        assert not (src.notna() & (src > t["index_time"])).any(), f.name
    e1 = t.set_index("index_id").loc["E1"]
    assert e1["sodium_last__src"] == pd.Timestamp("2024-03-04 07:00", tz="UTC")
    assert pd.isna(e1["age__src"])  # static attribute


def test_rows_are_sorted_and_typed(built: FeatureSet) -> None:
    f = built.frame
    assert list(f["index_time"]) == sorted(f["index_time"])
    assert f["label"].dtype == "int64"
    assert f["charlson"].dtype == "float64"
    assert list(f.columns[:4]) == ["index_id", "patient_id", "index_time", "label"]


def test_clinical_time_basis_and_lookahead_see_more(tmp_path: Path) -> None:
    lake = hand_lake(tmp_path / "lake")
    spec = parse_usecase(
        {
            "name": "leaky",
            "features": [
                {
                    "name": "charlson",
                    "kind": "comorbidity",
                    "field": "charlson",
                    "time_basis": "clinical",
                },
                {
                    "name": "elix",
                    "kind": "comorbidity",
                    "field": "elixhauser",
                    "time_basis": "clinical",
                },
                {
                    "name": "sodium",
                    "kind": "lab",
                    "code": "2951-2",
                    "window_days": 14,
                    "time_basis": "clinical",
                },
                {
                    "name": "next_ip",
                    "kind": "utilization",
                    "classes": ["IMP"],
                    "window_days": 30,
                    "lookahead_days": 30,
                },
            ],
            "models": [{"name": "lr", "family": "logistic_regression"}],
        }
    )
    with open_engine("duckdb", lake) as engine:
        fs = build_features(engine, spec, as_of=AS_OF)
    row = _row(fs, "E1")
    assert (row["charlson"], row["elix"], row["sodium"], row["next_ip"]) == (
        5.0,
        3.0,
        140.0,
        2.0,
    )  # E1R and E1P
    e1 = fs.source_times.set_index("index_id").loc["E1"]
    assert e1["charlson__src"] == pd.Timestamp("2024-03-07 09:00", tz="UTC")
    assert e1["next_ip__src"] > e1["index_time"]


def test_save_and_load_round_trip(built: FeatureSet, tmp_path: Path) -> None:
    built.save(tmp_path / "fs")
    back = FeatureSet.load(tmp_path / "fs")
    pd.testing.assert_frame_equal(back.frame, built.frame)
    pd.testing.assert_frame_equal(back.source_times, built.source_times)
    assert back.attrition == built.attrition
    assert back.usecase == built.usecase
    assert back.as_of == built.as_of


def test_empty_lake_is_a_clear_error(tmp_path: Path) -> None:
    from wardwatch.core.lake import Lake
    from wardwatch.errors import InputError

    with (
        open_engine("duckdb", Lake(tmp_path / "empty")) as engine,
        pytest.raises(InputError, match="no encounters"),
    ):
        build_features(engine, load_usecase(default_usecase_path()))
