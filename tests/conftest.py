"""Shared fixtures: workspaces, and the store on both SQLite and a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests._pg import PgCluster, find_bin_dir
from wardwatch.core.workspace import Workspace, init_workspace

FIXTURES = Path(__file__).parent / "fixtures"

# CI runs the property tests on a fixed set of examples per test (reproducible: a red CI
# run fails again on the same example); local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL server for this test process (installed by scripts/setup-system.sh)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.fail(
            "PostgreSQL binaries not found: run `make system-deps` (scripts/setup-system.sh)"
        )
    cluster = PgCluster(bin_dir)
    try:
        cluster.start()
    except Exception as exc:  # show the server log, not only the exit status
        log = cluster.root / "server.log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        cluster.stop()
        pytest.fail(f"could not start PostgreSQL: {exc}\n{detail}")
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty PostgreSQL database."""
    return pg_cluster.new_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL on each backend: tests using it run on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A fresh workspace on the default embedded store."""
    return init_workspace(tmp_path / "ws")


@pytest.fixture
def ws_any_store(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A fresh workspace whose store is SQLite or PostgreSQL (parametrized)."""
    monkeypatch.setenv("WARDWATCH_STORE_URL", store_url)
    return init_workspace(tmp_path / "ws")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """The local SparkSession shared by every Spark test of a test process.

    A local session takes 7 to 13 s to start, so Spark tests (marked ``spark`` and put in the
    ``xdist_group("spark")``, so that one worker runs them all) share this one. Tests must not
    stop it: ``local_session`` hands back the running session.
    Java 17+ comes from scripts/setup-system.sh, pyspark from the dev group.
    """
    from wardwatch.errors import ConfigError
    from wardwatch.quality._spark import local_session

    try:
        session = local_session("wardwatch-tests")
    except ConfigError as exc:
        pytest.fail(f"{exc}; or deselect the Spark tests with -m 'not spark'")
    yield session
    session.stop()


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")
