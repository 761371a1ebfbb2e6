"""The backend interface: one request in, one chat answer out.

A :class:`Backend` turns a :class:`ChatRequest` into a :class:`ChatResponse` whose
``content`` is the model's answer text (JSON for summaries). Chat models read the
``messages``; the extractive backend reads the structured ``context`` (the citable source
sentences under their labels), ``sections`` and ``task`` that the messages were built from.

``local`` says whether the backend runs inside the trust boundary (in this process): text
for a backend that is not local is redacted before it leaves.

A citation label is ``<alias>:<start>-<end>``: the source's alias (``S1``) and the
sentence's character span in that source, so that a model that copies a label cites the
span exactly (see :func:`make_label`, :func:`parse_label`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "Backend",
    "ChatMessage",
    "ChatRequest",
    "ChatResponse",
    "ContextItem",
    "SectionSpec",
    "make_label",
    "parse_label",
]

_LABEL = re.compile(r"^([A-Za-z][A-Za-z0-9_-]*):(\d+)-(\d+)$")


def make_label(alias: str, start: int, end: int) -> str:
    """The citation label of a span: ``S1:120-188``."""
    return f"{alias}:{start}-{end}"


def parse_label(label: str) -> tuple[str, int, int] | None:
    """``(alias, start, end)`` of a label, or None if it is not one."""
    m = _LABEL.match(label.strip())
    return None if m is None else (m.group(1), int(m.group(2)), int(m.group(3)))


@dataclass(frozen=True)
class SectionSpec:
    """A section the summary should have, and the retrieval query that finds its material."""

    title: str
    query: str


@dataclass(frozen=True)
class ChatMessage:
    """One chat message."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class ContextItem:
    """One citable source sentence as sent: its label and its (possibly redacted) text."""

    label: str
    text: str


@dataclass(frozen=True)
class ChatRequest:
    """What a backend is asked: messages for chat models, structured context for the rest."""

    messages: tuple[ChatMessage, ...]
    json_schema: Mapping[str, Any] | None = None
    context: tuple[ContextItem, ...] = ()
    sections: tuple[SectionSpec, ...] = ()
    task: str = ""
    max_sentences: int = 3
    temperature: float = 0.0
    max_tokens: int = 2048


@dataclass(frozen=True)
class ChatResponse:
    """The answer text and who produced it; ``fallback_from`` names a backend that failed."""

    content: str
    backend: str
    model: str
    latency_s: float
    fallback_from: str | None = None
    usage: Mapping[str, int] = field(default_factory=dict)


@runtime_checkable
class Backend(Protocol):
    """Anything that answers a :class:`ChatRequest`."""

    @property
    def name(self) -> str:
        """The backend kind (``extractive``, ``openai``, ``llamacpp``)."""
        ...

    @property
    def model(self) -> str:
        """The model it runs (a name, never a secret)."""
        ...

    @property
    def local(self) -> bool:
        """True when the backend runs in this process (text sent to it is not redacted)."""
        ...

    def complete(self, request: ChatRequest) -> ChatResponse:
        """Answer the request; raises ``BackendError`` when the model service fails."""
        ...
