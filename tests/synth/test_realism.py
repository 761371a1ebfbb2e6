"""Distributions follow the documented clinical model (checked on the FHIR output)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date

from tests.synth._helpers import read_ndjson
from wardwatch.synth import SynthResult
from wardwatch.synth._catalog import LABS


def _by_patient_codes(run: SynthResult) -> dict[str, set[str]]:
    codes: dict[str, set[str]] = defaultdict(set)
    for c in read_ndjson(run.out / "Condition.ndjson"):
        codes[c["subject"]["reference"][8:]].add(c["code"]["coding"][0]["code"])
    return codes


def _values(run: SynthResult, loinc: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for o in read_ndjson(run.out / "Observation.ndjson"):
        if o["code"]["coding"][0]["code"] == loinc and "valueQuantity" in o:
            out[o["subject"]["reference"][8:]].append(o["valueQuantity"]["value"])
    return out


def _median_split(values: dict[str, list[float]], has: set[str]) -> tuple[float, float]:
    yes = [v for p, vs in values.items() if p in has for v in vs]
    no = [v for p, vs in values.items() if p not in has for v in vs]
    return statistics.median(yes), statistics.median(no)


def test_labs_follow_conditions(clean_run: SynthResult) -> None:
    codes = _by_patient_codes(clean_run)
    diabetic = {p for p, cs in codes.items() if any(c.startswith("E11") for c in cs)}
    ckd = {p for p, cs in codes.items() if any(c.startswith("N18") for c in cs)}
    hf = {p for p, cs in codes.items() if any(c.startswith("I50") for c in cs)}
    assert diabetic
    assert ckd
    assert hf
    glu_dm, glu_other = _median_split(_values(clean_run, "2345-7"), diabetic)
    assert glu_dm > glu_other + 25
    a1c = _values(clean_run, "4548-4")  # ordered for diabetics
    assert set(a1c) <= diabetic
    assert statistics.median(v for vs in a1c.values() for v in vs) > 6.5
    cr_ckd, cr_other = _median_split(_values(clean_run, "2160-0"), ckd)
    assert cr_ckd > 1.4 * cr_other
    egfr_ckd, egfr_other = _median_split(_values(clean_run, "33914-3"), ckd)
    assert egfr_ckd < 60 < egfr_other
    bnp = _values(clean_run, "30934-4")  # ordered for heart failure
    assert set(bnp) <= hf
    assert statistics.median(v for vs in bnp.values() for v in vs) > 3 * 100  # 3x the ULN


def test_values_are_plausible(clean_run: SynthResult) -> None:
    limits = {lab.loinc: lab.plausible for lab in LABS.values()}
    for o in read_ndjson(clean_run.out / "Observation.ndjson"):
        lo, hi = limits[o["code"]["coding"][0]["code"]]
        for q in [o.get("valueQuantity")] + [c["valueQuantity"] for c in o.get("component", [])]:
            if q is not None:
                assert lo <= q["value"] <= hi


def test_payers_follow_age(clean_run: SynthResult) -> None:
    births = {
        p["id"]: date.fromisoformat(p["birthDate"])
        for p in read_ndjson(clean_run.out / "Patient.ndjson")
    }
    senior: list[str] = []
    young: list[str] = []
    for c in read_ndjson(clean_run.out / "Claim.ndjson"):
        born = births[c["patient"]["reference"][8:]]
        served = date.fromisoformat(c["billablePeriod"]["start"][:10])
        payer = c["insurance"][0]["coverage"]["display"]
        (senior if (served - born).days / 365.25 >= 65 else young).append(payer)
    medicare = lambda xs: sum("Medicare" in x for x in xs) / len(xs)  # noqa: E731
    assert medicare(senior) > 0.9
    assert medicare(young) < 0.15
    assert {"Medicaid", "Self-pay"} <= set(young)
    assert any(x in young for x in ("Aetna", "Cigna", "UnitedHealthcare", "Blue Cross Blue Shield"))


def test_population_mix(clean_run: SynthResult) -> None:
    patients = list(read_ndjson(clean_run.out / "Patient.ndjson"))
    females = sum(p["gender"] == "female" for p in patients) / len(patients)
    assert 0.4 < females < 0.65
    races = {p["extension"][0]["extension"][0]["valueCoding"]["code"] for p in patients}
    assert {"2106-3", "2054-5", "2028-9"} <= races
    sites = {p["managingOrganization"]["display"] for p in patients}
    assert len(sites) == 5
    assert any("deceasedDateTime" in p for p in patients)
    offsets = {e["period"]["start"][-6:] for e in read_ndjson(clean_run.out / "Encounter.ndjson")}
    assert {"-05:00", "-04:00", "-07:00", "-08:00"} <= offsets  # DST, and Arizona's -07:00


def test_notes_mention_the_record(clean_run: SynthResult) -> None:
    import base64

    seen = 0
    for d in read_ndjson(clean_run.out / "DocumentReference.ndjson"):
        text = base64.b64decode(d["content"][0]["attachment"]["data"]).decode()
        if d["type"]["coding"][0]["code"] == "18842-5":
            assert text.startswith("DISCHARGE SUMMARY")
            assert "Principal diagnosis:" in text
            assert "Labs at discharge:" in text
            seen += 1
        else:
            assert text.startswith("PROGRESS NOTE")
    assert seen > 10


def test_planned_and_unplanned_admissions(clean_run: SynthResult) -> None:
    types = defaultdict(int)
    for e in read_ndjson(clean_run.out / "Encounter.ndjson"):
        if e["class"]["code"] == "IMP":
            types[e["type"][0]["coding"][0]["code"]] += 1
            if e["type"][0]["coding"][0]["code"] == "183452005":
                assert e["hospitalization"]["admitSource"]["coding"][0]["code"] == "emd"
    assert types["183452005"] > types["8715000"] > 0
