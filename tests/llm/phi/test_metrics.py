"""The scorer on hand-computed cases (its counts, not the redactor's)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wardwatch.llm.phi import PHI_CLASSES, PhiSpan, score_redaction


@dataclass(frozen=True)
class _Note:
    text: str
    phi: tuple[PhiSpan, ...]


class _Fixed:
    """A finder that returns preset spans per text."""

    def __init__(self, spans: dict[str, list[PhiSpan]]) -> None:
        self.spans = spans

    def find(self, text: str) -> list[PhiSpan]:
        return self.spans[text]


def _span(text: str, value: str, cls: str, nth: int = 0) -> PhiSpan:
    start = -1
    for _ in range(nth + 1):
        start = text.index(value, start + 1)
    return PhiSpan(start, start + len(value), cls, value)


TEXT = "Dr. Anita Patel saw GARCIA, Maria on 03/04/2021, MRN 00123456, BP 132/84."


def test_exact_hits_give_one() -> None:
    gold = (
        _span(TEXT, "Anita Patel", "name"),
        _span(TEXT, "GARCIA, Maria", "name"),
        _span(TEXT, "03/04/2021", "date"),
        _span(TEXT, "00123456", "mrn"),
    )
    score = score_redaction([_Note(TEXT, gold)], _Fixed({TEXT: list(gold)}))
    assert score.overall.recall == 1.0
    assert score.overall.precision == 1.0
    assert score.per_class["name"].support == 2
    assert score.per_class["name"].found == 2
    assert score.per_class["fax"].recall is None
    assert score.per_class["fax"].precision is None
    assert score.label_agreement == 1.0
    assert set(score.per_class) == set(PHI_CLASSES)


def test_ninety_percent_rule_and_class_blind_matching() -> None:
    # "GARCIA, Maria" has 12 non-space characters, 11 covered (all but the last "a")
    # -> 91.7% -> found; "Anita Patel" (10 non-space) with only "Anita" (5) -> 50% -> missed.
    gold = (
        _span(TEXT, "Anita Patel", "name"),
        _span(TEXT, "GARCIA, Maria", "name"),
        _span(TEXT, "03/04/2021", "date"),
        _span(TEXT, "00123456", "mrn"),
    )
    g = TEXT.index("GARCIA")
    pred = [
        _span(TEXT, "Anita", "name"),
        PhiSpan(g, g + 12, "name", TEXT[g : g + 12]),  # "GARCIA, Mari"
        _span(TEXT, "03/04/2021", "other_id"),  # wrong class: still found, still a TP
        _span(TEXT, "132/84", "date"),  # a false positive
    ]
    score = score_redaction([_Note(TEXT, gold)], _Fixed({TEXT: pred}))
    name = score.per_class["name"]
    assert (name.support, name.found, name.predicted, name.true_positive) == (2, 1, 2, 2)
    assert score.per_class["date"].recall == 1.0  # covered by the other_id span
    assert score.per_class["date"].precision == 0.0  # its one prediction is "132/84"
    assert score.per_class["other_id"].precision == 1.0
    assert score.per_class["mrn"].recall == 0.0
    assert score.overall.support == 4
    assert score.overall.found == 2
    assert score.overall.recall == pytest.approx(0.5)
    assert score.overall.predicted == 4
    assert score.overall.true_positive == 3
    assert score.overall.precision == pytest.approx(0.75)
    # found gold spans: GARCIA (same class) and the date (other_id): 1 of 2 agree
    assert score.label_agreement == pytest.approx(0.5)
    assert [m.text for m in score.missed] == ["Anita Patel", "00123456"]
    assert [f.text for f in score.false_positives] == ["132/84"]


def test_spaces_do_not_count_toward_coverage() -> None:
    text = "Seen by Anita    Patel today"
    gold = (_span(text, "Anita    Patel", "name"),)
    # 10 non-space characters; "Anita" + "Pate" = 9 -> 90% -> found (the rule is >= 90%)
    pred = [_span(text, "Anita", "name"), _span(text, "Pate", "name")]
    score = score_redaction([_Note(text, gold)], _Fixed({text: pred}))
    assert score.overall.found == 1
    pred = [_span(text, "Anita", "name"), _span(text, "Pat", "name")]  # 8 of 10
    assert score_redaction([_Note(text, gold)], _Fixed({text: pred})).overall.found == 0


def test_totals_add_up_over_notes_and_table_renders() -> None:
    a = "MRN 1234567 only"
    b = "nothing here 2019"
    gold_a = (_span(a, "1234567", "mrn"),)
    finder = _Fixed({a: list(gold_a), b: [_span(b, "2019", "date")]})
    score = score_redaction([_Note(a, gold_a), _Note(b, ())], finder)
    assert score.notes == 2
    assert score.overall.recall == 1.0
    assert score.overall.precision == 0.5
    table = score.table()
    assert "mrn" in table
    assert "all" in table
    assert "0.5000" in table
    d = score.to_dict()
    assert d["overall"]["precision"] == 0.5
    assert "missed" not in d
