"""Same seed, same bytes; the generator streams (memory does not grow with patients)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from wardwatch.synth import SynthConfig, generate


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    spec = "missing-required=0.02,duplicate-patient=0.05,unit-switch=0.1"
    drift = "age-mix@2022-01-01:2,unit-switch@2023-01-01:LMC"
    for name in ("a", "b"):
        generate(SynthConfig(patients=60, seed=42, out=tmp_path / name, defects=spec, drift=drift))
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert len(a) == 15  # 10 NDJSON files, HL7, CSV, defects.jsonl, drift.json, synth.json
    assert a == b


def test_bundles_are_deterministic_too(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate(SynthConfig(patients=5, seed=3, out=tmp_path / name, format="bundle"))
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_other_seed_differs(tmp_path: Path) -> None:
    generate(SynthConfig(patients=20, seed=1, out=tmp_path / "a"))
    generate(SynthConfig(patients=20, seed=2, out=tmp_path / "b"))
    assert (tmp_path / "a" / "Patient.ndjson").read_bytes() != (
        tmp_path / "b" / "Patient.ndjson"
    ).read_bytes()


def test_patient_prefix_is_stable(tmp_path: Path) -> None:
    """Patient i does not depend on how many patients follow it."""
    generate(SynthConfig(patients=10, seed=9, out=tmp_path / "a", hl7=False, claims_csv=False))
    generate(SynthConfig(patients=30, seed=9, out=tmp_path / "b", hl7=False, claims_csv=False))
    small = (tmp_path / "a" / "Patient.ndjson").read_bytes().splitlines()
    large = (tmp_path / "b" / "Patient.ndjson").read_bytes().splitlines()
    assert small == large[:10]


_MEASURE = """
import resource, sys
from wardwatch.synth import SynthConfig, generate
generate(SynthConfig(patients=int(sys.argv[1]), seed=4, out=sys.argv[2], start="2024-01-01",
                     end="2024-06-30"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _peak_rss_kib(tmp_path: Path, patients: int) -> int:
    """Peak resident memory of a fresh process that generates ``patients`` patients."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(patients), str(tmp_path / str(patients))],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def test_memory_does_not_grow_with_patients(tmp_path: Path) -> None:
    small = _peak_rss_kib(tmp_path, 200)
    large = _peak_rss_kib(tmp_path, 2000)
    # Ten times the patients: the peak grows by less than 10% + 8 MiB (allocator noise).
    assert large < small * 1.1 + 8 * 1024, (small, large)
