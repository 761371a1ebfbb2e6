"""The shared base of every HTML report: one Jinja2 environment, one look, one file.

Templates live in ``wardwatch/report/templates/`` (packaged with the wheel) and extend
``base.html.j2``, which inlines the stylesheet and carries a Content-Security-Policy that
forbids scripts and every external fetch. A page therefore opens offline, can be attached
to a ticket, and cannot run code even if a value slipped past escaping. Autoescaping is on
for every template: values are always text, never markup.

Report modules build a *view* (plain, pre-formatted values) in Python and hand it to
:func:`render`; templates only lay it out. Formatting lives in the small functions below,
registered as filters, so that every report writes numbers, rates and durations alike.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import jinja2
import markupsafe

__all__ = [
    "EMPTY",
    "environment",
    "fmt_duration",
    "fmt_number",
    "fmt_rate",
    "fmt_value",
    "render",
    "table_rows",
    "template_source",
]

EMPTY = "—"
"""What a cell shows when there is no value (never an empty cell, which reads as a bug)."""

_PACKAGE = "wardwatch.report"
_TEMPLATES = "templates"
_MAX_TEXT = 500
"""Longest value shown in a cell; longer ones are cut with a note of how much was left out."""


def fmt_number(value: Any) -> str:
    """An integer with thousands separators (``12,345``); floats to four significant digits."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:,.4g}" if abs(value) >= 1e-4 else f"{value:.3g}"
    return fmt_value(value)


def fmt_rate(value: Any) -> str:
    """A proportion (0-1) as a percentage; a non-zero rate never shows as ``0%``."""
    if value is None:
        return EMPTY
    rate = float(value)
    if rate == 0:
        return "0%"
    pct = rate * 100
    if pct < 0.01:
        return "<0.01%"
    if pct >= 99.995 and rate < 1:
        return ">99.99%"
    return f"{pct:.2f}".rstrip("0").rstrip(".") + "%"


def fmt_duration(seconds: Any) -> str:
    """Seconds as ``0.42 s``, ``12.3 s`` or ``3 min 05 s``."""
    if seconds is None:
        return EMPTY
    s = float(seconds)
    if s < 10:
        return f"{s:.2f} s"
    if s < 60:
        return f"{s:.1f} s"
    minutes, rest = divmod(round(s), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def fmt_value(value: Any, limit: int = _MAX_TEXT) -> str:
    """Any value as one line of text for a cell: ``—`` for nothing, long text cut at ``limit``."""
    if type(value) is str:  # the common case, first: a report may have 100,000 cells
        if not value:
            return EMPTY
        if len(value) <= limit:
            return value
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt_number(value)
    if isinstance(value, list | tuple | set | frozenset):
        text = ", ".join(fmt_value(v, limit) for v in value)
    elif isinstance(value, dict):
        text = ", ".join(f"{k}: {fmt_value(v, limit)}" for k, v in value.items())
    else:
        text = str(value)
    if len(text) > limit:
        return f"{text[:limit]}… ({len(text) - limit:,} more characters)"
    return text


def table_rows(rows: Iterable[Sequence[str]]) -> markupsafe.Markup:
    """Table rows (``<tr><td>…</td></tr>``) of text cells, every cell escaped.

    For long tables (thousands of findings): built here rather than by a template loop,
    which costs ten times as much per cell. Cells are text; each is escaped, so the
    result is safe markup.
    """
    esc = html.escape
    return markupsafe.Markup(  # noqa: S704  (every cell is escaped just below)
        "\n".join(
            "<tr>" + "".join([f"<td>{esc(cell)}</td>" for cell in row]) + "</tr>" for row in rows
        )
    )


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of every report (autoescape on, strict about missing names)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(_PACKAGE, _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = fmt_number
    env.filters["rate"] = fmt_rate
    env.filters["duration"] = fmt_duration
    env.filters["value"] = fmt_value
    # The stylesheet is ours, shipped with the package: inlined as is, not parsed as a template.
    env.globals["stylesheet"] = markupsafe.Markup(template_source("style.css"))  # noqa: S704
    return env


def render(template: str, **context: Any) -> str:
    """Render a packaged template (``templates/<template>``) with ``context`` to a page."""
    return environment().get_template(template).render(**context)


def template_source(name: str) -> str:
    """The text of a packaged template, read through :mod:`importlib.resources`."""
    return (resources.files(_PACKAGE) / _TEMPLATES / name).read_text(encoding="utf-8")
