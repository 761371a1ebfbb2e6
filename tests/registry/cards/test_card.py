"""The model card as JSON and as one self-contained HTML page."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import orjson
from tests.registry.cards.conftest import GENERATED_AT, PATIENT_ID, PLANTED, all_text
from tests.report._html import parse

from wardwatch.registry.cards import CardInputs, ModelCard, normalize_approvals, normalize_gates
from wardwatch.report import render_model_card_html

SCRIPT = "<script>alert(1)</script>"


def test_the_page_is_self_contained_and_well_formed(card: ModelCard) -> None:
    page = card.to_html()
    doc = parse(page)
    assert doc.errors == []
    assert doc.stack == []
    assert "script" not in doc.tags
    assert "link" not in doc.tags
    assert "img" not in doc.tags
    assert "default-src 'none'" in page
    for tag, attr, value in doc.attrs:  # nothing is fetched: no src, no external href
        assert attr not in ("src", "srcset"), tag
        assert not (attr == "href" and value and not value.startswith("#")), value
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "@import" not in page


def test_the_page_shows_the_attributes_numbers_gates_and_approvals(card: ModelCard) -> None:
    page = card.to_html()
    text = " ".join(parse(page).text)
    # 31 attribute rows, each with its badge
    assert page.count('class="badge status-passed">filled<') == card.filled
    assert page.count('class="badge status-errored">needs a person<') == 31 - card.filled
    assert f"{card.filled} / 31" in text
    d = card.to_dict()
    auroc = next(m for m in d["evaluation"]["headline"] if m["key"] == "auroc")
    assert auroc["text"] in text
    assert f"{auroc['value']:.3f}" in text
    # gates: every status as words, not only colour
    assert "Gates: FAIL" in text
    for status in ("passed", "failed", "not-evaluable"):
        assert f">{status}</span>" in page
    assert "bob" in text
    assert "reviewed the card" in text
    assert d["lineage"]["dataset_fingerprint"] in text


def test_hostile_strings_are_escaped(make_inputs: Callable[..., CardInputs]) -> None:
    inputs = make_inputs(
        model_name=f"m{SCRIPT}",
        statements={"intended_users": SCRIPT, "clinical_risk_level": SCRIPT},
        developer={"name": SCRIPT, "contact": '"><img src=x onerror=alert(1)>'},
        approvals=[{"by": SCRIPT, "decision": "approve", "comment": SCRIPT}],
        gates={"verdict": "pass", "checks": [{"check": SCRIPT, "status": SCRIPT,
                                              "message": SCRIPT}]},
    )  # fmt: skip
    card = ModelCard.from_inputs(inputs, generated_at=GENERATED_AT)
    page = card.to_html()
    doc = parse(page)
    assert doc.errors == []
    assert "script" not in doc.tags
    assert "img" not in doc.tags
    assert SCRIPT not in page
    assert "&lt;script&gt;" in page
    assert any(SCRIPT in t for t in doc.text)  # shown as text
    frame = card._repr_html_()
    assert frame.startswith("<iframe srcdoc=")
    assert 'sandbox=""' in frame
    assert "<script>" not in frame


def test_the_json_is_plain_data(card: ModelCard) -> None:
    d = json.loads(card.to_json())
    assert d["kind"] == "model-card"
    assert d["format"] == "wardwatch.model-card/1"
    assert d["generated_at"] == GENERATED_AT
    assert d["model"] == {
        "name": "readmission-30d", "version": "3", "status": "approved",
        "aliases": ["staging"], "registered_by": "alice",
        "registered_at": "2026-11-22T10:00:00+00:00", "usecase": "readmission-30d",
        "description": d["model"]["description"], "candidate": "logreg",
        "family": "logistic_regression", "params": {"C": 1.0, "max_iter": 1000,
                                                    "random_state": 0},
    }  # fmt: skip
    assert len(d["hti1"]["attributes"]) == 31
    assert d["hti1"]["filled"] + d["hti1"]["needs_a_person"] == 31
    assert d["gates"]["verdict"] == "fail"
    assert [c["status"] for c in d["gates"]["checks"]] == ["passed", "failed", "not-evaluable"]
    assert d["approvals"][0]["approver"] == "bob"
    assert d["quality"] == {"verdict": "pass", "contract": "default",
                            "as_of": "2026-11-20T00:00:00+00:00",
                            "summary": d["quality"]["summary"]}  # fmt: skip
    assert d["training"]["candidates"]["lgbm"]["validation_auroc"] == 0.69
    assert d == orjson.loads(orjson.dumps(d))


def test_the_same_inputs_give_the_same_bytes(make_inputs: Callable[..., CardInputs]) -> None:
    a = ModelCard.from_inputs(make_inputs(), generated_at=GENERATED_AT)
    b = ModelCard.from_inputs(make_inputs(), generated_at=GENERATED_AT)
    assert (a.to_json(), a.to_html(), a.to_chai_xml()) == (b.to_json(), b.to_html(),
                                                           b.to_chai_xml())  # fmt: skip


def test_save_writes_three_files_and_no_patient_id(card: ModelCard, tmp_path: Path) -> None:
    paths = card.save(tmp_path / "out")
    assert sorted(paths) == ["html", "json", "xml"]
    assert paths["json"].name == "model-card-readmission-30d-v3.json"
    assert all(p.exists() and p.stat().st_size > 1000 for p in paths.values())
    everything = all_text(tmp_path / "out")
    assert not PATIENT_ID.search(everything)  # the evaluation's ids never reach the card
    assert PLANTED not in everything  # nor a planted one in gate evidence, approvals, rows


def test_a_minimal_card_renders(make_inputs: Callable[..., CardInputs]) -> None:
    inputs = make_inputs(training=None, evaluation=None, leakage=None, quality=None,
                         gates=None, approvals=())  # fmt: skip
    page = ModelCard.from_inputs(inputs, generated_at=GENERATED_AT).to_html()
    assert parse(page).errors == []
    assert "No evaluation report was given" in page
    assert "No approval decision yet" in page
    assert render_model_card_html(json.loads(ModelCard.from_inputs(inputs).to_json()))


def test_gate_and_approval_spellings_are_normalized() -> None:
    g = normalize_gates({"passed": True, "results": [{"name": "a", "passed": False,
                                                      "detail": "why"}]})  # fmt: skip
    assert g == {"verdict": "pass", "policy": None, "policy_sha256": None,
                 "checks": [{"name": "a", "status": "fail", "message": "why",
                             "evidence": None, "bounds": None}]}  # fmt: skip
    assert normalize_gates(None) is None
    (a,) = normalize_approvals([{"actor": "x", "when": "t", "status": "rejected",
                                 "reason": "r"}])  # fmt: skip
    assert a == {"approver": "x", "role": None, "at": "t", "decision": "rejected",
                 "comment": "r"}  # fmt: skip
