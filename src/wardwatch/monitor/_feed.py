"""Data-feed health joined to a monitoring window: what the quality gate found in the feeds
the model reads.

The newest data-quality report of the workspace (``quality-*.json``) lists, for the
``unit-switch`` check, each run of months in which a site's lab values sit on another
unit's level while the unit field did not change. A run that overlaps the window becomes a
``feed.unit_switch`` observation (value: the rows on the switched level) scoped to the lab
(``feed:observations.<feature>`` when a model input reads that lab, else the LOINC code),
with the unit, the unit it looks like and the factor: the context that lets an input-drift
alert say "a unit switch in the lab feed, not a model problem". The ``codes`` check gives
each table's invalid-code rate (``feed.invalid_code_rate``, the gate's whole run).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from wardwatch.features import UseCase
from wardwatch.monitor._log import LogWindow
from wardwatch.monitor._observation import Observation

__all__ = ["feed_observations", "newest_quality_report"]


def newest_quality_report(reports_dir: Path) -> dict[str, Any] | None:
    """The most recently written ``quality-*.json`` report (None when there is none)."""
    found = sorted(reports_dir.glob("quality-*.json"), key=lambda p: p.stat().st_mtime)
    for path in reversed(found):
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            return data
    return None


def _month_start(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%Y-%m").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _next_month(t: datetime) -> datetime:
    return t.replace(year=t.year + 1, month=1) if t.month == 12 else t.replace(month=t.month + 1)


def feed_observations(
    report: Mapping[str, Any] | None, lw: LogWindow, usecase: UseCase
) -> list[Observation]:
    """The feed observations of window ``lw`` from quality ``report`` (see the module doc)."""
    if not report:
        return []
    by_code: dict[str, str] = {}
    for f in usecase.features:
        for code in [getattr(f, "code", None), *(getattr(f, "codes", None) or [])]:
            if code:
                by_code.setdefault(str(code), f.name)
    out: list[Observation] = []
    for result in report.get("results") or []:
        if not isinstance(result, Mapping):
            continue
        check, table = result.get("check"), str(result.get("table", ""))
        if check == "unit-switch":
            segments = (result.get("metrics") or {}).get("segments") or []
            for seg in segments:
                out += _segment(seg, lw, by_code)
        elif check == "codes" and isinstance(result.get("rate"), int | float):
            out.append(
                Observation(
                    metric="feed.invalid_code_rate",
                    scope=f"feed:{table}",
                    value=float(result["rate"]),
                    window_start=lw.window.start,
                    window_end=lw.window.end,
                    model=lw.model,
                    version=lw.version,
                    n=int(result.get("checked") or 0),
                    detail={"by_reason": dict(result.get("by_reason") or {})},
                )
            )
    return out


def _segment(seg: Any, lw: LogWindow, by_code: Mapping[str, str]) -> list[Observation]:
    if not isinstance(seg, Mapping):
        return []
    first, last = _month_start(str(seg.get("from_month"))), _month_start(str(seg.get("to_month")))
    if first is None or last is None:
        return []
    if not (first < lw.window.end and _next_month(last) > lw.window.start):
        return []
    codes = [str(c) for c in seg.get("codes") or []]
    feature = next((by_code[c] for c in codes if c in by_code), None)
    scope = f"feed:observations.{feature or (codes[0] if codes else 'lab')}"
    factor = seg.get("factor")
    return [
        Observation(
            metric="feed.unit_switch",
            scope=scope,
            value=float(seg.get("rows") or 0),
            window_start=lw.window.start,
            window_end=lw.window.end,
            model=lw.model,
            version=lw.version,
            n=int(seg.get("rows") or 0),
            detail={
                "feature": feature,
                "codes": codes,
                "unit": seg.get("unit"),
                "looks_like": seg.get("looks_like"),
                "factor": factor,
                "median_ratio": (1 / factor)
                if isinstance(factor, int | float) and factor
                else None,
                "unit_changed": False,
                "site": seg.get("site"),
                "months": f"{seg.get('from_month')}..{seg.get('to_month')}",
            },
        )
    ]
