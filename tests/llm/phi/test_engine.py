"""The analyzers load and run with no network and no spaCy model; the classes are stable."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from wardwatch.llm.phi import PHI_CLASSES, PLACEHOLDER_RE, PhiSpan, Redactor, baseline_analyzer
from wardwatch.llm.phi._engine import BASELINE_CLASS, BlankSpacyNlpEngine


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return


def test_wardwatch_redactor_builds_and_runs_offline(no_network: None) -> None:
    redactor = Redactor()
    spans = redactor.find("Mail maria.garcia@example.com or see www.example.org, Dr. Patel.")
    assert {s.cls for s in spans} == {"email", "url", "name"}


def test_baseline_builds_and_runs_offline(no_network: None) -> None:
    analyzer = baseline_analyzer()
    results = analyzer.analyze(
        "Mail maria.garcia@example.com, call 617-555-0142, SSN 078-05-1120.", language="en"
    )
    types = {r.entity_type for r in results}
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= types
    assert set(BASELINE_CLASS.values()) <= set(PHI_CLASSES)


def test_blank_pipeline_gives_tokens_and_lower_case_lemmas() -> None:
    engine = BlankSpacyNlpEngine()
    engine.load()
    art = engine.process_text("Seen by Dr. Patel", "en")
    assert [t.text for t in art.tokens] == ["Seen", "by", "Dr.", "Patel"]
    assert art.lemmas == ["seen", "by", "dr.", "patel"]
    assert art.entities == []
    fast = BlankSpacyNlpEngine(whitespace=True)  # what wardwatch's analyzer runs on
    fast.load()
    tokens = [t.text for t in fast.process_text("Seen by Dr. Patel, MD.", "en").tokens]
    assert tokens == ["Seen", "by", "Dr.", "Patel,", "MD."]


def test_classes_and_placeholders() -> None:
    assert len(PHI_CLASSES) == 19
    assert len(set(PHI_CLASSES)) == 19
    assert PHI_CLASSES[0] == "name"
    assert PHI_CLASSES[-1] == "other_id"
    for cls in PHI_CLASSES:
        assert PLACEHOLDER_RE.fullmatch(f"[{cls.upper()}_12]")
    assert not PLACEHOLDER_RE.fullmatch("[PATIENT_1]")
    with pytest.raises(ValueError, match="unknown PHI class"):
        PhiSpan(0, 1, "person", "x")
    with pytest.raises(ValueError, match="length"):
        PhiSpan(0, 3, "name", "x")


def test_default_is_shared() -> None:
    assert Redactor.default() is Redactor.default()
