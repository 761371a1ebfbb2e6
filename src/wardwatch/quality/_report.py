"""The gate's report: a verdict at the top, results per check and table, findings with
identifying values masked; JSON for machines and a self-contained HTML page for people."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from wardwatch.core.schemas import QUARANTINE, TABLES
from wardwatch.quality._contract import Policy
from wardwatch.quality._model import CheckResult, Finding, Severity, Verdict

__all__ = ["MASK", "QualityReport", "is_identifying", "mask_finding", "verdict_of"]

MASK = "[masked]"


def is_identifying(field_path: str | None) -> bool:
    """True when a finding's field holds a direct identifier (name, address, phone, MRN...)."""
    if not field_path or "." not in field_path:
        return False
    table, column = field_path.split(".", 1)
    spec = TABLES.get(table) or (QUARANTINE if table == QUARANTINE.name else None)
    if spec is None:
        return False
    try:
        return spec.column(column).phi
    except KeyError:
        return False


def mask_finding(f: Finding) -> dict[str, Any]:
    """A finding as a dict, with ``found`` masked when the field is identifying."""
    out = f.to_dict()
    if out["found"] is not None and (is_identifying(f.field) or f.table == QUARANTINE.name):
        out["found"] = MASK
    if out["message"] is not None and f.table == QUARANTINE.name:
        out["message"] = MASK  # ingest messages may quote the value they refused
    return out


def verdict_of(results: list[CheckResult], policy: Policy) -> Verdict:
    """``fail`` when a failed check reaches ``fail_on``, ``warn`` when one reaches ``warn_on``.

    A check that could not run counts as failed: a gate must not pass on what it did not see.
    """
    worst = Verdict.PASS
    for r in results:
        if r.passed:
            continue
        if r.severity.rank >= policy.fail_on.rank:
            return Verdict.FAIL
        if r.severity.rank >= policy.warn_on.rank:
            worst = Verdict.WARN
    return worst


@dataclass
class QualityReport:
    """The outcome of one gate run (see :func:`wardwatch.quality.run_gate`)."""

    contract: str
    engine: str
    as_of: str
    started_at: str
    seconds: float
    policy: Policy
    results: list[CheckResult]
    rows: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> Verdict:
        return verdict_of(self.results, self.policy)

    @property
    def findings(self) -> list[Finding]:
        """Every listed finding of every check (unmasked: for code, not for display)."""
        return [f for r in self.results for f in r.findings]

    def result(self, check: str, table: str) -> CheckResult | None:
        for r in self.results:
            if r.check == check and r.table == table:
                return r
        return None

    def counts(self) -> dict[str, dict[str, int]]:
        """Failed counts per check, per table, per source and per severity."""
        by_check: Counter[str] = Counter()
        by_table: Counter[str] = Counter()
        by_source: Counter[str] = Counter()
        by_severity: Counter[str] = Counter()
        for r in self.results:
            by_check[r.check] += r.failed
            by_table[r.table] += r.failed
            by_severity[r.severity.value] += r.failed
            for src, n in r.by_source.items():
                by_source[src] += n
        return {
            "by_check": dict(sorted(by_check.items())),
            "by_table": dict(sorted(by_table.items())),
            "by_source": dict(sorted(by_source.items())),
            "by_severity": dict(sorted(by_severity.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; identifying values are masked."""
        failed = [r for r in self.results if not r.passed]
        results = []
        for r in self.results:
            d = r.to_dict()
            d["findings"] = [mask_finding(f) for f in r.findings]
            results.append(d)
        return {
            "verdict": self.verdict.value,
            "summary": {
                "checks_run": len(self.results),
                "checks_failed": len(failed),
                "checks_errored": sum(1 for r in self.results if r.error),
                "findings": sum(r.failed for r in self.results),
                "failed_by_severity": {
                    s.value: sum(1 for r in failed if r.severity == s) for s in Severity
                },
            },
            "contract": self.contract,
            "engine": self.engine,
            "as_of": self.as_of,
            "started_at": self.started_at,
            "seconds": round(self.seconds, 3),
            "policy": self.policy.model_dump(mode="json"),
            "rows": self.rows,
            "sources": self.sources,
            "counts": self.counts(),
            "results": results,
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2)

    def to_html(self) -> str:
        """A self-contained HTML page (no external assets), identifying values masked."""
        from wardwatch.report import render_quality_html

        return render_quality_html(self.to_dict())

    def write(self, folder: Path, stem: str = "quality") -> tuple[Path, Path]:
        """Write ``<stem>.json`` and ``<stem>.html`` into ``folder``; return both paths."""
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / f"{stem}.json"
        html_path = folder / f"{stem}.html"
        json_path.write_bytes(self.to_json())
        html_path.write_text(self.to_html(), encoding="utf-8")
        return json_path, html_path
