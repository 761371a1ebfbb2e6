"""The evaluation report of a risk model as one self-contained HTML page.

For a clinical reviewer, top to bottom: what was evaluated (model, data, period, bootstrap),
the headline numbers, what could not be computed (in words), discrimination and calibration
(with a reliability diagram), operating points and the threshold grid (alert burden),
the decision curve, subgroups (with disparities and suppressed levels), months, and the
TRIPOD+AI checklist. Every number carries its interval where one was computed.

It takes :meth:`wardwatch.evaluate.EvaluationReport.to_dict` output, so ``report`` stays
independent of ``evaluate``. Charts are inline SVG drawn here from numbers only (no scripts,
nothing fetched); every text value is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import markupsafe

from wardwatch.report._base import EMPTY, fmt_duration, fmt_number, render

__all__ = ["evaluation_view", "render_evaluation_html"]

_RATES = ("sensitivity", "specificity", "ppv", "npv", "flag_rate")
_RATE_NAMES = ("sensitivity", "specificity", "PPV", "NPV", "flag rate")
# key | name | short name (subgroup tables) | kind (num: 3 decimals, pct: %) | what it means
_METRIC_TABLE = """
auroc | AUROC | AUROC | num | Chance an event ranks above a non-event. 0.5: none; 1: perfect.
auprc | AUPRC (average precision) | AUPRC | num | Mean precision over events. Neutral: prevalence.
brier | Brier score | Brier | num | Mean squared error of the probabilities. 0 is perfect.
calibration_intercept | Calibration intercept | cal. intercept | num | 0 is ideal; above 0: too low.
calibration_slope | Calibration slope | cal. slope | num | 1 is ideal; below 1: too extreme.
ece | Expected calibration error | ECE | num | Mean |observed - predicted| over equal-count bins.
oe_ratio | Observed / expected | O/E | num | Events / summed probabilities. 1 is ideal.
mean_predicted | Mean predicted risk | mean risk | pct | Compare with the observed prevalence.
"""
_METRICS = [
    [part.strip() for part in line.split("|", 4)] for line in _METRIC_TABLE.split("\n")[1:-1]
]
_GROUP_METRICS = [("prevalence", "prevalence", "pct")] + [
    (k, s, t) for k, _, s, t, _ in _METRICS[:-1]
]


def _fmt(value: Any, kind: str) -> str:
    """A number as text: 3 decimals, a percentage, a ratio (``1.02×``) or a count per day."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return EMPTY
    v = float(value)
    formats = {"pct": f"{v * 100:.1f}%", "ratio": f"{v:.2f}×", "day": f"{v:,.1f}"}
    return formats.get(kind, f"{v:.3f}")


def est(e: Any, kind: str = "num") -> str:
    """``value (low to high)`` of an estimate dict (``{"value", "ci"}``); ``—`` when undefined."""
    if not isinstance(e, Mapping):
        return _fmt(e, kind)
    text = _fmt(e.get("value"), kind)
    ci = e.get("ci")
    if text != EMPTY and ci:
        text += f" ({_fmt(ci[0], kind)} to {_fmt(ci[1], kind)})"
    return text


# --------------------------------------------------------------------------------------------
# charts: inline SVG from numbers only

_MUTED, _INK, _BLUE, _AMBER, _GRID = "#59636e", "#1f2328", "#0969da", "#9a6700", "#8c959f"


def _el(tag: str, text: str | None = None, **attrs: Any) -> str:
    """One SVG element; attribute names use ``_`` for ``-``; text and values are escaped."""
    parts = " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{html.escape(str(v), quote=True)}"'
        for k, v in attrs.items()
    )
    if text is None:
        return f"<{tag} {parts}/>"
    return f"<{tag} {parts}>{html.escape(text)}</{tag}>"


def _svg(width: int, height: int, label: str, body: list[str]) -> markupsafe.Markup:
    size: dict[str, Any] = {"viewBox": f"0 0 {width} {height}", "width": width, "height": height}
    head = _el("svg", role="img", aria_label=label, class_="chart", **size)[:-2] + ">"
    title = f"<title>{html.escape(label)}</title>"
    return markupsafe.Markup(head + title + "".join(body) + "</svg>")  # noqa: S704  (escaped)


class _Axes:
    """A plot area mapping data (x0..x1, y0..y1) to SVG pixels, with ticks and labels."""

    left, right, top, bottom = 64, 12, 12, 40

    def __init__(
        self, x: tuple[float, float], y: tuple[float, float], size: tuple[int, int]
    ) -> None:
        self.x0, self.x1 = x
        self.y0, self.y1 = y
        self.w, self.h = size

    def px(self, x: float) -> float:
        span = (self.w - self.left - self.right) / ((self.x1 - self.x0) or 1.0)
        return round(self.left + (x - self.x0) * span, 1)

    def py(self, y: float) -> float:
        y = min(max(y, self.y0), self.y1)
        span = (self.h - self.top - self.bottom) / ((self.y1 - self.y0) or 1.0)
        return round(self.h - self.bottom - (y - self.y0) * span, 1)

    def line(self, x1: float, y1: float, x2: float, y2: float, **style: Any) -> str:
        return _el("line", x1=self.px(x1), y1=self.py(y1), x2=self.px(x2), y2=self.py(y2), **style)

    def frame(
        self, labels: tuple[str, str], xticks: Sequence[float], yticks: Sequence[float]
    ) -> list[str]:
        base = self.h - self.bottom
        small: dict[str, Any] = {"font_size": 11, "fill": _MUTED}
        size: dict[str, Any] = {"width": self.w - self.left - self.right, "height": base - self.top}
        out = [_el("rect", x=self.left, y=self.top, fill="none", stroke="#d1d9e0", **size)]
        for t in xticks:
            x = self.px(t)
            out.append(_el("line", x1=x, y1=base, x2=x, y2=base + 4, stroke=_MUTED))
            out.append(_el("text", f"{t:g}", x=x, y=base + 16, text_anchor="middle", **small))
        for t in yticks:
            y = self.py(t)
            out.append(_el("line", x1=self.left - 4, y1=y, x2=self.left, y2=y, stroke=_MUTED))
            out.append(_el("text", f"{t:g}", x=self.left - 6, y=y + 4, text_anchor="end", **small))
        cx, cy = (self.left + self.w - self.right) / 2, (self.top + base) / 2
        big = {"font_size": 12, "fill": _INK, "text_anchor": "middle"}
        out.append(_el("text", labels[0], x=cx, y=self.h - 6, **big))
        out.append(_el("text", labels[1], x=14, y=cy, transform=f"rotate(-90 14 {cy})", **big))
        return out


def _nice(lo: float, hi: float, n: int = 5) -> tuple[float, float, list[float]]:
    """An axis from ``lo`` to ``hi`` widened to round ticks (steps of 1, 2, 2.5 or 5 x 10^k)."""
    raw = max(hi - lo, 1e-9) / n
    power = 10 ** math.floor(math.log10(raw))
    step = min(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    ticks = [round(k * step, 10) for k in range(first, last + 1)]
    return ticks[0], ticks[-1], ticks


def reliability_svg(bins: Sequence[Mapping[str, Any]]) -> markupsafe.Markup | None:
    """Observed event rate against mean predicted risk per bin, with intervals; the diagonal."""
    points = [b for b in bins if b["observed"]["value"] is not None]
    if not points:
        return None
    top = max(
        max(b["mean_predicted"]["value"], (b["observed"]["ci"] or [0, b["observed"]["value"]])[1])
        for b in points
    )
    _, hi, ticks = _nice(0.0, min(1.0, top))
    ax = _Axes((0.0, hi), (0.0, hi), (380, 340))
    body = ax.frame(("mean predicted risk", "observed event rate"), ticks, ticks)
    body.append(ax.line(0, 0, hi, hi, stroke=_GRID, stroke_dasharray="4 3"))
    for b in points:
        x, obs = b["mean_predicted"]["value"], b["observed"]
        if obs["ci"]:
            body.append(ax.line(x, obs["ci"][0], x, obs["ci"][1], stroke=_BLUE))
        body.append(_el("circle", cx=ax.px(x), cy=ax.py(obs["value"]), r=3.5, fill=_BLUE))
    return _svg(380, 340, "Reliability diagram: observed against predicted risk per bin", body)


def _polyline(ax: _Axes, pts: Sequence[tuple[float, float]], **style: Any) -> str:
    return _el("polyline", points=" ".join(f"{ax.px(x)},{ax.py(y)}" for x, y in pts), **style)


def decision_svg(rows: Sequence[Mapping[str, Any]]) -> markupsafe.Markup | None:
    """Net benefit of the model (with its band), treat-all and treat-none, by threshold."""
    pts = [r for r in rows if r["net_benefit"]["value"] is not None]
    if not pts:
        return None
    x0, x1, xticks = _nice(0.0, max(r["threshold"] for r in pts))
    top = max(max(r["net_benefit"]["value"], r["treat_all"]["value"] or 0.0) for r in pts)
    y0, y1, yticks = _nice(-max(top, 0.01) / 4, max(top, 0.01))
    ax = _Axes((x0, x1), (y0, y1), (560, 340))
    body = ax.frame(("threshold probability", "net benefit"), xticks, yticks)
    body.append(ax.line(0, 0, x1, 0, stroke=_MUTED))
    band = [(r["threshold"], r["net_benefit"]["ci"]) for r in pts if r["net_benefit"]["ci"]]
    if band:
        edge = [(t, ci[1]) for t, ci in band] + [(t, ci[0]) for t, ci in reversed(band)]
        points = " ".join(f"{ax.px(x)},{ax.py(y)}" for x, y in edge)
        body.append(_el("polygon", points=points, fill=_BLUE, fill_opacity=0.15, stroke="none"))
    model = [(r["threshold"], r["net_benefit"]["value"]) for r in pts]
    body.append(_polyline(ax, model, fill="none", stroke=_BLUE, stroke_width=2))
    everyone: list[tuple[float, float]] = []
    for r in pts:  # treat-all falls steeply: draw it down to the axis, not along it
        t, v = r["threshold"], r["treat_all"]["value"] or 0.0
        if v < y0 and everyone:
            t0, v0 = everyone[-1]
            everyone.append((t0 + (y0 - v0) / (v - v0) * (t - t0), y0))
            break
        everyone.append((t, v))
    dash = {"stroke_dasharray": "6 3"}
    body.append(_polyline(ax, everyone, fill="none", stroke=_AMBER, stroke_width=1.5, **dash))
    legend = [(_BLUE, {}, "model (band: interval)"), (_AMBER, dash, "treat all")]
    for i, (colour, extra, text) in enumerate([*legend, (_MUTED, {}, "treat none")]):
        y, x = 24 + 16 * i, ax.w - 190
        body.append(_el("line", x1=x, y1=y, x2=x + 25, y2=y, stroke=colour, **extra))
        body.append(_el("text", text, x=x + 30, y=y + 4, font_size=11, fill=_INK))
    return _svg(560, 340, "Decision curve: net benefit by threshold probability", body)


def monthly_svg(
    levels: Sequence[Mapping[str, Any]], overall: float | None
) -> markupsafe.Markup | None:
    """AUROC per month with intervals (suppressed months left out), and the overall line."""
    shown = [(i, lv["metrics"]["auroc"]) for i, lv in enumerate(levels) if not lv["suppressed"]]
    pts = [(i, m) for i, m in shown if m["value"] is not None]
    if len(pts) < 2:
        return None
    values = [v for _, m in pts for v in [m["value"], *(m["ci"] or [])]]
    y0, y1, yticks = _nice(max(0.0, min(values) - 0.01), min(1.0, max(values) + 0.01), 4)
    ax = _Axes((-0.5, len(levels) - 0.5), (y0, y1), (560, 300))
    body = ax.frame(("month", "AUROC"), [], yticks)
    step = max(1, -(-len(levels) // 12))
    small = {"font_size": 10, "fill": _MUTED, "text_anchor": "middle"}
    year = ""
    for i, lv in enumerate(levels):
        label = str(lv["level"])  # YYYY-MM: the year only where it changes
        short = label if label[:4] != year else label[5:]
        year = label[:4]
        if i % step == 0:
            body.append(_el("text", short, x=ax.px(i), y=ax.h - ax.bottom + 16, **small))
    if overall is not None:
        body.append(
            ax.line(-0.5, overall, len(levels) - 0.5, overall, stroke=_GRID, stroke_dasharray="4 3")
        )
    for i, m in pts:
        if m["ci"]:
            body.append(ax.line(i, m["ci"][0], i, m["ci"][1], stroke=_BLUE))
        body.append(_el("circle", cx=ax.px(i), cy=ax.py(m["value"]), r=3.5, fill=_BLUE))
    return _svg(560, 300, "AUROC per month with intervals; dashed: overall", body)


# --------------------------------------------------------------------------------------------
# the view


Row = tuple[str, str | None, list[str]]
"""A table row: label, why it is suppressed (None: shown), cells."""


def _group_section(section: Mapping[str, Any], policies: Sequence[str]) -> dict[str, Any]:
    """One attribute (or the months): a metrics table, a table per operating point."""
    scalar_rows: list[Row] = []
    op_tables: dict[str, list[Row]] = {name: [] for name in policies}
    flags: list[tuple[str, str]] = []
    for lv in section.get("levels") or []:
        label = str(lv.get("level"))
        if lv.get("suppressed"):
            why = f"suppressed ({lv.get('reason') or 'small group'})"
            scalar_rows.append((label, why, []))
            for name in policies:
                op_tables[name].append((label, why, []))
            continue
        m = lv.get("metrics") or {}
        disparity = lv.get("disparity") or {}
        cells = [fmt_number(lv.get(k)) for k in ("patients", "predictions", "positives")]
        cells += [est(m.get(key), kind) for key, _, kind in _GROUP_METRICS]
        cells.append(est(disparity.get("auroc"), "ratio"))
        scalar_rows.append((label, None, cells))
        for name in policies:
            at = (lv.get("operating_points") or {}).get(name) or {}
            ratio = disparity.get(name) or {}
            row = [c for r in _RATES for c in (est(at.get(r), "pct"), est(ratio.get(r), "ratio"))]
            op_tables[name].append((label, None, row))
        flags += [(label, text) for text in lv.get("disparities") or []]
    return {
        "attribute": str(section.get("attribute", "")),
        "suppressed": int(section.get("suppressed") or 0),
        "scalar_rows": scalar_rows,
        "op_tables": list(op_tables.items()),
        "flags": flags,
    }


def _tile(name: str, e: Any) -> tuple[str, str, str]:
    """A summary tile: name, value, interval (``""`` when there is none)."""
    e = e if isinstance(e, Mapping) else {"value": e}
    value, ci = _fmt(e.get("value"), "num"), e.get("ci")
    interval = f"{_fmt(ci[0], 'num')} to {_fmt(ci[1], 'num')}" if ci and value != EMPTY else ""
    return name, value, interval


def _rate_cells(row: Mapping[str, Any]) -> list[str]:
    cells = [est(row.get(r), "pct") for r in _RATES]
    cells.append(est(row.get("nne"), "num"))
    cells.append(est(row.get("alerts_per_day"), "day"))
    return cells


def _facts(report: Mapping[str, Any], level: float) -> list[tuple[str, str]]:
    data, boot = report.get("data") or {}, report.get("bootstrap") or {}
    period = data.get("period") or {}
    months = "{first_month} to {last_month} ({months} months)".format(**period) if period else ""
    events = (
        f"{fmt_number(data.get('positives'))} (prevalence {est(data.get('prevalence'), 'pct')})"
    )
    census = f"{_fmt(data.get('census_per_day'), 'day')} ({data.get('census_source') or EMPTY})"
    replicates = fmt_number(boot.get("replicates"))
    return [
        ("Model", str(report.get("model") or EMPTY)),
        ("Predictions", fmt_number(data.get("predictions"))),
        ("Patients", fmt_number(data.get("patients"))),
        ("Events", events),
        ("Period", months or "not given (no index times)"),
        ("Intervals", f"{level:.0%} percentile, {replicates} patient-level bootstrap replicates"),
        ("Bootstrap seed", str(boot.get("seed", EMPTY))),
        ("Patients scored per day", census),
        ("Created", str(report.get("created_at") or EMPTY)),
        ("Run time", fmt_duration(report.get("seconds"))),
    ]


def evaluation_view(report: Mapping[str, Any]) -> dict[str, Any]:
    """The template's context: every value pre-formatted as text, charts as inline SVG."""
    disc = report.get("discrimination") or {}
    cal = report.get("calibration") or {}
    boot = report.get("bootstrap") or {}
    level = float(boot.get("ci_level") or (report.get("config") or {}).get("ci_level") or 0.95)
    both = {**cal, **disc}
    ops_in = report.get("operating_points") or []
    policies = [str(o.get("name")) for o in ops_in if o.get("reached")]
    ops = [
        (
            str(o.get("name")),
            str(o.get("rule")),
            _fmt(o.get("threshold"), "num"),
            [*_rate_cells(o), est(o.get("net_benefit"))] if o.get("reached") else [],
        )
        for o in ops_in
    ]
    curve = report.get("decision_curve") or []
    temporal = report.get("temporal")
    temporal_view = None
    if temporal:
        temporal_view = _group_section(temporal, policies)
        overall = (disc.get("auroc") or {}).get("value")
        temporal_view["svg"] = monthly_svg(temporal.get("levels") or [], overall)
    tripod = report.get("tripod") or []
    bins = cal.get("reliability") or []
    return {
        "model": str(report.get("model") or "model"),
        "facts": _facts(report, level),
        "tiles": [_tile(name, both.get(key)) for key, name, _, _, _ in _METRICS[:5]],
        "notes": [str(n) for n in report.get("notes") or []],
        "metrics": [(name, est(both.get(key), kind), why) for key, name, _, kind, why in _METRICS],
        "brier_reference": _fmt(cal.get("brier_reference"), "num"),
        "reliability_svg": reliability_svg(bins),
        "reliability": [
            (
                str(b.get("bin")),
                fmt_number(b.get("n")),
                est(b.get("mean_predicted"), "pct"),
                est(b.get("observed"), "pct"),
            )
            for b in bins
        ],
        "operating_points": ops,
        "thresholds": [
            [_fmt(r.get("threshold"), "num"), *_rate_cells(r)]
            for r in report.get("thresholds") or []
        ],
        "decision_svg": decision_svg(curve),
        "decision": [
            [
                _fmt(r.get("threshold"), "num"),
                *(est(r.get(k)) for k in ("net_benefit", "treat_all", "advantage")),
            ]
            for r in curve
        ],
        "group_metric_names": [name for _, name, _ in _GROUP_METRICS],
        "rate_names": list(_RATE_NAMES),
        "subgroups": [_group_section(s, policies) for s in report.get("subgroups") or []],
        "temporal": temporal_view,
        "tripod": [
            tuple(str(t.get(k)) for k in ("id", "section", "topic", "status", "text"))
            for t in tripod
        ],
        "tripod_filled": sum(1 for t in tripod if t.get("status") == "filled"),
        "ci_level": f"{level:.0%}",
    }


def render_evaluation_html(report: Mapping[str, Any]) -> str:
    """The evaluation report as a self-contained HTML page (no scripts, no external assets).

    ``report`` is :meth:`wardwatch.evaluate.EvaluationReport.to_dict` output. Every value is
    escaped; the charts are inline SVG built from numbers.
    """
    return render("evaluation.html.j2", **evaluation_view(report))
