"""Shared data for the evaluation tests: small predictions with ties and repeat patients."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest


@dataclass
class Sample:
    y: np.ndarray
    p: np.ndarray
    patient: np.ndarray
    group: np.ndarray


def make_sample(n: int = 600, seed: int = 0, decimals: int | None = 2) -> Sample:
    """Predictions with 1-3 rows per patient, ties (probabilities rounded), two groups."""
    rng = np.random.default_rng(seed)
    patient = np.sort(rng.integers(0, n // 2, n))
    p = rng.beta(1.2, 5.0, n)
    if decimals is not None:
        p = np.round(p, decimals)
    y = (rng.random(n) < np.clip(p * 1.3, 0, 1)).astype(np.int8)
    group = np.where(patient % 3 == 0, "a", "b")
    return Sample(y=y, p=p, patient=patient, group=group)


@pytest.fixture
def sample() -> Sample:
    return make_sample()
