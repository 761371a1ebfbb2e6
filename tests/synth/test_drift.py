"""Each drift shows in the output after its date, and the output before the date is exactly
the output without drift (same seed)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from wardwatch.synth import SynthConfig, SynthResult, generate
from wardwatch.synth._codes import UNSPECIFIED

D = "2023-01-01"


@functools.lru_cache(maxsize=16)
def _records(folder: Path, rtype: str) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in (folder / f"{rtype}.ndjson").read_bytes().splitlines()]


@functools.lru_cache(maxsize=16)
def _lines_before(folder: Path, rtype: str) -> list[bytes]:
    """The raw lines of records dated before D (by their clinical or recorded time)."""
    key = {
        "Encounter": b'"start":"',
        "Observation": b'"effectiveDateTime":"',
        "Condition": b'"recordedDate":"',
    }[rtype]
    out = []
    for raw in (folder / f"{rtype}.ndjson").read_bytes().splitlines():
        i = raw.index(key) + len(key)
        if raw[i : i + 10].decode() < D:
            out.append(raw)
    return sorted(out)


def _run(tmp_path: Path, drift: str) -> Path:
    generate(
        SynthConfig(patients=200, seed=11, out=tmp_path, drift=drift, hl7=False, claims_csv=False)
    )
    return tmp_path


def _assert_same_before(clean: Path, drifted: Path) -> None:
    for rtype in ("Encounter", "Observation", "Condition"):
        a = _lines_before(clean, rtype)
        assert a, rtype
        assert a == _lines_before(drifted, rtype), rtype


def test_a_silent_unit_switch_keeps_the_unit_and_divides_the_values(
    clean_run: SynthResult, tmp_path: Path
) -> None:
    """``silent-unit-switch``: glucose in mmol/L under the mg/dL unit from the date (the
    failure the quality gate's unit-switch check and monitoring exist for)."""
    out = _run(tmp_path, f"silent-unit-switch@{D}:all")
    _assert_same_before(clean_run.out, out)
    glucose = [
        (o["effectiveDateTime"][:10] >= D, o["valueQuantity"]["unit"], o["valueQuantity"]["value"])
        for o in _records(out, "Observation")
        if o["code"]["coding"][0]["code"] == "2345-7"
    ]
    assert {u for _, u, _ in glucose} == {"mg/dL"}
    before = sorted(v for after, _, v in glucose if not after)
    after = sorted(v for after, _, v in glucose if after)
    assert before
    assert after
    ratio = before[len(before) // 2] / after[len(after) // 2]
    assert 12 < ratio < 27  # medians ~18x apart (different patients on each side)


def test_rule_drifts_switch_at_the_date(clean_run: SynthResult, tmp_path: Path) -> None:
    out = _run(tmp_path, f"unit-switch@{D}:LMC,code-set-change@{D}:RGH,new-site@{D}:0.5")
    _assert_same_before(clean_run.out, out)
    drift_doc = orjson.loads((out / "drift.json").read_bytes())
    assert {d["kind"] for d in drift_doc["drift"]} == {"unit-switch", "code-set-change", "new-site"}
    site_of = {e["id"]: e["serviceProvider"]["display"] for e in _records(out, "Encounter")}
    units = {
        (
            site_of[o["encounter"]["reference"][10:]],
            o["effectiveDateTime"][:10] >= D,
            o["valueQuantity"]["unit"],
        )
        for o in _records(out, "Observation")
        if o["code"]["coding"][0]["code"] == "2345-7"
    }
    assert ("Lakeview Medical Center", True, "mmol/L") in units
    assert ("Lakeview Medical Center", False, "mg/dL") in units
    assert ("Lakeview Medical Center", True, "mg/dL") not in units
    assert all(u == "mg/dL" for s, _, u in units if s != "Lakeview Medical Center")
    mmol = [
        o["valueQuantity"]["value"]
        for o in _records(out, "Observation")
        if o["code"]["coding"][0]["code"] == "2345-7" and o["valueQuantity"]["unit"] == "mmol/L"
    ]
    assert any(v != int(v) for v in mmol), "mmol/L keeps its decimal (5.3, not 5)"
    # code-set-change: RGH stops using the specific codes after the date.
    rgh = [
        c
        for c in _records(out, "Condition")
        if site_of[c["encounter"]["reference"][10:]] == "Riverside General Hospital"
    ]
    specific = set(UNSPECIFIED)
    # The site codes by the date of the visit (a stay's codes are recorded after it ends).
    visit_day = {e["id"]: e["period"]["start"][:10] for e in _records(out, "Encounter")}
    day = {c["id"]: visit_day[c["encounter"]["reference"][10:]] for c in rgh}
    after = [c["code"]["coding"][0]["code"] for c in rgh if day[c["id"]] >= D]
    before = [c["code"]["coding"][0]["code"] for c in rgh if day[c["id"]] < D]
    assert any(code in specific for code in before)
    assert not any(code in specific for code in after)
    assert any(code in {u.code for u in UNSPECIFIED.values()} for code in after)
    # new-site: the new hospital admits only after it opens.
    new = [
        e
        for e in _records(out, "Encounter")
        if e["serviceProvider"]["display"] == "Northgate Health Pavilion"
    ]
    assert new
    assert all(e["period"]["start"][:10] >= D for e in new)
    assert {e["class"]["code"] for e in new} <= {"IMP", "EMER"}
    orgs = {o["name"] for o in _records(out, "Organization")}
    assert "Northgate Health Pavilion" in orgs


def _admissions(folder: Path) -> list[tuple[dict[str, Any], float]]:
    births = {p["id"]: date.fromisoformat(p["birthDate"]) for p in _records(folder, "Patient")}
    out = []
    for e in _records(folder, "Encounter"):
        if e["class"]["code"] == "IMP" and e["period"]["start"][:10] >= D:
            start = date.fromisoformat(e["period"]["start"][:10])
            out.append((e, (start - births[e["subject"]["reference"][8:]]).days / 365.25))
    return out


def _readmissions(folder: Path) -> int:
    by_patient: dict[str, list[dict[str, Any]]] = {}
    for e in _records(folder, "Encounter"):
        if e["class"]["code"] == "IMP":
            by_patient.setdefault(e["subject"]["reference"], []).append(e)
    n = 0
    for encs in by_patient.values():
        encs.sort(key=lambda e: e["period"]["start"])
        for a, b in itertools.pairwise(encs):
            gap = (
                date.fromisoformat(b["period"]["start"][:10])
                - date.fromisoformat(a["period"]["end"][:10])
            ).days
            unplanned = b["type"][0]["coding"][0]["code"] != "8715000"
            n += a["period"]["end"][:10] >= D and gap <= 30 and unplanned
    return n


@pytest.mark.parametrize(
    ("drift", "measure"),
    [
        (f"age-mix@{D}:4", lambda f: sum(age >= 75 for _, age in _admissions(f))),
        (
            f"case-mix@{D}:4",
            lambda f: sum(
                e["reasonCode"][0]["coding"][0]["code"][:3] in {"I50", "N17"}
                for e, _ in _admissions(f)
            ),
        ),
        (f"label-rate@{D}:3", _readmissions),
    ],
)
def test_rate_drifts_shift_after_the_date(
    clean_run: SynthResult, tmp_path: Path, drift: str, measure: Callable[[Path], int]
) -> None:
    out = _run(tmp_path, drift)
    _assert_same_before(clean_run.out, out)
    base, shifted = measure(clean_run.out), measure(out)
    assert base > 5
    assert shifted > 1.5 * base, (base, shifted)
