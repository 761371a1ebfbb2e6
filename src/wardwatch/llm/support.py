"""Does a cited span support a sentence? The lexical entailment rule, and a semantic hook.

**The lexical rule.** A sentence is *supported* by a span (or by several spans read together)
when all three hold:

1. every number written in the sentence is written in the span (``2.1`` = ``2.10``; a
   dose, a lab value or a date the span does not state is never supported);
2. at least :data:`LEXICAL_THRESHOLD` (80%) of the sentence's content words (stop words
   dropped, light stemming) appear in the span *with the same polarity*: "fever" in "no
   fever" is negated, so "the patient had a fever" is not supported by "no fever" (nor "no
   cough" by "cough"): negations must match;
3. the sentence has at least one content word or number (a sentence with nothing
   checkable is not supported), unless it is a verbatim substring of the span.

A sentence copied verbatim from the span is always supported. The rule favours precision:
a paraphrase with many new words fails it and is dropped, which costs completeness, not
truth. The ``coverage`` in :class:`Support` is the fraction of (2), from 0 to 1.

**The semantic hook.** :class:`Verifier` takes an optional ``semantic`` judge, a function
``(premise, hypothesis) -> score in [0, 1]`` (an NLI model's entailment probability, or the
cosine similarity of sentence embeddings: see :func:`embedding_judge`). Where one is given a
sentence must pass the lexical rule *and* reach ``semantic_threshold``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from wardwatch.llm._text import content_terms, numbers

__all__ = [
    "LEXICAL_THRESHOLD",
    "SemanticJudge",
    "Support",
    "Verifier",
    "embedding_judge",
    "lexical_support",
]

LEXICAL_THRESHOLD = 0.8
"""Least fraction of a sentence's content words that its cited spans must contain."""

SemanticJudge = Callable[[str, str], float]
"""``(premise, hypothesis) -> score in [0, 1]``: how strongly the premise entails the hypothesis."""

_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Support:
    """The verdict on one sentence against its evidence, and why.

    ``coverage``: fraction of the sentence's content words found in the evidence with the same
    polarity (1.0 when verbatim); ``missing_numbers``: numbers of the sentence absent from the
    evidence; ``semantic``: the semantic judge's score, if one ran.
    """

    supported: bool
    coverage: float
    missing_numbers: tuple[str, ...] = ()
    semantic: float | None = None
    reason: str = ""


def _squash(text: str) -> str:
    return _WS.sub(" ", text).strip().lower()


def lexical_support(
    sentence: str, evidence: str | Sequence[str], *, threshold: float = LEXICAL_THRESHOLD
) -> Support:
    """Apply the lexical rule (module docstring) to ``sentence`` against ``evidence``.

    Several evidence spans are read together (a sentence citing two spans may combine them).
    """
    spans = [evidence] if isinstance(evidence, str) else list(evidence)
    joined = "\n".join(spans)
    squashed = _squash(sentence)
    if squashed and any(squashed in _squash(s) for s in spans):
        return Support(True, 1.0, reason="verbatim")
    missing = tuple(sorted(numbers(sentence) - numbers(joined)))
    terms = content_terms(sentence)
    have = set(content_terms(joined))
    coverage = sum(t in have for t in terms) / len(terms) if terms else 0.0
    if missing:
        return Support(False, coverage, missing, reason="number not in the cited text")
    if not terms:
        if numbers(sentence):
            return Support(True, 1.0, reason="numbers match")
        return Support(False, 0.0, reason="nothing checkable")
    if coverage < threshold:
        flipped = sum((w, not neg) in have and (w, neg) not in have for w, neg in terms)
        why = "negation differs from the cited text" if flipped else "words not in the cited text"
        return Support(False, coverage, reason=why)
    return Support(True, coverage, reason="lexical")


@dataclass(frozen=True)
class Verifier:
    """The support check used by the pipeline and the evaluation: lexical, then semantic."""

    threshold: float = LEXICAL_THRESHOLD
    semantic: SemanticJudge | None = None
    semantic_threshold: float = 0.5

    def check(self, sentence: str, evidence: str | Sequence[str]) -> Support:
        """Whether ``evidence`` supports ``sentence`` (see the module docstring)."""
        lex = lexical_support(sentence, evidence, threshold=self.threshold)
        if not lex.supported or self.semantic is None:
            return lex
        premise = evidence if isinstance(evidence, str) else "\n".join(evidence)
        score = float(self.semantic(premise, sentence))
        if score < self.semantic_threshold:
            return Support(False, lex.coverage, semantic=score, reason="semantic check failed")
        return Support(True, lex.coverage, semantic=score, reason=lex.reason)


def embedding_judge(embed: Callable[[Sequence[str]], np.ndarray]) -> SemanticJudge:
    """A semantic judge from a sentence embedder: the cosine similarity, clipped to [0, 1].

    ``embed`` maps texts to a 2-D array of vectors (see ``retrieval.load_embedder``).
    Similarity is weaker evidence than entailment; use a high ``semantic_threshold`` (0.6).
    """

    def judge(premise: str, hypothesis: str) -> float:
        vec = np.asarray(embed([premise, hypothesis]), dtype=float)
        norms = np.linalg.norm(vec, axis=1)
        if norms[0] == 0 or norms[1] == 0:
            return 0.0
        return float(np.clip(vec[0] @ vec[1] / (norms[0] * norms[1]), 0.0, 1.0))

    return judge
