"""Find PHI, replace it by placeholders that stay consistent within a session, restore it.

``Redactor.find`` runs the Presidio analyzer (wardwatch's recognizers on a blank spaCy
pipeline) and resolves overlaps: overlapping hits merge into one span covering all of them
(never leave part of an identifier behind), labelled by the hit with the highest score, then
the longest; a span never splits a word. Placeholders already in the text (``[NAME_1]``)
are masked before analysis and never become part of a span; a session redacts until nothing
more is found, so redacting its output again changes nothing.

A ``RedactionSession`` gives every distinct identifier one placeholder: the same string
(compared case-insensitively with runs of whitespace collapsed) gets the same placeholder in
every text of the session, and ``restore`` puts the first-seen form back. Its ``counts`` (per
class, no PHI) are for the audit log; its ``mapping`` (placeholder -> original) must stay
local.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable

from presidio_analyzer import AnalyzerEngine, RecognizerResult

from wardwatch.llm.phi._classes import PHI_CLASSES, PLACEHOLDER_RE, PhiSpan, class_of_entity
from wardwatch.llm.phi._engine import wardwatch_analyzer

__all__ = ["RedactionSession", "Redactor", "resolve"]

_ENTITIES = [c.upper() for c in PHI_CLASSES]
_LOOSE_PLACEHOLDER = re.compile(
    r"\[\s*(" + "|".join(c.upper() for c in PHI_CLASSES) + r")[ _]([0-9]{1,6})\s*\]",
    re.IGNORECASE,
)
_MAX_PASSES = 4
_DEFAULT: Redactor | None = None
_LOCK = threading.Lock()

Candidate = tuple[int, int, str, float]


def resolve(candidates: Iterable[Candidate]) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, cls)`` from overlapping ``(start, end, cls, score)``.

    Overlapping candidates form one span over their union; its class is the candidate with
    the highest score, ties to the longest, then the earliest.
    """
    ordered = sorted(candidates, key=lambda c: (c[0], -c[1]))
    out: list[tuple[int, int, str]] = []
    group: list[Candidate] = []
    end = -1
    for cand in [*ordered, (10**18, 10**18, "", 0.0)]:
        if group and cand[0] >= end:
            best = max(group, key=lambda c: (c[3], c[1] - c[0], -c[0]))
            out.append((group[0][0], end, best[2]))
            group = []
        if cand[2]:
            group.append(cand)
            end = max(end, cand[1]) if len(group) > 1 else cand[1]
    return out


def _mask(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with placeholders blanked to underscores (same length), and their spans."""
    spans = [(m.start(), m.end()) for m in PLACEHOLDER_RE.finditer(text)]
    if not spans:
        return text, spans
    chars = list(text)
    for start, end in spans:
        chars[start:end] = "_" * (end - start)
    return "".join(chars), spans


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """``start, end`` widened to whole words: a span never splits a run of letters/digits, so
    the text around a placeholder reads the same on a second pass (idempotence)."""
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end


def _clip(start: int, end: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``start..end`` outside the placeholder spans ``holes``."""
    parts = [(start, end)]
    for h0, h1 in holes:
        nxt: list[tuple[int, int]] = []
        for a, b in parts:
            if h1 <= a or h0 >= b:
                nxt.append((a, b))
                continue
            if a < h0:
                nxt.append((a, h0))
            if h1 < b:
                nxt.append((h1, b))
        parts = nxt
    return parts


class Redactor:
    """Finds PHI with a Presidio analyzer; offline and deterministic.

    Building one loads Presidio and a blank spaCy pipeline (about a second); use
    ``Redactor.default()`` to share one per process.
    """

    def __init__(self, analyzer: AnalyzerEngine | None = None) -> None:
        self._analyzer = analyzer if analyzer is not None else wardwatch_analyzer()

    @classmethod
    def default(cls) -> Redactor:
        """The process-wide redactor with wardwatch's recognizers (built on first use)."""
        global _DEFAULT
        with _LOCK:
            if _DEFAULT is None:
                _DEFAULT = cls()
            return _DEFAULT

    def candidates(self, text: str) -> list[Candidate]:
        """Every raw hit ``(start, end, cls, score)`` before overlaps are resolved."""
        results: list[RecognizerResult] = self._analyzer.analyze(
            text=text, language="en", entities=_ENTITIES
        )
        out: list[Candidate] = []
        for r in results:
            cls = class_of_entity(r.entity_type)
            if cls is not None and r.end > r.start:
                out.append((r.start, r.end, cls, float(r.score)))
        return out

    def find(self, text: str) -> list[PhiSpan]:
        """The identifiers in ``text``: non-overlapping spans sorted by start."""
        if not text:
            return []
        masked, holes = _mask(text)
        cands = [
            (*_whole_words(masked, a, b), cls, score)
            for a, b, cls, score in self.candidates(masked)
        ]
        if holes:
            cands = [
                (a, b, cls, score)
                for start, end, cls, score in cands
                for a, b in _clip(start, end, holes)
                if any(ch.isalnum() for ch in text[a:b])
            ]
        return [PhiSpan(s, e, cls, text[s:e]) for s, e, cls in resolve(cands)]

    def session(self) -> RedactionSession:
        """A new session: its own placeholders, counts and mapping."""
        return RedactionSession(self)


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


class RedactionSession:
    """Consistent placeholders across every text redacted in one session."""

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._by_key: dict[str, str] = {}
        self._mapping: dict[str, str] = {}
        self._next: Counter[str] = Counter()
        self._counts: Counter[str] = Counter()
        self._foreign: set[str] = set()

    def redact(self, text: str) -> str:
        """``text`` with each identifier replaced by its placeholder (``[NAME_1]``, ...).

        Placeholder-looking strings already in the text are left as they are; one this
        session did not hand out is reserved, so no identifier is given the same placeholder.
        """
        for m in PLACEHOLDER_RE.finditer(text):
            if m.group(0) not in self._mapping:
                self._foreign.add(m.group(0))
        out = self._replace(text)
        # A placeholder changes what stands next to it ("0000000.0GARCIA" -> "0000000.[...]"),
        # which can bring a neighbour to light; redact until nothing more is found, so that
        # redacting the output again changes nothing. Two passes settle real notes.
        for _ in range(_MAX_PASSES):
            again = self._replace(out)
            if again == out:
                break
            out = again
        return out

    def _replace(self, text: str) -> str:
        pieces: list[str] = []
        pos = 0
        for span in self._redactor.find(text):
            pieces.append(text[pos : span.start])
            pieces.append(self._placeholder(span.cls, span.text))
            self._counts[span.cls] += 1
            pos = span.end
        pieces.append(text[pos:])
        return "".join(pieces)

    def restore(self, text: str) -> str:
        """``text`` with this session's placeholders put back to the originals.

        A placeholder is recognised in the exact form and as an LLM may retype it (other
        case, a space for the underscore, spaces inside the brackets); unknown placeholders
        are left as they are.
        """

        def back(m: re.Match[str]) -> str:
            canonical = f"[{m.group(1).upper()}_{m.group(2)}]"
            return self._mapping.get(canonical, m.group(0))

        return _LOOSE_PLACEHOLDER.sub(back, text)

    @property
    def counts(self) -> dict[str, int]:
        """Identifiers redacted so far, per class (every occurrence; holds no PHI)."""
        return dict(self._counts)

    @property
    def mapping(self) -> dict[str, str]:
        """Placeholder -> original (first-seen form). PHI: keep it local, never log it."""
        return dict(self._mapping)

    def _placeholder(self, cls: str, original: str) -> str:
        key = _key(original)
        known = self._by_key.get(key)
        if known is not None:
            return known
        while True:
            self._next[cls] += 1
            candidate = f"[{cls.upper()}_{self._next[cls]}]"
            if candidate not in self._foreign and candidate not in self._mapping:
                break
        self._by_key[key] = candidate
        self._mapping[candidate] = original
        return candidate
