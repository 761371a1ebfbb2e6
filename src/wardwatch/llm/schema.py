"""The structured output of a summary: sections of sentences, each with its citations.

    {"sections": [{"title": "Problems",
                   "sentences": [{"text": "Admitted with community-acquired pneumonia.",
                                  "citations": [{"source_id": "S1", "start": 120, "end": 164}]}]}],
     "refusal": null}

A citation names a source and a character span ``[start, end)`` of that source's text. A
model sees sources under short aliases (``S1``, ``S2``: file names can hold PHI) and cites
those; the pipeline maps them back to source ids. ``refusal`` is the reason, in words, when
the answer is a refusal (then ``sections`` is empty).

:func:`parse_summary` reads a model's answer (JSON, possibly inside a Markdown code fence or
after some prose) and validates it; a mismatch raises :class:`OutputError` with one line
naming the JSON path at fault, never the answer's text. :data:`SUMMARY_JSON_SCHEMA` is the
same contract as a JSON Schema, strict-mode compatible, for ``response_format``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wardwatch.llm._errors import OutputError

__all__ = ["SUMMARY_JSON_SCHEMA", "Citation", "Section", "Sentence", "Summary", "parse_summary"]

_MAX_TEXT = 2000


class Citation(BaseModel):
    """A span ``[start, end)`` of a source's text that a sentence rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source_id: str = Field(min_length=1, max_length=200)
    start: int = Field(ge=0)
    end: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Citation:
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self


class Sentence(BaseModel):
    """One statement of the summary and the spans that support it."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    text: str = Field(min_length=1, max_length=_MAX_TEXT)
    citations: list[Citation] = Field(default_factory=list, max_length=20)


class Section(BaseModel):
    """A titled part of the summary (``Problems``, ``Medications``, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(min_length=1, max_length=200)
    sentences: list[Sentence] = Field(default_factory=list, max_length=100)


class Summary(BaseModel):
    """The whole answer: sections, or a refusal that says why."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    sections: list[Section] = Field(default_factory=list, max_length=50)
    refusal: str | None = Field(default=None, max_length=_MAX_TEXT)

    def sentences(self) -> list[tuple[str, Sentence]]:
        """Every sentence with its section's title, in reading order."""
        return [(sec.title, s) for sec in self.sections for s in sec.sentences]


_CITATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["source_id", "start", "end"],
    "properties": {
        "source_id": {"type": "string"},
        "start": {"type": "integer", "minimum": 0},
        "end": {"type": "integer", "minimum": 1},
    },
}
SUMMARY_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["sections", "refusal"],
    "properties": {
        "sections": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "sentences"],
                "properties": {
                    "title": {"type": "string"},
                    "sentences": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["text", "citations"],
                            "properties": {
                                "text": {"type": "string"},
                                "citations": {"type": "array", "items": _CITATION_SCHEMA},
                            },
                        },
                    },
                },
            },
        },
        "refusal": {"type": ["string", "null"]},
    },
}
"""The summary contract as a JSON Schema (OpenAI strict structured-output compatible)."""

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S | re.I)


def _json_text(content: str) -> str:
    fenced = _FENCE.search(content)
    if fenced:
        return fenced.group(1).strip()
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise OutputError(
            "model output is not JSON",
            expected="a JSON object",
            found=f"{len(content)} characters without one",
        )
    return content[start : end + 1]


def parse_summary(content: str | bytes) -> Summary:
    """The model's answer as a validated :class:`Summary`, or :class:`OutputError` (one line)."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        data = orjson.loads(_json_text(text))
    except orjson.JSONDecodeError as exc:
        raise OutputError(
            "model output is not valid JSON",
            expected="a JSON object",
            found=f"parse error at character {exc.pos}",
        ) from None
    try:
        return Summary.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise OutputError(
            "model output does not match the summary schema",
            field=path,
            expected=str(err["msg"]),
            found=f"{exc.error_count()} error(s)",
        ) from None
