"""Injected defects are exactly what the manifest lists: each listed record shows its defect
to an independent detector, every other line is byte-identical to the clean run, and the
clean run shows none of them."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import simple_icd_10_cm as icd

from wardwatch.synth import DEFECT_CLASSES, RESOURCE_TYPES, SynthConfig, SynthResult, generate
from wardwatch.synth._catalog import LABS
from wardwatch.terminology import loinc_valid, luhn_npi_valid

NOW = "2025-12-31T23:59:59+00:00"
REQUIRED = {
    "Observation": ("status", "code", "subject"),
    "Condition": ("subject", "code"),
    "MedicationRequest": ("status", "intent", "subject", "medicationCodeableConcept"),
    "Procedure": ("status", "subject"),
    "DocumentReference": ("status", "content"),
    "Claim": ("status", "type", "use", "patient", "created", "provider", "priority", "insurance"),
    "Encounter": ("status", "class"),
}
TIMES = {
    "Encounter": (("period", "start"), ("period", "end")),
    "Observation": (("effectiveDateTime",), ("issued",)),
    "Condition": (("onsetDateTime",), ("recordedDate",)),
    "MedicationRequest": (("authoredOn",),),
    "Procedure": (("performedPeriod", "start"), ("performedPeriod", "end")),
}
PLAUSIBLE = {lab.loinc: lab.plausible for lab in LABS.values()}
GLUCOSE = {"2345-7", "2339-0"}


def _get(obj: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)  # type: ignore[assignment]
    return obj


def _ts(text: Any) -> datetime | None:
    if not isinstance(text, str) or len(text) < 19:
        return None
    return datetime.fromisoformat(text)


class Detector:
    """Finds defects in a folder of NDJSON without knowing how they were made."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.records: dict[str, list[bytes]] = {
            t: (folder / f"{t}.ndjson").read_bytes().splitlines() for t in RESOURCE_TYPES
        }
        self.ids: dict[str, set[str]] = {t: set() for t in RESOURCE_TYPES}
        self.births: dict[str, str] = {}
        for t, lines in self.records.items():
            for raw in lines:
                try:
                    r = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue
                self.ids[t].add(r["id"])
                if t == "Patient" and isinstance(r.get("birthDate"), str):
                    self.births[r["id"]] = r["birthDate"]
        self.now = datetime.fromisoformat(NOW)

    def classes(self, rtype: str, raw: bytes) -> set[str]:
        """Every defect class this record shows on its own."""
        try:
            r = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return {"malformed-json"}
        found: set[str] = set()
        if any(k not in r for k in REQUIRED.get(rtype, ())):
            found.add("missing-required")
        for key in ("subject", "patient", "encounter"):
            ref = r.get(key)
            if isinstance(ref, dict) and "reference" in ref:
                target, _, rid = ref["reference"].partition("/")
                if rid not in self.ids[target]:
                    found.add("dangling-reference")
        if rtype == "Encounter" and r["period"]["end"] < r["period"]["start"]:
            found.add("end-before-start")
        subject = (r.get("subject") or r.get("patient") or {}).get("reference", "/")[8:]
        born = self.births.get(subject)
        for path in TIMES.get(rtype, ()):
            t = _ts(_get(r, path))
            if t is not None and t > self.now:
                found.add("future-date")
            if t is not None and born is not None and t.date().isoformat() < born:
                found.add("before-birth")
        code = _get(r, ("code", "coding"))
        code = code[0]["code"] if code else None
        if rtype == "Condition" and code and not icd.is_valid_item(code):
            found.add("invalid-code")
        if rtype == "Observation" and code and not loinc_valid(code):
            found.add("bad-check-digit")
        if rtype in ("Organization", "Practitioner"):
            ident = r["identifier"][0]
            if ident["system"].endswith("us-npi") and not luhn_npi_valid(ident["value"]):
                found.add("bad-check-digit")
        q = r.get("valueQuantity")
        if rtype == "Observation" and q is not None:
            value = q["value"]
            if not isinstance(value, int | float):
                found.add("wrong-type")
            elif code in PLAUSIBLE:
                lo, hi = PLAUSIBLE[code]
                if not lo <= value <= hi:
                    found.add("implausible-value")
                if code in GLUCOSE and q["unit"] == "mg/dL" and 0 < value < 40:
                    found.add("unit-switch")
        for path in (("recordedDate",), ("authoredOn",), ("birthDate",)):
            if path[0] in r and not isinstance(r[path[0]], str):
                found.add("wrong-type")
        if rtype == "Claim" and not isinstance(_get(r, ("total", "value")), int | float):
            found.add("wrong-type")
        return found

    def all_defects(self) -> Counter[str]:
        found: Counter[str] = Counter()
        for t, lines in self.records.items():
            for raw in lines:
                found.update(self.classes(t, raw))
        found.update(self.duplicates())
        return found

    def duplicates(self) -> list[str]:
        """duplicate-patient / duplicate-event findings (same facts, different id)."""
        out: list[str] = []
        people = Counter()
        for raw in self.records["Patient"]:
            p = orjson.loads(raw)
            people[(p["identifier"][1]["value"], tuple(p["name"][0]["given"]))] += 1
        out += ["duplicate-patient"] * sum(n - 1 for n in people.values())
        keys = {
            "Observation": lambda r: (
                r.get("subject"),
                r["code"]["coding"][0]["code"],
                r.get("effectiveDateTime"),
                str(r.get("valueQuantity")),
            ),
            "Condition": lambda r: (
                r.get("subject"),
                r["code"]["coding"][0]["code"],
                r.get("onsetDateTime"),
                str(r.get("recordedDate")),
                r["category"][0]["coding"][0]["code"],
            ),
            "MedicationRequest": lambda r: (
                r.get("subject"),
                str(r.get("authoredOn")),
                r["medicationCodeableConcept"]["coding"][0]["code"],
            ),
            "Procedure": lambda r: (
                r.get("subject"),
                r["code"]["coding"][0]["code"],
                str(r.get("performedPeriod")),
            ),
        }
        for t, key in keys.items():
            seen: Counter[str] = Counter()
            for raw in self.records[t]:
                try:
                    r = orjson.loads(raw)
                    if "code" not in r and t in ("Observation", "Condition", "Procedure"):
                        continue
                    seen[str(key(r))] += 1
                except (orjson.JSONDecodeError, KeyError):
                    continue
            out += ["duplicate-event"] * sum(n - 1 for n in seen.values())
        return out


def test_clean_output_has_no_defects(clean_run: SynthResult) -> None:
    assert Detector(clean_run.out).all_defects() == Counter()
    assert not (clean_run.out / "defects.jsonl").exists()


def _manifest(run: SynthResult) -> list[dict[str, Any]]:
    assert run.defects_manifest is not None
    return [orjson.loads(x) for x in run.defects_manifest.read_bytes().splitlines()]


def test_every_class_is_injected_and_counted(defect_run: SynthResult) -> None:
    entries = _manifest(defect_run)
    counts = Counter(e["class"] for e in entries)
    assert set(counts) == set(DEFECT_CLASSES)
    assert counts == Counter(defect_run.defects)
    for e in entries:
        assert set(e) >= {"class", "resource_type", "resource_id", "field", "file", "line"}
        assert e["file"] == f"{e['resource_type']}.ndjson"


def test_each_listed_record_shows_its_defect(defect_run: SynthResult) -> None:
    det = Detector(defect_run.out)
    for e in _manifest(defect_run):
        raw = det.records[e["resource_type"]][e["line"] - 1]
        assert e["resource_id"].encode() in raw
        if e["class"] in ("duplicate-patient", "duplicate-event"):
            original = orjson.loads(raw)
            assert e["duplicate_of"] != e["resource_id"]
            assert e["duplicate_of"] in det.ids[e["resource_type"]]
            assert original["id"] == e["resource_id"]
            continue
        assert e["class"] in det.classes(e["resource_type"], raw), e


def test_nothing_else_changed(clean_run: SynthResult, defect_run: SynthResult) -> None:
    entries = _manifest(defect_run)
    changed = {
        (e["file"], e["line"])
        for e in entries
        if e["class"] not in ("duplicate-patient", "duplicate-event")
    }
    inserted = {
        (e["file"], e["line"])
        for e in entries
        if e["class"] in ("duplicate-patient", "duplicate-event")
    }
    for rtype in RESOURCE_TYPES:
        name = f"{rtype}.ndjson"
        clean = (clean_run.out / name).read_bytes().splitlines()
        broken = (defect_run.out / name).read_bytes().splitlines()
        kept = [(i, raw) for i, raw in enumerate(broken, 1) if (name, i) not in inserted]
        assert len(kept) == len(clean), name
        for (line, raw), original in zip(kept, clean, strict=True):
            if (name, line) in changed:
                assert raw != original
            else:
                assert raw == original, (name, line)


def test_duplicate_patient_is_a_near_copy(defect_run: SynthResult) -> None:
    patients = {}
    for raw in (defect_run.out / "Patient.ndjson").read_bytes().splitlines():
        p = orjson.loads(raw)
        patients[p["id"]] = p
    dups = [e for e in _manifest(defect_run) if e["class"] == "duplicate-patient"]
    assert dups
    for e in dups:
        new, old = patients[e["resource_id"]], patients[e["duplicate_of"]]
        assert new["identifier"][0]["value"] != old["identifier"][0]["value"]  # new MRN
        diffs = [k for k in ("name", "telecom", "birthDate") if new[k] != old[k]]
        assert len(diffs) == 1


def test_unit_switch_defect_is_one_feed_slice(defect_run: SynthResult) -> None:
    entries = [e for e in _manifest(defect_run) if e["class"] == "unit-switch"]
    obs = (defect_run.out / "Observation.ndjson").read_bytes().splitlines()
    encounters = {}
    for raw in (defect_run.out / "Encounter.ndjson").read_bytes().splitlines():
        enc = orjson.loads(raw)
        encounters[enc["id"]] = enc["serviceProvider"]["display"]
    sites = set()
    for e in entries:
        o = orjson.loads(obs[e["line"] - 1])
        assert o["valueQuantity"]["unit"] == "mg/dL"
        sites.add(encounters[o["encounter"]["reference"][10:]])
    assert len(sites) == 1


@pytest.mark.parametrize("spec", ["missing-required=0.5", "all=0.001"])
def test_specs_apply_only_their_classes(tmp_path: Path, spec: str) -> None:
    run = generate(
        SynthConfig(patients=15, seed=2, out=tmp_path, defects=spec, hl7=False, claims_csv=False)
    )
    entries = _manifest(run)
    classes = {e["class"] for e in entries}
    if spec.startswith("missing"):
        assert classes == {"missing-required"}
    assert classes <= set(DEFECT_CLASSES)
    assert sum(run.defects.values()) == len(entries)
