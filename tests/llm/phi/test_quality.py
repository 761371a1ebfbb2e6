"""Redaction quality figures (correctness, not timing): recall >= 0.99 for every class and
precision >= 0.90 on 500 generated notes of a held-out seed (the recognizers were tuned on
seeds 1, 3, 7 and 11), and the figures on the hand-written snippets."""

from __future__ import annotations

import pytest

from tests.llm.phi._snippets import HELD_OUT, SNIPPETS
from wardwatch.llm.notes import generate_notes
from wardwatch.llm.phi import PHI_CLASSES, Redactor, score_redaction

HELD_OUT_SEED = 20261


@pytest.mark.slow
def test_generated_notes_meet_the_goals(redactor: Redactor) -> None:
    score = score_redaction(generate_notes(500, seed=HELD_OUT_SEED), redactor)
    print("\n" + score.table())
    for cls in PHI_CLASSES:
        s = score.per_class[cls]
        assert s.support >= 20, f"{cls}: too few gold spans to measure ({s.support})"
        assert s.recall is not None, cls
        assert s.recall >= 0.99, f"{cls}: recall {s.recall}"
    assert score.overall.precision is not None
    assert score.overall.precision >= 0.90
    assert score.label_agreement is not None
    assert score.label_agreement >= 0.95


def test_hand_written_snippets(redactor: Redactor) -> None:
    """Not from the generator; the bar is lower than on generated notes (names and towns on
    no list, formats the generator never writes), and the figure is printed for the record."""
    score = score_redaction(SNIPPETS, redactor)
    print("\n" + score.table())
    assert score.overall.support >= 60
    assert score.overall.recall is not None
    assert score.overall.recall >= 0.95
    assert score.overall.precision is not None
    assert score.overall.precision >= 0.90


def test_held_out_snippets(redactor: Redactor) -> None:
    """Snippets written after tuning and never tuned on (see ``_snippets.HELD_OUT_MARKED``):
    a regression guard at the figure first measured on them (recall 25/32, precision 26/26);
    the misses are m/d dates without a date word ("Echo 9/14:"), a time written "@ 0345",
    unlisted names after an unlisted relation or after the name ("son-in-law Bashir Qureshi",
    "(Gwendolyn, daughter)", "RN Tomasz") and a social-media handle."""
    score = score_redaction(HELD_OUT, redactor)
    print("\n" + score.table())
    assert score.overall.support == 32
    assert score.overall.found >= 25
    assert score.overall.precision is not None
    assert score.overall.precision >= 0.90
