"""The redaction interface the pipeline needs, and the default redactor.

The pipeline depends on this small protocol, not on the redactor's implementation
(:mod:`wardwatch.llm.phi`): a session replaces PHI by consistent placeholders and restores
them; ``counts`` (per class, no PHI) go to the audit log.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol

from wardwatch.errors import ConfigError

__all__ = ["RedactionSessionLike", "RedactorLike", "default_redactor"]


class RedactionSessionLike(Protocol):
    """One redaction session: consistent placeholders, restorable (``wardwatch.llm.phi``)."""

    def redact(self, text: str) -> str: ...
    def restore(self, text: str) -> str: ...
    @property
    def counts(self) -> Mapping[str, int]: ...


class RedactorLike(Protocol):
    """Makes redaction sessions (``wardwatch.llm.phi.Redactor``)."""

    def session(self) -> RedactionSessionLike: ...


@lru_cache(maxsize=1)
def default_redactor() -> RedactorLike:
    """The default PHI redactor of :mod:`wardwatch.llm.phi` (built once per process)."""
    try:
        phi: Any = importlib.import_module("wardwatch.llm.phi")
    except ImportError:
        raise ConfigError(
            "PHI redaction is not available",
            expected="wardwatch.llm.phi",
            hint="nothing is sent to a non-local backend without it",
        ) from None
    redactor: RedactorLike = phi.Redactor.default()
    return redactor
