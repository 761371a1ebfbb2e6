"""The evaluation report, gate checks and lineage of a registered version, as plain data for
the version page.

:func:`evaluation_of` reads the report a version was registered with
(:meth:`wardwatch.evaluate.EvaluationReport.to_dict`, as the registry stored it) and keeps
what a reviewer reads: discrimination, calibration (with the reliability bins), the operating
points and the threshold grid (alert burden), the decision curve and the subgroups (levels the
report suppressed stay suppressed: they are listed with the report's reason and no number).
Every number is an :class:`Est`: the report's value and its bootstrap interval. Nothing here
is recomputed; a missing or malformed section becomes an empty one, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wardwatch.registry import GateResult, ModelVersion

__all__ = [
    "Bin",
    "CurvePoint",
    "Est",
    "Evaluation",
    "GateCheck",
    "MetricRow",
    "OperatingPoint",
    "SubgroupRow",
    "SubgroupTable",
    "evaluation_of",
    "gate_checks",
    "lineage_rows",
]


def _f(value: Any) -> float | None:
    """A finite float, or None (missing, NaN, text, a boolean)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _i(value: Any) -> int | None:
    x = _f(value)
    return None if x is None else int(x)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


@dataclass(frozen=True)
class Est:
    """A number of the report with its bootstrap interval (``low``/``high`` None when the
    report gives none; ``value`` None when the metric is undefined, e.g. no events)."""

    value: float | None
    low: float | None = None
    high: float | None = None

    @classmethod
    def of(cls, data: Any) -> Est:
        """From the report's ``{"value", "ci": [low, high]}`` (or a bare number)."""
        if not isinstance(data, Mapping):
            return cls(_f(data))
        ci = _list(data.get("ci"))
        low, high = (_f(ci[0]), _f(ci[1])) if len(ci) == 2 else (None, None)
        return cls(_f(data.get("value")), low, high)

    @property
    def has_ci(self) -> bool:
        return self.value is not None and self.low is not None and self.high is not None


@dataclass(frozen=True)
class MetricRow:
    """One headline metric: its key in the report, its name, what it means, its estimate
    and how to print it (``num``: 3 decimals; ``pct``: a percentage)."""

    key: str
    label: str
    est: Est
    meaning: str
    kind: str = "num"


@dataclass(frozen=True)
class Bin:
    """One reliability bin: how many predictions, their mean predicted risk and the
    observed event rate (the calibration curve's point)."""

    bin: str
    n: int | None
    predicted: Est
    observed: Est


@dataclass(frozen=True)
class OperatingPoint:
    """A threshold and what acting on it means: rates (``sensitivity``, ``specificity``,
    ``ppv``, ``npv``, ``flag_rate``: shares of 0..1), ``nne`` (number needed to evaluate:
    flags per true event flagged) and ``alerts_per_day`` (flags a day at the report's census;
    None when the report had no census). ``name``/``rule`` are the policy that chose it
    (empty on the threshold grid); ``reached`` False: no threshold meets the policy."""

    threshold: float | None
    rates: dict[str, Est]
    nne: Est
    alerts_per_day: Est
    name: str = ""
    rule: str = ""
    reached: bool = True
    net_benefit: Est | None = None


@dataclass(frozen=True)
class CurvePoint:
    """The decision curve at one threshold probability: net benefit of acting on the model,
    of treating everyone, and the model's advantage over the better of treat-all and
    treat-none (net benefit is in true positives per patient, net of false positives weighed
    by the threshold odds; treat-none is 0)."""

    threshold: float
    model: Est
    treat_all: Est
    advantage: Est


@dataclass(frozen=True)
class SubgroupRow:
    """One level of a subgroup attribute; ``suppressed`` holds the report's reason when it
    withheld the level's numbers (small-cell suppression) and then every number is None."""

    level: str
    suppressed: str | None
    patients: int | None = None
    predictions: int | None = None
    positives: int | None = None
    metrics: dict[str, Est] = field(default_factory=dict)
    auroc_ratio: Est = Est(None)
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubgroupTable:
    """Every level of one attribute (``suppressed``: how many levels the report withheld)."""

    attribute: str
    suppressed: int
    rows: list[SubgroupRow]


RATES: tuple[tuple[str, str], ...] = (
    ("sensitivity", "Sensitivity"),
    ("specificity", "Specificity"),
    ("ppv", "PPV"),
    ("npv", "NPV"),
    ("flag_rate", "Flag rate"),
)
"""The rates of an operating point, in table order, with their column names."""

SUBGROUP_METRICS: tuple[tuple[str, str, str], ...] = (
    ("prevalence", "Prevalence", "pct"),
    ("auroc", "AUROC", "num"),
    ("auprc", "AUPRC", "num"),
    ("brier", "Brier", "num"),
    ("calibration_slope", "Cal. slope", "num"),
    ("oe_ratio", "O:E", "num"),
)

_DISCRIMINATION = (
    (
        "auroc",
        "AUROC",
        "Chance that an event is ranked above a non-event; 0.5 is chance, 1 perfect.",
    ),
    ("auprc", "AUPRC", "Average precision over events; the chance level is the prevalence."),
    ("brier", "Brier score", "Mean squared error of the predicted probabilities; 0 is perfect."),
)
_CALIBRATION = (
    ("calibration_slope", "Calibration slope",
     "1 is ideal; below 1 the predictions are too extreme, above 1 too modest."),
    ("calibration_intercept", "Calibration intercept",
     "0 is ideal; above 0 the model under-predicts risk, below 0 it over-predicts."),
    ("oe_ratio", "Observed : expected (O:E)",
     "Observed events over the sum of predicted risks; 1 is ideal, above 1 risk is too low."),
    ("ece", "Expected calibration error",
     "Mean |observed - predicted| over equal-count bins; 0 is ideal."),
)  # fmt: skip


@dataclass(frozen=True)
class Evaluation:
    """The evaluation report of one version, as the page shows it (see the module docstring)."""

    model: str
    created_at: str | None
    predictions: int | None
    patients: int | None
    positives: int | None
    prevalence: Est
    mean_predicted: Est
    period: str | None
    ci_level: float
    replicates: int | None
    census_per_day: float | None
    census_source: str | None
    min_group_size: int | None
    discrimination: list[MetricRow]
    calibration: list[MetricRow]
    brier_reference: float | None
    reliability: list[Bin]
    operating_points: list[OperatingPoint]
    thresholds: list[OperatingPoint]
    decision_curve: list[CurvePoint]
    subgroups: list[SubgroupTable]
    notes: list[str]

    def metric(self, key: str) -> MetricRow | None:
        """A headline metric by its report key (``auroc``, ``calibration_slope``, ...)."""
        return next((m for m in (*self.discrimination, *self.calibration) if m.key == key), None)

    @property
    def has_alerts_per_day(self) -> bool:
        """Whether the report gives alerts per day (it needs a census or index times)."""
        return any(p.alerts_per_day.value is not None
                   for p in (*self.operating_points, *self.thresholds))  # fmt: skip


def _point(row: Mapping[str, Any]) -> OperatingPoint:
    net = row.get("net_benefit")
    return OperatingPoint(
        threshold=_f(row.get("threshold")),
        rates={key: Est.of(row.get(key)) for key, _ in RATES},
        nne=Est.of(row.get("nne")),
        alerts_per_day=Est.of(row.get("alerts_per_day")),
        name=str(row.get("name") or ""),
        rule=str(row.get("rule") or ""),
        reached=bool(row.get("reached", True)),
        net_benefit=Est.of(net) if net is not None else None,
    )


def _subgroup(section: Mapping[str, Any]) -> SubgroupTable:
    rows: list[SubgroupRow] = []
    for lv in _list(section.get("levels")):
        lv = _map(lv)
        label = str(lv.get("level"))
        if lv.get("suppressed"):
            rows.append(SubgroupRow(label, str(lv.get("reason") or "small group")))
            continue
        metrics = _map(lv.get("metrics"))
        rows.append(
            SubgroupRow(
                level=label,
                suppressed=None,
                patients=_i(lv.get("patients")),
                predictions=_i(lv.get("predictions")),
                positives=_i(lv.get("positives")),
                metrics={key: Est.of(metrics.get(key)) for key, _, _ in SUBGROUP_METRICS},
                auroc_ratio=Est.of(_map(lv.get("disparity")).get("auroc")),
                flags=tuple(str(t) for t in _list(lv.get("disparities"))),
            )
        )
    return SubgroupTable(str(section.get("attribute") or ""), _i(section.get("suppressed")) or 0,
                         rows)  # fmt: skip


def _period(data: Mapping[str, Any]) -> str | None:
    p = _map(data.get("period"))
    if not p.get("first_month"):
        return None
    return f"{p.get('first_month')} to {p.get('last_month')} ({p.get('months')} months)"


def _rows(spec: Sequence[tuple[str, str, str]], source: Mapping[str, Any]) -> list[MetricRow]:
    return [MetricRow(key, label, Est.of(source.get(key)), why) for key, label, why in spec]


def evaluation_of(report: Mapping[str, Any]) -> Evaluation:
    """The page's view of an evaluation report dict (see the module docstring)."""
    data = _map(report.get("data"))
    disc = _map(report.get("discrimination"))
    cal = _map(report.get("calibration"))
    boot = _map(report.get("bootstrap"))
    config = _map(report.get("config"))
    both = {**cal, **disc}
    bins = [
        Bin(str(b.get("bin")), _i(b.get("n")), Est.of(b.get("mean_predicted")),
            Est.of(b.get("observed")))
        for b in map(_map, _list(cal.get("reliability")))
    ]  # fmt: skip
    curve = [
        CurvePoint(t, Est.of(r.get("net_benefit")), Est.of(r.get("treat_all")),
                   Est.of(r.get("advantage")))
        for r in map(_map, _list(report.get("decision_curve")))
        if (t := _f(r.get("threshold"))) is not None
    ]  # fmt: skip
    return Evaluation(
        model=str(report.get("model") or ""),
        created_at=str(report["created_at"]) if report.get("created_at") else None,
        predictions=_i(data.get("predictions")),
        patients=_i(data.get("patients")),
        positives=_i(data.get("positives")),
        prevalence=Est.of(data.get("prevalence")),
        mean_predicted=Est.of(cal.get("mean_predicted")),
        period=_period(data),
        ci_level=_f(boot.get("ci_level")) or _f(config.get("ci_level")) or 0.95,
        replicates=_i(boot.get("replicates")),
        census_per_day=_f(data.get("census_per_day")),
        census_source=str(data["census_source"]) if data.get("census_source") else None,
        min_group_size=_i(config.get("min_group_size")),
        discrimination=_rows(_DISCRIMINATION, both),
        calibration=_rows(_CALIBRATION, both),
        brier_reference=_f(cal.get("brier_reference")),
        reliability=bins,
        operating_points=[_point(_map(r)) for r in _list(report.get("operating_points"))],
        thresholds=[_point(_map(r)) for r in _list(report.get("thresholds"))],
        decision_curve=curve,
        subgroups=[_subgroup(_map(s)) for s in _list(report.get("subgroups"))],
        notes=[str(n) for n in _list(report.get("notes"))],
    )


# -- the registry's record: gate checks and lineage as text --------------------------------


@dataclass(frozen=True)
class GateCheck:
    """One check of the latest gate result: ``status`` passed, failed or not-evaluable;
    ``value`` the numbers the check looked at and ``threshold`` its bounds, as text."""

    check: str
    status: str
    message: str
    value: str
    threshold: str


def _text(value: Any) -> str:
    """A gate's evidence or bound as short text (numbers to 3 decimals)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items()) or "none"
    return str(value)


def _bounds(bounds: Mapping[str, Any]) -> str:
    words = {"min": "≥", "max": "≤"}
    parts = []
    for key, value in bounds.items():
        if value is None:
            continue
        if key in words:
            parts.append(f"{words[key]} {value:g}" if isinstance(value, float) else
                         f"{words[key]} {_text(value)}")  # fmt: skip
        elif key == "accepted" and isinstance(value, list | tuple):
            parts.append("one of " + ", ".join(str(v) for v in value))
        else:
            parts.append(f"{key} {_text(value)}")
    return "; ".join(parts) or "—"


def lineage_rows(mv: ModelVersion) -> list[tuple[str, str, bool]]:
    """What the version was built from: data, code and configuration hashes, the run."""
    lin = mv.lineage
    ds, code = lin.get("dataset") or {}, lin.get("code") or {}
    spec, split = lin.get("usecase_spec") or {}, lin.get("split") or {}
    env = lin.get("environment") or {}
    dirty = " (with uncommitted changes)" if code.get("dirty") else ""
    params = lin.get("params") or {}
    rows: list[tuple[str, Any, bool]] = [
        ("Dataset fingerprint", ds.get("fingerprint"), True),
        ("Training table SHA-256", ds.get("table_sha256"), True),
        ("Source provenance SHA-256", ds.get("provenance_sha256"), True),
        ("Training table", f"{ds.get('rows', '—')} rows × {ds.get('columns', '—')} columns", False),
        ("Code version", f"{code.get('version') or '—'} ({code.get('source') or 'unknown'}){dirty}",
         True),
        ("wardwatch version", code.get("package_version"), False),
        ("Configuration (use case) SHA-256", spec.get("sha256"), True),
        ("Use case", lin.get("usecase"), False),
        ("Model family", lin.get("family"), False),
        ("Parameters", ", ".join(f"{k.removeprefix('model.')}={v}" for k, v in params.items()),
         True),
        ("Split", f"{split.get('method') or '—'}; patients in two splits: "
                  f"{split.get('patient_overlap', '—')}", False),
        ("MLflow run", mv.run_id, True),
        ("Model URI", mv.model_uri, True),
        ("Python", env.get("python"), False),
        ("Lineage SHA-256", mv.lineage_sha256, True),
        ("Evidence SHA-256", mv.evidence_sha256, True),
        ("Gate result SHA-256", mv.gate_sha256, True),
    ]  # fmt: skip
    return [(label, "—" if v in (None, "") else str(v), mono) for label, v, mono in rows]


def gate_checks(gate: GateResult | None) -> list[GateCheck]:
    """The checks of a gate result in policy order, their evidence and bounds as text."""
    if gate is None:
        return []
    return [
        GateCheck(c.check, c.status, c.message, _text(c.evidence) if c.evidence else "—",
                  _bounds(c.bounds))
        for c in gate.checks
    ]  # fmt: skip
