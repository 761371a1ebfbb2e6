"""The shared redactor (building one loads Presidio and a blank spaCy pipeline)."""

from __future__ import annotations

import pytest

from wardwatch.llm.phi import Redactor


@pytest.fixture(scope="session")
def redactor() -> Redactor:
    """The process-wide default redactor."""
    return Redactor.default()
