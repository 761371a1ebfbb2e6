"""The FHIR output validates against the fhir.resources R4B models, and coded values that
those models do not check are from their required value sets."""

from __future__ import annotations

import importlib
import itertools
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tests.synth._helpers import read_ndjson
from wardwatch.core.timeutil import normalize_datetime
from wardwatch.synth import RESOURCE_TYPES, SynthConfig, SynthResult, generate

MODULES = {t: t.lower() for t in RESOURCE_TYPES}


@pytest.mark.parametrize("rtype", RESOURCE_TYPES)
def test_sample_validates_with_fhir_resources(clean_run: SynthResult, rtype: str) -> None:
    model = getattr(importlib.import_module(f"fhir.resources.R4B.{MODULES[rtype]}"), rtype)
    path = clean_run.out / f"{rtype}.ndjson"
    lines = path.read_bytes().splitlines()
    assert lines, rtype
    step = max(1, len(lines) // 150)  # a spread-out sample of about 150
    for line in lines[::step]:
        model.model_validate(orjson.loads(line))


def test_required_bindings_and_times(clean_run: SynthResult) -> None:
    out = clean_run.out
    now = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
    for p in read_ndjson(out / "Patient.ndjson"):
        assert p["gender"] in {"male", "female", "other", "unknown"}
        assert {i["type"]["coding"][0]["code"] for i in p["identifier"]} == {"MR", "SS"}
        race = p["extension"][0]
        assert race["url"].endswith("us-core-race")
        assert race["extension"][0]["valueCoding"]["code"] in {
            "2106-3",
            "2054-5",
            "2028-9",
            "1002-5",
            "2076-8",
            "UNK",
        }
    classes = set()
    for e in read_ndjson(out / "Encounter.ndjson"):
        assert e["status"] == "finished"
        classes.add(e["class"]["code"])
        assert e["period"]["start"] < e["period"]["end"]
        for key in ("start", "end"):
            norm = normalize_datetime(e["period"][key])
            assert norm is not None
            assert e["period"][key][-6] in "+-"  # explicit offset
        npi = e["participant"][0]["individual"]["identifier"]
        assert npi["system"] == "http://hl7.org/fhir/sid/us-npi"
        if e["class"]["code"] == "IMP":
            hosp = e["hospitalization"]
            assert hosp["dischargeDisposition"]["coding"][0]["system"] == (
                "http://terminology.hl7.org/CodeSystem/discharge-disposition"
            )
            assert hosp["admitSource"]["coding"][0]["code"] in {"emd", "mp", "outp", "hosp-trans"}
    assert classes == {"IMP", "AMB", "EMER"}
    for c in read_ndjson(out / "Condition.ndjson"):
        assert c["clinicalStatus"]["coding"][0]["system"].endswith("condition-clinical")
        assert c["verificationStatus"]["coding"][0]["system"].endswith("condition-ver-status")
        assert c["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
        assert _dt(c["recordedDate"]) <= now
    for o in read_ndjson(out / "Observation.ndjson"):
        assert o["status"] == "final"
        assert _dt(o["effectiveDateTime"]) <= _dt(o["issued"]) <= now
        for q in [o.get("valueQuantity")] + [c["valueQuantity"] for c in o.get("component", [])]:
            if q is not None:
                assert q["system"] == "http://unitsofmeasure.org"
    for m in read_ndjson(out / "MedicationRequest.ndjson"):
        assert m["status"] in {"active", "completed", "stopped"}
        assert m["intent"] == "order"
    for d in read_ndjson(out / "DocumentReference.ndjson"):
        att = d["content"][0]["attachment"]
        assert att["contentType"] == "text/plain"
        assert d["type"]["coding"][0]["code"] in {"18842-5", "11506-3"}
    for cl in read_ndjson(out / "Claim.ndjson"):
        assert _dt(cl["created"]) <= now
        assert cl["insurance"][0]["coverage"]["display"]
    # Every time in the output is before "now" (no future dates in clean output).
    for rtype in RESOURCE_TYPES:
        text = (out / f"{rtype}.ndjson").read_text()
        assert '"2026-' not in text, rtype
        assert '"2027-' not in text, rtype


def test_bundle_format(tmp_path: Path) -> None:
    from fhir.resources.R4B.bundle import Bundle

    result = generate(SynthConfig(patients=4, seed=5, out=tmp_path, format="bundle"))
    files = sorted((tmp_path / "bundles").glob("*.json"))
    assert len(files) == 4
    assert result.counts["Patient"] == 4
    for path in files:
        doc = orjson.loads(path.read_bytes())
        Bundle.model_validate(doc)
        assert doc["type"] == "transaction"
        full_urls = {e["fullUrl"] for e in doc["entry"]}
        for entry in doc["entry"]:
            assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
            assert entry["request"]["method"] == "POST"
        # every reference inside the bundle resolves to one of its entries
        refs = [m for m in _references(doc) if m]
        assert refs
        assert all(r.startswith("urn:uuid:") and r in full_urls for r in refs)
        patients = [e for e in doc["entry"] if e["resource"]["resourceType"] == "Patient"]
        assert len(patients) == 1
        assert path.stem == patients[0]["resource"]["id"]


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _references(obj: object) -> list[str]:
    if isinstance(obj, dict):
        found = [obj["reference"]] if isinstance(obj.get("reference"), str) else []
        return found + list(itertools.chain.from_iterable(_references(v) for v in obj.values()))
    if isinstance(obj, list):
        return list(itertools.chain.from_iterable(_references(v) for v in obj))
    return []
