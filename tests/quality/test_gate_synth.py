"""End to end on generated data: every injected defect class is found (recall 100% per class
against the generator's manifest) and a clean population gets no finding at all."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.quality._lake import ts

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import init_workspace
from wardwatch.ingest import ingest
from wardwatch.quality import QualityReport, Verdict, run_gate
from wardwatch.synth import SynthConfig, generate

AS_OF = ts("2026-06-30")  # after the generator's "now" (2025-12-31), before any future date

#: The finding reasons that account for each defect class of the generator.
EXPECTED_REASONS: dict[str, set[str]] = {
    "missing-required": {"missing-required"},
    "malformed-json": {"malformed-record"},
    "wrong-type": {"wrong-type", "invalid-datetime"},
    "dangling-reference": {"dangling-reference"},
    "end-before-start": {"end-before-start"},
    "future-date": {"future-date"},
    "before-birth": {"before-birth"},
    "invalid-code": {"unknown-code", "header-code", "bad-format"},
    "bad-check-digit": {"bad-check-digit"},
    "unit-switch": {"unit-switch"},
    "implausible-value": {"implausible-value"},
    "duplicate-patient": {"probable-duplicate-patient", "duplicate-patient"},
    "duplicate-event": {"duplicate-event"},
}


def _population(root: Path, defects: str | None, seed: int) -> tuple[QualityReport, Path]:
    out = root / "synth"
    generate(SynthConfig(patients=150, seed=seed, out=out, defects=defects, claims_csv=False,
                         hl7=False))  # fmt: skip
    ws = init_workspace(root / "ws")
    ingest(ws, [out], workers=1)
    return run_gate(Lake(ws.lake_dir), as_of=AS_OF, max_findings=None), out


@pytest.fixture(scope="module")
def defective(tmp_path_factory: pytest.TempPathFactory) -> tuple[QualityReport, Path]:
    return _population(tmp_path_factory.mktemp("defects"), "all=0.03", seed=11)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> QualityReport:
    return _population(tmp_path_factory.mktemp("clean"), None, seed=12)[0]


def _index(report: QualityReport) -> dict[str, dict[Any, set[str]]]:
    """Reasons found per record id (base id of components) and per (file name, line)."""
    by_id: dict[Any, set[str]] = defaultdict(set)
    by_line: dict[Any, set[str]] = defaultdict(set)
    for f in report.findings:
        for rid in (f.record_id, f.related_id):
            if rid:
                by_id[rid.split("#", 1)[0]].add(f.reason)
        if f.source and f.line:
            by_line[(Path(f.source).name, f.line)].add(f.reason)
    return {"id": by_id, "line": by_line}


@pytest.mark.slow
def test_every_injected_defect_is_found(defective: tuple[QualityReport, Path]) -> None:
    report, out = defective
    manifest = [orjson.loads(x) for x in (out / "defects.jsonl").read_bytes().splitlines() if x]
    index = _index(report)
    missed: dict[str, list[str]] = defaultdict(list)
    seen: dict[str, int] = defaultdict(int)
    for entry in manifest:
        cls = entry["class"]
        seen[cls] += 1
        want = EXPECTED_REASONS[cls]
        reasons = index["id"].get(entry["resource_id"], set()) | index["line"].get(
            (Path(entry["file"]).name, entry["line"]), set()
        )
        if not reasons & want:
            missed[cls].append(f"{entry['resource_type']}/{entry['resource_id']} {sorted(reasons)}")
    assert set(seen) == set(EXPECTED_REASONS), "the generator injected every class"
    recall = {c: 1 - len(missed.get(c, ())) / n for c, n in seen.items()}
    assert not missed, f"recall per class {recall}; missed {dict(missed)}"
    assert set(recall.values()) == {1.0}
    assert report.verdict is Verdict.FAIL


@pytest.mark.slow
def test_clean_population_has_no_finding(clean: QualityReport) -> None:
    noisy = {(r.check, r.table): (r.failed, r.error, r.findings[:3]) for r in clean.results
             if r.failed or r.error}  # fmt: skip
    assert noisy == {}
    assert clean.verdict is Verdict.PASS


@pytest.mark.slow
def test_synthea_bundles_fail_only_on_their_real_defect(tmp_path: Path) -> None:
    """The Synthea sample passes every check but one: its practitioners' "NPI" identifiers are
    Synthea's own sequence numbers ("520", "20"...) under the us-npi system, not 10-digit NPIs
    with a Luhn check digit. Nothing else is flagged: practitioners repeated unchanged in
    every bundle are not key conflicts, SNOMED CT diagnoses on claims are checked as SNOMED CT,
    and the death-certification encounter after death is not "care after death"."""
    from tests.conftest import FIXTURES

    ws = init_workspace(tmp_path / "ws")
    ingest(ws, [FIXTURES / "synthea"], workers=1)
    report = run_gate(Lake(ws.lake_dir), as_of=ts("2026-11-22"), max_findings=None)
    failed = {(r.check, r.table): r.by_reason for r in report.results if r.failed or r.error}
    assert failed == {("codes", "practitioners"): {"bad-format": 13}}
    npis = {f.found for f in report.findings}
    assert all(len(n or "") < 10 for n in npis)
    assert report.verdict is Verdict.FAIL
