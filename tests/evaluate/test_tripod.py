"""The TRIPOD+AI checklist: every item present, filled from computation and context."""

from __future__ import annotations

import numpy as np
import pytest

from wardwatch.errors import ConfigError
from wardwatch.evaluate import TRIPOD_CONTEXT_KEYS, evaluate_predictions
from wardwatch.evaluate._tripod import ITEMS, checklist


def test_items_are_complete_and_unique() -> None:
    ids = [item[0] for item in ITEMS]
    assert len(ids) == len(set(ids)) == 52
    assert ids[0] == "1"
    assert ids[-1] == "27c"
    assert {"5b", "12e", "14", "20a", "23a", "23b"} <= set(ids)
    assert len(TRIPOD_CONTEXT_KEYS) == len(ITEMS)


def test_filled_from_facts_context_or_needs_a_person() -> None:
    facts = {"measures": "AUROC and friends.", "sample": "100 predictions."}
    items = {i["id"]: i for i in checklist(facts, {"outcome": "30-day readmission"})}
    assert items["12e"]["status"] == "filled"
    assert items["12e"]["text"] == "AUROC and friends."
    assert items["8a"]["status"] == "filled"
    assert items["8a"]["text"].startswith("30-day readmission")
    # a computed fact that only helps: shown, but a person must still complete the item
    assert items["10"]["status"] == "needs a person"
    assert "100 predictions." in items["10"]["text"]
    assert "context key 'sample_size'" in items["10"]["text"]
    assert items["17"]["status"] == "needs a person"


def test_report_checklist_from_an_evaluation() -> None:
    rng = np.random.default_rng(2)
    n = 2000
    p = rng.beta(1, 5, n)
    y = (rng.random(n) < p).astype(int)
    report = evaluate_predictions(
        y,
        p,
        patient_ids=np.arange(n),
        subgroups={"site": np.where(np.arange(n) % 2, "A", "B")},
        config={"n_bootstrap": 40},
        context={"outcome": "Unplanned readmission within 30 days", "predictors": ["age", "LOS"]},
        model_name="readmit-v3",
    )
    items = {i["id"]: i for i in report.tripod}
    assert items["8a"]["status"] == "filled"
    assert "Unplanned readmission" in items["8a"]["text"]
    assert items["9a"]["text"].startswith("age, LOS")
    assert items["14"]["status"] == "filled"
    assert "site" in items["14"]["text"]
    assert items["6a"]["status"] == "needs a person"
    assert "site: 2 levels" in items["6a"]["text"]
    assert items["20a"]["text"].startswith(f"{n:,} predictions")
    assert items["23a"]["status"] == "filled"
    assert "AUROC 0." in items["23a"]["text"]
    assert items["5b"]["status"] == "needs a person"  # no index times given
    assert sum(i["status"] == "filled" for i in report.tripod) >= 10


def test_unknown_context_key_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown context key; field context\.outcomes"):
        evaluate_predictions([0, 1], [0.2, 0.7], patient_ids=[1, 2], context={"outcomes": "x"})
