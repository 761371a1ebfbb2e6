"""Rendering shared by every stage: one look, self-contained files.

Every human-facing report of wardwatch (the data-quality gate's report today; the
evaluation report and model cards next) renders here, so that they all look alike and all
keep the same promises: one HTML file with its stylesheet inlined, no scripts, no external
fonts, images or links to fetch (it opens offline and can be attached to a ticket), and
every value escaped. Renderers take plain ``to_dict()`` data, not a stage's objects, so
this package imports no stage.

    from wardwatch.report import render_quality_html
    html = render_quality_html(quality_report.to_dict())

A new report adds a template under ``templates/`` that extends ``base.html.j2``, builds its
view in a private module and renders it with :func:`render`.
"""

from wardwatch.report._base import environment, render
from wardwatch.report._evaluation import render_evaluation_html
from wardwatch.report._leakage import render_leakage_html
from wardwatch.report._model_card import render_model_card_html
from wardwatch.report._quality import render_quality_html

__all__ = [
    "environment",
    "render",
    "render_evaluation_html",
    "render_leakage_html",
    "render_model_card_html",
    "render_quality_html",
]
