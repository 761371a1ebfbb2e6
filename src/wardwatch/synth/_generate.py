"""``generate``: simulate patient by patient and stream every feed to disk.

Nothing about the population is kept in memory: each patient is simulated, written (FHIR,
HL7 v2, claims CSV) and dropped, so a million patients need the memory of ten thousand. The
output folder gets:

* ``<ResourceType>.ndjson`` (FHIR bulk data; ``--format ndjson``) or ``bundles/<patient id>.json``
  (one transaction Bundle per patient; ``--format bundle``);
* ``hl7/messages.hl7`` (HL7 v2.5) and ``claims.csv``;
* ``defects.jsonl`` (with ``--defects``), ``drift.json`` (with ``--drift``);
* ``synth.json``: the config and the counts (no timings, so equal seeds give equal files).
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson

from wardwatch.synth._claims import CLAIMS_HEADER, claim_rows
from wardwatch.synth._config import SynthConfig, SynthResult
from wardwatch.synth._defects import DefectInjector, Line
from wardwatch.synth._fhir import FhirBuilder, Record
from wardwatch.synth._hl7 import hl7_messages
from wardwatch.synth._model import Person, Visit
from wardwatch.synth._rand import patient_rand
from wardwatch.synth._reference import Payer, Site
from wardwatch.synth._simulate import simulate
from wardwatch.synth._world import World

__all__ = ["RESOURCE_TYPES", "generate"]

#: The NDJSON files written, one per resource type.
RESOURCE_TYPES = (
    "Organization",
    "Practitioner",
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "Procedure",
    "DocumentReference",
    "Claim",
)
_STREAM_BUNDLE = 4
_BUFFER = 1 << 20
_NL = orjson.OPT_APPEND_NEWLINE

Progress = Callable[[int, int], None]


class _Ndjson:
    """One buffered NDJSON file per resource type, counting lines."""

    def __init__(self, out: Path) -> None:
        self.files: dict[str, IO[bytes]] = {}
        self.lines: Counter[str] = Counter()
        self.paths: dict[str, Path] = {}
        for rtype in RESOURCE_TYPES:
            path = out / f"{rtype}.ndjson"
            self.paths[rtype] = path
            self.files[rtype] = path.open("wb", buffering=_BUFFER)

    def write(
        self, rtype: str, lines: list[Line], manifest: IO[bytes] | None, defects: Counter[str]
    ) -> None:
        f = self.files[rtype]
        for data, entry in lines:
            f.write(data)  # each line ends with b"\n"
            self.lines[rtype] += 1
            if entry is not None and manifest is not None:
                entry["file"] = self.paths[rtype].name
                entry["line"] = self.lines[rtype]
                manifest.write(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE))
                defects[entry["class"]] += 1

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def _clear_stale(out: Path) -> None:
    """Remove outputs of an earlier run that this run might not overwrite."""
    for name in ("defects.jsonl", "drift.json", "synth.json", "claims.csv"):
        (out / name).unlink(missing_ok=True)
    for rtype in RESOURCE_TYPES:
        (out / f"{rtype}.ndjson").unlink(missing_ok=True)
    (out / "hl7" / "messages.hl7").unlink(missing_ok=True)
    bundles = out / "bundles"
    if bundles.is_dir():
        for path in bundles.glob("*.json"):
            path.unlink()


def generate(config: SynthConfig, progress: Progress | None = None) -> SynthResult:
    """Generate a synthetic population as ``config`` says and return what was written.

    ``progress(done, total)`` is called every few patients. Raises
    :class:`wardwatch.errors.ConfigError` for a bad config (nothing is written then).
    """
    start, end, rates, drift = config.validated()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    _clear_stale(out)
    t0 = time.perf_counter()
    world = World(config.seed, start, end, drift)
    bundle = config.format == "bundle"
    fhir = FhirBuilder(world, bundle=bundle)
    counts: Counter[str] = Counter()
    defect_counts: Counter[str] = Counter()
    files: list[Path] = []
    injector = DefectInjector(rates, world) if rates else None
    manifest_path = out / "defects.jsonl" if rates else None
    manifest = manifest_path.open("wb") if manifest_path else None
    ndjson = None if bundle else _Ndjson(out)
    hl7_path = out / "hl7" / "messages.hl7"
    hl7_file: IO[bytes] | None = None
    if config.hl7:
        hl7_path.parent.mkdir(exist_ok=True)
        hl7_file = hl7_path.open("wb", buffering=_BUFFER)
    csv_path = out / "claims.csv"
    csv_file: IO[str] | None = None
    if config.claims_csv:
        csv_file = csv_path.open("w", newline="", encoding="utf-8", buffering=_BUFFER)
    csv_writer = csv.writer(csv_file, lineterminator="\n") if csv_file else None
    if csv_writer is not None:
        csv_writer.writerow(CLAIMS_HEADER)
    bundle_dir = out / "bundles"
    if bundle:
        bundle_dir.mkdir(exist_ok=True)
    n_messages = n_rows = 0
    try:
        if ndjson is not None:
            for res in fhir.shared():
                rtype = res["resourceType"]
                lines = _lines(injector, rtype, res, None)
                ndjson.write(rtype, lines, manifest, defect_counts)
                counts[rtype] += len(lines)
        step = max(1, min(500, config.patients // 100))
        for index in range(config.patients):
            person, visits = simulate(world, index)
            if ndjson is not None:
                if injector is not None:
                    injector.start_patient(person)
                for rtype, res, visit in fhir.records(person, visits):
                    lines = _lines(injector, rtype, res, visit)
                    ndjson.write(rtype, lines, manifest, defect_counts)
                    counts[rtype] += len(lines)
            else:
                _write_bundle(world, fhir, person, visits, bundle_dir, counts)
            if hl7_file is not None:
                for message in hl7_messages(person, visits):
                    hl7_file.write(message.encode())
                    hl7_file.write(b"\n")
                    n_messages += 1
            if csv_writer is not None:
                for row in claim_rows(person, visits):
                    csv_writer.writerow(row)
                    n_rows += 1
            if progress is not None and ((index + 1) % step == 0 or index + 1 == config.patients):
                progress(index + 1, config.patients)
    finally:
        if ndjson is not None:
            ndjson.close()
        for f in (manifest, hl7_file, csv_file):
            if f is not None:
                f.close()
    if ndjson is not None:
        files.extend(ndjson.paths.values())
    else:
        files.append(bundle_dir)
    if hl7_file is not None:
        files.append(hl7_path)
    if csv_file is not None:
        files.append(csv_path)
    drift_path = None
    if drift:
        drift_path = out / "drift.json"
        drift_path.write_bytes(
            orjson.dumps(
                {
                    "drift": [e.to_dict() for e in drift],
                    "new_site": _site_dict(world) if world.ref.new_site else None,
                },
                option=orjson.OPT_INDENT_2,
            )
        )
        files.append(drift_path)
    if manifest_path is not None:
        files.append(manifest_path)
    result = SynthResult(
        out=out,
        format=config.format,
        patients=config.patients,
        seed=config.seed,
        start=start,
        end=end,
        counts={k: counts[k] for k in RESOURCE_TYPES if counts[k]},
        files=files,
        hl7_messages=n_messages,
        claims_rows=n_rows,
        defects=dict(sorted(defect_counts.items())),
        defects_manifest=manifest_path,
        drift_manifest=drift_path,
        elapsed_s=time.perf_counter() - t0,
    )
    summary = result.to_dict()
    for key in ("elapsed_s", "resources_per_second", "out", "files"):
        summary.pop(key)
    for key in ("defects_manifest", "drift_manifest"):  # names only: no machine paths
        if summary[key]:
            summary[key] = Path(summary[key]).name
    summary["defect_rates"] = rates
    summary["now"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(world.now_ts))
    (out / "synth.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    result.files.append(out / "synth.json")
    return result


def _lines(
    injector: DefectInjector | None, rtype: str, res: dict[str, Any], visit: Visit | None
) -> list[Line]:
    if injector is None:
        return [(orjson.dumps(res, option=_NL), None)]
    return injector.lines(rtype, res, visit)


def _site_dict(world: World) -> dict[str, Any]:
    site = world.ref.new_site
    assert site is not None
    return {"key": site.key, "name": site.name, "organization_id": site.id, "npi": site.npi}


def _write_bundle(
    world: World,
    fhir: FhirBuilder,
    person: Person,
    visits: list[Visit],
    folder: Path,
    counts: Counter[str],
) -> None:
    """One transaction Bundle: the organizations and clinicians the patient's records name
    (conditional create on their NPI), then the patient's resources, all POST."""
    records: list[Record] = list(fhir.records(person, visits))
    entries: list[dict[str, Any]] = []
    shared: dict[str, dict[str, Any]] = {}
    orgs: list[Site | Payer] = [person.site, *(v.site for v in visits)]
    payers = [v.payer for v in visits if v.claim_id is not None and v.payer.kind != "self-pay"]
    for org in [*orgs, *payers]:
        shared.setdefault(org.id, fhir.organization(org))
    for v in visits:
        shared.setdefault(v.clinician.id, fhir.practitioner(v.clinician))
    for rid, res in shared.items():
        ident = res["identifier"][0]
        entries.append(
            {
                "fullUrl": f"urn:uuid:{rid}",
                "resource": res,
                "request": {
                    "method": "POST",
                    "url": res["resourceType"],
                    "ifNoneExist": f"identifier={ident['system']}|{ident['value']}",
                },
            }
        )
        counts[res["resourceType"]] += 1
    for rtype, res, _ in records:
        entries.append(
            {
                "fullUrl": f"urn:uuid:{res['id']}",
                "resource": res,
                "request": {"method": "POST", "url": rtype},
            }
        )
        counts[rtype] += 1
    bundle_id = patient_rand(world.seed, person.index, _STREAM_BUNDLE).uuid()
    doc = {"resourceType": "Bundle", "id": bundle_id, "type": "transaction", "entry": entries}
    (folder / f"{person.id}.json").write_bytes(orjson.dumps(doc))
