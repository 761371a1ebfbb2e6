"""The data-quality page's data, read from the gate's reports.

Every ``quality*.json`` file directly inside the workspace's reports folder is one gate run
(``wardwatch quality check`` writes ``quality-<UTC stamp>.json``, the demo
``quality-production-feed.json``). A run is named by its file's stem; a name that comes with a
request is only ever looked up among the names read from that folder, never joined to a path.
Runs are ordered by the start time their report gives (then by name). An old or hand-written
report without per-check results still lists as a run (the sections it cannot feed are empty),
and a file that is not a readable quality report lists with the reason.

Schema drift and missingness across runs are in :mod:`wardwatch.web._quality_trends`.

Findings are shown as the report stores them (the identifying values
:func:`wardwatch.quality._report.mask_finding` masks are masked), with patient identifiers
masked on top: a report keeps each finding's patient id, the record ids of patient records and
some related ids for the data team's command line; the dashboard shows none of them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from wardwatch.core.schemas import QUARANTINE
from wardwatch.quality._report import MASK, is_identifying

__all__ = [
    "EPOCH",
    "MASK",
    "PER_PAGE",
    "CheckRow",
    "FindingsPage",
    "Run",
    "SourceRow",
    "check_rows",
    "findings_page",
    "latest_report",
    "load_runs",
    "masked_finding",
    "number",
    "report_files",
    "selected_run",
    "source_rows",
]

RUN_NAME = re.compile(r"^quality[A-Za-z0-9._-]{0,150}$")
"""The stems a report file may have to be listed (no separators, nothing hidden)."""
MAX_BYTES = 64 * 1024 * 1024
"""Reports larger than this are listed as unreadable rather than parsed on a page view."""
PER_PAGE = 50
"""Findings per page of the drill-down."""
EPOCH = datetime.min.replace(tzinfo=UTC)
"""The start time of a run whose report gives none (such runs sort first)."""
# Checks whose ``related_id`` names another clinical record or a time, never a patient.
_RELATED_SHOWN = frozenset({"duplicate-events", "times"})
_FINDING_KEYS = (
    "reason", "severity", "resource_type", "record_id", "field", "expected", "found",
    "patient_id", "source", "line", "related_id", "score", "message",
)  # fmt: skip


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number(value: Any) -> float | None:
    """A finite number from a report (None for anything else, booleans included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True, eq=False)
class Run:
    """One gate run: a ``quality*.json`` report. ``doc`` is the report as stored (empty when
    unreadable, ``problem`` then says why)."""

    name: str
    file: str
    doc: dict[str, Any] = field(repr=False)
    problem: str | None = None

    @property
    def started_at(self) -> datetime | None:
        return _time(self.doc.get("started_at"))

    @property
    def label(self) -> str:
        """The name without the ``quality-`` prefix (a chart's axis label)."""
        return self.name.removeprefix("quality").lstrip("-_.") or self.name

    def _text(self, key: str) -> str | None:
        value = self.doc.get(key)
        return value if isinstance(value, str) else None

    @property
    def verdict(self) -> str | None:
        return self._text("verdict")

    @property
    def contract(self) -> str | None:
        return self._text("contract")

    @property
    def engine(self) -> str | None:
        return self._text("engine")

    @property
    def as_of(self) -> str | None:
        return self._text("as_of")

    @property
    def seconds(self) -> float | None:
        return number(self.doc.get("seconds"))

    @property
    def policy(self) -> dict[str, Any]:
        policy = self.doc.get("policy")
        return policy if isinstance(policy, dict) else {}

    @property
    def results(self) -> list[dict[str, Any]]:
        """The per-check results (empty for reports without them)."""
        results = self.doc.get("results")
        if not isinstance(results, list):
            return []
        return [r for r in results if isinstance(r, dict) and isinstance(r.get("check"), str)
                and isinstance(r.get("table"), str)]  # fmt: skip

    def _summary(self, key: str) -> int | None:
        """A summary count as the report gives it, else counted from its results."""
        summary = self.doc.get("summary")
        if isinstance(summary, dict) and _int(summary.get(key)) is not None:
            return _int(summary[key])
        rows = [CheckRow.of(r) for r in self.results]
        if not rows:
            return None
        return {
            "checks_run": len(rows),
            "checks_failed": sum(1 for r in rows if not r.passed),
            "checks_errored": sum(1 for r in rows if r.error),
            "findings": sum(r.failed for r in rows),
        }.get(key)

    @property
    def checks_run(self) -> int | None:
        """Check × table pairs the gate ran."""
        return self._summary("checks_run")

    @property
    def checks_failed(self) -> int | None:
        """Pairs whose failure rate exceeded their allowed rate, or that could not run."""
        return self._summary("checks_failed")

    @property
    def checks_errored(self) -> int | None:
        """Pairs that could not run (a failure for the gate: it must not pass unseen data)."""
        return self._summary("checks_errored")

    @property
    def findings(self) -> int | None:
        """Offending records (or pairs, or feed segments) counted over every check."""
        return self._summary("findings")

    @property
    def rows(self) -> dict[str, int]:
        """Rows per lake table when the gate ran."""
        rows = self.doc.get("rows")
        if not isinstance(rows, dict):
            return {}
        return {str(k): v for k, v in rows.items() if _int(v) is not None}

    @property
    def total_rows(self) -> int | None:
        return sum(self.rows.values()) if self.rows else None

    @property
    def sources(self) -> list[str]:
        sources = self.doc.get("sources")
        return [s for s in sources if isinstance(s, str)] if isinstance(sources, list) else []


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int, size: int) -> tuple[dict[str, Any], str | None]:
    """A report's JSON (cached per file version: the key has its mtime and size)."""
    if size > MAX_BYTES:
        return {}, f"too large to show ({size // (1024 * 1024)} MiB)"
    try:
        doc = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        return {}, f"cannot be read ({exc.strerror or type(exc).__name__})"
    except orjson.JSONDecodeError:
        return {}, "is not valid JSON"
    if not isinstance(doc, dict) or not isinstance(doc.get("verdict"), str):
        return {}, "is not a quality report (no verdict)"
    return doc, None


def report_files(reports_dir: Path) -> dict[str, Path]:
    """The quality reports in ``reports_dir`` by run name (their stem): regular files named
    ``quality*.json`` directly inside it."""
    out: dict[str, Path] = {}
    try:
        base = reports_dir.resolve(strict=True)
        candidates = sorted(base.glob("quality*.json"))
    except OSError:
        return out
    for path in candidates:
        if RUN_NAME.match(path.stem) and not path.is_symlink() and path.is_file():
            out[path.stem] = path
    return out


def load_runs(reports_dir: Path) -> list[Run]:
    """Every run in ``reports_dir``, oldest first (by start time, then name)."""
    runs = []
    for name, path in report_files(reports_dir).items():
        try:
            st = path.stat()
            doc, problem = _read(str(path), st.st_mtime_ns, st.st_size)
        except OSError:
            doc, problem = {}, "cannot be read"
        runs.append(Run(name, path.name, doc, problem))
    return sorted(runs, key=lambda r: (r.started_at or EPOCH, r.name))


def selected_run(runs: list[Run], name: str | None) -> Run | None:
    """The run called ``name``; without a name the newest readable run (else the newest)."""
    if name is not None:
        return next((r for r in runs if r.name == name), None)
    readable = [r for r in runs if r.problem is None]
    return (readable or runs)[-1] if runs else None


def latest_report(reports_dir: Path) -> dict[str, Any] | None:
    """The newest readable report as a dict with its ``file`` name; None when there is none
    (what the overview's data-gate line shows)."""
    run = selected_run([r for r in load_runs(reports_dir) if r.problem is None], None)
    return {**run.doc, "file": run.file} if run else None


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True)
class CheckRow:
    """One check on one table in a run. ``rate`` is failed / checked (0 when nothing was
    checked); the check passes when it ran and ``rate`` is within ``max_rate``. ``listed``
    findings are stored in the report (at most the contract's ``max_findings``)."""

    check: str
    table: str
    severity: str
    description: str
    checked: int
    failed: int
    rate: float
    max_rate: float
    passed: bool
    error: str | None
    listed: int
    truncated: bool
    by_source: dict[str, int]
    by_reason: dict[str, int]

    @property
    def status(self) -> str:
        return "error" if self.error else ("pass" if self.passed else "fail")

    @classmethod
    def of(cls, r: dict[str, Any]) -> CheckRow:
        checked = _int(r.get("checked")) or 0
        failed = _int(r.get("failed")) or 0
        rate = number(r.get("rate"))
        max_rate = number(r.get("max_rate")) or 0.0
        error = r.get("error") if isinstance(r.get("error"), str) else None
        passed = r.get("passed")
        findings = r.get("findings")

        def counts(key: str) -> dict[str, int]:
            value = r.get(key)
            if not isinstance(value, dict):
                return {}
            return {str(k): n for k, v in value.items() if (n := _int(v))}

        return cls(
            check=str(r["check"]),
            table=str(r["table"]),
            severity=str(r.get("severity") or ""),
            description=str(r.get("description") or ""),
            checked=checked,
            failed=failed,
            rate=rate if rate is not None else (failed / checked if checked else 0.0),
            max_rate=max_rate,
            passed=passed if isinstance(passed, bool) else error is None and failed == 0,
            error=error,
            listed=len(findings) if isinstance(findings, list) else 0,
            truncated=r.get("truncated") is True,
            by_source=counts("by_source"),
            by_reason=counts("by_reason"),
        )


def check_rows(run: Run) -> list[CheckRow]:
    """The run's results, failing ones first (errors, then most findings)."""
    rows = [CheckRow.of(r) for r in run.results]
    return sorted(rows, key=lambda c: (c.passed and not c.failed, c.error is None, -c.failed,
                                       c.check, c.table))  # fmt: skip


@dataclass(frozen=True)
class SourceRow:
    """Findings of one check on one table that came from one source (a file or feed the
    ingest named); ``share`` is their fraction of that check's findings."""

    source: str
    check: str
    table: str
    failed: int
    share: float


def source_rows(rows: list[CheckRow]) -> list[SourceRow]:
    """Findings per source, check and table, most first."""
    out = [
        SourceRow(src, r.check, r.table, n, n / r.failed if r.failed else 0.0)
        for r in rows
        for src, n in r.by_source.items()
    ]
    return sorted(out, key=lambda s: (-s.failed, s.source, s.check, s.table))


def _is_patient_record(f: dict[str, Any]) -> bool:
    path = str(f.get("field") or "")
    return (
        f.get("table") == "patients"
        or f.get("resource_type") == "Patient"
        or path.startswith(("patients.", "Patient."))
    )


def masked_finding(f: dict[str, Any]) -> dict[str, Any]:
    """A stored finding as the page shows it: the report's masking applied again (old or
    hand-written reports may not have it) and patient identifiers masked: the patient id,
    the record and related ids of patient records, values of patient-reference fields, and
    related ids except where a check relates records or times (duplicate events, times)."""
    out = {k: f.get(k) for k in _FINDING_KEYS}
    table = f.get("table")
    path = f.get("field") if isinstance(f.get("field"), str) else None
    patient_field = path is not None and path.rsplit(".", 1)[-1].endswith("patient_id")
    if out["found"] is not None and (
        is_identifying(path) or table == QUARANTINE.name or patient_field
    ):
        out["found"] = MASK
    if out["message"] is not None and table == QUARANTINE.name:
        out["message"] = MASK
    if out["patient_id"] is not None:
        out["patient_id"] = MASK
    patient = _is_patient_record(f)
    if out["record_id"] is not None and patient:
        out["record_id"] = MASK
    if out["related_id"] is not None and (patient or f.get("check") not in _RELATED_SHOWN):
        out["related_id"] = MASK
    return out


@dataclass(frozen=True)
class FindingsPage:
    """One page of the findings a run lists for one check on one table (masked)."""

    run: str
    row: CheckRow
    page: int
    pages: int
    items: list[dict[str, Any]]

    @property
    def first(self) -> int:
        """1-based position of the page's first finding (0 on an empty page)."""
        return (self.page - 1) * PER_PAGE + 1 if self.items else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * PER_PAGE + len(self.items)


def findings_page(run: Run, check: str, table: str, page: int) -> FindingsPage | None:
    """Page ``page`` (1-based, clamped) of the findings of ``check`` on ``table``; None when
    the run has no such result."""
    result = next((r for r in run.results if r["check"] == check and r["table"] == table), None)
    if result is None:
        return None
    stored = result.get("findings")
    findings = [f for f in stored if isinstance(f, dict)] if isinstance(stored, list) else []
    pages = max(1, math.ceil(len(findings) / PER_PAGE))
    page = min(max(page, 1), pages)
    chunk = findings[(page - 1) * PER_PAGE : page * PER_PAGE]
    items = [masked_finding({**f, "table": f.get("table", table)}) for f in chunk]
    return FindingsPage(run.name, CheckRow.of(result), page, pages, items)
