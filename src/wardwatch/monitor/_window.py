"""Everything measured over one window of one model version, as observations.

Inputs: the window's rows from the prediction log (model inputs, calibrated risk, decision),
the version's :class:`~wardwatch.monitor._reference.Reference`, outcomes where known, the
service's request log and CDS feedback, and the newest data-quality report. Output: the
observations the alert rules and rollback criteria judge (metric names in
:class:`~wardwatch.monitor.Observation`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.monitor._drift import ReferenceProfile, drift_report
from wardwatch.monitor._estimate import estimate_performance, subgroup_prediction_drift
from wardwatch.monitor._feed import feed_observations
from wardwatch.monitor._labels import Outcomes, join_outcomes
from wardwatch.monitor._log import LogWindow, Window
from wardwatch.monitor._observation import Observation
from wardwatch.monitor._realized import realized_performance, subgroup_performance
from wardwatch.monitor._reference import Reference
from wardwatch.monitor._slis import service_slis, wilson_interval
from wardwatch.train import REFERENCE_RISK

__all__ = ["WindowContext", "drift_observations", "observe_window"]

RISK = "risk"
_MISSING = "(missing)"


@dataclass(frozen=True)
class WindowContext:
    """What stays the same across the windows of one run."""

    reference: Reference
    profile: ReferenceProfile
    risk_profile: ReferenceProfile
    lake_dir: Path
    seen: Mapping[str, frozenset[str]]
    outcomes: Outcomes | None
    quality: Mapping[str, Any] | None
    as_of: Any
    alpha: float = 0.05
    min_size: int = 11
    n_draws: int = 200
    subgroup_boot: int = 50
    seed: int = 0


def _obs(lw: LogWindow, metric: str, scope: str, value: float, **kw: Any) -> Observation:
    return Observation(
        metric=metric,
        scope=scope,
        value=float(value),
        window_start=lw.window.start,
        window_end=lw.window.end,
        model=lw.model,
        version=lw.version,
        **kw,
    )


def _median(values: Any) -> float:
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    return float(np.median(arr)) if arr.size else math.nan


def observe_window(ctx: WindowContext, lw: LogWindow) -> list[Observation]:
    """The observations of window ``lw`` (see the module docstring)."""
    ref = ctx.reference
    table = lw.table
    n = lw.n
    out = [_obs(lw, "prediction.volume", "model", n, n=n, detail={"per_day": n / lw.window.days})]
    out += feed_observations(ctx.quality, lw, ref.usecase)
    out += _service(ctx, lw)
    if n == 0:
        return out
    out += _drift(ctx, lw)
    risk = table.column(RISK).to_numpy(zero_copy_only=False).astype(np.float64)
    out += _prediction(ctx, lw, risk)
    est = estimate_performance(
        risk, ref.threshold, rng=np.random.default_rng([ctx.seed, 1]), n_draws=ctx.n_draws
    )
    out += est.observations(lw.model, lw.version, lw.window.start, lw.window.end)
    if ctx.outcomes is not None:
        out += _outcomes(ctx, lw, risk)
    return out


def _drift(ctx: WindowContext, lw: LogWindow) -> list[Observation]:
    ref = ctx.reference
    codes = {f.name: str(f.code) for f in ref.usecase.features if getattr(f, "code", None)}
    return drift_observations(
        ctx.profile,
        lw.table,  # drift_observations takes the profiled columns
        lw.window,
        lw.model,
        lw.version,
        alpha=ctx.alpha,
        codes=codes,
        seen=ctx.seen,
    )


def drift_observations(
    profile: ReferenceProfile,
    table: pa.Table,
    window: Window,
    model: str,
    version: int,
    *,
    alpha: float,
    codes: Mapping[str, str] | None = None,
    seen: Mapping[str, frozenset[str]] | None = None,
    max_workers: int = 2,
) -> list[Observation]:
    """Feature drift of one window's rows (``table``: one column per profiled feature) as
    observations: per feature ``feature.drift_score`` (the test statistic or distance that
    decided ``drifted``), ``feature.psi``, ``feature.missing_delta`` and, for categorical
    features, ``feature.new_category_rate``. The detail of a numeric feature carries the
    reference and current medians and their ratio; a lab input (one of ``codes``) also says
    that the unit cannot have changed (the model's input contract fixes it), which is what
    lets an alert name a silent unit switch. A categorical column is tested on the rows
    whose category the profile holds; ``seen`` (column -> every reference category, default:
    the profile's) decides which of the others are new. The one-machine and the Spark paths
    both call this."""
    codes = codes or {}
    features = [f for f in profile if f in table.column_names]
    current: dict[str, Any] = {f: table.column(f) for f in features}
    unseen: dict[str, tuple[float, list[str]]] = {}
    for f in features:
        if profile[f].kind == "categorical":
            known = seen.get(f) if seen else None
            current[f], unseen[f] = _known_only(
                current[f], profile[f].counts, known or frozenset(profile[f].counts)
            )
    report = drift_report(profile, current, alpha=alpha, max_workers=max_workers)

    def obs(metric: str, scope: str, value: float, **kw: Any) -> Observation:
        return Observation(
            metric, scope, float(value), window.start, window.end, model, version, **kw
        )

    out = []
    for c in report.columns:
        scope, k = f"feature:{c.column}", c.n_current
        detail: dict[str, Any] = {
            "feature": c.column,
            "method": c.method,
            "threshold": c.threshold,
            "p_value": c.p_value,
            "p_adjusted": c.p_adjusted,
            "psi": c.psi,
        }
        if c.kind == "numeric":
            ref_values = profile[c.column].values
            before = _median(ref_values if ref_values is not None else [])
            now = _median(table.column(c.column).to_numpy(zero_copy_only=False))
            detail.update(reference_median=before, current_median=now)
            if before > 0 and now > 0:
                detail["median_ratio"] = now / before
                if c.column in codes:
                    detail["unit_changed"] = False
                    detail["code"] = codes[c.column]
        else:
            rate, new_codes = unseen[c.column]
            detail["new_categories"] = new_codes
            detail["tested_on"] = "categories seen in the reference"
            c = replace(c, new_category_rate=rate, new_categories=tuple(new_codes))
        missing = {"reference": c.missing_rate_reference, "current": c.missing_rate_current}
        out += [
            obs("feature.drift_score", scope, c.statistic, drifted=c.drifted, n=k, detail=detail),
            obs("feature.psi", scope, c.psi, n=k),
            obs("feature.missing_delta", scope, c.missing_rate_delta, n=k, detail=missing),
        ]
        if c.new_category_rate is not None:
            new = {"new_categories": list(c.new_categories)}
            rows = int(table.num_rows)  # judged on the whole window, unseen rows included
            out.append(
                obs("feature.new_category_rate", scope, c.new_category_rate, n=rows, detail=new)
            )
    return out


def _known_only(
    column: pa.ChunkedArray, tested: Mapping[str, int], seen: frozenset[str]
) -> tuple[pa.ChunkedArray, tuple[float, list[str]]]:
    """The column without its rows whose category is not ``tested`` (missing values kept),
    and the share of non-missing rows whose category the reference never saw (``seen``),
    with up to five of those codes, most frequent first. A category unseen in the reference
    makes Evidently's chi-square infinite (p = 0) whatever its share, so one rare code would
    flag drift in
    every small window; it is judged by its own rate (``feature.new_category_rate``) and the
    test compares the distribution over the known categories."""
    as_text = pc.cast(column, pa.string())
    present = pc.is_valid(as_text)
    in_test = pc.is_in(as_text, value_set=pa.array(sorted(tested), pa.string()))
    in_ref = pc.is_in(as_text, value_set=pa.array(sorted(seen), pa.string()))
    new_rows = pc.and_(present, pc.invert(in_ref))
    n_present = int(pc.sum(present.cast(pa.int64())).as_py() or 0)
    n_new = int(pc.sum(new_rows.cast(pa.int64())).as_py() or 0)
    codes: list[str] = []
    if n_new:
        counts = pc.value_counts(as_text.filter(new_rows)).to_pylist()
        counts.sort(key=lambda d: (-d["counts"], str(d["values"])))
        codes = [str(d["values"]) for d in counts[:5]]
    kept = as_text.filter(pc.or_(pc.invert(present), in_test))
    return kept, (n_new / n_present if n_present else math.nan, codes)


def _prediction(ctx: WindowContext, lw: LogWindow, risk: np.ndarray) -> list[Observation]:
    ref = ctx.reference
    n = risk.size
    report = drift_report(ctx.risk_profile, {REFERENCE_RISK: risk}, alpha=ctx.alpha)
    c = report.columns[0]
    flagged = int(np.count_nonzero(risk >= ref.threshold))
    expected = ref.expected_flag_rate
    lo, hi = wilson_interval(flagged, n)
    ratio = (flagged / n) / expected if expected > 0 else math.nan
    days = lw.window.days
    return [
        _obs(
            lw,
            "prediction.drift_score",
            "model",
            c.statistic,
            drifted=c.drifted,
            n=n,
            detail={"method": c.method, "threshold": c.threshold},
        ),
        _obs(
            lw,
            "prediction.psi",
            "model",
            c.psi,
            n=n,
            detail={
                "mean_risk": float(np.mean(risk)),
                "reference_mean_risk": float(np.mean(ref.risk)),
            },
        ),
        _obs(
            lw,
            "flag_rate.ratio",
            "model",
            ratio,
            n=n,
            lower=(lo / expected) if lo is not None and expected > 0 else None,
            upper=(hi / expected) if hi is not None and expected > 0 else None,
            detail={
                "flag_rate": flagged / n,
                "expected_flag_rate": expected,
                "alerts_per_day": flagged / days,
                "expected_alerts_per_day": expected * n / days,
            },
        ),
    ]


def _outcomes(ctx: WindowContext, lw: LogWindow, risk: np.ndarray) -> list[Observation]:
    assert ctx.outcomes is not None
    ref = ctx.reference
    joined = join_outcomes(lw.table, ctx.outcomes, as_of=ctx.as_of)
    groups = {g.removeprefix("group_"): _strings(joined.column(g)) for g in ctx.outcomes.groups}
    out: list[Observation] = []
    ref_groups = {g.removeprefix("group_"): ref.frame[g].astype(str).to_numpy() for g in ref.groups}
    matched = {k: v for k, v in groups.items() if k in ref_groups}
    for attr, values in matched.items():
        known_levels = set(ref_groups[attr].tolist())
        present = values != _MISSING
        n_present = int(present.sum())
        if n_present == 0:
            continue
        new = present & ~np.isin(values, list(known_levels))
        out.append(
            _obs(
                lw,
                "subgroup.new_level_rate",
                f"subgroup:{attr}",
                new.sum() / n_present,
                n=n_present,
                detail={"new_levels": len(set(values[new].tolist()))},
            )
        )
    if matched:
        for d in subgroup_prediction_drift(
            risk,
            matched,
            ref.threshold,
            reference_p=ref.risk,
            reference_groups=ref_groups,
            min_size=ctx.min_size,
        ):
            out += d.observations(lw.model, lw.version, lw.window.start, lw.window.end)
    label = joined.column("label")
    known = pc.is_valid(label).to_numpy(zero_copy_only=False)
    if int(known.sum()) < ctx.min_size:
        return out
    y = label.to_numpy(zero_copy_only=False)[known].astype(np.int8)
    p = risk[known]
    patients = np.asarray(joined.column("patient").to_pylist(), dtype=object)[known]
    rng = np.random.default_rng([ctx.seed, 2])
    real = realized_performance(
        y,
        p,
        ref.threshold,
        rng=rng,
        patient_ids=patients,
        n_boot=ctx.n_draws,
        min_size=ctx.min_size,
    )
    out += real.observations(lw.model, lw.version, lw.window.start, lw.window.end)
    sub = subgroup_performance(
        y,
        p,
        ref.threshold,
        {k: v[known] for k, v in groups.items()},
        rng=rng,
        patient_ids=patients,
        n_boot=ctx.n_draws,
        min_size=ctx.min_size,
    )
    out += sub.observations(lw.model, lw.version, lw.window.start, lw.window.end)
    return out


def _strings(col: pa.ChunkedArray) -> np.ndarray:
    return np.asarray([(_MISSING if v is None else str(v)) for v in col.to_pylist()], object)


def _service(ctx: WindowContext, lw: LogWindow) -> Sequence[Observation]:
    """SLIs from the service's request log; when it has no scoring request in the window
    (predictions written by a backfill or another front end), latency percentiles come from
    the prediction log's own per-prediction latency instead (numpy's linear quantiles, as
    the request log's)."""
    slis = service_slis(ctx.lake_dir, lw.window.start, lw.window.end, model=lw.model)
    out = slis.observations(lw.model, lw.version, lw.window.start, lw.window.end)
    if any(o.metric.startswith("latency.") for o in out) or lw.n == 0:
        return out
    lat = lw.table.column("latency_ms").to_numpy(zero_copy_only=False).astype(np.float64)
    lat = lat[np.isfinite(lat)]
    if lat.size:
        for q in (50, 95, 99):
            out.append(
                _obs(
                    lw,
                    f"latency.p{q}_ms",
                    "service",
                    float(np.percentile(lat, q)),
                    n=int(lat.size),
                    detail={"source": "prediction log"},
                )
            )
    return out
