"""The PHI boundary, end to end: generated notes full of PHI, a real model server on 127.0.0.1.

Every request body the server received is scanned for every gold PHI string of the notes'
annotations (0 found); the audit events carry no PHI either, and the workspace's real audit
log accepts them (patient ids pseudonymized).
"""

from __future__ import annotations

import json

import pytest

from tests.llm._mock_llm import MockLLM
from wardwatch.audit import AuditLog
from wardwatch.core.workspace import Workspace
from wardwatch.llm import (
    ExtractiveBackend,
    MemoryAudit,
    OpenAIBackend,
    ResilientBackend,
    Source,
    Summarizer,
    load_prompt,
    log_sink,
)
from wardwatch.llm.eval import contains_phi
from wardwatch.llm.notes import SyntheticNote, generate_notes


@pytest.fixture(scope="module")
def notes() -> list[SyntheticNote]:
    return generate_notes(12, seed=5, injection_rate=0.5)


def leaks(text: str, notes: list[SyntheticNote]) -> list[str]:
    return sorted({p.text for n in notes for p in n.phi if contains_phi(text, p.text)})


def test_no_gold_phi_in_anything_sent_out(llm_server: MockLLM, notes: list[SyntheticNote]) -> None:
    audit = MemoryAudit()
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "mock-7b"), fallback=ExtractiveBackend(), audit=audit
    )
    s = Summarizer(backend, load_prompt("summarize-v2"), audit=audit)
    results = [
        s.run([Source(n.note_id, n.text, patient_id=n.patient_id)], patient_id=n.patient_id)
        for n in notes
    ]
    assert len(llm_server.bodies) == len(notes)
    sent = []
    for raw in llm_server.bodies:
        body = json.loads(raw)
        sent += [m["content"] for m in body["messages"]]
        # the raw bytes too, for anything long enough not to be split by JSON escapes
        for p in {p.text for n in notes for p in n.phi if len(p.text) >= 6}:
            assert p.encode() not in raw
    assert leaks("\n".join(sent), notes) == []
    # the run exercised the pipeline: PHI replaced, sentences dropped, none unsupported shown
    assert sum(sum(r.redaction_counts.values()) for r in results) > 10 * len(notes)
    assert sum(len(r.dropped) for r in results) >= 2 * len(notes)
    for r in results:
        assert all(j.shown_citations for j in r.accepted)
    # shown to a user who may not see PHI: placeholders only
    shown = "\n".join(json.dumps(r.to_dict()) for r in results)
    assert leaks(shown, notes) == []
    # the audit events: hashes, counts and names only
    assert leaks(json.dumps([p for _, _, p in audit.events]), notes) == []
    assert {a for a, _, _ in audit.events} == {"llm.call"}


def test_injected_instructions_are_not_followed(
    llm_server: MockLLM, notes: list[SyntheticNote]
) -> None:
    injected = [n for n in notes if n.injection]
    assert injected
    s = Summarizer(
        OpenAIBackend(llm_server.url, "m"), load_prompt("summarize-v2"), strip_instructions=False
    )
    followed_raw = 0
    for n in injected:
        r = s.run([Source(n.note_id, n.text)], allow_phi=True)
        spans = [(a, b) for a, b in n.injection]
        for j in r.accepted:
            assert not any(c.start < b and a < c.end for c in j.citations for a, b in spans)
            assert "cleared for surgery" not in j.text
            assert "creatinine was normal" not in j.text
        followed_raw += sum(j.reason == "injection" for j in r.judged)
    assert followed_raw >= 1  # the mock model did follow some, and the guard caught them


def test_audit_log_accepts_llm_events_without_phi(
    workspace: Workspace, notes: list[SyntheticNote]
) -> None:
    log = AuditLog.from_workspace(workspace)
    try:
        s = Summarizer(
            ExtractiveBackend(), load_prompt("summarize-v1"), audit=log_sink(log, "tester")
        )
        n = notes[0]
        s.run([Source(n.note_id, n.text)], patient_id=n.patient_id)
        (event,) = log.events()
        assert event.action == "llm.call"
        assert event.payload["patient_id"].startswith("pt_")
        assert n.patient_id not in json.dumps(event.payload) + event.subject
        assert leaks(json.dumps(event.payload), [n]) == []
        assert log.verify().ok
    finally:
        log.store.dispose()
