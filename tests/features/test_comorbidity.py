"""Charlson and Elixhauser code lists (Quan 2005) and their hierarchies."""

from __future__ import annotations

import pytest

from wardwatch.features._comorbidity import CHARLSON, ELIXHAUSER, HIERARCHY, categories_of, expand


def test_expand_ranges() -> None:
    assert expand("I50") == ["I50"]
    assert expand("K70.0-K70.3") == ["K700", "K701", "K702", "K703"]
    assert expand("C00-C26")[:2] == ["C00", "C01"]
    assert expand("C00-C26")[-1] == "C26"
    assert len(expand("I60-I69")) == 10
    with pytest.raises(ValueError, match="not a numeric range"):
        expand("A1-B2")


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("I50.32", {("charlson", "chf"), ("elixhauser", "chf")}),
        ("I21.4", {("charlson", "mi")}),
        ("E11.22", {("charlson", "diabwc"), ("elixhauser", "diabc")}),
        ("E11.9", {("charlson", "diab"), ("elixhauser", "diabunc")}),
        ("E11.65", {("charlson", "diab"), ("elixhauser", "diabunc")}),
        ("C78.01", {("charlson", "metacanc"), ("elixhauser", "metacanc")}),
        ("C34.90", {("charlson", "canc"), ("elixhauser", "solidtum")}),
        ("J44.1", {("charlson", "cpd"), ("elixhauser", "cpd")}),
        ("N18.4", {("charlson", "rend"), ("elixhauser", "rf")}),
        ("I10", {("elixhauser", "hypunc")}),
        ("F32.9", {("elixhauser", "depre")}),
        ("K70.30", {("charlson", "mld"), ("elixhauser", "ld"), ("elixhauser", "alcohol")}),
        ("Z00.00", set()),
        ("J18.9", set()),
    ],
)
def test_categories_of(code: str, expected: set[tuple[str, str]]) -> None:
    assert set(categories_of(code)) == expected
    assert set(categories_of(code.replace(".", "").lower())) == expected


def test_index_sizes_and_weights() -> None:
    assert len(CHARLSON) == 17
    assert len(ELIXHAUSER) == 31
    weights = {c.key: c.weight for c in CHARLSON}
    assert weights["metacanc"] == weights["aids"] == 6
    assert weights["msld"] == 3
    assert sum(weights.values()) == 33  # Charlson's maximum before hierarchies
    keys = {c.key for c in CHARLSON} | {c.key for c in ELIXHAUSER}
    for pairs in HIERARCHY.values():
        for kept, dropped in pairs:
            assert {kept, dropped} <= keys
