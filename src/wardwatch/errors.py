"""The wardwatch exception hierarchy.

Every error a user can meet is a :class:`WardwatchError` whose message is one line naming the
record, the field, what was expected and what was found, and what to do next::

    WardwatchError
    ├── ConfigError          a config file (wardwatch.toml, YAML spec) is missing or invalid
    ├── WorkspaceError       no workspace where one was expected, or a broken one
    ├── StoreError           the SQL store cannot be reached or is at the wrong schema version
    ├── InputError           an input file cannot be read at all (not a bad record: those are
    │                        quarantined, never raised)
    └── SchemaError          a table does not match its canonical Arrow schema

Checks never raise on bad data (they return results); these exceptions are for the cases where a
command cannot run.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InputError",
    "SchemaError",
    "StoreError",
    "WardwatchError",
    "WorkspaceError",
]


class WardwatchError(Exception):
    """Base class: a one-line, actionable error.

    Args:
        message: what went wrong, in words.
        record: the id of the record (or file) concerned, if any.
        field: the field path concerned, if any.
        expected: what was expected there.
        found: what was found instead (already masked if it could be PHI).
        hint: what the user should do next.
    """

    def __init__(
        self,
        message: str,
        *,
        record: str | None = None,
        field: str | None = None,
        expected: str | None = None,
        found: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.record = record
        self.field = field
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.message]
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field is not None:
            parts.append(f"field {self.field}")
        if self.expected is not None:
            parts.append(f"expected {self.expected}")
        if self.found is not None:
            parts.append(f"found {_clip(self.found)}")
        text = "; ".join(parts)
        if self.hint:
            text += f" ({self.hint})"
        return text.replace("\n", " ").replace("\r", " ")


def _clip(value: str, limit: int = 80) -> str:
    value = value.replace("\n", "\\n").replace("\r", "\\r")
    return value if len(value) <= limit else value[: limit - 3] + "..."


class ConfigError(WardwatchError):
    """A config file is missing or invalid."""


class WorkspaceError(WardwatchError):
    """No workspace where one was expected, or a workspace in a broken state."""


class StoreError(WardwatchError):
    """The SQL store cannot be reached or is not usable."""


class InputError(WardwatchError):
    """An input cannot be read at all (bad records inside a readable input are quarantined)."""


class SchemaError(WardwatchError):
    """A table does not match its canonical schema."""
