"""The catalogue of checks a contract can name.

A check is a pure function ``(context, table, params) -> CheckResult``: it reads through the
context's engine, never writes, and never raises on bad data. Each is registered with a name,
what it means, the tables it applies to by default, a pydantic model of its parameters and a
default severity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Severity

__all__ = ["CHECKS", "CheckDef", "NoParams", "Params", "register"]


class Params(BaseModel):
    """Base of every check's parameters: unknown keys are an error (typos must not pass)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoParams(Params):
    """A check without parameters."""


P = TypeVar("P", bound=Params)
CheckFn = Callable[[CheckContext, str, Any], CheckResult]


@dataclass(frozen=True)
class CheckDef:
    """A registered check."""

    name: str
    description: str
    tables: tuple[str, ...]
    params: type[Params]
    fn: CheckFn
    severity: Severity = Severity.ERROR


CHECKS: dict[str, CheckDef] = {}


def register(
    name: str,
    description: str,
    *,
    tables: tuple[str, ...],
    params: type[P],
    severity: Severity = Severity.ERROR,
) -> Callable[
    [Callable[[CheckContext, str, P], CheckResult]], Callable[[CheckContext, str, P], CheckResult]
]:
    """Register ``fn`` as check ``name`` (a decorator)."""

    def deco(
        fn: Callable[[CheckContext, str, P], CheckResult],
    ) -> Callable[[CheckContext, str, P], CheckResult]:
        CHECKS[name] = CheckDef(name, description, tables, params, fn, severity)
        return fn

    return deco
