"""Chart.js configurations built in Python, drawn by ``static/app.js``.

A page puts ``{{ chart(config, "what the chart shows") }}`` (the macro in ``_macros.html``)
where the chart goes: a ``<canvas>`` with the configuration as JSON in a data attribute (no
inline script, so the page's Content-Security-Policy can forbid them). Every chart has a text
label for screen readers, and pages show the same numbers in a table. Colours are the
Okabe-Ito palette (distinguishable with colour-vision deficiency); thresholds are dashed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PALETTE", "Series", "bars", "line", "xy"]

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_THRESHOLD = "#A40E26"


def _clean(values: Sequence[float | None]) -> list[float | None]:
    """JSON-safe numbers: NaN and infinities become gaps (null)."""
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        x = float(v)
        out.append(x if math.isfinite(x) else None)
    return out


@dataclass(frozen=True)
class Series:
    """One line: its name, its values (None for a gap) and, optionally, an interval drawn as
    a shaded band around it."""

    label: str
    values: Sequence[float | None]
    low: Sequence[float | None] | None = None
    high: Sequence[float | None] | None = None
    dashed: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _options(y_label: str, x_label: str | None, y_min: float | None, y_max: float | None,
             ) -> dict[str, Any]:  # fmt: skip
    y: dict[str, Any] = {"title": {"display": True, "text": y_label}}
    if y_min is not None:
        y["min"] = y_min
    if y_max is not None:
        y["max"] = y_max
    x: dict[str, Any] = {}
    if x_label:
        x["title"] = {"display": True, "text": x_label}
    return {
        "responsive": True,
        "maintainAspectRatio": False,
        "animation": False,
        "interaction": {"mode": "nearest", "intersect": False},
        "plugins": {"legend": {"position": "bottom"}},
        "scales": {"x": x, "y": y},
    }


def line(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    y_label: str,
    x_label: str | None = None,
    thresholds: Sequence[tuple[str, float]] = (),
    y_min: float | None = None,
    y_max: float | None = None,
) -> dict[str, Any]:
    """A line chart over ``labels`` (e.g. monitoring windows) with the given series, their
    interval bands and horizontal threshold lines."""
    datasets: list[dict[str, Any]] = []
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        if s.low is not None and s.high is not None:
            datasets.append({"label": f"{s.label} (low)", "data": _clean(s.low),
                             "borderWidth": 0, "pointRadius": 0, "fill": False,
                             "wwBand": True})  # fmt: skip
            datasets.append({"label": f"{s.label} interval", "data": _clean(s.high),
                             "borderWidth": 0, "pointRadius": 0, "fill": "-1",
                             "backgroundColor": colour + "33", "wwBand": True})  # fmt: skip
        ds: dict[str, Any] = {
            "label": s.label, "data": _clean(s.values), "borderColor": colour,
            "backgroundColor": colour, "spanGaps": False, "tension": 0, "pointRadius": 3,
        }  # fmt: skip
        if s.dashed:
            ds["borderDash"] = [6, 4]
        ds.update(s.extra)
        datasets.append(ds)
    for name, value in thresholds:
        datasets.append({
            "label": name, "data": [float(value)] * len(labels), "borderColor": _THRESHOLD,
            "borderDash": [4, 4], "borderWidth": 1.5, "pointRadius": 0, "fill": False,
        })  # fmt: skip
    return {
        "type": "line",
        "data": {"labels": list(labels), "datasets": datasets},
        "options": _options(y_label, x_label, y_min, y_max),
    }


def bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    x_label: str,
    horizontal: bool = True,
    signed_colours: bool = True,
) -> dict[str, Any]:
    """A bar chart (horizontal by default); with ``signed_colours`` bars that raise the value
    are vermillion and bars that lower it blue (as explanation factors read)."""
    clean = _clean(values)
    colours = [
        (PALETTE[1] if (v or 0) > 0 else PALETTE[0]) if signed_colours else PALETTE[0]
        for v in clean
    ]
    options = _options(x_label, None, None, None)
    options["plugins"]["legend"] = {"display": False}
    if horizontal:
        options["indexAxis"] = "y"
        options["scales"] = {"x": options["scales"]["y"], "y": {}}
    return {
        "type": "bar",
        "data": {"labels": list(labels),
                 "datasets": [{"label": x_label, "data": clean, "backgroundColor": colours}]},
        "options": options,
    }  # fmt: skip


def xy(
    series: Sequence[tuple[str, Sequence[tuple[float, float]]]],
    *,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
) -> dict[str, Any]:
    """Lines through (x, y) points (e.g. a calibration curve, a decision curve); with
    ``diagonal`` the line y = x over ``x_range`` (perfect calibration) is drawn dashed."""
    datasets: list[dict[str, Any]] = []
    for i, (name, points) in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        data = [{"x": x, "y": y} for x, y in points if math.isfinite(x) and math.isfinite(y)]
        datasets.append({"label": name, "data": data, "showLine": True, "borderColor": colour,
                         "backgroundColor": colour, "pointRadius": 2})  # fmt: skip
    if diagonal:
        lo, hi = x_range or (0.0, 1.0)
        datasets.append({"label": "perfect calibration", "data": [{"x": lo, "y": lo},
                         {"x": hi, "y": hi}], "showLine": True, "borderColor": "#59636E",
                         "borderDash": [4, 4], "pointRadius": 0})  # fmt: skip
    options = _options(y_label, x_label, None, None)
    options["scales"]["x"]["type"] = "linear"
    if x_range:
        options["scales"]["x"].update(min=x_range[0], max=x_range[1])
    if y_range:
        options["scales"]["y"].update(min=y_range[0], max=y_range[1])
    return {"type": "scatter", "data": {"datasets": datasets}, "options": options}
