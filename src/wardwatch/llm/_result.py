"""What a summary run returns: the accepted answer, what was dropped and why, and the evidence.

:class:`SummaryResult` keeps two views apart. ``judged`` holds every sentence the model wrote,
restored to the original wording, with its verdict: it may hold PHI and never leaves the
process. ``to_dict`` (the ``--json`` output), ``to_text`` and ``summary`` show the *display*
text: PHI restored only when the user may see it, placeholders otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wardwatch.llm.guard import InstructionFlag
from wardwatch.llm.schema import Citation, Section, Sentence, Summary

__all__ = ["DROP_REASONS", "REFUSAL_CODES", "JudgedSentence", "SummaryResult"]

REFUSAL_CODES = {
    "no_sources": "there is no source text to summarize",
    "no_evidence": "no source mentions what the task asks about",
    "invalid_output": "the model's answer did not match the summary schema",
    "model_refused": "the model declined to answer",
    "canary": "the model's answer leaked its instructions",
    "unsupported": "no sentence of the answer was supported by its citations",
    "insufficient_support": "too few sentences of the answer were supported by their citations",
}
"""Why an answer is a refusal (codes in audit events and metrics; text for people)."""

DROP_REASONS = {
    "no_citation": "cites nothing",
    "bad_citation": "cites a source or span that does not exist",
    "unsupported": "its citations do not support it",
    "injection": "carries out an instruction found inside a note",
    "instruction_like": "is itself an instruction, not a fact",
    "canary": "leaks the system prompt",
}
"""Why a sentence was removed from (or flagged in) the answer."""


@dataclass(frozen=True)
class JudgedSentence:
    """One sentence of the model's answer and the verdict on it.

    ``text`` is restored to the original wording (may hold PHI; internal only); ``display``
    is what a user sees. ``citations`` are the valid ones, mapped to real source ids;
    ``supports[i]`` says whether ``citations[i]`` supports the sentence on its own (or
    together with the others: see :mod:`wardwatch.llm.support`). ``reason`` is a key of
    :data:`DROP_REASONS` for a rejected sentence, None for an accepted one.
    """

    section: str
    text: str
    display: str
    citations: tuple[Citation, ...]
    supports: tuple[bool, ...]
    reason: str | None = None
    invalid_citations: int = 0

    @property
    def accepted(self) -> bool:
        return self.reason is None

    @property
    def shown_citations(self) -> tuple[Citation, ...]:
        """The citations shown with an accepted sentence: those that support it."""
        return tuple(c for c, ok in zip(self.citations, self.supports, strict=True) if ok)


@dataclass(frozen=True)
class SummaryResult:
    """The outcome of one summary run (see the module docstring)."""

    judged: tuple[JudgedSentence, ...]
    refusal_code: str | None
    refusal: str | None
    prompt_id: str
    prompt_hash: str
    backend: str
    model: str
    input_hash: str
    output_hash: str
    latency_s: float
    redaction_counts: Mapping[str, int] = field(default_factory=dict)
    fallback_from: str | None = None
    flagged: tuple[InstructionFlag, ...] = ()
    outbound: tuple[str, ...] = ()
    sent_out: bool = False
    flag_unsupported: bool = False
    phi_shown: bool = False

    @property
    def refused(self) -> bool:
        return self.refusal_code is not None

    @property
    def accepted(self) -> tuple[JudgedSentence, ...]:
        """The sentences the user sees (none when refused)."""
        if self.refused:
            return ()
        if self.flag_unsupported:
            return tuple(j for j in self.judged if j.reason in (None, "unsupported", "no_citation"))
        return tuple(j for j in self.judged if j.accepted)

    @property
    def dropped(self) -> tuple[JudgedSentence, ...]:
        """The sentences removed from the answer, each with its ``reason`` (a refusal's
        supported sentences are withheld with it, not listed here)."""
        shown = {id(j) for j in self.accepted}
        return tuple(j for j in self.judged if j.reason is not None and id(j) not in shown)

    @property
    def summary(self) -> Summary:
        """The answer as shown: sections of accepted sentences, or the refusal."""
        if self.refused:
            return Summary(sections=[], refusal=self.refusal)
        sections: dict[str, list[Sentence]] = {}
        for j in self.accepted:
            cites = j.shown_citations if j.accepted else j.citations
            sections.setdefault(j.section, []).append(
                Sentence(text=j.display, citations=list(cites))
            )
        return Summary(sections=[Section(title=t, sentences=s) for t, s in sections.items()])

    def to_dict(self) -> dict[str, Any]:
        """The display view as plain data (``--json``): no restored PHI unless allowed."""
        return {
            "summary": self.summary.model_dump(),
            "refused": self.refused,
            "refusal_code": self.refusal_code,
            "flagged_unsupported": [j.display for j in self.accepted if not j.accepted],
            "dropped": [
                {"section": j.section, "text": j.display, "reason": j.reason} for j in self.dropped
            ],
            "instructions_flagged": [
                {"source_id": f.source_id, "start": f.start, "end": f.end, "kind": f.kind}
                for f in self.flagged
            ],
            "prompt": self.prompt_id,
            "prompt_hash": self.prompt_hash,
            "backend": self.backend,
            "model": self.model,
            "fallback_from": self.fallback_from,
            "redaction_counts": dict(self.redaction_counts),
            "sent_out": self.sent_out,
            "phi_shown": self.phi_shown,
            "output_hash": self.output_hash,
            "latency_s": round(self.latency_s, 4),
        }

    def to_text(self, cite: Callable[[Citation], str] | None = None) -> str:
        """The answer for a terminal: sections, sentences with ``[source start-end]`` marks."""
        fmt = cite or (lambda c: f"[{c.source_id} {c.start}-{c.end}]")
        if self.refused:
            return f"REFUSED: {self.refusal}"
        lines: list[str] = []
        for sec in self.summary.sections:
            lines.append(f"## {sec.title}")
            lines += [f"- {s.text} {' '.join(fmt(c) for c in s.citations)}" for s in sec.sentences]
        if self.dropped:
            lines.append(f"({len(self.dropped)} sentence(s) removed: unsupported or unsafe)")
        return "\n".join(lines)
