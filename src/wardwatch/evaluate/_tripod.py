"""The TRIPOD+AI checklist (Collins et al., BMJ 2024;385:e078378), filled where we can.

TRIPOD+AI lists what a report of a clinical prediction model must say. An evaluation knows
part of it: the numbers of predictions, patients and events, the period, the performance
measures with intervals, subgroup results and the operating points. The caller knows more
and can pass it as ``context`` (``{"outcome": "...", "model": "...", ...}``; see
:data:`CONTEXT_KEYS`). Each item is then ``filled`` (from the computation, the context or
both) or ``needs a person``, with what is known so far.

Item wording here is a short paraphrase; the checklist itself is the reference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wardwatch.errors import ConfigError

__all__ = ["CONTEXT_KEYS", "ITEMS", "check_context", "checklist", "tripod_facts"]

FILLED = "filled"
NEEDS_PERSON = "needs a person"

# One item a line: id | topic | context key | computed fact key, then "+" when the
# computed fact completes the item, "~" when it only helps a person write it ("-": no fact).
_TABLE = """
1 | Study type (development or evaluation), target population, outcome | title | -
2 | Structured summary (TRIPOD+AI for Abstracts) | abstract | -
3a | Healthcare context and rationale, existing models | background | -
3b | Target population, intended purpose and users in the care pathway | intended_use | -
3c | Known health inequalities between sociodemographic groups | health_inequalities | -
4 | Objectives: development, evaluation or both | objectives | objectives ~
5a | Sources of data and their representativeness | data_sources | -
5b | Dates of the data (start and end of accrual, end of follow-up) | dates | dates +
6a | Setting, number and location of centres | setting | centres ~
6b | Eligibility criteria | eligibility | -
6c | Treatments received and how they were handled | treatments | -
7 | Pre-processing and quality checks, across groups | data_preparation | -
8a | Outcome definition, time horizon, how and when assessed | outcome | events ~
8b | Qualifications of outcome assessors (if subjective) | outcome_assessment | -
8c | Blinding of outcome assessment | outcome_blinding | -
9a | Choice and pre-selection of predictors | predictors | -
9b | Definition and timing of every predictor | predictor_definitions | -
9c | Qualifications of predictor assessors (if subjective) | predictor_assessment | -
10 | How the sample size was arrived at, and why it suffices | sample_size | sample ~
11 | How missing data were handled | missing_data | -
12a | How the data were used (partitions, resampling) | data_use | data_use +
12b | Handling of predictors (functional form, scaling) | predictor_handling | -
12c | Model type, building steps, tuning, internal validation | model | -
12d | Heterogeneity of performance across clusters | heterogeneity | heterogeneity +
12e | Performance measures and plots, and their rationale | measures | measures +
12f | Model updating (e.g. recalibration) from the evaluation | model_updating | updating ~
12g | How predictions were calculated (formula, code, API) | prediction_method | -
13 | Class imbalance methods and recalibration after them | class_imbalance | -
14 | Approaches to assess or address fairness | fairness | fairness +
15 | Output (probabilities, classes); thresholds and how chosen | model_output | output +
16 | Differences between development and evaluation data | development_data | -
17 | Ethics approval and consent | ethics | -
18a | Funding | funding | -
18b | Conflicts of interest | conflicts | -
18c | Protocol | protocol | -
18d | Registration | registration | -
18e | Data sharing | data_sharing | -
18f | Code sharing | code_sharing | -
19 | Patient and public involvement | patient_involvement | -
20a | Flow of participants, with and without the outcome | participant_flow | flow +
20b | Characteristics overall and per group or setting | characteristics | characteristics +
20c | Comparison with the development data | development_comparison | -
21 | Participants and events in each analysis | analysis_numbers | sample +
22 | The full model, and access to it | model_specification | -
23a | Performance with confidence intervals, incl. key subgroups | performance | performance +
23b | Heterogeneity of performance across clusters | heterogeneity_results | heterogeneity +
24 | Updated model and its performance | updating_results | -
25 | Overall interpretation, including fairness | interpretation | -
26 | Limitations (sample, overfitting, missing data) and their effects | limitations | limitations ~
27a | Handling poor-quality or missing inputs in practice | input_quality | -
27b | User interaction and expertise required | user_expertise | -
27c | Next steps for research: applicability and generalizability | next_steps | -
"""


_SECTIONS = (
    (1, "Title"),
    (2, "Abstract"),
    (3, "Introduction"),
    (5, "Methods"),
    (18, "Open science"),
    (19, "Patient and public involvement"),
    (20, "Results"),
    (25, "Discussion"),
)


def _section(item_id: str) -> str:
    number = int(item_id.rstrip("abcdefg"))
    return [name for first, name in _SECTIONS if first <= number][-1]


def _parse(table: str) -> tuple[tuple[str, str, str, str, str | None, bool], ...]:
    items = []
    for line in table.strip().splitlines():
        item_id, topic, key, fact = (part.strip() for part in line.split("|"))
        section = _section(item_id)
        fact_key, _, mark = fact.partition(" ")
        items.append(
            (item_id, section, topic, key, None if fact_key == "-" else fact_key, mark == "+")
        )
    return tuple(items)


ITEMS = _parse(_TABLE)
"""``(id, section, topic, context key, fact key or None, whether the fact completes it)``."""

CONTEXT_KEYS: frozenset[str] = frozenset(item[3] for item in ITEMS)
"""Keys a caller may pass as ``context`` (each fills the TRIPOD+AI item of that name)."""


def check_context(context: Mapping[str, Any] | None) -> dict[str, str]:
    """Validate a context mapping: known keys, text values (lists are joined)."""
    if context is None:
        return {}
    if not isinstance(context, Mapping):
        raise ConfigError(
            "context must be a mapping", field="context", found=type(context).__name__
        )
    out: dict[str, str] = {}
    for key, value in context.items():
        if key not in CONTEXT_KEYS:
            raise ConfigError(
                "unknown context key",
                field=f"context.{key}",
                expected=" | ".join(sorted(CONTEXT_KEYS)),
                found=str(key),
            )
        if isinstance(value, list | tuple):
            value = ", ".join(str(v) for v in value)
        out[key] = str(value).strip()
    return out


def checklist(facts: Mapping[str, str], context: Mapping[str, str]) -> list[dict[str, str]]:
    """The checklist: one dict per item with ``id``, ``section``, ``topic``, ``status``, ``text``.

    ``facts`` are sentences the evaluation computed, by fact key (see :data:`ITEMS`).
    """
    out: list[dict[str, str]] = []
    for item_id, section, topic, key, fact_key, fact_completes in ITEMS:
        given = context.get(key, "")
        fact = facts.get(fact_key or "", "")
        parts = [t for t in (given, fact) if t]
        filled = bool(given) or (bool(fact) and fact_completes)
        if not filled:
            parts.append(f"A person must report this (context key '{key}').")
        out.append(
            {
                "id": item_id,
                "section": section,
                "topic": topic,
                "status": FILLED if filled else NEEDS_PERSON,
                "text": " ".join(parts),
            }
        )
    return out


def _est(e: Any) -> str:
    value, ci = (e["value"], e["ci"]) if isinstance(e, Mapping) else (e.value, e.ci)
    if value is None:
        return "not defined"
    return f"{value:.3f}" + (f" ({ci[0]:.3f} to {ci[1]:.3f})" if ci else "")


def tripod_facts(
    model: str,
    data: Mapping[str, Any],
    discrimination: Mapping[str, Any],
    calibration: Mapping[str, Any],
    operating_points: Sequence[Mapping[str, Any]],
    subgroups: Sequence[Mapping[str, Any]],
    temporal: Mapping[str, Any] | None,
    config: Any,
    notes: list[str],
) -> dict[str, str]:
    """Sentences the evaluation can state for the checklist, by fact key (see :data:`ITEMS`)."""
    n, pos, neg, pats = data["predictions"], data["positives"], data["negatives"], data["patients"]
    attrs = [s["attribute"] for s in subgroups]
    ci = f"{config.ci_level:.0%}"
    facts = {
        "objectives": f"Evaluation of {model} on {n:,} predictions for {pats:,} patients.",
        "events": f"{pos:,} events among {n:,} predictions (prevalence {pos / n:.1%}).",
        "sample": (
            f"Evaluation set: {n:,} predictions from {pats:,} patients, {pos:,} with the "
            f"outcome and {neg:,} without."
        ),
        "flow": (
            f"{n:,} predictions ({pats:,} patients): {pos:,} with and {neg:,} without the outcome."
        ),
        "data_use": (
            f"Evaluation only: the predictions were scored as given. {config.n_bootstrap:,} "
            f"patient-level bootstrap replicates (seed {config.seed}) give {ci} percentile "
            "intervals" + ("; performance is also given per calendar month." if temporal else ".")
        ),
        "measures": (
            "Discrimination: AUROC and AUPRC. Calibration: Brier score, calibration intercept "
            "and slope (logistic recalibration on logit(p)), expected calibration error over "
            f"{config.calibration_bins} equal-count bins, observed/expected ratio, reliability "
            "diagram. Clinical utility: sensitivity, specificity, PPV, NPV, flag rate, number "
            "needed to evaluate and alerts per day at a threshold grid and at operating points "
            "chosen by policy; decision curve (net benefit against treat-all and treat-none)."
        ),
        "updating": (
            "No updating was done in this evaluation; calibration intercept "
            f"{_est(calibration['calibration_intercept'])} and slope "
            f"{_est(calibration['calibration_slope'])} show whether recalibration is needed."
        ),
        "performance": (
            f"AUROC {_est(discrimination['auroc'])}, AUPRC {_est(discrimination['auprc'])}, "
            f"Brier score {_est(calibration['brier'])}, calibration slope "
            f"{_est(calibration['calibration_slope'])}, with {ci} intervals; the same per "
            "subgroup and per month where given."
        ),
    }
    period = data.get("period")
    if period:
        facts["dates"] = (
            f"Index times from {period['first_month']} to {period['last_month']} "
            f"({period['months']} calendar months)."
        )
    sites = [s for s in subgroups if s["attribute"].lower() in _SITES]
    if sites:
        facts["centres"] = (
            "; ".join(f"{s['attribute']}: {len(s['levels'])} levels" for s in sites) + "."
        )
    if attrs or temporal:
        scope = ", ".join(attrs + (["calendar month"] if temporal else []))
        facts["heterogeneity"] = (
            f"Performance per level of {scope}, each with intervals, and disparity ratios against "
            "the overall value."
        )
    if attrs:
        lo, hi = config.disparity_bounds
        facts["fairness"] = (
            f"Metrics per level of {', '.join(attrs)} with disparity ratios (level / overall, "
            f"flagged outside {lo:g} to {hi:g}); levels with fewer than {config.min_group_size} "
            "patients, positive or negative labels are suppressed."
        )
        facts["characteristics"] = (
            f"Counts and prevalence per level of {', '.join(attrs)} are in the subgroup tables."
        )
    chosen = [
        f"{o['name']} ({o['rule']}): threshold {o['threshold']:.3f}"
        if o["threshold"] is not None
        else f"{o['name']} ({o['rule']}): not reachable"
        for o in operating_points
    ]
    facts["output"] = "Predicted probabilities. Operating points: " + "; ".join(chosen) + "."
    if notes:
        facts["limitations"] = "Computed caveats: " + " ".join(notes)
    return facts


_SITES = ("site", "sites", "hospital", "centre", "center", "facility", "location")
