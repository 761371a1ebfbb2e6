"""The 31 source attributes of a Predictive DSI (ONC HTI-1, 45 CFR 170.315(b)(11)(iv)(B)).

A certified health IT module must let its users see, for every predictive decision support
intervention, these 31 attributes in nine groups: (1) details and output of the intervention,
(2) its purpose, (3) cautioned out-of-scope use, (4) development details and input features,
(5) the process used to ensure fairness in development, (6) the external validation process,
(7) quantitative measures of performance, (8) ongoing maintenance of implementation and use,
and (9) the update and continued validation or fairness assessment schedule.

:func:`hti1_attributes` fills each one from what wardwatch measured or recorded (the use case,
the training run, the evaluation report) and marks the others as needing a person, with the
reason and, where some facts help, those facts. A person's statement (``CardInputs.statements``)
fills an attribute that needs one and is added after the measured text of one that does not:
measured facts are never replaced by a declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from wardwatch.registry.cards._facts import (
    cohort_sentence,
    demographic_inputs,
    disparity_bounds,
    disparity_rows,
    headline_metrics,
    metric_text,
    operating_points,
    outcome_sentence,
    representativeness,
    test_data_sentence,
)
from wardwatch.registry.cards._inputs import NEEDS_A_PERSON, CardInputs

__all__ = [
    "GROUPS",
    "HTI1_ATTRIBUTES",
    "REGULATION",
    "Attribute",
    "AttributeSpec",
    "hti1_attributes",
]

REGULATION = "45 CFR 170.315(b)(11)(iv)(B)"
FILLED: Literal["filled"] = "filled"
NEEDS: Literal["needs a person"] = "needs a person"

GROUPS: dict[int, str] = {
    1: "Details and output of the intervention",
    2: "Purpose of the intervention",
    3: "Cautioned out-of-scope use of the intervention",
    4: "Intervention development details and input features",
    5: "Process used to ensure fairness in development of the intervention",
    6: "External validation process",
    7: "Quantitative measures of performance",
    8: "Ongoing maintenance of intervention implementation and use",
    9: "Update and continued validation or fairness assessment schedule",
}
_VARS = "paragraph (b)(11)(iv)(A)(5)-(13)"


@dataclass(frozen=True)
class AttributeSpec:
    """One source attribute as the rule names it."""

    key: str
    ref: str
    """Its paragraph under (b)(11)(iv)(B), e.g. ``(7)(i)``."""
    group: int
    name: str
    """The rule's wording."""
    short: str
    description: str
    """What it asks for, in one sentence."""
    why: str
    """Why wardwatch cannot fill it when no artifact or person gives it."""


HTI1_ATTRIBUTES: tuple[AttributeSpec, ...] = (
    AttributeSpec(
        "developer",
        "(1)(i)",
        1,
        "Name and contact information for the intervention developer",
        "Developer",
        "Who built the intervention and how to reach them.",
        "no developer name and contact are configured for this workspace",
    ),
    AttributeSpec(
        "funding",
        "(1)(ii)",
        1,
        "Funding source of the intervention's technical implementation for the "
        "intervention's development",
        "Funding source",
        "Who paid for building the intervention.",
        "funding is not recorded by any artifact",
    ),
    AttributeSpec(
        "output_value",
        "(1)(iii)",
        1,
        "Description of value that the intervention produces as an output",
        "Output value",
        "What the number or label the intervention returns means.",
        "no use case describes the output",
    ),
    AttributeSpec(
        "output_type",
        "(1)(iv)",
        1,
        "Whether the intervention output is a prediction, classification, recommendation, "
        "evaluation, analysis, or other type of output",
        "Output type",
        "The kind of output, in the rule's categories.",
        "no use case describes the output",
    ),
    AttributeSpec(
        "intended_use",
        "(2)(i)",
        2,
        "Intended use of the intervention",
        "Intended use",
        "The clinical purpose the intervention serves.",
        "the use case has no description of its purpose",
    ),
    AttributeSpec(
        "patient_population",
        "(2)(ii)",
        2,
        "Intended patient population(s) for the intervention's use",
        "Patient population",
        "The patients the intervention is meant for.",
        "no cohort definition is available",
    ),
    AttributeSpec(
        "intended_users",
        "(2)(iii)",
        2,
        "Intended user(s)",
        "Intended users",
        "The people expected to see and act on the output.",
        "who acts on the output is a deployment decision no artifact records",
    ),
    AttributeSpec(
        "decision_role",
        "(2)(iv)",
        2,
        "Intended decision-making role for which the intervention was designed to be "
        "used/for (e.g., informs, augments, replaces clinical management)",
        "Decision role",
        "Whether the output informs, augments or replaces clinical management.",
        "the role of the output in the decision is a clinical governance choice",
    ),
    AttributeSpec(
        "out_of_scope",
        "(3)(i)",
        3,
        "Description of tasks, situations, or populations where a user is cautioned against "
        "applying the intervention",
        "Cautioned uses",
        "Where the intervention should not be applied.",
        "no cohort definition is available",
    ),
    AttributeSpec(
        "known_risks",
        "(3)(ii)",
        3,
        "Known risks, inappropriate settings, inappropriate uses, or known limitations",
        "Known risks and limitations",
        "What is known to go wrong or limit the output's validity.",
        "no evaluation report is available",
    ),
    AttributeSpec(
        "inclusion_exclusion",
        "(4)(i)",
        4,
        "Exclusion and inclusion criteria that influenced the training data set",
        "Training data criteria",
        "Which records were and were not used to train the model.",
        "no cohort definition is available",
    ),
    AttributeSpec(
        "demographic_variables",
        "(4)(ii)",
        4,
        f"Use of variables in {_VARS} as input features",
        "Demographic inputs",
        "Which of race, ethnicity, language, sexual orientation, gender identity, sex, date "
        "of birth, social determinants of health and health status assessments are inputs.",
        "no feature list is available",
    ),
    AttributeSpec(
        "demographic_representativeness",
        "(4)(iii)",
        4,
        f"Description of demographic representativeness according to variables in {_VARS} "
        "including, at a minimum, those used as input features in the intervention",
        "Demographic representativeness",
        "How the development data are distributed over those demographic variables.",
        "no evaluation report with demographic subgroups is available",
    ),
    AttributeSpec(
        "training_relevance",
        "(4)(iv)",
        4,
        "Description of relevance of training data to intended deployed setting",
        "Relevance of training data",
        "How well the training data match the setting where the model will run.",
        "whether the training data match the deploying site needs knowledge of that site",
    ),
    AttributeSpec(
        "fairness_approach",
        "(5)(i)",
        5,
        "Description of the approach the intervention developer has taken to ensure that "
        "the intervention's output is fair",
        "Fairness approach",
        "How the developer checked that the output is fair across groups.",
        "no evaluation report with subgroups is available",
    ),
    AttributeSpec(
        "bias_mitigation",
        "(5)(ii)",
        5,
        "Description of approaches to manage, reduce, or eliminate bias",
        "Bias mitigation",
        "What was done about bias found or expected.",
        "what to do about the disparities measured is a decision people make",
    ),
    AttributeSpec(
        "external_data_source",
        "(6)(i)",
        6,
        "Description of the data source, clinical setting, or environment where an "
        "intervention's validity and fairness has been assessed, other than the source of "
        "training and testing data",
        "External validation data",
        "Where the model was tested outside its development data.",
        "no external validation is recorded: the evaluation used the development source",
    ),
    AttributeSpec(
        "external_party",
        "(6)(ii)",
        6,
        "Party that conducted the external testing",
        "External tester",
        "Who ran the external test.",
        "no external validation is recorded",
    ),
    AttributeSpec(
        "external_representativeness",
        "(6)(iii)",
        6,
        f"Description of demographic representativeness of external data according to "
        f"variables in {_VARS} including, at a minimum, those used as input features in the "
        "intervention",
        "External data representativeness",
        "How the external data are distributed over the demographic variables.",
        "no external validation is recorded",
    ),
    AttributeSpec(
        "external_process",
        "(6)(iv)",
        6,
        "Description of external validation process",
        "External validation process",
        "How the external validation was done.",
        "no external validation is recorded",
    ),
    AttributeSpec(
        "validity_internal",
        "(7)(i)",
        7,
        "Validity of intervention in test data derived from the same source as the initial "
        "training data",
        "Validity in test data",
        "Discrimination and calibration on held-out data from the development source.",
        "no evaluation report is available",
    ),
    AttributeSpec(
        "fairness_internal",
        "(7)(ii)",
        7,
        "Fairness of intervention in test data derived from the same source as the initial "
        "training data",
        "Fairness in test data",
        "How performance differs across subgroups of that held-out data.",
        "no evaluation report with subgroups is available",
    ),
    AttributeSpec(
        "validity_external",
        "(7)(iii)",
        7,
        "Validity of intervention in data external to or from a different source than the "
        "initial training data",
        "Validity in external data",
        "Discrimination and calibration on data from another source.",
        "no evaluation on external data is recorded",
    ),
    AttributeSpec(
        "fairness_external",
        "(7)(iv)",
        7,
        "Fairness of intervention in data external to or from a different source than the "
        "initial training data",
        "Fairness in external data",
        "Subgroup performance on data from another source.",
        "no evaluation on external data is recorded",
    ),
    AttributeSpec(
        "outcome_references",
        "(7)(v)",
        7,
        "References to evaluation of use of the intervention on outcomes, including, "
        "bibliographic citations or hyperlinks to evaluations of how well the intervention "
        "reduced morbidity, mortality, length of stay, or other outcomes",
        "Outcome evaluations",
        "Studies of whether using the intervention improved patient outcomes.",
        "no study of the intervention's effect on outcomes is recorded",
    ),
    AttributeSpec(
        "validity_monitoring",
        "(8)(i)",
        8,
        "Description of process and frequency by which the intervention's validity is "
        "monitored over time",
        "Validity monitoring",
        "How and how often performance is re-checked in use.",
        "the monitoring plan of this deployment is not recorded",
    ),
    AttributeSpec(
        "local_validity",
        "(8)(ii)",
        8,
        "Validity of intervention in local data",
        "Validity in local data",
        "Performance on the deploying organization's own data.",
        "no one has confirmed that the evaluated data are the deploying site's data",
    ),
    AttributeSpec(
        "fairness_monitoring",
        "(8)(iii)",
        8,
        "Description of the process and frequency by which the intervention's fairness is "
        "monitored over time",
        "Fairness monitoring",
        "How and how often subgroup performance is re-checked in use.",
        "the monitoring plan of this deployment is not recorded",
    ),
    AttributeSpec(
        "local_fairness",
        "(8)(iv)",
        8,
        "Fairness of intervention in local data",
        "Fairness in local data",
        "Subgroup performance on the deploying organization's own data.",
        "no one has confirmed that the evaluated data are the deploying site's data",
    ),
    AttributeSpec(
        "update_process",
        "(9)(i)",
        9,
        "Description of process and frequency by which the intervention is updated",
        "Update process",
        "How and how often the model is retrained or replaced.",
        "the update schedule is a decision of the model's owners",
    ),
    AttributeSpec(
        "correction_frequency",
        "(9)(ii)",
        9,
        "Description of frequency by which the intervention's performance is corrected when "
        "risks related to validity and fairness are identified",
        "Correction frequency",
        "How quickly problems found with validity or fairness are corrected.",
        "the correction policy is a decision of the model's owners",
    ),
)


@dataclass(frozen=True)
class Attribute:
    """One source attribute of this model: filled (``text``) or needing a person (``why``)."""

    spec: AttributeSpec
    status: Literal["filled", "needs a person"]
    text: str
    """The attribute's content when filled; for one that needs a person, ``Needs a person:
    <why>`` (so that no reader can take it for an answer)."""
    source: str
    """Where the text came from: ``use case``, ``evaluation report``, ``training run``,
    ``person`` (a statement), several joined by ``+``; ``none`` when it needs a person."""
    why: str | None = None
    facts: str | None = None
    """For one that needs a person: what is known that helps them write it."""

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def filled(self) -> bool:
        return self.status == FILLED

    def to_dict(self) -> dict[str, Any]:
        s = self.spec
        return {
            "key": s.key,
            "ref": s.ref,
            "group": GROUPS[s.group],
            "group_number": s.group,
            "name": s.name,
            "short": s.short,
            "description": s.description,
            "status": self.status,
            "text": self.text,
            "source": self.source,
            "why": self.why,
            "facts": self.facts,
        }


Filled = tuple[str, str]
"""(text, source) of a filled attribute."""
Partial = tuple[None, str]
"""(None, facts): the attribute needs a person; here is what helps."""
Builder = Callable[[CardInputs], Filled | Partial | None]


def hti1_attributes(inputs: CardInputs) -> list[Attribute]:
    """The 31 attributes of this model version, in the rule's order (see the module doc)."""
    out = []
    for spec in HTI1_ATTRIBUTES:
        built = _BUILDERS.get(spec.key, _nothing)(inputs)
        statement = inputs.statement(spec.key)
        text, source = built if built is not None else (None, None)
        if text is not None and source is not None:
            if statement:
                text, source = f"{text} {statement}", f"{source} + person"
            out.append(Attribute(spec, FILLED, text, source))
        elif statement:
            out.append(Attribute(spec, FILLED, statement, "person"))
        else:
            facts = source  # a Partial carries its facts in the second place
            out.append(
                Attribute(spec, NEEDS, f"{NEEDS_A_PERSON}: {spec.why}.", "none", spec.why, facts)
            )
    return out


# -- builders: one per attribute that an artifact can fill --------------------------------


def _nothing(_inputs: CardInputs) -> None:
    return None


def _developer(i: CardInputs) -> Filled | None:
    name, contact = i.developer_value("name"), i.developer_value("contact")
    if name and contact:
        return f"{name}; contact: {contact}.", "workspace settings"
    return None


def _funding(i: CardInputs) -> Filled | None:
    funding = i.developer_value("funding")
    return (funding, "workspace settings") if funding else None


def _output_value(i: CardInputs) -> Filled:
    uc = i.usecase
    cal = uc.calibration.method
    calibrated = f", calibrated ({cal}) on a held-out calibration split" if cal != "none" else ""
    text = (
        f"A probability from 0 to 1 of the outcome {outcome_sentence(uc)}{calibrated}; "
        "higher means a higher risk."
    )
    ops = [op for op in operating_points(i.evaluation or {}) if op["threshold"] is not None]
    if ops:
        text += (
            " Thresholds chosen by policy on the evaluation: "
            + "; ".join(f"'{op['name']}' ({op['rule']}) at {op['threshold']:.3f}" for op in ops)
            + "."
        )
    return text, "use case" + (" + evaluation report" if ops else "")


def _output_type(i: CardInputs) -> Filled:
    return (
        "Prediction: a risk score (probability) for each index event; it becomes a "
        "classification (flag or no flag) only where a site applies a threshold.",
        "use case",
    )


def _intended_use(i: CardInputs) -> Filled | None:
    text = " ".join(i.usecase.description.split())
    return (text, "use case") if text else None


def _population(i: CardInputs) -> Filled:
    return cohort_sentence(i.usecase), "use case"


def _out_of_scope(i: CardInputs) -> Filled:
    uc = i.usecase
    c = uc.cohort
    items = [
        f"patients under {c.min_age}",
        f"encounters other than class {', '.join(c.encounter_classes)}",
        f"predictions made at another time than the {uc.prediction.at}",
        "outcomes other than " + outcome_sentence(uc),
    ]
    if "died_in_hospital" in c.exclude:
        items.append("patients who die in hospital")
    if "transfer_out" in c.exclude:
        items.append("transfers to another acute-care hospital")
    period = ((i.evaluation or {}).get("data") or {}).get("period") or {}
    if period.get("last_month"):
        items.append(
            f"data recorded long after {period['last_month']}, the last month "
            "evaluated, without re-validation"
        )
    return (
        "The model was not developed or validated for: " + "; ".join(items) + ".",
        "use case" + (" + evaluation report" if period else ""),
    )


def _known_risks(i: CardInputs) -> Filled | None:
    ev = i.evaluation
    if not ev:
        return None
    parts = [f"Evaluated on {test_data_sentence(ev)}."]
    slope = next(m for m in headline_metrics(ev) if m.key == "calibration_slope")
    if slope.value is not None and not 0.8 <= slope.value <= 1.2:
        parts.append(
            f"Calibration slope {metric_text(ev, slope)}: predicted risks are "
            + ("too extreme" if slope.value < 1 else "too moderate")
            + " and should not be read as absolute probabilities without care."
        )
    flagged = [r for r in disparity_rows(ev) if r["flags"]]
    if flagged:
        parts.append(
            f"{len(flagged)} subgroup level(s) differ from overall beyond the "
            "disparity bounds (see fairness in test data)."
        )
    notes = [str(n) for n in ev.get("notes") or []]
    if notes:
        parts.append("Evaluation notes: " + " ".join(notes))
    if i.leakage:
        parts.append(f"Leakage audit verdict: {i.leakage.get('verdict', 'unknown')}.")
    return " ".join(parts), "evaluation report" + (" + leakage audit" if i.leakage else "")


def _inclusion(i: CardInputs) -> Filled:
    uc = i.usecase
    text = (
        f"{cohort_sentence(uc)} Outcome {outcome_sentence(uc)}; index events whose "
        f"{uc.label.window_days}-day window is not complete at the data cut-off are excluded."
    )
    split = i.split
    train = (split.get("splits") or {}).get("train") or {}
    if train:
        text += (
            f" Training split: {int(train.get('rows', 0)):,} index events of "
            f"{int(train.get('patients', 0)):,} patients, {train.get('start')} to "
            f"{train.get('end')} (temporal split; each patient in one split only, "
            f"{int(split.get('dropped', 0)):,} earlier events of patients assigned to a "
            "later split were dropped)."
        )
        return text, "use case + training run"
    return text, "use case"


def _demographic_variables(i: CardInputs) -> Filled:
    used, unused = demographic_inputs(i.usecase)
    text = (
        "Used as input features: " + "; ".join(used)
        if used
        else "None of these variables is an input feature"
    )
    text += ". Not used as input features: " + ", ".join(unused) + "."
    return text, "use case"


def _representativeness(i: CardInputs) -> Filled | None:
    ev = i.evaluation
    lines = representativeness(ev) if ev else []
    if not ev or not lines:
        return None
    text = (
        f"Predictions per group in the held-out test data (same source as training; "
        f"{test_data_sentence(ev)}): " + ". ".join(lines) + ". The training split's own "
        "composition is not broken down by group in the training run."
    )
    return text, "evaluation report"


def _relevance(i: CardInputs) -> Partial | None:
    split = i.split.get("splits") or {}
    train = split.get("train") or {}
    if not train:
        return None
    sites = [g for g in (i.evaluation or {}).get("subgroups") or [] if g.get("attribute") == "site"]
    n_sites = len(sites[0].get("levels") or []) if sites else None
    facts = (
        f"The model was trained on data from {train.get('start')} to {train.get('end')}"
        + (f" across {n_sites} site(s) seen in the test data" if n_sites else "")
        + "; a person must say how that population and workflow compare with the "
        "deploying setting."
    )
    return None, facts


def _fairness_approach(i: CardInputs) -> Filled | None:
    ev = i.evaluation
    if not ev or not ev.get("subgroups"):
        return None
    cfg = ev.get("config") or {}
    low, high = disparity_bounds(ev)
    attrs = [str(g.get("attribute")) for g in ev.get("subgroups") or []]
    text = (
        f"Every metric is computed per subgroup ({', '.join(attrs)}) on the held-out test "
        "data with patient-level bootstrap intervals; a subgroup's ratio to the overall "
        f"value outside {low:g}–{high:g} is flagged as a disparity. Subgroups with fewer "
        f"than {cfg.get('min_group_size', 11)} patients or events are suppressed rather "
        "than reported. Features are point-in-time (only data recorded before the "
        "prediction time), checked by a leakage audit, and each patient is in one split "
        "only."
    )
    return text, "evaluation report + use case"


def _bias_mitigation(i: CardInputs) -> Partial:
    used, _ = demographic_inputs(i.usecase)
    facts = (
        "Training applies no reweighting or fairness constraint. Demographic inputs: "
        + ("; ".join(used) if used else "none")
        + "."
    )
    flagged = [r for r in disparity_rows(i.evaluation or {}) if r["flags"]]
    if flagged:
        facts += (
            " Flagged subgroup levels: "
            + "; ".join(f"{r['attribute']} {r['level']}" for r in flagged)
            + "."
        )
    return None, facts


def _validity_internal(i: CardInputs) -> Filled | None:
    ev = i.evaluation
    if not ev:
        return None
    metrics = "; ".join(
        f"{m.label} {metric_text(ev, m)}" for m in headline_metrics(ev) if m.value is not None
    )
    text = f"On the held-out temporal test split ({test_data_sentence(ev)}): {metrics}."
    ops = [op for op in operating_points(ev) if op["reached"]]
    if ops:
        text += (
            " At the operating points: "
            + "; ".join(
                f"'{op['name']}': sensitivity {op['sensitivity']}, PPV {op['ppv']}, "
                f"alerts per day {op['alerts_per_day']}"
                for op in ops
            )
            + "."
        )
    return text, "evaluation report"


def _fairness_internal(i: CardInputs) -> Filled | None:
    ev = i.evaluation
    rows = disparity_rows(ev) if ev else []
    if not ev or not rows:
        return None
    low, high = disparity_bounds(ev)
    parts = [
        f"{r['attribute']} {r['level']} (n={int(r['predictions'] or 0):,}): AUROC "
        f"{r['auroc']}, ratio to overall {r['auroc_ratio']}"
        for r in rows
    ]
    flagged = [
        f"{r['attribute']} {r['level']}: {', '.join(r['flags'])}" for r in rows if r["flags"]
    ]
    text = (
        "Subgroup AUROC and its ratio to the overall AUROC on the test data: "
        + "; ".join(parts)
        + "."
    )
    text += (
        f" Outside the disparity bounds {low:g}–{high:g}: " + "; ".join(flagged) + "."
        if flagged
        else f" No ratio is outside the disparity bounds {low:g}–{high:g}."
    )
    suppressed = sum(int(g.get("suppressed") or 0) for g in ev.get("subgroups") or [])
    if suppressed:
        text += f" {suppressed} small subgroup level(s) are suppressed and not assessed."
    return text, "evaluation report"


def _local(i: CardInputs) -> Partial | None:
    if not i.evaluation:
        return None
    return None, (
        "The evaluation used the data of this wardwatch workspace; if that is the "
        "deploying organization's data, 'Validity/Fairness in test data' apply."
    )


def _monitoring(i: CardInputs) -> Partial:
    return None, (
        "wardwatch can recompute the evaluation on new labelled data and track "
        "drift; the schedule and owner must be stated."
    )


def _update(i: CardInputs) -> Partial:
    facts = "Every new version must pass the registry's gates and be approved before promotion"
    approvals = [a for a in i.approvals if str(a.get("decision", "")).lower().startswith("appr")]
    if approvals:
        facts += f"; this version has {len(approvals)} approval(s)"
    return None, facts + "."


_BUILDERS: dict[str, Builder] = {
    "developer": _developer,
    "funding": _funding,
    "output_value": _output_value,
    "output_type": _output_type,
    "intended_use": _intended_use,
    "patient_population": _population,
    "out_of_scope": _out_of_scope,
    "known_risks": _known_risks,
    "inclusion_exclusion": _inclusion,
    "demographic_variables": _demographic_variables,
    "demographic_representativeness": _representativeness,
    "training_relevance": _relevance,
    "fairness_approach": _fairness_approach,
    "bias_mitigation": _bias_mitigation,
    "validity_internal": _validity_internal,
    "fairness_internal": _fairness_internal,
    "local_validity": _local,
    "local_fairness": _local,
    "validity_monitoring": _monitoring,
    "fairness_monitoring": _monitoring,
    "update_process": _update,
}
