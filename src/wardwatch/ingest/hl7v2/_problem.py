"""The finding that sends a message to quarantine."""

from __future__ import annotations

from wardwatch.ingest._reasons import Reason

__all__ = ["Hl7Problem"]


class Hl7Problem(Exception):  # noqa: N818 - a finding, not a failure of the program
    """A reason to quarantine the message, with where it was found."""

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        field: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field
        self.expected = expected
        self.found = found
