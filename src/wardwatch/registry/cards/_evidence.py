"""The compliance evidence bundle of one model version: one zip, verifiable offline.

    path = write_evidence_bundle(out / "evidence-readmission-30d-v3.zip", card=card,
                                 reports={"evaluation": eval_json, "leakage": leak_json,
                                          "quality": quality_json},
                                 gate_result=gates, approvals=approvals,
                                 audit_proof=chain_proof(log, log.events(subject=subject)),
                                 audit_public_key=public_key)
    assert verify_evidence_bundle(path, public_key=public_key) == []

Inside: the model card (``model-card.html``, ``.json`` and the CHAI ``.xml``), each report as
JSON and as its HTML page (``reports/<name>.json``, ``.html``), ``gates.json``,
``approvals.json``, ``audit-events.json`` (the chain proof of this version's audit events),
``audit-public-key.txt``, a ``README.txt`` for the auditor and ``MANIFEST.json``, which lists
every other file with its SHA-256 and size. The zip is deterministic: entries sorted, fixed
timestamps and permissions, so the same inputs give the same bytes (and the same hash).

No patient identifiers leave in it: row-level findings of a report (the data-quality report
lists records, with patient ids and the values found) are withheld and counted, and keys that
hold identifiers (``patient_id``, ``encounter_id``, ``record_id``, ...) are dropped
everywhere. A report with nothing to remove goes in byte for byte, so its SHA-256 is the one
the registry's gates recorded; for a scrubbed one the manifest keeps the original's SHA-256.
The audit proof is kept as signed (its payloads already carry only pseudonyms; removing
anything would break its hashes).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from wardwatch.audit import PROOF_FORMAT, verify_proof
from wardwatch.errors import InputError
from wardwatch.registry.cards._card import ModelCard
from wardwatch.registry.cards._chai import validate_chai_xml
from wardwatch.registry.cards._phi import ID_KEYS, scrub_identifiers

__all__ = [
    "EVIDENCE_FORMAT",
    "ID_KEYS",
    "MANIFEST",
    "scrub_identifiers",
    "verify_evidence_bundle",
    "write_evidence_bundle",
]

EVIDENCE_FORMAT = "wardwatch.evidence/1"
MANIFEST = "MANIFEST.json"
PUBLIC_KEY = "audit-public-key.txt"
AUDIT = "audit-events.json"
_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]{0,62}")
_EPOCH = (1980, 1, 1, 0, 0, 0)
_JSON = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS


def _renderer(data: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], str] | None:
    from wardwatch import report

    kind = data.get("kind")
    if kind == "evaluation":
        return report.render_evaluation_html
    if kind == "leakage-audit":
        return report.render_leakage_html
    if {"verdict", "contract", "results"} <= set(data):
        return report.render_quality_html
    return None


def _report_files(name: str, source: Path | bytes) -> tuple[dict[str, bytes], dict[str, Any]]:
    """A report's files in the bundle, and what the manifest says about them.

    A report without identifiers goes in byte for byte (its SHA-256 stays the one the gates
    recorded); one with identifiers goes in scrubbed, and the manifest keeps the SHA-256 of
    the original so that whoever holds it can match the two.
    """
    if not _NAME.fullmatch(name):
        raise InputError(
            "bad report name for the evidence bundle",
            field="reports",
            expected="lower case letters, digits, - or _ (quality, evaluation)",
            found=name,
        )
    if isinstance(source, bytes):
        raw = source
    else:
        try:
            raw = Path(source).read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read the {name} report: {exc.strerror or exc}",
                record=str(source),
                hint="write the report first",
            ) from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InputError(
            f"the {name} report is not JSON",
            record=name,
            expected="the report's to_json() output (not its HTML page)",
            found=raw[:40].decode("utf-8", "replace"),
        ) from None
    clean = scrub_identifiers(data)
    redacted = clean != data
    files = {f"reports/{name}.json": orjson.dumps(clean, option=_JSON) if redacted else raw}
    render = _renderer(clean) if isinstance(clean, Mapping) else None
    html_problem = None
    if render is not None:
        # The JSON is the evidence; its HTML page is a convenience. A report the gates
        # accepted but that lacks what the page shows still goes in, with the reason noted.
        try:
            files[f"reports/{name}.html"] = render(clean).encode("utf-8")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            html_problem = f"not rendered: missing or malformed {type(exc).__name__} {exc}"
    info = {
        "source_sha256": _sha256(raw),
        "redacted": redacted,
        "kind": data.get("kind") if isinstance(data, Mapping) else None,
        "html": f"reports/{name}.html" if f"reports/{name}.html" in files else None,
    }
    if html_problem:
        info["html_problem"] = html_problem[:200]
    return files, info


def _readme(card: ModelCard, names: Sequence[str]) -> bytes:
    i = card.inputs
    lines = [
        f"Evidence bundle of model {i.model_name}, version {i.version}",
        f"generated {card.generated_at} by wardwatch ({EVIDENCE_FORMAT})",
        "",
        "Files:",
        *(f"  {n}" for n in names),
        "",
        "MANIFEST.json lists every other file with its SHA-256 and size. To check the bundle:",
        "  wardwatch.registry.cards.verify_evidence_bundle(path, public_key=...)",
        "re-hashes every file and checks the audit proof (audit-events.json) against the",
        "audit public key; give the key you hold (the copy inside proves only consistency).",
        "",
        "model-card.xml is a CHAI Applied Model Card (v0.2). Fields reading 'Needs a person'",
        f"are for the model's owners to complete: {len(card.needs_a_person)} of the 31 HTI-1",
        "source attributes need one.",
        "",
        "No patient identifiers are included: row-level findings of reports are withheld and",
        "counted; audit payloads carry keyed pseudonyms only.",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_evidence_bundle(
    path: Path | str,
    *,
    card: ModelCard,
    reports: Mapping[str, Path | bytes],
    gate_result: Mapping[str, Any] | None = None,
    approvals: Sequence[Mapping[str, Any]] = (),
    audit_proof: Mapping[str, Any] | None = None,
    audit_public_key: str | None = None,
) -> Path:
    """Write the evidence zip of ``card``'s version to ``path`` (see the module docstring).

    ``reports`` maps a name (``quality``, ``leakage``, ``evaluation``) to a report's JSON
    (a path or bytes); ``audit_proof`` is :func:`wardwatch.audit.chain_proof` output for this
    version's events and ``audit_public_key`` the workspace's key (64 hex digits). The zip is
    written to a temporary file and moved into place, so ``path`` never holds half a bundle.
    Raises :class:`~wardwatch.errors.InputError` for a report that cannot be read.
    """
    files: dict[str, bytes] = {
        "model-card.html": card.to_html().encode("utf-8"),
        "model-card.json": card.to_json(),
        "model-card.xml": card.to_chai_xml(),
    }
    report_info: dict[str, Any] = {}
    for name in sorted(reports):
        report_files, report_info[name] = _report_files(name, reports[name])
        files.update(report_files)
    files["gates.json"] = orjson.dumps(
        scrub_identifiers(dict(gate_result))
        if gate_result is not None
        else {"verdict": None, "note": "no gate results were recorded for this version"},
        option=_JSON,
    )
    files["approvals.json"] = orjson.dumps(
        scrub_identifiers([dict(a) for a in approvals]), option=_JSON
    )
    files[AUDIT] = orjson.dumps(
        dict(audit_proof)
        if audit_proof is not None
        else {"format": None, "note": "no audit proof was given"},
        option=_JSON,
    )
    if audit_public_key:
        files[PUBLIC_KEY] = (audit_public_key.strip() + "\n").encode("ascii")
    files["README.txt"] = _readme(card, sorted([*files, "README.txt", MANIFEST]))

    xml_problems = validate_chai_xml(files["model-card.xml"])
    manifest = {
        "format": EVIDENCE_FORMAT,
        "model": {"name": card.inputs.model_name, "version": card.inputs.version},
        "generated_at": card.generated_at,
        "hash": "sha256",
        "files": [
            {"path": n, "sha256": _sha256(files[n]), "bytes": len(files[n])} for n in sorted(files)
        ],
        "reports": report_info,
        "checks": {
            "chai_xml_valid": not xml_problems,
            "chai_xml_problems": xml_problems,
            "hti1_filled": card.filled,
            "hti1_needs_a_person": [a.key for a in card.needs_a_person],
            "audit_proof": audit_proof is not None,
            "audit_events_selected": len((audit_proof or {}).get("selected") or []),
        },
    }
    files[MANIFEST] = orjson.dumps(manifest, option=_JSON)

    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, files[name], compresslevel=9)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getvalue())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def verify_evidence_bundle(path: Path | str, *, public_key: str | None = None) -> list[str]:
    """Problems found in an evidence zip; an empty list means it is intact.

    Checks that ``MANIFEST.json`` lists every file exactly once with the right SHA-256 and
    size, that nothing was added, and that the audit proof verifies against ``public_key``
    (64 hex digits; default: the copy inside the bundle, which proves consistency only).
    """
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable zip file ({exc})"]
    problems: list[str] = []
    with zf:
        names = zf.namelist()
        seen: set[str] = set()
        for n in names:
            if n in seen:
                problems.append(f"{n}: appears twice in the zip")
            seen.add(n)
        if MANIFEST not in seen:
            return [*problems, f"{MANIFEST} is missing: the bundle cannot be checked"]
        try:
            manifest = orjson.loads(zf.read(MANIFEST))
            listed = {str(f["path"]): f for f in manifest["files"]}
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            return [*problems, f"{MANIFEST} is malformed ({type(exc).__name__})"]
        if manifest.get("format") != EVIDENCE_FORMAT:
            problems.append(
                f"{MANIFEST}: format is {manifest.get('format')!r}, expected {EVIDENCE_FORMAT!r}"
            )
        contents: dict[str, bytes] = {}
        for n in sorted(seen - {MANIFEST}):
            if n not in listed:
                problems.append(f"{n}: in the zip but not in the manifest (added)")
                continue
            try:
                contents[n] = zf.read(n)
            except (zipfile.BadZipFile, OSError) as exc:
                problems.append(f"{n}: cannot be read ({exc})")
                continue
            entry = listed[n]
            if _sha256(contents[n]) != entry.get("sha256"):
                problems.append(f"{n}: SHA-256 does not match the manifest (changed)")
            elif len(contents[n]) != entry.get("bytes"):
                problems.append(f"{n}: size does not match the manifest")
        for n in sorted(set(listed) - seen):
            problems.append(f"{n}: listed in the manifest but missing from the zip (removed)")
    problems.extend(_check_audit(contents, public_key))
    return problems


def _check_audit(contents: Mapping[str, bytes], public_key: str | None) -> list[str]:
    if AUDIT not in contents:
        return []
    try:
        proof = orjson.loads(contents[AUDIT])
    except orjson.JSONDecodeError:
        return [f"{AUDIT}: not JSON"]
    if not isinstance(proof, dict) or proof.get("format") != PROOF_FORMAT:
        return []  # the bundle says no proof was given; the manifest records that
    key = public_key
    if key is None and PUBLIC_KEY in contents:
        key = contents[PUBLIC_KEY].decode("ascii", "replace").strip()
    if not key:
        return [f"{AUDIT}: not checked: no audit public key given or inside the bundle"]
    result = verify_proof(proof, key)
    return [] if result.ok else [f"{AUDIT}: {result.message}"]
