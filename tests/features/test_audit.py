"""The leakage audit: late source rows, implausibly strong features, split overlap."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import roc_auc_score
from tests.features._cases import AS_OF, hand_lake

from wardwatch.core.workspace import init_workspace
from wardwatch.features import (
    FeatureSet,
    audit_features,
    build_features,
    lake_provenance,
    parse_usecase,
)
from wardwatch.features._audit import _auroc, _folds
from wardwatch.features._spec import default_usecase_path
from wardwatch.ingest import ingest
from wardwatch.quality import open_engine
from wardwatch.synth import SynthConfig, generate

LEAKY = [
    {
        "name": "next_ip",
        "kind": "utilization",
        "classes": ["IMP"],
        "window_days": 30,
        "lookahead_days": 30,
    },
    {
        "name": "charlson_clinical",
        "kind": "comorbidity",
        "field": "charlson",
        "time_basis": "clinical",
    },
]


def _with_leaks() -> Any:
    data = yaml.safe_load(default_usecase_path().read_text())
    data["features"] += LEAKY
    return parse_usecase(data)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> FeatureSet:
    """400 generated patients with the example features plus two leaky ones."""
    root = tmp_path_factory.mktemp("synth")
    generate(SynthConfig(patients=400, seed=5, out=root / "feed", claims_csv=False, hl7=False))
    ws = init_workspace(root / "ws")
    ingest(ws, [root / "feed"], workers=1)
    from wardwatch.core.lake import Lake

    lake = Lake(ws.lake_dir)
    with open_engine("duckdb", lake) as engine:
        return build_features(engine, _with_leaks(), provenance=lake_provenance(lake))


@pytest.mark.slow
def test_generated_population_passes_but_for_the_planted_leaks(synthetic: FeatureSet) -> None:
    report = audit_features(synthetic)
    by_name = {f.name: f for f in report.features}
    assert report.verdict == "fail"
    assert set(report.leaky) == {"next_ip", "charlson_clinical"}
    assert by_name["next_ip"].status == "leak"
    assert by_name["next_ip"].late_rows > 0
    # coding happens after discharge, so a clinical-time Charlson sees the index stay's codes
    assert by_name["charlson_clinical"].late_rows > 0
    for f in report.features:
        if f.name not in ("next_ip", "charlson_clinical"):
            assert f.late_rows == 0, f.name
            assert f.status in ("ok", "static"), f.name
    assert synthetic.frame["label"].sum() > 10
    assert len(synthetic.provenance) >= 8


@pytest.mark.slow
def test_single_feature_auroc_matches_sklearn(synthetic: FeatureSet) -> None:
    report = audit_features(synthetic)
    y = synthetic.frame["label"].to_numpy()
    for name in ("charlson", "prior_ip_365d", "age"):
        x = synthetic.frame[name].to_numpy()
        auc = roc_auc_score(y, x)
        got = next(f.auroc for f in report.features if f.name == name)
        assert got == pytest.approx(max(auc, 1 - auc), abs=1e-12)


def test_leaky_features_caught_on_the_hand_lake(tmp_path: Path) -> None:
    with open_engine("duckdb", hand_lake(tmp_path / "lake")) as engine:
        fs = build_features(engine, _with_leaks(), as_of=AS_OF)
    report = audit_features(fs)
    late = {f.name: f.late_rows for f in report.features if f.late_rows}
    assert late == {"next_ip": 2, "charlson_clinical": 1}  # E1 and E1R see later stays
    leak = next(f for f in report.features if f.name == "charlson_clinical")
    assert leak.max_late_hours == pytest.approx(45.0)  # recorded 03-07 09:00, T 03-05 12:00
    data = report.to_dict()
    assert data["verdict"] == "fail"
    html = report.to_html()
    assert "charlson_clinical" in html
    assert "<script" not in html


def test_an_implausibly_strong_feature_is_flagged() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    strong = pd.Series(y + rng.normal(0, 0.1, 400))
    weak = pd.Series(rng.normal(0, 1, 400))
    folds = _folds(pd.Series([f"p{i}" for i in range(400)]))
    assert _auroc(strong, y, False, folds) == pytest.approx(1.0)
    assert _auroc(weak, y, False, folds) < 0.6
    # a category that *is* the label is found through cross-fitted target encoding
    cat = pd.Series(np.where(y == 1, "yes", "no"))
    assert _auroc(cat, y, True, folds) == pytest.approx(1.0)
    # too few rows or one class: no score rather than a wrong one
    assert _auroc(strong[:10], y[:10], False, folds[:10]) is None


def test_split_overlap_is_counted(tmp_path: Path) -> None:
    with open_engine("duckdb", hand_lake(tmp_path / "lake")) as engine:
        fs = build_features(
            engine, parse_usecase(yaml.safe_load(default_usecase_path().read_text())), as_of=AS_OF
        )
    ids = list(fs.frame["index_id"])
    clean = pd.Series({i: ("train" if i.startswith("E1") or i == "E0" else "test") for i in ids})
    report = audit_features(fs, split=clean)
    assert report.patient_overlap == 0
    assert report.split_counts == {"train": 5, "test": 2}
    mixed = clean.copy()
    mixed["E1L"] = "test"  # P1 now in train and test
    report = audit_features(fs, split=mixed)
    assert report.patient_overlap == 1
    assert report.verdict == "fail"
    dropped = clean.copy()
    dropped["E1L"] = "dropped"  # dropped rows do not count as a split
    assert audit_features(fs, split=dropped).patient_overlap == 0
