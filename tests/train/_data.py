"""Synthetic training frames (the build_features contract) and a matching use case."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wardwatch.features import UseCase, parse_usecase

FEATURES: list[dict[str, Any]] = [
    {"name": "age", "kind": "demographic", "field": "age"},
    {"name": "sex", "kind": "demographic", "field": "sex"},
    {"name": "los_days", "kind": "stay", "field": "los_days"},
    {"name": "disposition", "kind": "stay", "field": "disposition"},
    {"name": "charlson", "kind": "comorbidity", "field": "charlson"},
    {"name": "sodium_last", "kind": "lab", "code": "2951-2", "window_days": 14},
]

PATIENT_ID = r"pt-[0-9a-f]{10}"
INDEX_ID = r"ix-[0-9a-f]{12}"


def make_usecase(**overrides: Any) -> UseCase:
    """A small use case over :data:`FEATURES` (two models, isotonic calibration)."""
    doc: dict[str, Any] = {
        "name": "test-readmission",
        "features": FEATURES,
        "subgroups": ["sex", "site"],
        "split": {"train": 0.6, "calibration": 0.15, "validation": 0.1, "test": 0.15},
        "models": [
            {"name": "logreg", "family": "logistic_regression", "params": {"C": 1.0}},
            {
                "name": "lgbm",
                "family": "lightgbm",
                "params": {"n_estimators": 60, "learning_rate": 0.05, "num_leaves": 7},
            },
        ],
        "calibration": {"method": "isotonic"},
    }
    doc.update(overrides)
    return parse_usecase(doc, "test use case")


def _ids(rng: np.random.Generator, prefix: str, n: int, width: int) -> np.ndarray:
    out: set[str] = set()
    while len(out) < n:
        for v in rng.integers(0, 16**width, size=n - len(out), dtype=np.int64):
            out.add(f"{prefix}-{int(v):0{width}x}")
    ids = np.array(sorted(out), dtype=object)
    rng.shuffle(ids)
    return ids


def make_frame(
    n_patients: int = 1200, *, seed: int = 0, days: int = 730
) -> tuple[pd.DataFrame, np.ndarray]:
    """A frame of index events and each row's true outcome probability.

    Patients have 1 to 4 index events spread over ``days`` from 2021-01-01 (so many straddle
    the split cuts); the outcome follows a logistic model of age, comorbidity, length of
    stay, discharge disposition and sex. Features have NaN/None missing at random, and rare
    categories.
    """
    rng = np.random.default_rng(seed)
    pids = _ids(rng, "pt", n_patients, 10)
    per = np.minimum(rng.geometric(0.55, size=n_patients), 4)
    patient = np.repeat(pids, per)
    n = len(patient)
    start = pd.Timestamp("2021-01-01", tz="UTC")
    offsets = rng.integers(0, days * 24 * 3600, size=n)
    times = pd.Series((start + pd.to_timedelta(offsets, unit="s")).astype("datetime64[us, UTC]"))
    age = rng.normal(65, 15, size=n).clip(18, 100).round()
    charlson = rng.poisson(2.0, size=n).astype(np.float64)
    los = rng.gamma(2.0, 2.5, size=n).round(1)
    sodium = rng.normal(139, 4, size=n).round()
    sex = rng.choice(
        np.array(["female", "male", "unknown"], dtype=object), p=[0.52, 0.47, 0.01], size=n
    )
    disposition = rng.choice(
        np.array(["home", "snf", "hha", "ama"], dtype=object), p=[0.6, 0.2, 0.18, 0.02], size=n
    )
    logit = (
        -1.7
        + 1.15 * (age - 65) / 15
        + 0.75 * (charlson - 2) / 1.4
        + 0.6 * (los - 5) / 3.5
        + 1.1 * (disposition == "snf")
        + 0.3 * (sex == "male")
    )
    prob = 1 / (1 + np.exp(-logit))
    label = (rng.random(n) < prob).astype(np.int64)

    def hide(values: np.ndarray, share: float) -> np.ndarray:
        out = values.astype(object) if values.dtype == object else values.astype(np.float64)
        gone = rng.random(n) < share
        out[gone] = None if values.dtype == object else np.nan
        return out

    frame = pd.DataFrame(
        {
            "index_id": _ids(rng, "ix", n, 12),
            "patient_id": patient,
            "index_time": times,
            "label": label,
            "group_sex": sex,
            "group_site": rng.choice(np.array(["north", "south"], dtype=object), size=n),
            "age": age,
            "sex": hide(sex, 0.03),
            "los_days": hide(los, 0.1),
            "disposition": hide(disposition, 0.05),
            "charlson": charlson,
            "sodium_last": hide(sodium, 0.4),
        }
    )
    order = rng.permutation(n)  # rows in no particular order
    return frame.iloc[order].reset_index(drop=True), prob[order]
