"""The 31 HTI-1 source attributes: all there, each filled or needing a person, real numbers."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.registry.cards.conftest import GENERATED_AT, TRAINING

from wardwatch.errors import ConfigError
from wardwatch.evaluate import EvaluationReport
from wardwatch.features import UseCase
from wardwatch.registry.cards import (
    GROUPS,
    HTI1_ATTRIBUTES,
    NEEDS_A_PERSON,
    STATEMENT_KEYS,
    Attribute,
    CardInputs,
    ModelCard,
    hti1_attributes,
    load_statements,
)

# The rule's nine groups and how many attributes each has: 4+4+2+4+2+4+5+4+2 = 31.
GROUP_SIZES = {1: 4, 2: 4, 3: 2, 4: 4, 5: 2, 6: 4, 7: 5, 8: 4, 9: 2}
ROMAN = ["i", "ii", "iii", "iv", "v"]


def _by_key(attrs: list[Attribute]) -> dict[str, Attribute]:
    return {a.key: a for a in attrs}


def test_exactly_31_attributes_in_the_rules_nine_groups() -> None:
    assert len(HTI1_ATTRIBUTES) == 31
    assert len({a.key for a in HTI1_ATTRIBUTES}) == 31
    assert len({a.name for a in HTI1_ATTRIBUTES}) == 31
    assert len({a.short for a in HTI1_ATTRIBUTES}) == 31
    assert Counter(a.group for a in HTI1_ATTRIBUTES) == GROUP_SIZES
    assert set(GROUPS) == set(GROUP_SIZES)
    # paragraph numbers run (1)(i), (1)(ii), ... in order, with no gap
    expected = [f"({g})({ROMAN[k]})" for g, n in GROUP_SIZES.items() for k in range(n)]
    assert [a.ref for a in HTI1_ATTRIBUTES] == expected
    # statements can be given for each attribute, by the same key
    assert [a.key for a in HTI1_ATTRIBUTES] == list(STATEMENT_KEYS[:31])
    for a in HTI1_ATTRIBUTES:
        assert a.description.endswith(".")
        assert a.why


def test_the_rules_wording_of_some_attributes() -> None:
    names = {a.key: a.name for a in HTI1_ATTRIBUTES}
    assert names["developer"] == "Name and contact information for the intervention developer"
    assert names["validity_internal"] == (
        "Validity of intervention in test data derived from the same source as the initial "
        "training data"
    )
    assert names["local_fairness"] == "Fairness of intervention in local data"
    assert GROUPS[9] == "Update and continued validation or fairness assessment schedule"


def test_every_attribute_is_filled_or_needs_a_person_with_text(
    make_inputs: Callable[..., CardInputs],
) -> None:
    attrs = hti1_attributes(make_inputs())
    assert len(attrs) == 31
    for a in attrs:
        assert a.status in ("filled", "needs a person")
        assert a.text.strip()
        if a.filled:
            assert not a.text.startswith(NEEDS_A_PERSON), a.key
            assert a.source != "none"
        else:
            assert a.text == f"{NEEDS_A_PERSON}: {a.spec.why}.", a.key
            assert a.why
            assert a.source == "none"
    status = {a.key: a.status for a in attrs}
    for key in ("output_value", "output_type", "intended_use", "patient_population",
                "out_of_scope", "known_risks", "inclusion_exclusion", "demographic_variables",
                "demographic_representativeness", "fairness_approach", "validity_internal",
                "fairness_internal"):  # fmt: skip
        assert status[key] == "filled", key
    for key in ("developer", "funding", "intended_users", "decision_role",
                "external_data_source", "external_party", "validity_external",
                "outcome_references", "update_process", "correction_frequency"):  # fmt: skip
        assert status[key] == "needs a person", key


def _f3(x: float) -> str:
    return f"{x:.3f}"


def test_filled_attributes_carry_the_evaluations_numbers(
    make_inputs: Callable[..., CardInputs], evaluation: EvaluationReport
) -> None:
    a = _by_key(hti1_attributes(make_inputs()))
    auroc = evaluation.auroc
    assert auroc.value is not None
    assert auroc.low is not None
    assert auroc.high is not None
    validity = a["validity_internal"].text
    assert f"AUROC {_f3(auroc.value)} (95% CI {_f3(auroc.low)}–{_f3(auroc.high)})" in validity
    slope = evaluation.calibration["calibration_slope"]["value"]
    assert f"Calibration slope {_f3(slope)}" in validity
    assert "900 predictions for 450 patients" in validity

    # fairness: every shown level's AUROC ratio to overall, as the report computed it
    fairness = a["fairness_internal"].text
    d = evaluation.to_dict()
    shown = 0
    for group in d["subgroups"]:
        for lv in group["levels"]:
            if lv["suppressed"]:
                continue
            ratio = lv["disparity"]["auroc"]["value"]
            assert f"ratio to overall {ratio:.2f}" in fairness
            assert f"(n={lv['predictions']:,})" in fairness
            shown += 1
    assert shown >= 6

    # representativeness: the counts of each demographic level, race named by its code
    rep = a["demographic_representativeness"].text
    sex = next(g for g in d["subgroups"] if g["attribute"] == "sex")
    for lv in sex["levels"]:
        assert f"{lv['level']} {lv['predictions']:,}" in rep
    assert "White (2106-3)" in rep
    assert "site" not in rep.split("held-out")[0]

    # the cohort and the split, from the use case and the training run
    assert "aged 18 or older" in a["patient_population"].text
    assert "1,800 index events of 1,100 patients" in a["inclusion_exclusion"].text
    variables = a["demographic_variables"].text
    assert "sex: feature 'sex'" in variables
    assert "date of birth" in variables
    assert variables.split("Not used")[1].startswith(" as input features: race, ethnicity")


def test_without_an_evaluation_the_measured_attributes_need_a_person(
    make_inputs: Callable[..., CardInputs],
) -> None:
    a = _by_key(hti1_attributes(make_inputs(evaluation=None, training=None)))
    for key in ("validity_internal", "fairness_internal", "demographic_representativeness",
                "known_risks", "fairness_approach"):  # fmt: skip
        assert a[key].status == "needs a person", key
    assert a["patient_population"].filled  # the use case alone says who is scored


def test_statements_fill_what_needs_a_person_and_add_to_measured_text(
    make_inputs: Callable[..., CardInputs],
) -> None:
    inputs = make_inputs(
        statements={"intended_users": "Transitional-care nurses.",
                    "validity_internal": "Reviewed by the model board."},
        developer={"name": "St Elsewhere Data Science", "contact": "ds@example.org",
                   "funding": "Hospital operating budget."},
    )  # fmt: skip
    a = _by_key(hti1_attributes(inputs))
    assert (a["intended_users"].status, a["intended_users"].text) == (
        "filled", "Transitional-care nurses.")  # fmt: skip
    assert a["intended_users"].source == "person"
    assert a["validity_internal"].text.startswith("On the held-out temporal test split")
    assert a["validity_internal"].text.endswith("Reviewed by the model board.")
    assert a["validity_internal"].source == "evaluation report + person"
    assert a["developer"].text == "St Elsewhere Data Science; contact: ds@example.org."
    assert a["funding"].filled


def test_a_race_feature_is_reported_as_a_demographic_input(usecase: UseCase) -> None:
    doc = usecase.model_dump()
    doc["features"].append({"name": "race", "kind": "demographic", "field": "race"})
    inputs = CardInputs(model_name="m", version=1, usecase=doc)
    text = _by_key(hti1_attributes(inputs))["demographic_variables"].text
    used, unused = text.split("Not used")
    assert "race: feature 'race'" in used
    assert "race" not in unused


def test_bad_statements_and_developer_keys_are_one_line_errors(usecase: UseCase) -> None:
    with pytest.raises(ConfigError, match=r"unknown card statements key.*intended_user\b"):
        CardInputs(model_name="m", version="1", usecase=usecase,
                   statements={"intended_user": "x"})  # fmt: skip
    with pytest.raises(ConfigError, match="card developer values are text"):
        CardInputs(model_name="m", version="1", usecase=usecase, developer={"name": 3})  # type: ignore[dict-item]
    with pytest.raises(ConfigError, match="needs a model name"):
        CardInputs(model_name=" ", version="1", usecase=usecase)


def test_statements_load_from_yaml(tmp_path: Path) -> None:
    good = tmp_path / "card.yaml"
    good.write_text("intended_users: Discharge nurses\nclinical_risk_level: moderate\n")
    assert load_statements(good) == {"intended_users": "Discharge nurses",
                                     "clinical_risk_level": "moderate"}  # fmt: skip
    bad = tmp_path / "bad.yaml"
    bad.write_text("intended_user: x\n")
    with pytest.raises(ConfigError) as err:
        load_statements(bad)
    assert "\n" not in str(err.value)
    assert str(bad) in str(err.value)
    with pytest.raises(ConfigError, match="cannot read card statements"):
        load_statements(tmp_path / "missing.yaml")


def _registry_record(usecase: UseCase) -> dict[str, Any]:
    """A version record shaped like the registry's ``ModelVersion.to_dict()``."""
    return {
        "name": "readmission-30d", "version": 4, "status": "gates-passed",
        "registered_by": "carol", "registered_at": "2026-11-22T12:00:00+00:00",
        "gate": {"policy": "default", "verdict": "pass", "checks": []},
        "lineage": {
            "format": "wardwatch-lineage-v1", "usecase": "readmission-30d", "model": "lgbm",
            "family": "lightgbm",
            "mlflow": {"run_id": "run-4", "model_uri": "models:/m-4", "experiment_id": "2"},
            "dataset": {"fingerprint": "fe" * 32, "provenance_sha256": "dc" * 32},
            "code": {"version": "abc123", "dirty": True},
            "environment": {"python": "3.11.7"},
            "usecase_spec": {"sha256": "00", "spec": usecase.model_dump(mode="json")},
            "split": TRAINING["split"],
            "params": {"model.n_estimators": 300},
            "metrics": {"validation_auroc": 0.7},
        },
    }  # fmt: skip


def test_inputs_from_a_registry_record(usecase: UseCase) -> None:
    inputs = CardInputs.from_registry(_registry_record(usecase), aliases=["champion"])
    assert (inputs.model_name, inputs.version, inputs.status) == (
        "readmission-30d", "4", "gates-passed")  # fmt: skip
    assert inputs.usecase == usecase
    assert inputs.lineage_value("dataset_fingerprint") == "fe" * 32
    assert inputs.lineage_value("run_id") == "run-4"
    assert inputs.lineage_value("code_dirty") is True
    assert inputs.model_entry is not None
    assert inputs.model_entry["params"] == {"n_estimators": 300}
    assert inputs.gates is not None
    assert inputs.gates["verdict"] == "pass"
    card = ModelCard.from_inputs(inputs, generated_at=GENERATED_AT).to_dict()
    assert card["model"]["family"] == "lightgbm"
    assert card["model"]["aliases"] == ["champion"]
    assert card["lineage"]["model_uri"] == "models:/m-4"
    assert card["training"]["split"]["splits"]["train"]["rows"] == 1800
    with pytest.raises(ConfigError, match="holds no use case"):
        CardInputs.from_registry({"name": "x", "version": 1, "lineage": {}})


def test_no_patient_id_reaches_the_attributes(make_inputs: Callable[..., CardInputs]) -> None:
    text = " ".join(a.text + (a.facts or "") for a in hti1_attributes(make_inputs()))
    assert not re.search(r"pt-\d{4}", text)
    assert "PLANTED" not in text
