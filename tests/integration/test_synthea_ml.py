"""The readmission pipeline on the real Synthea bundles (tests/fixtures, from ../shared/data).

Ten Synthea patients give two inpatient stays: one ends in death, one is kept. Every stage
must say what it cannot compute with so little, in one line, and never crash.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import init_workspace
from wardwatch.errors import InputError
from wardwatch.evaluate import evaluate_predictions
from wardwatch.features import audit_features, build_features, default_usecase_path, load_usecase
from wardwatch.ingest import ingest
from wardwatch.quality import open_engine
from wardwatch.train import temporal_split

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_synthea_through_features_audit_train_and_evaluate(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    summary = ingest(ws, [FIXTURES / "synthea", FIXTURES / "simhospital"], workers=1)
    assert summary.quarantined == 0
    usecase = load_usecase(default_usecase_path())
    with open_engine("duckdb", Lake(ws.lake_dir)) as engine:
        fs = build_features(engine, usecase)
    steps = {a.step: (a.excluded, a.remaining) for a in fs.attrition}
    # SimHospital's admissions are still in progress (no discharge): not index events
    assert steps["index events"] == (0, 2)
    assert steps["died_in_hospital"] == (1, 1)
    assert len(fs.frame) == 1  # every kept stay has its row (unknown dispositions kept)

    report = audit_features(fs)
    assert report.verdict == "pass"
    assert any("too few to score" in n for n in report.notes)

    with pytest.raises(InputError) as err:
        temporal_split(fs.frame, usecase.split)
    assert "\n" not in str(err.value)
    assert "is empty" in str(err.value)

    # evaluation of whatever predictions exist says what it cannot compute
    evaluation = evaluate_predictions(
        fs.frame["label"].to_numpy(),
        np.full(len(fs.frame), 0.2),
        patient_ids=fs.frame["patient_id"].to_numpy(),
        index_times=fs.frame["index_time"],
        subgroups={"sex": fs.frame["group_sex"].to_numpy()},
    )
    assert evaluation.auroc.value is None
    notes = " ".join(evaluation.to_dict()["notes"])
    assert "positive" in notes or "label" in notes
    assert "<script" not in evaluation.to_html()
