"""The synthetic notes: exact spans, determinism, class coverage, surface-form variety,
facts, injections, and the longitudinal story of one patient."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.llm.notes import KINDS, SyntheticNote, generate_notes, notes_for_patient
from wardwatch.llm.phi import PHI_CLASSES


@pytest.fixture(scope="module")
def sample() -> list[SyntheticNote]:
    return generate_notes(200, seed=5)


def _check_exact(note: SyntheticNote) -> None:
    for p in note.phi:
        assert note.text[p.start : p.end] == p.text
        assert p.cls in PHI_CLASSES
        assert p.text.strip() == p.text
    for f in note.facts:
        assert note.text[f.start : f.end] == f.text
        assert f.text
    for a, b in note.injection:
        assert (
            "instruction" in note.text[a:b].lower()
            or "ignore" in note.text[a:b].lower()
            or "forget" in note.text[a:b].lower()
            or "disregard" in note.text[a:b].lower()
        )
    spans = sorted((p.start, p.end) for p in note.phi)
    assert all(e <= s for (_, e), (s, _) in itertools.pairwise(spans))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**31), st.floats(min_value=0.0, max_value=1.0))
def test_spans_are_exact_for_any_seed(seed: int, rate: float) -> None:
    for note in generate_notes(3, seed=seed, injection_rate=rate):
        _check_exact(note)
    for note in notes_for_patient(f"P{seed}", 3, seed=seed, injection_rate=rate):
        _check_exact(note)


def test_deterministic_for_a_seed() -> None:
    assert generate_notes(5, seed=9) == generate_notes(5, seed=9)
    assert generate_notes(5, seed=9) != generate_notes(5, seed=10)
    assert notes_for_patient("P1", 3, seed=2) == notes_for_patient("P1", 3, seed=2)


def test_every_class_in_at_least_five_percent_of_notes(sample: list[SyntheticNote]) -> None:
    share = Counter(c for n in sample for c in {p.cls for p in n.phi})
    for cls in PHI_CLASSES:
        assert share[cls] / len(sample) >= 0.05, (cls, share[cls])
    assert {n.kind for n in sample} == set(KINDS)


def test_surface_forms_vary(sample: list[SyntheticNote]) -> None:
    values = {cls: {p.text for n in sample for p in n.phi if p.cls == cls} for cls in PHI_CLASSES}
    dates = values["date"]
    shapes = {
        "slash": r"^\d{2}/\d{2}/\d{4}$",
        "short slash": r"^\d{1,2}/\d{1,2}/\d{2}$",
        "iso": r"^\d{4}-\d{2}-\d{2}$",
        "iso time": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}",
        "month day year": r"^[A-Z][a-z]+ \d{1,2}, \d{4}$",
        "month day ordinal": r"^[A-Z][a-z]+ \d{1,2}(st|nd|rd|th)$",
        "day month year": r"^\d{1,2} [A-Z][a-z]+ \d{4}$",
        "dd-mon-yyyy": r"^\d{2}-[A-Z][a-z]{2}-\d{4}$",
        "month/day": r"^\d{1,2}/\d{1,2}$",
    }
    for label, shape in shapes.items():
        assert any(re.match(shape, d) for d in dates), label
    phones = values["phone"]
    for shape in (r"^\(\d{3}\) \d{3}-\d{4}$", r"^\d{3}\.\d{3}\.\d{4}$", r"^\+1 \d{3} \d{3} \d{4}$"):
        assert any(re.match(shape, p) for p in phones), shape
    names = values["name"]
    assert any(re.match(r"^[A-Z]+, [A-Z][a-z]+$", n) for n in names)  # LAST, First
    assert any(n.islower() for n in names)  # dictation
    assert any(re.match(r"^[A-Z]\. [A-Z][a-z]+$", n) for n in names)  # initial
    texts = "\n".join(n.text for n in sample)
    assert re.search(r"Dr\.? [A-Z][a-z]+\b", texts)


def test_distractors_are_present_and_not_annotated(sample: list[SyntheticNote]) -> None:
    texts = "\n".join(n.text for n in sample)
    for pattern in (
        r"\(I\d\d\.\d+\)|\(E\d\d\.\d+\)",
        r"LOINC \d{3,5}-\d",
        r"\b\d+ mg\b",
        r"diagnosed in (19|20)\d\d",
        r"BP \d{2,3}/\d{2,3}",
        r"disease|syndrome",
        r"Allegra|Lyrica|Valium|Keppra|Bactrim|Eliquis|Norco",
    ):
        assert re.search(pattern, texts), pattern
    for note in sample:
        for p in note.phi:
            assert not re.fullmatch(r"(19|20)\d\d", p.text)  # a bare year is never PHI
            if p.cls == "age_over_89":
                assert int(p.text.rstrip("s")) > 89


def test_facts_name_what_they_state(sample: list[SyntheticNote]) -> None:
    kinds = Counter(f.fact_id.split(":")[0] for n in sample for f in n.facts)
    assert set(kinds) == {"dx", "lab", "med", "dispo", "fu"}
    for note in sample:
        for f in note.facts:
            kind, key = f.fact_id.split(":", 1)
            if kind == "dx":
                assert key in f.text
            if kind == "lab":
                assert re.search(r"\d", f.text)
            if kind == "med":
                assert key in f.text.lower()
        assert any(f.fact_id.startswith("dispo:") for f in note.facts) == (
            note.kind == "discharge_summary"
        )


def test_injections_only_when_asked() -> None:
    assert all(not n.injection for n in generate_notes(30, seed=4))
    injected = generate_notes(60, seed=4, injection_rate=0.5)
    share = sum(bool(n.injection) for n in injected) / len(injected)
    assert 0.25 <= share <= 0.75
    assert all(len(n.injection) == 1 for n in generate_notes(10, seed=4, injection_rate=1.0))


def test_patient_story_is_consistent() -> None:
    notes = notes_for_patient("P-77", 5, seed=3)
    assert [n.kind for n in notes] == ["consult", *["progress_note"] * 3, "discharge_summary"]
    assert {n.patient_id for n in notes} == {"P-77"}
    assert [n.date for n in notes] == sorted(n.date for n in notes)
    assert len({n.date for n in notes}) == 5
    mrns = {p.text for n in notes for p in n.phi if p.cls == "mrn"}
    assert len(mrns) == 1
    years = {m.group(1) for n in notes for m in re.finditer(r"diagnosed in (\d{4})", n.text)}
    assert len(years) == 1
    dx = [{f.fact_id for f in n.facts if f.fact_id.startswith("dx:")} for n in notes]
    assert all(d == dx[0] and len(d) == 1 for d in dx)
    # each dose change starts where the previous change of that drug left it
    last: dict[str, str] = {}
    for note in notes:
        for f in note.facts:
            m = re.search(r"from (\d+)(?: \w+)? to (\d+) (?:mg|mcg|units)", f.text)
            if f.fact_id.startswith("med:") and m:
                drug = f.fact_id[4:]
                if drug in last:
                    assert m.group(1) == last[drug], (drug, f.text)
                last[drug] = m.group(2)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="injection_rate"):
        generate_notes(1, seed=0, injection_rate=2.0)
    with pytest.raises(ValueError, match="k must be"):
        notes_for_patient("P", 0, seed=0)
    assert generate_notes(0, seed=0) == []
