"""``evaluate_predictions``: from labels, probabilities and patients to an EvaluationReport.

The steps: validate and encode the inputs; choose the operating points on the whole set; list
the groups (overall, each subgroup level and month that is not suppressed); compute every
group's statistics for the sample and each bootstrap replicate in one vectorized pass
(:mod:`._engine`); then turn them into metrics with intervals, tables, notes and the TRIPOD+AI
checklist.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from wardwatch.evaluate._bootstrap import Resampler
from wardwatch.evaluate._config import EvaluationConfig, evaluation_config
from wardwatch.evaluate._decision import decision_curve, useful_range
from wardwatch.evaluate._engine import GroupSpec, GroupStats, run_engine
from wardwatch.evaluate._inputs import Grouping, Prepared, prepare
from wardwatch.evaluate._report import EvaluationReport
from wardwatch.evaluate._subgroups import Level, levels_of, summarize_level
from wardwatch.evaluate._summary import (
    CALIBRATION_METRICS,
    Estimate,
    estimate,
    group_metrics,
    threshold_metrics,
)
from wardwatch.evaluate._thresholds import OperatingPoint, operating_points, threshold_rows
from wardwatch.evaluate._tripod import check_context, checklist, tripod_facts

__all__ = ["evaluate_predictions"]

FloatArray = NDArray[np.float64]
_NAMES = {
    "auroc": "AUROC",
    "auprc": "AUPRC",
    "brier": "Brier score",
    "calibration_intercept": "calibration intercept",
    "calibration_slope": "calibration slope",
    "ece": "ECE",
    "oe_ratio": "O/E ratio",
}


def _interval_note(name: str, e: Estimate, config: EvaluationConfig) -> str | None:
    if config.n_bootstrap == 0 or e.value is None or e.ci is not None:
        return None
    share = e.defined_share or 0.0
    return (
        f"{name}: no {config.ci_level:.0%} interval, because it is undefined in "
        f"{1 - share:.0%} of bootstrap replicates (too few patients with or without the "
        f"event); at most {1 - config.min_defined:.0%} may be."
    )


def _census(prep: Prepared, config: EvaluationConfig) -> tuple[float | None, str]:
    if config.census_per_day is not None:
        return config.census_per_day, "given in the config"
    if prep.span_days is None:
        return None, "unknown: give census_per_day or index_times"
    days = max(prep.span_days, 1.0)
    return prep.n / days, f"{prep.n:,} predictions over {days:,.1f} days of index times"


def _calibration(
    st: GroupStats, m: dict[str, FloatArray], ok: bool, config: EvaluationConfig
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("brier", "oe_ratio", "mean_predicted", "prevalence", *CALIBRATION_METRICS):
        out[key] = (
            estimate(m[key], config) if ok or key not in CALIBRATION_METRICS else Estimate(None)
        )
    prev = out["prevalence"].value
    out["brier_reference"] = None if prev is None else prev * (1 - prev)
    bins = []
    if ok:
        total = st.bin_pos + st.bin_neg
        with np.errstate(divide="ignore", invalid="ignore"):
            observed, predicted = st.bin_pos / total, st.bin_p / total
        for k in range(st.bin_pos.shape[0]):
            if total[k, 0] > 0:
                bins.append(
                    {
                        "bin": k + 1,
                        "n": int(total[k, 0]),
                        "mean_predicted": estimate(predicted[k], config).to_dict(),
                        "observed": estimate(observed[k], config).to_dict(),
                    }
                )
    return {
        **{k: v.to_dict() if isinstance(v, Estimate) else v for k, v in out.items()},
        "bins": config.calibration_bins,
        "reliability": bins,
    }


def _op_rows(
    ops: list[OperatingPoint],
    tm: dict[str, FloatArray],
    at: dict[float, int],
    config: EvaluationConfig,
    census: float | None,
) -> list[dict[str, Any]]:
    rows = []
    for op in ops:
        row: dict[str, Any] = {
            "name": op.policy.name,
            "rule": op.policy.rule,
            "threshold": op.threshold,
            "reached": op.threshold is not None,
        }
        if op.threshold is not None:
            i = at[op.threshold]
            row.update(threshold_rows(tm, [i], config, census)[0])
            row["net_benefit"] = estimate(tm["net_benefit"][i], config).to_dict()
        rows.append(row)
    return rows


def _groupings(
    prep: Prepared, specs: list[GroupSpec], op_thr: FloatArray, config: EvaluationConfig
) -> list[tuple[Grouping, list[Level], list[int | None]]]:
    """Every grouping's levels and, per level, the index of its spec (None: suppressed)."""
    out = []
    every = [*prep.subgroups, *([prep.months] if prep.months else [])]
    for grouping in every:
        levels = levels_of(grouping, prep.y, prep.patient, config)
        where: list[int | None] = []
        for lv in levels:
            if lv.suppressed:
                where.append(None)
                continue
            calibrate = min(lv.positives, lv.negatives) >= config.min_events
            where.append(len(specs))
            specs.append(
                GroupSpec(
                    (grouping.name, lv.label), lv.rows, op_thr, config.calibration_bins, calibrate
                )
            )
        out.append((grouping, levels, where))
    return out


def _period(prep: Prepared) -> dict[str, Any] | None:
    if prep.months is None:
        return None
    labels = prep.months.labels
    return {"first_month": labels[0], "last_month": labels[-1], "months": len(labels)}


def _overall_notes(
    prep: Prepared,
    st: GroupStats,
    m0: dict[str, FloatArray],
    calibrate: bool,
    census: float | None,
    cfg: EvaluationConfig,
) -> list[str]:
    """Plain sentences for what the overall evaluation could not compute, and why."""
    notes: list[str] = []
    positives = int(prep.y.sum())
    negatives = prep.n - positives
    if positives == 0:
        notes.append("AUROC and AUPRC are undefined: there are no positive labels.")
    elif negatives == 0:
        notes.append("AUROC is undefined: there are no negative labels.")
    if not calibrate:
        fewer = "positive" if positives <= negatives else "negative"
        notes.append(
            f"Too few {fewer} labels ({min(positives, negatives)}) for a calibration curve, ECE, "
            f"calibration intercept or slope: at least {cfg.min_events} are needed."
        )
    elif not np.isfinite(st.slope[0]):
        notes.append(
            "The calibration slope does not exist here: the predictions separate the labels "
            "perfectly."
        )
    if census is None:
        notes.append("Alerts per day are not computed: give census_per_day or index_times.")
    if cfg.n_bootstrap == 0:
        notes.append("No bootstrap replicates (n_bootstrap = 0): no confidence intervals.")
    for key, name in _NAMES.items():
        if calibrate or key not in CALIBRATION_METRICS:
            note = _interval_note(name, estimate(m0[key], cfg), cfg)
            if note:
                notes.append(note)
    return notes


def _group_notes(name: str, rows: list[dict[str, Any]], cfg: EvaluationConfig) -> list[str]:
    shown = [r for r in rows if not r["suppressed"]]
    if not shown:
        return [
            f"Every level of '{name}' is suppressed (fewer than {cfg.min_group_size} patients, "
            "positive or negative labels each)."
        ]
    missing = any(
        e["ci"] is None and e["value"] is not None for r in shown for e in r["metrics"].values()
    )
    if cfg.n_bootstrap and missing:
        return [
            f"'{name}': some intervals are not shown: the metric is undefined in too many "
            "bootstrap replicates of a small level."
        ]
    return []


def evaluate_predictions(
    y_true: Any,
    y_prob: Any,
    *,
    patient_ids: Any,
    index_times: Any = None,
    subgroups: Mapping[str, Any] | None = None,
    config: EvaluationConfig | Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    model_name: str = "model",
    n_jobs: int = 1,
) -> EvaluationReport:
    """Evaluate predicted risks of a binary outcome (e.g. 30-day readmission).

    Args:
        y_true: observed outcome per prediction, 0/1 (or booleans).
        y_prob: predicted probability of the outcome, in [0, 1].
        patient_ids: the patient of each prediction; the bootstrap resamples patients, and
            ids never reach the report.
        index_times: time of each prediction (datetimes or ISO strings): gives the
            per-month table, the period, and the census for alerts per day.
        subgroups: ``{attribute: one value per prediction}``, e.g. sex, age band, site.
        config: :class:`EvaluationConfig` or a mapping of its fields.
        context: what the caller knows for the TRIPOD+AI checklist (``outcome``, ``model``,
            ``data_sources``, ...; see :data:`wardwatch.evaluate.TRIPOD_CONTEXT_KEYS`).
        model_name: shown in the report.
        n_jobs: threads sharing the bootstrap work (results do not depend on it).

    Raises :class:`~wardwatch.errors.InputError` for unusable inputs and
    :class:`~wardwatch.errors.ConfigError` for a bad config or context. Too little data never
    raises: the report says in ``notes`` what it could not compute.
    """
    started = time.perf_counter()
    created = datetime.now(UTC).isoformat(timespec="seconds")
    cfg = evaluation_config(config)
    ctx = check_context(context)
    prep = prepare(y_true, y_prob, patient_ids, index_times, subgroups)
    n, positives = prep.n, int(prep.y.sum())
    negatives = n - positives
    notes: list[str] = []

    ops = operating_points(prep.y, prep.p, cfg)
    notes += [
        f"Operating point '{op.policy.name}': no threshold reaches {op.policy.rule} here."
        for op in ops
        if op.threshold is None
    ]
    op_thr = np.unique([op.threshold for op in ops if op.threshold is not None]).astype(float)
    grid, dec = np.asarray(cfg.threshold_grid), np.asarray(cfg.decision_thresholds)
    thresholds = np.unique(np.concatenate([grid, dec, op_thr]))
    calibrate = min(positives, negatives) >= cfg.min_events
    specs = [GroupSpec(("overall", ""), np.arange(n), thresholds, cfg.calibration_bins, calibrate)]
    groupings = _groupings(prep, specs, op_thr, cfg)

    resampler = Resampler(prep.patient, prep.n_patients, cfg.n_bootstrap, cfg.seed)
    stats, refits = run_engine(prep.y.astype(np.float64), prep.p, resampler, specs, n_jobs)

    m0 = group_metrics(stats[0])
    tm0 = threshold_metrics(stats[0], thresholds)
    census, census_source = _census(prep, cfg)
    discrimination = {k: estimate(m0[k], cfg) for k in ("auroc", "auprc")}
    calibration = _calibration(stats[0], m0, calibrate, cfg)
    notes += _overall_notes(prep, stats[0], m0, calibrate, census, cfg)

    at = {float(t): i for i, t in enumerate(thresholds)}
    table = [
        {"threshold": float(t), **row}
        for t, row in zip(
            grid, threshold_rows(tm0, [at[t] for t in grid], cfg, census), strict=True
        )
    ]
    curve = decision_curve(tm0, thresholds, [at[t] for t in dec], cfg)
    op_rows = _op_rows(ops, tm0, at, cfg, census)
    overall_ops = {
        op.policy.name: {k: v[at[op.threshold]] for k, v in tm0.items()}
        for op in ops
        if op.threshold is not None
    }
    sections: list[dict[str, Any]] = []
    for grouping, levels, where in groupings:
        rows = [
            summarize_level(lv, None if w is None else stats[w], ops, op_thr, m0, overall_ops, cfg)
            for lv, w in zip(levels, where, strict=True)
        ]
        notes += _group_notes(grouping.name, rows, cfg)
        shown = sum(1 for r in rows if not r["suppressed"])
        sections.append(
            {"attribute": grouping.name, "levels": rows, "suppressed": len(rows) - shown}
        )
    temporal = sections.pop() if prep.months else None

    data = {
        "predictions": n,
        "patients": prep.n_patients,
        "positives": positives,
        "negatives": negatives,
        "prevalence": estimate(m0["prevalence"], cfg).to_dict(),
        "period": _period(prep),
        "census_per_day": census,
        "census_source": census_source,
        "subgroup_attributes": [g.name for g in prep.subgroups],
    }
    facts = tripod_facts(
        model_name, data, discrimination, calibration, op_rows, sections, temporal, cfg, notes
    )
    useful = useful_range(curve)
    if useful:
        facts["output"] += (
            " The decision curve favours the model at threshold probabilities from "
            f"{useful[0]:g} to {useful[1]:g}."
        )
    return EvaluationReport(
        model=model_name,
        created_at=created,
        seconds=time.perf_counter() - started,
        config=cfg,
        data=data,
        discrimination=discrimination,
        calibration=calibration,
        operating_points=op_rows,
        thresholds=table,
        decision_curve=curve,
        subgroups=sections,
        temporal=temporal,
        tripod=checklist(facts, ctx),
        notes=notes,
        bootstrap={
            "replicates": cfg.n_bootstrap,
            "seed": cfg.seed,
            "unit": "patient",
            "ci_level": cfg.ci_level,
            "method": "percentile",
            "calibration_refits": refits,
        },
    )
