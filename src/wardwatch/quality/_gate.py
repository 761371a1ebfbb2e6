"""Run a contract over a lake and return the :class:`QualityReport`."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import QUARANTINE, TABLES
from wardwatch.quality._context import CheckContext
from wardwatch.quality._contract import CheckSpec, Contract, default_contract
from wardwatch.quality._engine import open_engine
from wardwatch.quality._model import CheckResult, Severity
from wardwatch.quality._registry import CHECKS
from wardwatch.quality._report import QualityReport

__all__ = ["run_gate"]

#: ``on_check(done, total, label)`` is called after each (check, table).
Progress = Callable[[int, int, str], None]

_UNSET: Any = object()


def run_gate(
    lake: Lake,
    contract: Contract | None = None,
    *,
    engine: str = "duckdb",
    as_of: datetime | None = None,
    reference: dict[str, Any] | None = None,
    max_findings: int | None = _UNSET,
    spark_session: Any = None,
    on_check: Progress | None = None,
) -> QualityReport:
    """Run ``contract`` (default: :func:`default_contract`) over the lake's canonical tables.

    Args:
        lake: the lake to check.
        engine: ``duckdb`` (default) or ``spark``.
        as_of: "now" for future-date checks (default: the wall clock, UTC).
        reference: a saved reference profile, for the ``profile-drift`` check.
        max_findings: findings listed per check (default: the contract's; ``None``: all).
        spark_session: a running SparkSession to use for ``engine="spark"``.
        on_check: progress callback.

    Returns the report; it never raises on bad data (a check that cannot run is reported as
    errored and counts as failed).
    """
    contract = contract or default_contract()
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    jobs = [(spec, table) for spec in contract.checks for table in _tables(spec)]
    results: list[CheckResult] = []
    with open_engine(engine, lake, spark_session=spark_session) as eng:
        ctx = CheckContext(
            engine=eng,
            as_of=(as_of or started).astimezone(UTC),
            max_findings=contract.max_findings if max_findings is _UNSET else max_findings,
            sources=tuple(contract.sources),
            reference=reference,
        )
        for i, (spec, table) in enumerate(jobs, 1):
            results.append(_run_one(ctx, spec, table))
            if on_check:
                on_check(i, len(jobs), f"{spec.check} {table}")
        rows = {t: ctx.rows(t) for t in (*TABLES, QUARANTINE.name)}
        sources = sorted({s for r in results for s in r.by_source} | _source_files(ctx))
    return QualityReport(
        contract=contract.name,
        engine=engine,
        as_of=ctx.as_of.isoformat(),
        started_at=started.isoformat(),
        seconds=time.perf_counter() - t0,
        policy=contract.policy,
        results=results,
        rows=rows,
        sources=sources,
    )


def _tables(spec: CheckSpec) -> list[str]:
    return list(spec.tables) if spec.tables else list(CHECKS[spec.check].tables)


def _run_one(ctx: CheckContext, spec: CheckSpec, table: str) -> CheckResult:
    definition = CHECKS[spec.check]
    severity = spec.severity or definition.severity
    params = definition.params.model_validate(spec.params)
    try:
        result = definition.fn(ctx, table, params)
    except Exception as exc:  # a check never takes the gate down; it reports why it failed
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result = CheckResult(
            spec.check,
            table,
            severity,
            definition.description,
            error=f"{type(exc).__name__}: {msg}",
        )
    result.check = spec.check
    result.severity = severity
    result.max_rate = spec.max_rate
    result.findings = [_with_severity(f, severity) for f in result.findings]
    return result


def _with_severity(f: Any, severity: Severity) -> Any:
    from dataclasses import replace

    return f if f.severity == severity else replace(f, severity=severity)


def _source_files(ctx: CheckContext) -> set[str]:
    out: set[str] = set()
    for name in TABLES:
        if ctx.rows(name):
            t = ctx.table(name)
            out |= {
                r["source_file"]
                for r in ctx.engine.to_arrow(t.select("source_file").distinct()).to_pylist()
                if r["source_file"]
            }
    return out
