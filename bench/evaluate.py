"""Evaluation benchmark: the full report on 100,000 predictions against a plain scikit-learn loop.

Builds (seeded) ``--predictions`` synthetic 30-day-readmission predictions: patients with one
to three index stays each, a base rate near 12%, six subgroup attributes (age band, sex, race,
ethnicity, site, payer; a few tiny levels, so that suppression shows) and index times across
twelve months. Then prints, in one run:

* ``evaluate_predictions`` end to end (validation, operating points, every metric for the
  whole set, 6 attributes and 12 months, ``--replicates`` patient-level bootstrap replicates,
  notes and checklist), with its CPU seconds;
* the same metrics computed the plain way: for each replicate, the resampled rows
  (:meth:`Resampler.rows`, the very replicates the report uses), then scikit-learn
  (``roc_auc_score``, ``average_precision_score``, ``brier_score_loss``, ``calibration_curve``,
  ``LogisticRegression`` for the calibration slope, SciPy for the intercept,
  ``confusion_matrix`` at every threshold) for the whole set and every subgroup level and
  month. It runs ``--loop-replicates`` replicates and extrapolates to the full count (said so
  in the output), and checks that its values match the vectorized engine's for them.

Goal (issue): under 10 s for 100,000 predictions, 1,000 replicates and 6 attributes. Other
work on the machine slows every figure, so each is printed with the 1-minute load average.

    python bench/evaluate.py [--predictions 100000] [--replicates 1000] [--loop-replicates 3]
                             [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd

GOAL_S = 10.0
_SPENT = {"thresholds": 0.0}
"""Seconds the plain loop spends in confusion_matrix at thresholds (the rest: the other calls)."""


def _load() -> str:
    """The 1-minute load average: other work on the machine slows every figure down."""
    return f"load {os.getloadavg()[0]:.1f}"


def workload(n: int, seed: int) -> dict[str, Any]:
    """Synthetic readmission predictions: patients with 1-3 stays, 6 attributes, 12 months."""
    rng = np.random.default_rng(seed)
    stays = rng.choice([1, 2, 3], size=n, p=[0.5, 0.3, 0.2])
    n_patients = int(np.searchsorted(np.cumsum(stays), n)) + 1
    stays = stays[:n_patients]
    stays[-1] -= stays.sum() - n
    patient = np.repeat(np.arange(n_patients), stays)

    def per_patient(levels: list[str], p: list[float]) -> np.ndarray:
        return np.asarray(levels, dtype=object)[rng.choice(len(levels), n_patients, p=p)][patient]

    age = per_patient(["18-44", "45-64", "65-74", "75-84", "85+"], [0.2, 0.3, 0.22, 0.18, 0.1])
    sex = per_patient(["female", "male", "unknown"], [0.52, 0.4799, 0.0001])
    race = per_patient(
        ["White", "Black", "Asian", "American Indian", "Pacific Islander", "Other"],
        [0.6, 0.18, 0.07, 0.01, 0.0001, 0.1399],
    )
    ethnicity = per_patient(["Hispanic", "Not Hispanic", "Unknown"], [0.17, 0.78, 0.05])
    site = per_patient(["North", "South", "East", "West"], [0.35, 0.3, 0.2, 0.15])
    payer = per_patient(["Medicare", "Medicaid", "Commercial", "Self-pay"], [0.45, 0.2, 0.3, 0.05])
    start = pd.Timestamp("2025-01-01", tz="UTC").value
    span = pd.Timedelta(days=365).value
    times = pd.to_datetime(start + rng.integers(0, span, n), utc=True)
    frailty = rng.normal(0.0, 0.4, n_patients)[patient]
    ages = {"18-44": -1.0, "45-64": 0.0, "65-74": 0.5, "75-84": 1.0, "85+": 1.3}
    risk = (
        -2.5
        + 0.8 * pd.Series(age).map(ages).to_numpy(dtype=float)
        + 0.4 * (payer == "Medicaid")
        + 0.2 * (site == "East")
        + frailty
    )
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-risk))).astype(np.int8)
    # The model sees most of the risk, a little shrunk and shifted (realistic miscalibration).
    logit_p = -0.3 + 0.85 * risk + rng.normal(0.0, 0.35, n)
    p = 1.0 / (1.0 + np.exp(-logit_p))
    return {
        "y": y,
        "p": p,
        "patient": np.char.add("pt-", patient.astype(str)),
        "times": times,
        "subgroups": {
            "age_band": age,
            "sex": sex,
            "race": race,
            "ethnicity": ethnicity,
            "site": site,
            "payer": payer,
        },
    }


# --------------------------------------------------------------------------------------------
# the plain way


def _slope_intercept(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    from scipy.optimize import brentq
    from scipy.special import expit
    from sklearn.linear_model import LogisticRegression

    x = np.log(np.clip(p, 1e-7, 1 - 1e-7) / (1 - np.clip(p, 1e-7, 1 - 1e-7)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(x[:, None], y)
    intercept = brentq(lambda a: float(np.sum(y - expit(x + a))), -20, 20, xtol=1e-12)
    return float(model.coef_[0, 0]), float(intercept)


def _ece(y: np.ndarray, p: np.ndarray, edges: np.ndarray | None = None) -> float:
    """ECE over 10 equal-count bins: re-binned per replicate (scikit-learn's way), or with
    the given edges (the engine's way: the sample's bins, reweighted by each replicate)."""
    from sklearn.calibration import calibration_curve

    if edges is None:
        edges = np.percentile(p, np.linspace(0, 100, 11))
        counts = np.bincount(np.searchsorted(edges[1:-1], p), minlength=10)
        observed, predicted = calibration_curve(y, p, n_bins=10, strategy="quantile")
        return float(np.sum(counts[counts > 0] * np.abs(observed - predicted)) / len(p))
    bins = np.searchsorted(edges[1:-1], p)
    gap = np.abs(np.bincount(bins, y, 10) - np.bincount(bins, p, 10))
    return float(gap.sum() / len(p))


def plain_metrics(
    y: np.ndarray, p: np.ndarray, thresholds: np.ndarray, edges: np.ndarray | None = None
) -> dict[str, Any]:
    """Every metric of one group in one replicate, one scikit-learn call at a time."""
    from sklearn.metrics import (
        average_precision_score,
        brier_score_loss,
        confusion_matrix,
        roc_auc_score,
    )

    out: dict[str, Any] = {
        "auroc": roc_auc_score(y, p),
        "auprc": average_precision_score(y, p),
        "brier": brier_score_loss(y, p),
        "oe_ratio": y.sum() / p.sum(),
        "ece": _ece(y, p, edges),
    }
    out["slope"], out["intercept"] = _slope_intercept(y, p)
    n = len(y)
    t0 = time.perf_counter()
    for t in thresholds:
        tn, fp, fn, tp = confusion_matrix(y, p >= t, labels=[0, 1]).ravel()
        out[float(t)] = {
            "sensitivity": tp / (tp + fn),
            "specificity": tn / (tn + fp),
            "ppv": tp / (tp + fp) if tp + fp else np.nan,
            "npv": tn / (tn + fn) if tn + fn else np.nan,
            "flag_rate": (tp + fp) / n,
            "net_benefit": tp / n - fp / n * t / (1 - t),
        }
    _SPENT["thresholds"] += time.perf_counter() - t0
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--predictions", type=int, default=100_000)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--loop-replicates", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from wardwatch.evaluate import EvaluationConfig, Resampler, evaluate_predictions

    data = workload(args.predictions, args.seed)
    config = EvaluationConfig(n_bootstrap=args.replicates, seed=0)
    print(
        f"{args.predictions:,} predictions, {len(np.unique(data['patient'])):,} patients, "
        f"prevalence {data['y'].mean():.1%}, 6 subgroup attributes, 12 months; "
        f"{args.replicates:,} patient-level bootstrap replicates; {os.cpu_count()} cores, "
        f"{_load()}",
        flush=True,
    )
    kwargs = {
        "patient_ids": data["patient"],
        "index_times": data["times"],
        "subgroups": data["subgroups"],
        "config": config,
        "model_name": "synthetic readmission model",
    }
    evaluate_predictions(data["y"][:2000], data["p"][:2000], **{**kwargs, **_head(data, 2000)})
    t0, c0 = time.perf_counter(), time.process_time()
    report = evaluate_predictions(data["y"], data["p"], **kwargs)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    load_after = _load()
    groups = 1 + sum(
        sum(1 for lv in s["levels"] if not lv["suppressed"])
        for s in [*report.subgroups, report.temporal or {"levels": []}]
    )
    suppressed = sum(s["suppressed"] for s in report.subgroups)
    print(
        f"\nevaluate_predictions: {seconds:.2f} s ({cpu:.1f} CPU s), {load_after} after   "
        f"(goal < {GOAL_S:g} s: {'met' if seconds < GOAL_S else 'NOT met'})\n"
        f"  {groups} groups evaluated (overall, subgroup levels, months), {suppressed} levels "
        f"suppressed, {report.bootstrap['calibration_refits']:,} calibration fits refitted "
        f"exactly; AUROC {report.auroc.value:.3f} "
        f"({report.auroc.low:.3f}-{report.auroc.high:.3f})",
        flush=True,
    )

    # The plain loop, on the same replicates, for a few of them; extrapolated.
    resampler = Resampler(
        pd.factorize(pd.Series(data["patient"]))[0], report.data["patients"], args.replicates, 0
    )
    thresholds = np.unique(
        np.r_[
            config.threshold_grid,
            config.decision_thresholds,
            [o["threshold"] for o in report.operating_points if o["threshold"] is not None],
        ]
    )
    ops = np.asarray([o["threshold"] for o in report.operating_points if o["reached"]])
    level_rows = _level_rows(data, report)
    k = max(1, args.loop_replicates)
    t0, c0 = time.perf_counter(), time.process_time()
    first = None
    for r in range(k):
        rows = resampler.rows(r)
        y, p = data["y"][rows], data["p"][rows]
        overall = plain_metrics(y, p, thresholds)
        if first is None:  # for the agreement check: ECE on the sample's bins, as the engine
            edges = np.percentile(data["p"], np.linspace(0, 100, 11))
            first = {**overall, "ece": _ece(y.astype(float), p, edges)}
        for members in level_rows:
            keep = members[rows]
            plain_metrics(y[keep], p[keep], ops)
    per_replicate = (time.perf_counter() - t0) / k
    at_thresholds = _SPENT["thresholds"] / k
    cpu_per = (time.process_time() - c0) / k
    total = per_replicate * (args.replicates + 1)
    print(
        f"\nplain scikit-learn loop, same metrics and groups: {per_replicate:.2f} s per replicate "
        f"({cpu_per:.2f} CPU s; {at_thresholds:.2f} s of it confusion_matrix at "
        f"{len(thresholds)} + {len(ops)} x {len(level_rows)} thresholds), {_load()}\n"
        f"  x {args.replicates + 1:,} (replicates + the sample) = {total:,.0f} s "
        f"(EXTRAPOLATED from {k} replicate{'s' if k != 1 else ''}; {total / 60:,.1f} min)\n"
        f"  speed-up of evaluate_predictions: {total / seconds:,.0f}x",
        flush=True,
    )
    _agreement(data, resampler, first)


def _head(data: dict[str, Any], n: int) -> dict[str, Any]:
    """The first ``n`` rows (a warm-up run, so that imports are not timed)."""
    return {
        "patient_ids": data["patient"][:n],
        "index_times": data["times"][:n],
        "subgroups": {k: v[:n] for k, v in data["subgroups"].items()},
    }


def _level_rows(data: dict[str, Any], report: Any) -> list[np.ndarray]:
    """Row masks of every evaluated (not suppressed) subgroup level and month."""
    masks = []
    for section in report.subgroups:
        values = data["subgroups"][section["attribute"]]
        masks += [values == lv["level"] for lv in section["levels"] if not lv["suppressed"]]
    months = pd.Series(data["times"]).dt.strftime("%Y-%m").to_numpy()
    for lv in (report.temporal or {"levels": []})["levels"]:
        if not lv["suppressed"]:
            masks.append(months == lv["level"])
    return masks


def _agreement(data: dict[str, Any], resampler: Any, plain: dict[str, Any] | None) -> None:
    """The vectorized engine's replicate 0 against the plain loop's, overall."""
    from wardwatch.evaluate._engine import GroupSpec, run_engine
    from wardwatch.evaluate._summary import group_metrics

    if plain is None:
        return
    one = type(resampler)(resampler.patient, resampler.n_patients, 1, resampler.seed)
    spec = GroupSpec(("overall", ""), np.arange(len(data["y"])), np.asarray([0.5]), 10)
    stats, _ = run_engine(data["y"].astype(float), data["p"], one, [spec])
    m = group_metrics(stats[0])
    pairs = {
        "auroc": "auroc",
        "auprc": "auprc",
        "brier": "brier",
        "ece": "ece",
        "oe_ratio": "oe_ratio",
        "calibration_slope": "slope",
        "calibration_intercept": "intercept",
    }
    diff = {
        name: abs(float(m[key][1]) - float(plain[other]))
        for key, other in pairs.items()
        for name in [key]
    }
    print(
        "  agreement on replicate 0 (max |engine - scikit-learn|): "
        + ", ".join(f"{k} {v:.1e}" for k, v in diff.items())
    )


if __name__ == "__main__":
    main()
