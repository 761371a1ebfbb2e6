"""The CHAI Applied Model Card XML: valid against schema v0.2, honest about what is missing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from tests.registry.cards.conftest import CHAI_EXAMPLE, CHAI_XSD, GENERATED_AT

from wardwatch.errors import ConfigError
from wardwatch.evaluate import EvaluationReport
from wardwatch.registry.cards import (
    CHAI_NAMESPACE,
    CHAI_SCHEMA,
    NEEDS_A_PERSON,
    CardInputs,
    ModelCard,
    validate_chai_xml,
)

NS = {"mc": CHAI_NAMESPACE}
HOSTILE = "<script>alert(1)</script> ]]> -- &amp; \x00\x07 \U0001f600"


def _text(xml: bytes, path: str) -> str:
    found = etree.fromstring(xml).xpath(f"string({path})", namespaces=NS)
    assert isinstance(found, str)
    return found


def test_the_shipped_example_validates() -> None:
    """A check of the validator itself: CHAI's own example is valid, offline."""
    assert validate_chai_xml(CHAI_EXAMPLE.read_bytes(), CHAI_XSD) == []
    assert validate_chai_xml(CHAI_EXAMPLE.read_bytes()) == []  # the packaged copy
    assert CHAI_SCHEMA.read_bytes() == CHAI_XSD.read_bytes()


def test_the_card_validates_and_carries_the_numbers(
    card: ModelCard, evaluation: EvaluationReport
) -> None:
    xml = card.to_chai_xml()
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert validate_chai_xml(xml, CHAI_XSD) == []
    assert _text(xml, "/mc:AppliedModelCard/mc:BasicInfo/mc:ModelName") == "readmission-30d"
    assert _text(xml, "//mc:ReleaseInfo/mc:ReleaseVersion") == "3"
    assert _text(xml, "//mc:ReleaseInfo/mc:ReleaseDate") == "2026-11-22"
    # required values nobody gave say so, never invent
    assert _text(xml, "//mc:ClinicalRiskLevel").startswith(NEEDS_A_PERSON)
    assert _text(xml, "//mc:ModelDeveloper").startswith(NEEDS_A_PERSON)
    assert _text(xml, "//mc:StakeholdersConsulted").startswith(NEEDS_A_PERSON)
    # optional ones nobody gave are left out
    root = etree.fromstring(xml)
    assert not root.xpath("//mc:RegulatoryApproval | //mc:EHRCompatibility", namespaces=NS)
    # metrics: JSON values, the evaluation's own numbers
    results = {
        r.findtext("mc:Label", namespaces=NS): json.loads(r.findtext("mc:ValueJson",
                                                                    namespaces=NS))
        for r in root.xpath("//mc:UsefulnessUsabilityEfficacy//mc:MetricResult", namespaces=NS)
    }  # fmt: skip
    auroc = results["AUROC"]
    assert auroc["kind"] == "ci"
    assert auroc["level"] == 0.95
    assert auroc["value"] == pytest.approx(evaluation.auroc.value, abs=1e-6)
    assert auroc["low"] == pytest.approx(evaluation.auroc.low, abs=1e-6)
    fairness = root.xpath("//mc:FairnessEquity//mc:MetricResult", namespaces=NS)
    assert len(fairness) >= 6
    slope = root.xpath("//mc:SafetyReliability//mc:MetricResult[mc:Label='Calibration slope']"
                       "/mc:ValueJson/text()", namespaces=NS)  # fmt: skip
    assert json.loads(slope[0])["value"] == pytest.approx(
        evaluation.to_dict()["calibration"]["calibration_slope"]["value"], abs=1e-6
    )


def test_statements_and_developer_fill_chai_fields(make_inputs: Callable[..., CardInputs]) -> None:
    inputs = make_inputs(
        developer={"name": "St Elsewhere", "contact": "ds@example.org"},
        statements={"clinical_risk_level": "Moderate", "regulatory_approval": "Not a device",
                    "ehr_compatibility": "Epic", "bibliography": "None yet."},
    )  # fmt: skip
    xml = ModelCard.from_inputs(inputs, generated_at=GENERATED_AT).to_chai_xml()
    assert validate_chai_xml(xml, CHAI_XSD) == []
    assert _text(xml, "//mc:ClinicalRiskLevel") == "Moderate"
    assert _text(xml, "//mc:ModelDeveloper") == "St Elsewhere"
    assert _text(xml, "//mc:RegulatoryApproval") == "Not a device"
    assert _text(xml, "//mc:EHRCompatibility/mc:EHR") == "Epic"
    assert _text(xml, "//mc:Bibliography") == "None yet."


def test_a_card_with_no_artifacts_still_validates(make_inputs: Callable[..., CardInputs]) -> None:
    inputs = make_inputs(training=None, evaluation=None, leakage=None, quality=None,
                         gates=None, approvals=(), registered_at=None)  # fmt: skip
    xml = ModelCard.from_inputs(inputs, generated_at=GENERATED_AT).to_chai_xml()
    assert validate_chai_xml(xml, CHAI_XSD) == []
    assert _text(xml, "//mc:ReleaseDate").startswith(NEEDS_A_PERSON)
    label = _text(xml, "//mc:UsefulnessUsabilityEfficacy//mc:MetricResult/mc:ValueJson")
    assert json.loads(label)["kind"] == "not_available"


def test_hostile_text_stays_text(make_inputs: Callable[..., CardInputs]) -> None:
    inputs = make_inputs(model_name="m" + HOSTILE, statements={"clinical_risk_level": HOSTILE})
    xml = ModelCard.from_inputs(inputs, generated_at=GENERATED_AT).to_chai_xml()
    assert validate_chai_xml(xml, CHAI_XSD) == []
    clean = HOSTILE.replace("\x00", "").replace("\x07", "")
    assert _text(xml, "//mc:ClinicalRiskLevel") == clean
    assert _text(xml, "//mc:ModelName") == "m" + clean
    assert b"<script>" not in xml


def test_a_broken_card_gives_readable_errors(card: ModelCard) -> None:
    root = etree.fromstring(card.to_chai_xml())
    release = root.find("mc:ReleaseInfo", NS)
    assert release is not None
    version = release.find("mc:ReleaseVersion", NS)
    assert version is not None
    release.remove(version)
    problems = validate_chai_xml(etree.tostring(root), CHAI_XSD)
    assert len(problems) == 1
    assert problems[0].startswith("line ")
    assert "Element 'GlobalAvailability': This element is not expected." in problems[0]
    assert "Expected is ( ReleaseVersion )" in problems[0]
    assert "{" not in problems[0]  # namespaces stripped for the reader

    root = etree.fromstring(card.to_chai_xml())
    etree.SubElement(root.find("mc:BasicInfo", NS), f"{{{CHAI_NAMESPACE}}}Nickname").text = "x"
    problems = validate_chai_xml(etree.tostring(root), CHAI_XSD)
    assert problems
    assert "Nickname" in problems[0]


def test_not_well_formed_xml_is_one_line() -> None:
    problems = validate_chai_xml(b"<AppliedModelCard><BasicInfo></AppliedModelCard>", CHAI_XSD)
    assert len(problems) == 1
    assert problems[0].startswith("line 1: not well-formed XML")


def test_entities_are_not_expanded() -> None:
    xml = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<AppliedModelCard xmlns="https://mc.chai.org/v0.2/schema.xsd">&e;'
           b"</AppliedModelCard>")  # fmt: skip
    assert validate_chai_xml(xml, CHAI_XSD) == [
        "line 1: a DOCTYPE is not allowed in a model card (entities are not expanded)"
    ]


def test_a_bad_schema_path_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the CHAI schema"):
        validate_chai_xml(b"<x/>", tmp_path / "missing.xsd")
    bad = tmp_path / "bad.xsd"
    bad.write_text("<notaschema/>")
    with pytest.raises(ConfigError, match="not a usable XML schema"):
        validate_chai_xml(b"<x/>", bad)
