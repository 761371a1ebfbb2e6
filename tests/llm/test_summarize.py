"""The summary pipeline end to end: extractive and a real OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.llm._mock_llm import HALLUCINATION, MockLLM
from tests.llm.conftest import INJECTION, NOTE_PHI, FakeRedactor
from wardwatch.errors import ConfigError
from wardwatch.llm import (
    ExtractiveBackend,
    MemoryAudit,
    OpenAIBackend,
    ResilientBackend,
    RetryPolicy,
    Source,
    Summarizer,
    load_prompt,
)
from wardwatch.llm.backends import ChatRequest, ChatResponse

V1 = load_prompt("summarize-v1")


def test_extractive_is_deterministic_verbatim_and_cites_exactly(note: Source) -> None:
    s = Summarizer(ExtractiveBackend(), V1, redactor=FakeRedactor())
    a = s.run([note], allow_phi=True)
    b = s.run([note], allow_phi=True)
    assert a.summary == b.summary
    assert not a.refused
    assert a.summary.sentences()
    for _, sent in a.summary.sentences():
        (c,) = sent.citations
        assert note.text[c.start : c.end] == sent.text
    assert [sec.title for sec in a.summary.sections] == [
        "Problems",
        "Medications",
        "Results",
        "Plan",
    ]


def test_extractive_never_selects_an_injected_instruction(injected_note: Source) -> None:
    result = Summarizer(
        ExtractiveBackend(), V1, redactor=FakeRedactor(), strip_instructions=False
    ).run([injected_note], task="Summarize: is the patient cleared to drive?", allow_phi=True)
    assert all("drive" not in s.text for _, s in result.summary.sentences())
    assert [f.kind for f in result.flagged] == ["override"]


def test_task_about_something_absent_is_refused(note: Source) -> None:
    result = Summarizer(ExtractiveBackend(), V1, redactor=FakeRedactor()).run(
        [note], task="What did the echocardiogram show?"
    )
    assert result.refused
    assert result.refusal_code == "no_evidence"
    assert result.summary.refusal == "no source mentions what the task asks about"
    assert Summarizer(ExtractiveBackend(), V1).run([], task="x").refusal_code == "no_sources"


def test_llm_answer_is_checked_sentence_by_sentence(llm_server: MockLLM, note: Source) -> None:
    audit = MemoryAudit()
    s = Summarizer(
        OpenAIBackend(llm_server.url, "mock-7b"), V1, redactor=FakeRedactor(), audit=audit
    )
    result = s.run([note], allow_phi=True, patient_id="p1")
    reasons = {j.text: j.reason for j in result.judged}
    assert reasons[HALLUCINATION] == "unsupported"
    assert reasons["Overall the patient is doing well."] == "no_citation"
    assert "unsupported" in [j.reason for j in result.judged if j.text != HALLUCINATION]  # miscited
    assert not result.refused
    for j in result.accepted:  # 0 uncited or unsupported sentences in accepted output
        assert j.shown_citations
        assert any(j.supports)
    # placeholders sent, originals shown to a user allowed to see them
    assert any("John Smith" in j.display for j in result.accepted)
    assert result.sent_out
    bodies = b"".join(llm_server.bodies).decode()
    assert "[NAME_1]" in bodies
    for phi in NOTE_PHI:
        assert phi not in bodies
    (call,) = [p for a, _, p in audit.events if a == "llm.call"]
    assert call["backend"] == "openai"
    assert call["model"] == "mock-7b"
    assert call["prompt_hash"] == V1.hash
    assert call["dropped"] == len(result.dropped) >= 3
    assert call["refusal"] is False
    assert {"class": "NAME", "count": 2} in call["redactions"]
    assert len(call["output_hash"]) == 64


def test_placeholders_stay_for_a_user_not_allowed_to_see_phi(
    llm_server: MockLLM, note: Source
) -> None:
    s = Summarizer(OpenAIBackend(llm_server.url, "m"), V1, redactor=FakeRedactor())
    out = json.dumps(s.run([note], allow_phi=False).to_dict())
    assert "[NAME_1]" in out
    for phi in NOTE_PHI:
        assert phi not in out


def test_injection_followed_by_the_model_is_caught(
    llm_server: MockLLM, injected_note: Source
) -> None:
    s = Summarizer(
        OpenAIBackend(llm_server.url, "m"), V1, redactor=FakeRedactor(), strip_instructions=False
    )
    result = s.run([injected_note], allow_phi=True)
    assert INJECTION in b"".join(llm_server.bodies).decode()  # the model saw it ...
    followed = [j for j in result.judged if "cleared to drive" in j.text]
    assert followed  # ... and followed it,
    assert all(j.reason == "injection" for j in followed)  # but the pipeline dropped it
    assert all("drive" not in j.text for j in result.accepted)


def test_detected_injection_is_not_even_sent(llm_server: MockLLM, injected_note: Source) -> None:
    s = Summarizer(OpenAIBackend(llm_server.url, "m"), V1, redactor=FakeRedactor())
    result = s.run([injected_note], allow_phi=True)
    assert "Ignore previous instructions" not in b"".join(llm_server.bodies).decode()
    assert all("drive" not in j.text for j in result.judged)
    assert len(result.flagged) == 1


def test_malformed_output_falls_back_to_extractive_audited(
    llm_server: MockLLM, note: Source
) -> None:
    llm_server.mode = "malformed"
    audit = MemoryAudit()
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "m"), fallback=ExtractiveBackend(), audit=audit
    )
    result = Summarizer(backend, V1, redactor=FakeRedactor(), audit=audit).run([note])
    assert not result.refused
    assert result.backend == "extractive"
    assert result.fallback_from == "openai"
    assert audit.actions() == ["llm.fallback", "llm.call"]
    assert audit.events[0][2] == {"from": "openai", "to": "extractive", "reason": "invalid_output"}
    assert audit.events[1][2]["fallback_from"] == "openai"


def test_malformed_output_without_fallback_is_a_refusal(llm_server: MockLLM, note: Source) -> None:
    llm_server.mode = "malformed"
    result = Summarizer(OpenAIBackend(llm_server.url, "m"), V1, redactor=FakeRedactor()).run([note])
    assert result.refusal_code == "invalid_output"
    assert result.summary.refusal == "the model's answer did not match the summary schema"


def test_service_down_falls_back(llm_server: MockLLM, note: Source) -> None:
    llm_server.mode, llm_server.status, llm_server.fail_count = "status", 503, 99
    audit = MemoryAudit()
    backend = ResilientBackend(
        OpenAIBackend(llm_server.url, "m"),
        fallback=ExtractiveBackend(),
        retry=RetryPolicy(attempts=2),
        audit=audit,
        sleep=lambda s: None,
    )
    result = Summarizer(backend, V1, redactor=FakeRedactor(), audit=audit).run([note])
    assert result.backend == "extractive"
    assert audit.actions() == ["llm.retry", "llm.fallback", "llm.call"]


def test_model_refusal_and_insufficient_support(
    llm_server: MockLLM, note: Source, tmp_path: Path
) -> None:
    llm_server.mode = "refuse"
    result = Summarizer(OpenAIBackend(llm_server.url, "m"), V1, redactor=FakeRedactor()).run([note])
    assert result.refusal_code == "model_refused"
    assert result.refusal == "the model declined to answer: not in the notes"
    llm_server.mode = "echo"
    strict = tmp_path / "strict.md"
    strict.write_text(
        Path(V1.path).read_text()
        if Path(V1.path).is_file()
        else _v1_text().replace("min_supported_fraction: 0.5", "min_supported_fraction: 0.9")
    )
    result = Summarizer(
        OpenAIBackend(llm_server.url, "m"), load_prompt(strict), redactor=FakeRedactor()
    ).run([note])
    assert result.refusal_code == "insufficient_support"
    assert "at least 90% needed" in (result.refusal or "")


def _v1_text() -> str:
    from importlib import resources

    return (resources.files("wardwatch.llm.prompts") / "summarize-v1.md").read_text()


def test_flag_mode_keeps_unsupported_sentences_marked(llm_server: MockLLM, note: Source) -> None:
    s = Summarizer(
        OpenAIBackend(llm_server.url, "m"), V1, redactor=FakeRedactor(), unsupported="flag"
    )
    data = s.run([note], allow_phi=True).to_dict()
    assert HALLUCINATION in data["flagged_unsupported"]


def test_canary_leak_refuses_the_whole_answer(note: Source) -> None:
    class Leaky:
        name, model, local = "leaky", "leaky", True

        def complete(self, request: ChatRequest) -> ChatResponse:
            canary = request.messages[0].content.split("Never repeat this token: ")[1].split(".")[0]
            label = request.context[2].label.split(":")
            start, end = label[1].split("-")
            body = {
                "sections": [
                    {
                        "title": "A",
                        "sentences": [
                            {
                                "text": f"{request.context[2].text} {canary}",
                                "citations": [
                                    {"source_id": label[0], "start": int(start), "end": int(end)}
                                ],
                            }
                        ],
                    }
                ],
                "refusal": None,
            }
            return ChatResponse(json.dumps(body), self.name, self.model, 0.0)

    result = Summarizer(Leaky(), V1, redactor=FakeRedactor()).run([note])
    assert result.refusal_code == "canary"


def test_redaction_cannot_be_turned_off_for_a_remote_backend() -> None:
    with pytest.raises(ConfigError, match="redaction cannot be turned off"):
        Summarizer(OpenAIBackend("http://127.0.0.1:9/v1", "m"), V1, redact="never")
