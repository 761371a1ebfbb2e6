"""The note types and a text builder that records PHI, fact and injection spans as it writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from wardwatch.llm.phi import PhiSpan

__all__ = ["Doc", "Fact", "P", "SyntheticNote"]


@dataclass(frozen=True)
class Fact:
    """A clinical fact stated in a note; ``text`` is the sentence, ``note.text[start:end]``.

    ``fact_id`` names what is stated, stable across the notes of one patient:
    ``dx:<ICD-10>``, ``lab:<LOINC>``, ``med:<ingredient>``, ``dispo:<kind>``, ``fu:<service>``.
    """

    fact_id: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SyntheticNote:
    """A generated clinical note with its gold annotations.

    ``phi`` are every identifier in the text (exact spans); ``facts`` the sentences that state
    diagnoses, labs, medication changes, disposition and follow-up; ``injection`` the spans of
    embedded prompt-injection sentences; ``date`` the note's ISO date, for ordering.
    """

    note_id: str
    patient_id: str
    kind: str
    text: str
    phi: tuple[PhiSpan, ...]
    facts: tuple[Fact, ...]
    injection: tuple[tuple[int, int], ...]
    date: str


@dataclass(frozen=True)
class P:
    """A piece of PHI to write: its class and surface text."""

    cls: str
    text: str


class Doc:
    """Appends text and keeps the offsets of the PHI, facts and injections written."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pos = 0
        self.phi: list[PhiSpan] = []
        self.facts: list[Fact] = []
        self.injection: list[tuple[int, int]] = []

    @property
    def pos(self) -> int:
        """Characters written so far."""
        return self._pos

    def add(self, *pieces: str | P) -> Doc:
        """Write plain strings and PHI pieces, in order."""
        for piece in pieces:
            if isinstance(piece, P):
                if piece.text:
                    self.phi.append(
                        PhiSpan(self._pos, self._pos + len(piece.text), piece.cls, piece.text)
                    )
                self._write(piece.text)
            else:
                self._write(piece)
        return self

    def line(self, *pieces: str | P) -> Doc:
        """Write pieces and a newline."""
        return self.add(*pieces, "\n")

    @contextmanager
    def fact(self, fact_id: str) -> Iterator[None]:
        """Record what is written inside the block (spaces trimmed) as a fact sentence."""
        start = self._pos
        yield
        text = "".join(self._parts)
        end = self._pos
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        self.facts.append(Fact(fact_id, text[start:end], start, end))

    def inject(self, sentence: str) -> Doc:
        """Write a prompt-injection sentence and record its span."""
        self.injection.append((self._pos, self._pos + len(sentence)))
        return self._write(sentence)

    def text(self) -> str:
        """Everything written."""
        return "".join(self._parts)

    def _write(self, s: str) -> Doc:
        self._parts.append(s)
        self._pos += len(s)
        return self
