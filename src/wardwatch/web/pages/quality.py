"""Data quality (``/ui/quality``): the quality gate's runs over time and one run in detail.

The runs are the gate's reports in the workspace's reports folder (see
:mod:`wardwatch.web._quality_data`); ``/ui/quality/{run}`` shows the run named by its report's
stem, ``/ui/quality`` the newest. A run's page shows its verdict and counts, its findings by
check, table and source, a drill-down into the masked findings of one check on one table
(``/ui/quality/{run}/findings?check=&table=&page=``, an htmx partial), and, across runs,
schema drift and missingness trends. Clinicians may not open it (``PAGE_ROLES``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from wardwatch.web import _charts
from wardwatch.web._context import UIError, signed_in, ui
from wardwatch.web._quality_data import (
    PER_PAGE,
    CheckRow,
    Run,
    check_rows,
    findings_page,
    load_runs,
    selected_run,
    source_rows,
)
from wardwatch.web._quality_trends import Missingness, missingness, schema_drift
from wardwatch.web._render import render

__all__ = ["findings_chart", "page_context", "router", "rows_chart", "runs_chart"]

router = APIRouter(prefix="/ui", include_in_schema=False)

CHART_RUNS = 60
"""Runs drawn in the runs-over-time charts (the newest; the table lists every run)."""
CHART_SERIES = len(_charts.PALETTE)
"""Lines or bar groups a chart draws at most (one colour each); tables show the rest."""


def runs_chart(runs: list[Run]) -> dict[str, Any] | None:
    """Findings and failed checks per readable run, oldest first (None without runs)."""
    shown = [r for r in runs if r.problem is None][-CHART_RUNS:]
    if not shown:
        return None
    return _charts.line(
        [r.label for r in shown],
        [
            _charts.Series("findings", [r.findings for r in shown]),
            _charts.Series("checks failed", [r.checks_failed for r in shown]),
            _charts.Series("checks errored", [r.checks_errored for r in shown], dashed=True),
        ],
        y_label="count",
        x_label="run",
        y_min=0,
    )


def rows_chart(runs: list[Run]) -> dict[str, Any] | None:
    """Rows per lake table per run, for the largest tables (None without row counts)."""
    shown = [r for r in runs if r.problem is None and r.rows][-CHART_RUNS:]
    peak: dict[str, int] = {}
    for r in shown:
        for table, n in r.rows.items():
            peak[table] = max(peak.get(table, 0), n)
    tables = sorted((t for t, n in peak.items() if n > 0), key=lambda t: (-peak[t], t))
    if not tables:
        return None
    return _charts.line(
        [r.label for r in shown],
        [_charts.Series(t, [r.rows.get(t) for r in shown]) for t in tables[:CHART_SERIES]],
        y_label="rows",
        x_label="run",
        y_min=0,
    )


def findings_chart(rows: list[CheckRow]) -> dict[str, Any] | None:
    """Findings per check (groups) and table (bars), for the checks with findings."""
    hit = [r for r in rows if r.failed]
    if not hit:
        return None
    checks = sorted({r.check for r in hit})
    total: dict[str, int] = {}
    for r in hit:
        total[r.table] = total.get(r.table, 0) + r.failed
    tables = sorted(total, key=lambda t: (-total[t], t))[:CHART_SERIES]
    failed = {(r.check, r.table): r.failed for r in hit}
    datasets = [
        {"label": t, "data": [failed.get((c, t)) for c in checks], "skipNull": True,
         "backgroundColor": _charts.PALETTE[i % len(_charts.PALETTE)]}
        for i, t in enumerate(tables)
    ]  # fmt: skip
    config = _charts.bars(checks, [0] * len(checks), x_label="findings", horizontal=False)
    config["data"]["datasets"] = datasets
    config["options"]["plugins"]["legend"] = {"position": "bottom"}
    config["options"]["scales"]["x"] = {"title": {"display": True, "text": "check"}}
    return config


def _missing_chart(runs: list[Run]) -> tuple[dict[str, Any] | None, Missingness]:
    """The missingness trend and its chart (the columns that moved most; None without)."""
    trend = missingness(runs)
    top = trend.top(CHART_SERIES)
    if not top:
        return None, trend
    config = _charts.line(
        [r.label for r in trend.runs],
        [_charts.Series(s.column, s.values) for s in top],
        y_label="missing fraction",
        x_label="run",
        y_min=0,
        y_max=1,
    )
    return config, trend


def _run_or_404(runs: list[Run], name: str) -> Run:
    run = selected_run(runs, name)
    if run is None:
        raise UIError(404, f"there is no quality run named {name[:80]!r}")
    return run


@router.get("/quality")
def quality(request: Request) -> Response:
    return _page(request, None)


@router.get("/quality/{run}")
def quality_run(request: Request, run: str) -> Response:
    return _page(request, run)


def page_context(runs: list[Run], name: str | None) -> dict[str, Any]:
    """The page's template context for ``runs`` (oldest first) with run ``name`` selected
    (the newest readable run when None; 404 for a name that is not a run)."""
    run = _run_or_404(runs, name) if name is not None else selected_run(runs, None)
    checks = check_rows(run) if run is not None and run.problem is None else []
    schema_runs, schema_changes = schema_drift(runs)
    missing_chart, missing = _missing_chart(runs)
    return {
        "runs": list(reversed(runs)),
        "run": run,
        "runs_chart": runs_chart(runs),
        "rows_chart": rows_chart(runs),
        "checks": checks,
        "failing": [c for c in checks if c.failed or not c.passed],
        "findings_chart": findings_chart(checks),
        "sources": source_rows(checks),
        "schema_runs": schema_runs,
        "schema_changes": schema_changes,
        "missing": missing,
        "missing_chart": missing_chart,
    }


def _page(request: Request, name: str | None) -> Response:
    session = signed_in(request, "quality")
    runs = load_runs(ui(request).ws.reports_dir)
    return render(request, "quality.html", page_context(runs, name), session=session,
                  page="quality")  # fmt: skip


@router.get("/quality/{run}/findings")
def quality_findings(
    request: Request,
    run: str,
    check: str | None = None,
    table: str | None = None,
    page: str | None = None,
) -> Response:
    """The masked findings of one check on one table of a run, ``PER_PAGE`` a page: a
    partial for htmx, a page of its own otherwise."""
    session = signed_in(request, "quality")
    if not check or not table:
        raise UIError(400, "name a check and a table: ?check=<check>&table=<table>")
    number = 1
    if page is not None:
        if not page.isdigit() or len(page) > 6 or int(page) < 1:
            raise UIError(400, f"page must be a positive whole number, not {page[:20]!r}")
        number = int(page)
    found = _run_or_404(load_runs(ui(request).ws.reports_dir), run)
    if found.problem is not None:
        raise UIError(404, f"the report of run {found.name} {found.problem}")
    listing = findings_page(found, check, table, number)
    if listing is None:
        raise UIError(404, f"run {found.name} has no result for check {check[:60]!r} on "
                           f"table {table[:60]!r}")  # fmt: skip
    htmx = request.headers.get("hx-request") == "true"
    return render(
        request,
        "quality_findings.html" if htmx else "quality_findings_page.html",
        {"listing": listing, "run": found, "per_page": PER_PAGE},
        session=session,
        page="quality",
    )
