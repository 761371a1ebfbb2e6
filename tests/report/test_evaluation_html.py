"""The evaluation report's HTML page: self-contained, escaped, with the numbers that matter."""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from tests.report._html import parse

from wardwatch.report import render_evaluation_html

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """A real report's dict (from wardwatch.evaluate), with hostile names mixed in."""
    from wardwatch.evaluate import evaluate_predictions

    rng = np.random.default_rng(3)
    n = 3000
    p = rng.beta(1.2, 6, n)
    y = (rng.random(n) < p).astype(int)
    times = pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 120 * 24, n), unit="h"
    )
    site = np.where(np.arange(n) % 2 == 0, f"North {EVIL}", "South")
    site[:4] = "Tiny & <b>small</b>"
    result = evaluate_predictions(
        y,
        p,
        patient_ids=[f"MRN-{i // 2}" for i in range(n)],
        index_times=times,
        subgroups={"site <i>": site},
        config={"n_bootstrap": 60},
        context={"outcome": f"readmission {EVIL}"},
        model_name=f"readmit {EVIL}",
    )
    return result.to_dict()


@pytest.fixture(scope="module")
def page(report: dict[str, Any]) -> str:
    return render_evaluation_html(report)


def test_is_well_formed(page: str) -> None:
    p = parse(page)
    assert p.errors == []
    assert p.stack == []
    assert page.startswith("<!DOCTYPE html>")
    for tag in ("html", "head", "body", "main", "h1"):
        assert p.tags.get(tag) == 1, tag
    assert p.tags["svg"] == 3  # reliability diagram, decision curve, AUROC per month
    assert p.tags["title"] == 1 + p.tags["svg"]  # the page's, and each chart's accessible name
    assert p.tags["table"] >= 8


def test_self_contained(page: str) -> None:
    p = parse(page)
    assert "script" not in p.tags
    assert "<script" not in page.lower()
    assert "http://" not in page
    assert "https://" not in page
    assert "link" not in p.tags
    assert "img" not in p.tags
    assert not [a for a in p.attrs if a[1] in {"src", "href", "srcset", "action"}]
    assert "url(" not in page
    assert "@import" not in page
    assert "default-src 'none'" in page
    assert not any(k.startswith("on") for _, k, _ in p.attrs)


def test_values_are_escaped(page: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    text = " ".join(parse(page).text)
    assert f"readmit {EVIL}" in text  # shown as text, exactly
    assert f"North {EVIL}" in text
    assert "Tiny & <b>small</b>" in text
    assert "<b>" not in page
    assert "<i>" not in page


def test_key_numbers_are_shown(report: dict[str, Any], page: str) -> None:
    text = " ".join(parse(page).text)
    auroc = report["discrimination"]["auroc"]
    assert f"{auroc['value']:.3f}" in text
    assert f"95% CI {auroc['ci'][0]:.3f} to {auroc['ci'][1]:.3f}" in text
    op = report["operating_points"][0]
    assert f"{op['threshold']:.3f}" in text
    assert f"{op['sensitivity']['value'] * 100:.1f}%" in text
    assert f"{report['data']['predictions']:,}" in text
    assert "2026-01 to 2026-04" in text
    assert "TRIPOD+AI checklist" in text
    assert re.search(r"\d+ of 52 items filled", text)


def test_suppressed_levels_show_no_numbers(page: str) -> None:
    label = re.escape("Tiny &amp; &lt;b&gt;small&lt;/b&gt;")
    rows = re.findall(rf'<tr><th scope="row">{label}</th>(.*?)</tr>', page)
    assert len(rows) >= 2  # the metrics table and each operating point's table
    for cells in rows:
        text = re.sub(r"<[^>]+>", "", cells)
        assert text == "suppressed (fewer than 11 patients)"


def test_no_patient_ids(page: str) -> None:
    assert "MRN" not in page


def test_notes_are_listed() -> None:
    from wardwatch.evaluate import evaluate_predictions

    result = evaluate_predictions(
        [0, 0, 1, 0, 0, 0], [0.1, 0.2, 0.3, 0.1, 0.4, 0.2], patient_ids=list("abcdef")
    )
    page = render_evaluation_html(result.to_dict())
    assert parse(page).errors == []
    assert "What could not be computed, and why" in page
    assert "Too few positive labels (1) for a calibration curve" in page
    assert "No calibration curve" in page


def test_minimal_dict_renders() -> None:
    page = render_evaluation_html({"model": "m"})
    p = parse(page)
    assert p.errors == []
    assert "No subgroup attributes were given." in page
    assert "No index times were given" in page


def test_input_is_not_changed(report: dict[str, Any]) -> None:
    before = copy.deepcopy(report)
    render_evaluation_html(report)
    assert report == before
