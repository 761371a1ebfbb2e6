"""Redaction recall and precision per PHI class against annotated notes.

Matching rule (character overlap, class-blind for the redaction question):

* a gold span is **found** when at least 90% of its non-space characters lie inside predicted
  spans of any class (an identifier replaced under the wrong label is still not disclosed);
* a predicted span is a **true positive** when it shares at least one character with a gold
  span of any class.

Recall of class c = found gold spans of class c / gold spans of class c (the support);
precision of class c = true-positive predicted spans labelled c / predicted spans labelled c.
Both lie in [0, 1]; a class with no gold spans has recall ``None``, one with no predictions
has precision ``None``. ``label_agreement`` is the share of found gold spans whose characters
were mostly predicted under the same class (how often the placeholder names the right kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from wardwatch.llm.phi._classes import PHI_CLASSES, PhiSpan

__all__ = [
    "COVERAGE",
    "ClassScore",
    "RedactionScore",
    "SpanFinder",
    "score_redaction",
    "score_spans",
]

COVERAGE = 0.9
"""Share of a gold span's non-space characters that must be covered for it to count found."""


class AnnotatedText(Protocol):
    """What the scorer needs of a note: its text and gold PHI spans."""

    @property
    def text(self) -> str: ...

    @property
    def phi(self) -> Sequence[PhiSpan]: ...


class SpanFinder(Protocol):
    """What the scorer needs of a redactor: ``find(text) -> list[PhiSpan]``."""

    def find(self, text: str) -> list[PhiSpan]: ...


@dataclass(frozen=True)
class ClassScore:
    """Counts and rates for one class (or ``"all"``)."""

    cls: str
    support: int
    found: int
    predicted: int
    true_positive: int

    @property
    def recall(self) -> float | None:
        """Found / support; None without gold spans."""
        return self.found / self.support if self.support else None

    @property
    def precision(self) -> float | None:
        """True positives / predicted; None without predictions."""
        return self.true_positive / self.predicted if self.predicted else None

    def to_dict(self) -> dict[str, Any]:
        """Plain values, rates included."""
        return {
            "cls": self.cls,
            "support": self.support,
            "found": self.found,
            "predicted": self.predicted,
            "true_positive": self.true_positive,
            "recall": self.recall,
            "precision": self.precision,
        }


@dataclass
class _Tally:
    support: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHI_CLASSES, 0))
    found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHI_CLASSES, 0))
    predicted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHI_CLASSES, 0))
    tp: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHI_CLASSES, 0))
    agree: int = 0


@dataclass(frozen=True)
class RedactionScore:
    """Per-class and overall recall/precision of a redactor on annotated notes."""

    per_class: dict[str, ClassScore]
    overall: ClassScore
    label_agreement: float | None
    notes: int
    missed: tuple[PhiSpan, ...] = ()
    false_positives: tuple[PhiSpan, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain values (the missed and false-positive examples are left out: they are PHI)."""
        return {
            "notes": self.notes,
            "overall": self.overall.to_dict(),
            "label_agreement": self.label_agreement,
            "per_class": {c: s.to_dict() for c, s in self.per_class.items()},
        }

    def table(self) -> str:
        """A fixed-width text table: class, support, recall, predicted, precision."""
        rows = [f"{'class':<12} {'support':>7} {'recall':>7} {'pred':>6} {'precision':>9}"]
        for s in [*self.per_class.values(), self.overall]:
            rows.append(
                f"{s.cls:<12} {s.support:>7} {_fmt(s.recall):>7} {s.predicted:>6} "
                f"{_fmt(s.precision):>9}"
            )
        return "\n".join(rows)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def score_spans(
    text: str, gold: Sequence[PhiSpan], predicted: Sequence[PhiSpan], tally: _Tally | None = None
) -> tuple[_Tally, list[PhiSpan], list[PhiSpan]]:
    """Add one text's counts to ``tally``; also return its missed gold and false predictions."""
    tally = tally or _Tally()
    label = [""] * len(text)
    for p in predicted:
        for i in range(p.start, min(p.end, len(text))):
            label[i] = p.cls
    missed: list[PhiSpan] = []
    for g in gold:
        chars = [i for i in range(g.start, g.end) if not text[i].isspace()]
        covered = [label[i] for i in chars if label[i]]
        tally.support[g.cls] += 1
        if chars and len(covered) >= COVERAGE * len(chars):
            tally.found[g.cls] += 1
            if covered.count(g.cls) * 2 > len(covered):
                tally.agree += 1
        else:
            missed.append(g)
    in_gold = [False] * (len(text) + 1)
    for g in gold:
        for i in range(g.start, g.end):
            in_gold[i] = True
    false: list[PhiSpan] = []
    for p in predicted:
        tally.predicted[p.cls] += 1
        if any(in_gold[i] for i in range(p.start, min(p.end, len(text)))):
            tally.tp[p.cls] += 1
        else:
            false.append(p)
    return tally, missed, false


def score_redaction(notes: Iterable[AnnotatedText], redactor: SpanFinder) -> RedactionScore:
    """Recall and precision of ``redactor.find`` against each note's gold ``phi`` spans
    (matching rule in the module docstring)."""
    tally = _Tally()
    missed: list[PhiSpan] = []
    false: list[PhiSpan] = []
    count = 0
    for note in notes:
        count += 1
        _, m, f = score_spans(note.text, note.phi, redactor.find(note.text), tally)
        missed.extend(m)
        false.extend(f)
    per_class = {
        c: ClassScore(c, tally.support[c], tally.found[c], tally.predicted[c], tally.tp[c])
        for c in PHI_CLASSES
    }
    overall = ClassScore(
        "all",
        sum(tally.support.values()),
        sum(tally.found.values()),
        sum(tally.predicted.values()),
        sum(tally.tp.values()),
    )
    found = overall.found
    return RedactionScore(
        per_class=per_class,
        overall=overall,
        label_agreement=tally.agree / found if found else None,
        notes=count,
        missed=tuple(missed),
        false_positives=tuple(false),
    )
