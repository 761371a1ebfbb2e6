"""The summary pipeline: retrieve, redact, ask, validate, restore, check, refuse, audit.

    result = Summarizer(backend, load_prompt("summarize-v2"), audit=sink).run(
        sources, task="Summarize the admission", allow_phi=False)

1. **Retrieve**: sources are chunked; instruction-like sentences are flagged (``guard``); the
   chunks that match the task (if it names anything specific) and each section's query
   are retrieved (BM25). A task whose specific words no source contains is refused here.
2. **Redact**: for a backend that is not local (or ``redact="always"``), every sentence and
   the task are redacted in one session (consistent placeholders). Sources are shown under
   aliases (``S1``), never their file names. Flagged instructions are left out.
3. **Ask**: the prompt version's messages, with the sources quoted as data and a canary token.
4. **Validate**: the answer must be summary JSON (``schema``); otherwise the fallback backend
   answers (``llm.fallback``, reason ``invalid_output``), or the answer is a refusal.
5. **Restore and check**: each sentence is restored to original wording and checked against
   its cited spans (``support``) and for injection (``guard``); failing sentences are dropped
   (or flagged, with ``unsupported="flag"``). Too few supported sentences: a refusal that
   says why (``min_supported_fraction`` of the prompt version).
6. **Show and audit**: PHI is shown only when ``allow_phi``; ``llm.call`` records the prompt
   hash, backend, model, redaction counts, input and output hashes, dropped sentences,
   refusal and latency: never text.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from wardwatch.audit import canonical_json, sha256_hex
from wardwatch.errors import ConfigError
from wardwatch.llm._audit import AuditSink, null_sink
from wardwatch.llm._errors import BackendError, OutputError
from wardwatch.llm._redaction import RedactionSessionLike, RedactorLike, default_redactor
from wardwatch.llm._result import REFUSAL_CODES, JudgedSentence, SummaryResult
from wardwatch.llm._text import content_terms, stem
from wardwatch.llm.backends import (
    Backend,
    ChatMessage,
    ChatRequest,
    ContextItem,
    ResilientBackend,
    make_label,
)
from wardwatch.llm.guard import InstructionFlag, find_instructions, new_canary, output_violation
from wardwatch.llm.prompts import PromptVersion
from wardwatch.llm.retrieval import Embedder, make_retriever
from wardwatch.llm.schema import SUMMARY_JSON_SCHEMA, Citation, Summary, parse_summary
from wardwatch.llm.sources import Source, chunk_sources
from wardwatch.llm.support import Verifier

__all__ = ["RedactionSessionLike", "RedactorLike", "Summarizer", "default_redactor"]

_GENERIC_TEXT = """summarize summarise summary summaries please write give provide brief short
overview note notes chart record records hospital course stay admission information key main
recent clinical document documents everything important relevant show find say mention report
describe tell list happen know"""
_GENERIC_TASK_WORDS = frozenset(_GENERIC_TEXT.split())


def focus_terms(task: str) -> list[str]:
    """The task's specific words: content words minus generic summary words ("summarize")."""
    generic = {stem(w) for w in _GENERIC_TASK_WORDS}
    return [w for w, _ in content_terms(task) if w not in generic]


def _hash_sources(sources: Sequence[Source]) -> str:
    return sha256_hex(canonical_json([[s.source_id, sha256_hex(s.text.encode())] for s in sources]))


@dataclass
class Summarizer:
    """The summary pipeline for one backend and one prompt version (module docstring)."""

    backend: Backend
    prompt: PromptVersion
    redactor: RedactorLike | None = None
    redact: Literal["auto", "always", "never"] = "auto"
    verifier: Verifier = field(default_factory=Verifier)
    unsupported: Literal["drop", "flag"] = "drop"
    strip_instructions: bool = True
    retrieval: Literal["bm25", "dense"] = "bm25"
    embed: Embedder | None = None
    audit: AuditSink = null_sink
    seed: int | None = None
    chunk_chars: int = 600

    def __post_init__(self) -> None:
        if self.redact == "never" and not self.backend.local:
            raise ConfigError(
                "redaction cannot be turned off for a backend that is not local",
                field="redact",
                found=self.backend.name,
            )
        # the canary is unpredictable unless a seed is given (tests, replays)
        self._rng: random.Random = (
            random.SystemRandom() if self.seed is None else random.Random(self.seed)  # noqa: S311
        )

    def _redactor(self) -> RedactorLike:
        return self.redactor if self.redactor is not None else default_redactor()

    def run(
        self,
        sources: Sequence[Source],
        *,
        task: str = "Summarize the patient's notes.",
        patient_id: str | None = None,
        allow_phi: bool = False,
    ) -> SummaryResult:
        """Summarize ``sources`` for ``task``; see the module docstring for every step."""
        if not allow_phi or self.redact == "always" or not self.backend.local:
            self._redactor()  # built once per process: not part of this call's latency
        t0 = time.perf_counter()
        run = _Run(self, list(sources), task, allow_phi)
        try:
            result = run.execute(t0)
        except BackendError as exc:
            self._audit_call(run.failed(exc, t0), patient_id, error=exc.kind)
            raise
        self._audit_call(result, patient_id)
        return result

    def _audit_call(
        self, result: SummaryResult, patient_id: str | None, *, error: str | None = None
    ) -> None:
        payload: dict[str, Any] = {
            "prompt": result.prompt_id,
            "prompt_hash": result.prompt_hash,
            "backend": result.backend,
            "model": result.model,
            "fallback_from": result.fallback_from,
            "sent_out": result.sent_out,
            "phi_shown": result.phi_shown,
            "redactions": [
                {"class": k, "count": v} for k, v in sorted(result.redaction_counts.items())
            ],
            "input_hash": result.input_hash,
            "output_hash": result.output_hash,
            "sentences": len(result.judged),
            "dropped": len(result.dropped),
            "refusal": result.refused,
            "refusal_code": result.refusal_code,
            "instructions_flagged": len(result.flagged),
            "latency_ms": round(result.latency_s * 1000, 1),
        }
        if error is not None:
            payload["error"] = error
        if patient_id is not None:
            payload["patient_id"] = patient_id
        subject = f"patient:{patient_id}" if patient_id else f"prompt:{result.prompt_id}"
        self.audit("llm.call", subject, payload)


class _Run:
    """One run's state (kept out of :class:`Summarizer`, which is reusable across runs)."""

    def __init__(self, s: Summarizer, sources: list[Source], task: str, allow_phi: bool) -> None:
        self.s = s
        self.sources = sources
        self.task = task
        self.allow_phi = allow_phi
        self.by_id = {src.source_id: src for src in sources}
        self.alias = {src.source_id: f"S{i}" for i, src in enumerate(sources, 1)}
        self.unalias = {v: k for k, v in self.alias.items()}
        self.sending = s.redact == "always" or (s.redact == "auto" and not s.backend.local)
        self.session: RedactionSessionLike | None = (
            s._redactor().session() if self.sending else None
        )
        self._display: RedactionSessionLike | None = self.session
        self.flags: list[InstructionFlag] = []
        self.outbound: tuple[str, ...] = ()
        self.canary = new_canary(s._rng)
        self.input_hash = _hash_sources(sources)
        self.backend_name, self.model = s.backend.name, s.backend.model
        self.fallback_from: str | None = None

    # -- display -------------------------------------------------------------------------
    def show(self, text: str) -> str:
        if self.allow_phi:
            return text
        if self._display is None:
            self._display = self.s._redactor().session()
        return self._display.redact(text)

    def result(
        self,
        judged: Sequence[JudgedSentence],
        code: str | None,
        t0: float,
        detail: str | None = None,
    ) -> SummaryResult:
        refusal = None if code is None else REFUSAL_CODES[code] + (f": {detail}" if detail else "")
        counts = dict(self.session.counts) if self.session is not None else {}
        res = SummaryResult(
            judged=tuple(judged),
            refusal_code=code,
            refusal=refusal,
            prompt_id=self.s.prompt.id,
            prompt_hash=self.s.prompt.hash,
            backend=self.backend_name,
            model=self.model,
            input_hash=self.input_hash,
            output_hash="",
            latency_s=time.perf_counter() - t0,
            redaction_counts=counts,
            fallback_from=self.fallback_from,
            flagged=tuple(self.flags),
            outbound=self.outbound,
            sent_out=bool(self.outbound) and not self.s.backend.local,
            flag_unsupported=self.s.unsupported == "flag",
            phi_shown=self.allow_phi,
        )
        out_hash = sha256_hex(canonical_json(res.summary.model_dump()))
        return _replace_hash(res, out_hash)

    def failed(self, exc: BackendError, t0: float) -> SummaryResult:
        return self.result([], "invalid_output", t0, f"backend error {exc.kind}")

    # -- the steps -----------------------------------------------------------------------
    def execute(self, t0: float) -> SummaryResult:
        p = self.s.prompt
        chunks = chunk_sources(self.sources, max_chars=self.s.chunk_chars)
        if not chunks:
            return self.result([], "no_sources", t0)
        for src in self.sources:
            self.flags += find_instructions(src.source_id, src.text)
        retriever = make_retriever(chunks, self.s.retrieval, embed=self.s.embed)
        focus = " ".join(focus_terms(self.task))
        picked: set[str] = set()
        if focus:
            hits = retriever.search(focus, k=p.retrieval_k)
            if not hits or _best_cover(focus, hits) < 0.5:
                return self.result([], "no_evidence", t0)
            picked |= {h.chunk.chunk_id for h in hits}
        for spec in p.sections:
            picked |= {
                h.chunk.chunk_id for h in retriever.search(f"{spec.query} {focus}", k=p.retrieval_k)
            }
        flagged = {(f.source_id, f.start, f.end) for f in self.flags}
        items: list[ContextItem] = []
        for chunk in chunks:
            if chunk.chunk_id not in picked:
                continue
            text = self.by_id[chunk.source_id].text
            for start, end in chunk.sentences:
                if self.s.strip_instructions and (chunk.source_id, start, end) in flagged:
                    continue
                sentence = text[start:end]
                shown = self.session.redact(sentence) if self.session else sentence
                items.append(
                    ContextItem(make_label(self.alias[chunk.source_id], start, end), shown)
                )
        if not items:
            return self.result([], "no_evidence", t0)
        return self.ask(items, t0)

    def ask(self, items: list[ContextItem], t0: float) -> SummaryResult:
        from wardwatch.llm.guard import quote_sources

        p = self.s.prompt
        task = self.session.redact(self.task) if self.session else self.task
        system, user = p.render(
            canary=self.canary,
            task=task,
            sections=", ".join(sec.title for sec in p.sections),
            max_sentences=str(p.max_sentences),
            sources=quote_sources((it.label, it.text) for it in items),
        )
        request = ChatRequest(
            messages=(ChatMessage("system", system), ChatMessage("user", user)),
            json_schema=SUMMARY_JSON_SCHEMA,
            context=tuple(items),
            sections=p.sections,
            task=task,
            max_sentences=p.max_sentences,
        )
        if self.sending:
            self.outbound = (system, user)
        response = self.s.backend.complete(request)
        try:
            summary = parse_summary(response.content)
        except OutputError:
            if not isinstance(self.s.backend, ResilientBackend) or self.s.backend.fallback is None:
                self._note(response.backend, response.model, response.fallback_from)
                return self.result([], "invalid_output", t0)
            response = self.s.backend.fall_back(request, "invalid_output")
            summary = parse_summary(response.content)
        self._note(response.backend, response.model, response.fallback_from)
        return self.judge(summary, t0)

    def _note(self, backend: str, model: str, fallback_from: str | None) -> None:
        self.backend_name, self.model, self.fallback_from = backend, model, fallback_from

    def restore(self, text: str) -> str:
        return self.session.restore(text) if self.session else text

    def judge(self, summary: Summary, t0: float) -> SummaryResult:
        sentences = summary.sentences()
        if not sentences:
            why = self.show(self.restore(summary.refusal)) if summary.refusal else None
            return self.result([], "model_refused", t0, why)
        instr = [self.by_id[f.source_id].text[f.start : f.end] for f in self.flags]
        judged: list[JudgedSentence] = []
        for title, sent in sentences:
            judged.append(self.judge_one(self.restore(title), sent, instr))
        if any(j.reason == "canary" for j in judged):
            return self.result(judged, "canary", t0)
        ok = sum(j.accepted for j in judged)
        if ok == 0:
            return self.result(judged, "unsupported", t0, f"0 of {len(judged)} supported")
        need = self.s.prompt.min_supported_fraction
        if ok / len(judged) < need:
            detail = f"{ok} of {len(judged)} supported, at least {need:.0%} needed"
            return self.result(judged, "insufficient_support", t0, detail)
        return self.result(judged, None, t0)

    def judge_one(self, section: str, sent: Any, instructions: list[str]) -> JudgedSentence:
        text = self.restore(sent.text)
        cites: list[Citation] = []
        bad = 0
        for c in sent.citations:
            sid = self.unalias.get(c.source_id, c.source_id if c.source_id in self.by_id else None)
            if sid is None or c.end > len(self.by_id[sid].text):
                bad += 1
                continue
            cites.append(Citation(source_id=sid, start=c.start, end=c.end))
        spans = [self.by_id[c.source_id].text[c.start : c.end] for c in cites]
        supports = [self.s.verifier.check(text, span).supported for span in spans]
        reason = output_violation(text, canary=self.canary, instructions=instructions)
        if reason is None and any(_overlaps(c, f) for c in cites for f in self.flags):
            reason = "injection"
        if reason is None and not cites:
            reason = "bad_citation" if bad else "no_citation"
        if reason is None and not any(supports):
            if len(spans) > 1 and self.s.verifier.check(text, spans).supported:
                supports = [True] * len(spans)
            else:
                reason = "unsupported"
        return JudgedSentence(
            section=section,
            text=text,
            display=self.show(text),
            citations=tuple(cites),
            supports=tuple(supports),
            reason=reason,
            invalid_citations=bad,
        )


def _best_cover(focus: str, hits: Sequence[Any]) -> float:
    """The largest share of the focus words that one retrieved chunk contains."""
    words = set(focus.split())
    return max(len(words & {w for w, _ in content_terms(h.chunk.text)}) / len(words) for h in hits)


def _overlaps(c: Citation, f: InstructionFlag) -> bool:
    return c.source_id == f.source_id and c.start < f.end and f.start < c.end


def _replace_hash(res: SummaryResult, out_hash: str) -> SummaryResult:
    import dataclasses

    return dataclasses.replace(res, output_hash=out_hash)
