"""The registry's errors: one line each, and a class per exit code of the CLI::

RegistryError (WardwatchError)   the registry cannot do what was asked (exit 2)
├── AuthError                    no key, an unknown or revoked key (exit 2)
└── RefusedError                 a rule says no (exit 1)
    ├── ForbiddenError           the role may not do this, or self-approval
    └── GateRefusedError         gates fail, no approval, an alias moved outside wardwatch
"""

from __future__ import annotations

from wardwatch.errors import WardwatchError

__all__ = ["AuthError", "ForbiddenError", "GateRefusedError", "RefusedError", "RegistryError"]


class RegistryError(WardwatchError):
    """The registry cannot do what was asked (an unknown version, no MLflow run, ...)."""


class AuthError(RegistryError):
    """No API key, or a key that is unknown, malformed or revoked (never echoed)."""


class RefusedError(RegistryError):
    """A rule said no: the request was understood and is not allowed (CLI exit 1)."""


class ForbiddenError(RefusedError):
    """The identity's role may not take this action, or it would approve its own work."""


class GateRefusedError(RefusedError):
    """Promotion refused: gates failed or not evaluated, no approval, or an alias drifted."""
