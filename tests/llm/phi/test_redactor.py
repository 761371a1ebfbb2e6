"""Redaction sessions: placeholders, consistency, idempotence, restore; overlap resolution."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.llm.phi._snippets import SNIPPETS
from wardwatch.llm.notes import generate_notes
from wardwatch.llm.phi import PLACEHOLDER_RE, Redactor
from wardwatch.llm.phi._redactor import resolve

NOTE = (
    "Patient: GARCIA, Maria  MRN: 00123456  DOB: 03/04/1931\n"
    "Ms. Garcia, a 92-year-old woman, was seen by Dr. Anita Patel on March 3rd, 2021. "
    "Phone (555) 123-4567. Cr 1.8 mg/dL (LOINC 2160-0), E11.9, BP 132/84."
)


def test_redact_replaces_phi_and_keeps_clinical_content(redactor: Redactor) -> None:
    session = redactor.session()
    out = session.redact(NOTE)
    for phi in ("GARCIA", "Maria", "00123456", "03/04/1931", "Anita Patel", "123-4567"):
        assert phi not in out
    for keep in ("Cr 1.8 mg/dL", "LOINC 2160-0", "E11.9", "BP 132/84", "-year-old"):
        assert keep in out
    assert "[NAME_1]" in out
    assert "[AGE_OVER_89_1]" in out
    assert "[MRN_1]" in out
    assert out.isascii() or not NOTE.isascii()


def test_restore_round_trip_and_counts(redactor: Redactor) -> None:
    session = redactor.session()
    out = session.redact(NOTE)
    assert session.restore(out) == NOTE
    assert session.counts["name"] == 3
    assert session.counts["date"] == 2
    assert set(session.mapping) == set(PLACEHOLDER_RE.findall(out))
    assert all(v in NOTE for v in session.mapping.values())


def test_same_value_same_placeholder_across_texts_case_and_space_blind(
    redactor: Redactor,
) -> None:
    session = redactor.session()
    a = session.redact("Seen by Dr. Anita Patel today.")
    b = session.redact("Dr. ANITA  PATEL called; Dr. Omar Haddad too.")
    assert a == "Seen by Dr. [NAME_1] today."
    assert b == "Dr. [NAME_1] called; Dr. [NAME_2] too."
    assert session.restore(b) == "Dr. Anita Patel called; Dr. Omar Haddad too."


def test_sessions_are_independent(redactor: Redactor) -> None:
    one, two = redactor.session(), redactor.session()
    one.redact("Dr. Anita Patel")
    assert two.redact("Dr. Omar Haddad") == "Dr. [NAME_1]"


def test_restore_tolerates_retyped_placeholders_and_leaves_unknown(redactor: Redactor) -> None:
    session = redactor.session()
    session.redact("Seen by Dr. Anita Patel.")
    reply = "Per [name_1] and [ NAME 1 ], see [NAME_7] and [DATE_1]."
    assert session.restore(reply) == "Per Anita Patel and Anita Patel, see [NAME_7] and [DATE_1]."


def test_foreign_placeholders_are_kept_and_reserved(redactor: Redactor) -> None:
    session = redactor.session()
    text = "Template [NAME_1] then Dr. Anita Patel."
    out = session.redact(text)
    assert out == "Template [NAME_1] then Dr. [NAME_2]."
    assert session.restore(out) == text


def test_idempotent_on_generated_notes_and_snippets(redactor: Redactor) -> None:
    texts = [n.text for n in generate_notes(40, seed=11)] + [s.text for s in SNIPPETS]
    for text in texts:
        session = redactor.session()
        once = session.redact(text)
        assert session.redact(once) == once
        assert redactor.find(once) == []
        # notes write one value in several cases ("Ramon" / "ramon"): one placeholder, so
        # restore gives the first-seen form back
        assert _norm(session.restore(once)) == _norm(text)


def test_resolve_merges_overlaps_and_labels_by_score_then_length() -> None:
    cands = [
        (0, 10, "other_id", 0.35),
        (2, 10, "mrn", 0.95),  # inside, higher score: labels the merged span
        (20, 25, "date", 0.85),
        (22, 30, "date", 0.85),  # same score, longer: wins
        (40, 45, "name", 0.6),
        (45, 50, "name", 0.6),  # touching, not overlapping: stays apart
    ]
    assert resolve(cands) == [
        (0, 10, "mrn"),
        (20, 30, "date"),
        (40, 45, "name"),
        (45, 50, "name"),
    ]
    assert resolve([]) == []


_FRAGMENTS = st.sampled_from(
    [
        "Dr. Anita Patel",
        "GARCIA, Maria",
        "MRN: 00123456",
        "03/04/2021",
        "(555) 123-4567",
        "maria.garcia@example.com",
        "92-year-old",
        "1423 N Maple Ave",
        "Springfield, IL 62704",
        "VIN 1HGCM82633A004352",
        "IP 10.0.4.27",
        "[NAME_1]",
        "[DATE_3]",
        "Cr 1.8 mg/dL",
        "E11.9",
    ]
)
_TEXT = st.lists(
    st.one_of(st.text(max_size=12), _FRAGMENTS, st.sampled_from([" ", "\n", ", ", ". "])),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_restore_inverts_redact_for_arbitrary_text(text: str) -> None:
    session = Redactor.default().session()
    out = session.redact(text)
    assert session.restore(out) == text
    assert session.redact(out) == out


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(["Dr. Anita Patel", "Dr. ANITA  PATEL", "Dr. anita patel"]),
        min_size=1,
        max_size=6,
    ).map(", then ".join)
)
def test_case_variants_share_one_placeholder_and_restore_the_first_form(text: str) -> None:
    """One placeholder per value: restore gives the first-seen form, equal up to case/space."""
    session = Redactor.default().session()
    out = session.redact(text)
    assert set(PLACEHOLDER_RE.findall(out)) == {"[NAME_1]"}
    assert _norm(session.restore(out)) == _norm(text)
