"""Shared generated populations (generated once per test session)."""

from __future__ import annotations

import pytest

from wardwatch.synth import SynthConfig, SynthResult, generate


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """200 patients, default period, no defects: the reference clean output."""
    out = tmp_path_factory.mktemp("clean")
    return generate(SynthConfig(patients=200, seed=11, out=out))


@pytest.fixture(scope="session")
def defect_run(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """The same population as ``clean_run`` with every defect class at 2%."""
    out = tmp_path_factory.mktemp("defects")
    return generate(SynthConfig(patients=200, seed=11, out=out, defects="all=0.02"))
