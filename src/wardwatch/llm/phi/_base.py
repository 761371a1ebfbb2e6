"""The recognizer base: a Presidio ``EntityRecognizer`` whose matching is plain Python.

Each wardwatch recognizer yields ``Hit`` tuples ``(start, end, cls, score)`` from the raw
text; the base turns them into Presidio ``RecognizerResult`` objects. Scores rank hits when
two overlap (see ``_redactor.resolve``): 0.95 for a match with an explicit label ("MRN:",
"Fax"), 0.85 for a well-shaped pattern, 0.6 for a word-list match, 0.35 for the catch-all
"long number" fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from wardwatch.llm.phi._classes import entity_of_class

__all__ = ["FALLBACK", "LIST", "SHAPE", "STRONG", "Hit", "SpanRecognizer", "trim_span"]

Hit = tuple[int, int, str, float]
"""``(start, end, cls, score)`` of one candidate identifier."""

STRONG = 0.95
SHAPE = 0.85
LIST = 0.6
FALLBACK = 0.35

_TRAIL = ".,;:!?)]}'\""


class SpanRecognizer(EntityRecognizer):
    """A recognizer for some PHI classes, written as a generator of hits over the text."""

    CLASSES: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__(
            supported_entities=[entity_of_class(c) for c in self.CLASSES],
            name=type(self).__name__,
            supported_language="en",
        )

    def load(self) -> None:
        """Nothing to load: the word lists are module constants."""
        return

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Presidio's entry point: every hit of a wanted entity type, as a result."""
        wanted = set(entities)
        out: list[RecognizerResult] = []
        for start, end, cls, score in self.hits(text):
            entity = entity_of_class(cls)
            if entity in wanted and end > start:
                meta = {"recognizer_name": type(self).__name__, "recognizer_identifier": self.id}
                out.append(RecognizerResult(entity, start, end, score, recognition_metadata=meta))
        return out

    def hits(self, text: str) -> Iterable[Hit]:
        """Every candidate identifier in ``text``; overlaps are resolved by the redactor."""
        raise NotImplementedError


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``start, end`` without surrounding spaces and trailing sentence punctuation."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in _TRAIL):
        # keep a closing bracket that has its opening one inside the span
        if text[end - 1] == ")" and "(" in text[start : end - 1]:
            break
        end -= 1
    return start, end


def finditer(pattern: re.Pattern[str], text: str, group: str | int = 0) -> Iterator[re.Match[str]]:
    """``pattern.finditer`` that skips matches whose ``group`` did not take part."""
    for m in pattern.finditer(text):
        if m.start(group) >= 0 and m.end(group) > m.start(group):
            yield m
