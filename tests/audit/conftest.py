"""Fixtures of the audit tests: a log on each store backend, with a signing key in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.audit._tamper import make_log

from wardwatch.audit import AuditLog
from wardwatch.core.store import Store


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    """Where the log's Ed25519 key (and anchor file) go."""
    path = tmp_path / "keys"
    path.mkdir()
    return path


@pytest.fixture
def log(store_url: str, key_dir: Path) -> AuditLog:
    """An empty log on SQLite and on PostgreSQL, signing checkpoints only on demand."""
    return make_log(store_url, key_dir)


@pytest.fixture(autouse=True)
def _close_new_engines() -> Iterator[None]:
    """Close the pools this test opened: every test has its own database, and idle pooled
    connections would otherwise pile up on the shared PostgreSQL server."""
    before = set(Store._engines)
    yield
    for url in set(Store._engines) - before:
        Store._engines.pop(url).dispose()
