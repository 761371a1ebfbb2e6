"""Fixtures of the quality tests: one local Spark session per test process.

A local session takes 7 to 13 s to start, so every Spark test of this package shares the one
``spark`` fixture (under xdist, one per worker that runs Spark tests). Tests must not stop it:
``local_session`` hands back the running session, and stopping that one stops it for all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from wardwatch.errors import ConfigError


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The shared local SparkSession (Java 17+ from scripts/setup-system.sh, pyspark from dev)."""
    from wardwatch.quality._spark import local_session

    try:
        session = local_session("wardwatch-tests")
    except ConfigError as exc:
        pytest.fail(f"{exc}; or deselect the Spark tests with -m 'not spark'")
    yield session
    session.stop()
