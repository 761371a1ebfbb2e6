"""LLM workflows that a healthcare team can trust: cited summaries, PHI boundaries, guardrails,
and an evaluation harness that gates every prompt change.

What makes an LLM usable on charts is not prompt tricks but the machinery around it:

- **Backends** (:mod:`wardwatch.llm.backends`): the extractive summarizer (the embedded
  default: deterministic, offline, cites by construction), any OpenAI-compatible chat
  endpoint by URL, and a local GGUF model (optional extra); retries with backoff, a circuit
  breaker and fallback to the extractive backend, each audited.
- **Sources and retrieval** (:mod:`~wardwatch.llm.sources`, :mod:`~wardwatch.llm.retrieval`):
  notes from FHIR ``DocumentReference`` or text files and policy documents, chunked with
  stable ids and character spans; BM25 by default, dense embeddings as an optional extra.
- **Summaries with citations** (:class:`Summarizer`): a JSON schema of sections and sentences,
  each citing source spans; sentences their citations do not support are dropped (or
  flagged), too little support is a refusal that says why; every call is audited (prompt
  hash, backend, model, redaction counts, output hash) as ``llm.call``.
- **PHI and injection** (:mod:`wardwatch.llm.phi`, :mod:`~wardwatch.llm.guard`): PHI is
  replaced by consistent placeholders before text leaves for a non-local backend and
  restored locally where the user may see it; notes are data, never instructions.
- **Evaluation** (:mod:`wardwatch.llm.eval`): ``wardwatch llm eval SUITE.yaml`` scores
  citation precision/recall, hallucination, omission, refusals, PHI leaks, injection
  following and latency per prompt version and backend; thresholds make it a CI gate.

    from wardwatch.llm import ExtractiveBackend, Summarizer, load_prompt, load_sources
    result = Summarizer(ExtractiveBackend(), load_prompt("summarize-v2")).run(
        load_sources([Path("notes/")]), task="Summarize the admission.", allow_phi=True)
    print(result.to_text())

Synthetic notes with gold annotations come from :mod:`wardwatch.llm.notes`.
"""

from wardwatch.llm._audit import AuditSink, MemoryAudit, log_sink, null_sink
from wardwatch.llm._errors import BackendError, BackendUnavailable, LlmError, OutputError
from wardwatch.llm._result import DROP_REASONS, REFUSAL_CODES, JudgedSentence, SummaryResult
from wardwatch.llm.backends import (
    Backend,
    ChatMessage,
    ChatRequest,
    ChatResponse,
    CircuitBreaker,
    ExtractiveBackend,
    LlamaCppBackend,
    OpenAIBackend,
    ResilientBackend,
    RetryPolicy,
)
from wardwatch.llm.guard import find_instructions, instruction_kind, output_violation
from wardwatch.llm.prompts import PromptVersion, load_prompt, packaged_prompts
from wardwatch.llm.retrieval import Bm25Retriever, DenseRetriever, load_embedder, make_retriever
from wardwatch.llm.schema import SUMMARY_JSON_SCHEMA, Citation, Section, Sentence, Summary
from wardwatch.llm.sources import (
    Chunk,
    Source,
    chunk_source,
    chunk_sources,
    from_document_reference,
    load_fhir,
    load_sources,
    load_text,
)
from wardwatch.llm.summarize import Summarizer, default_redactor
from wardwatch.llm.support import LEXICAL_THRESHOLD, Support, Verifier, lexical_support

__all__ = [
    "DROP_REASONS",
    "LEXICAL_THRESHOLD",
    "REFUSAL_CODES",
    "SUMMARY_JSON_SCHEMA",
    "AuditSink",
    "Backend",
    "BackendError",
    "BackendUnavailable",
    "Bm25Retriever",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "Chunk",
    "CircuitBreaker",
    "Citation",
    "DenseRetriever",
    "ExtractiveBackend",
    "JudgedSentence",
    "LlamaCppBackend",
    "LlmError",
    "MemoryAudit",
    "OpenAIBackend",
    "OutputError",
    "PromptVersion",
    "ResilientBackend",
    "RetryPolicy",
    "Section",
    "Sentence",
    "Source",
    "Summarizer",
    "Summary",
    "SummaryResult",
    "Support",
    "Verifier",
    "chunk_source",
    "chunk_sources",
    "default_redactor",
    "find_instructions",
    "from_document_reference",
    "instruction_kind",
    "lexical_support",
    "load_embedder",
    "load_fhir",
    "load_prompt",
    "load_sources",
    "load_text",
    "log_sink",
    "make_retriever",
    "null_sink",
    "output_violation",
    "packaged_prompts",
]
