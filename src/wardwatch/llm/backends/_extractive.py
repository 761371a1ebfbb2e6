"""The extractive backend: the embedded default. Deterministic, offline, cites by construction.

For each requested section it ranks the context sentences by BM25 against the section's
query plus the task's words, and takes the best ``max_sentences`` not already taken by an
earlier section. Every sentence it writes is a source sentence verbatim, cited with that
sentence's own label, so its citations are exact. It never selects an instruction-like
sentence (see :mod:`wardwatch.llm.guard`), a heading (ends with ``:``, or a line of fewer than
three content words without a full stop), or a sentence with fewer than two content words.
When no sentence matches any section, it answers with a refusal. Ties are broken by reading
order: the same request always gives the same answer.
"""

from __future__ import annotations

import time

import bm25s  # type: ignore[import-untyped]
import numpy as np
import orjson

from wardwatch.llm._text import content_terms, numbers
from wardwatch.llm.backends._base import ChatRequest, ChatResponse, ContextItem, parse_label
from wardwatch.llm.guard import instruction_kind

__all__ = ["ExtractiveBackend", "terms_for_retrieval"]


def terms_for_retrieval(text: str) -> list[str]:
    """The words (stemmed, polarity ignored) and numbers that retrieval matches on."""
    return [w for w, _ in content_terms(text)] + sorted(numbers(text))


def _candidate(item: ContextItem) -> bool:
    text = item.text.strip()
    n_terms = len(content_terms(text))
    heading = text.endswith(":") or (text[-1:] not in ".!?" and n_terms < 3)
    return (
        parse_label(item.label) is not None
        and not heading
        and n_terms >= 2
        and instruction_kind(text) is None
    )


class ExtractiveBackend:
    """Summaries made of source sentences; see the module docstring."""

    name = "extractive"
    model = "extractive-bm25"
    local = True

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Pick sentences per section and answer with summary JSON (or a refusal)."""
        t0 = time.perf_counter()
        items = [it for it in request.context if _candidate(it)]
        task_terms = terms_for_retrieval(request.task)
        sections: list[dict[str, object]] = []
        if items:
            corpus = [terms_for_retrieval(it.text) or ["\x00"] for it in items]
            index = bm25s.BM25()
            index.index(corpus, show_progress=False)
            used: set[int] = set()
            seen_text: set[str] = set()
            for spec in request.sections:
                query = terms_for_retrieval(spec.query) + task_terms * 2
                scores = np.asarray(index.get_scores(query), dtype=float) if query else None
                if scores is None:
                    continue
                order = sorted(range(len(items)), key=lambda i: (-scores[i], i))
                picked: list[int] = []
                for i in order:
                    if scores[i] <= 0 or len(picked) >= request.max_sentences:
                        break
                    key = " ".join(items[i].text.lower().split())
                    if i in used or key in seen_text:
                        continue
                    picked.append(i)
                    used.add(i)
                    seen_text.add(key)
                if picked:
                    sections.append(
                        {
                            "title": spec.title,
                            "sentences": [_sentence(items[i]) for i in sorted(picked)],
                        }
                    )
        answer = {
            "sections": sections,
            "refusal": None if sections else "no source sentence matches the requested sections",
        }
        return ChatResponse(
            content=orjson.dumps(answer).decode(),
            backend=self.name,
            model=self.model,
            latency_s=time.perf_counter() - t0,
        )


def _sentence(item: ContextItem) -> dict[str, object]:
    label = parse_label(item.label)
    assert label is not None  # candidates have labels
    alias, start, end = label
    return {
        "text": item.text.strip(),
        "citations": [{"source_id": alias, "start": start, "end": end}],
    }
