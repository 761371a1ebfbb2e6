"""Data contracts: which checks run on which tables, with which parameters and severities.

A contract is a YAML file::

    name: lab-feed
    description: Nightly lab results from the LIS.
    sources: ["*/labs/*.ndjson"]     # optional: only rows from these source files
    max_findings: 1000               # findings listed per check (all are counted)
    policy:
      fail_on: error                 # a failed check of this severity or worse fails the gate
      warn_on: warn
    checks:
      - check: required
      - check: unit-switch
        tables: [observations]
        severity: error
        params: {min_segment_rows: 20}
      - check: charting-delay
        severity: warn
        max_rate: 0.01               # pass while at most 1% of rows are late

Checks left out do not run; ``wardwatch quality checks`` lists them all. The default contract
(:func:`default_contract`) covers the canonical tables with every check.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wardwatch.errors import ConfigError
from wardwatch.quality._model import Severity

__all__ = ["CheckSpec", "Contract", "Policy", "default_contract", "load_contract"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Policy(_Strict):
    """How failed checks become a verdict."""

    fail_on: Severity = Severity.ERROR
    """A failed check of this severity or worse makes the verdict ``fail``."""
    warn_on: Severity = Severity.WARN
    """A failed check of this severity or worse (and below ``fail_on``) makes it ``warn``."""


class CheckSpec(_Strict):
    """One check of a contract."""

    check: str
    tables: list[str] | None = None
    """Tables to run on (default: the check's own list)."""
    severity: Severity | None = None
    """Severity of a failure (default: the check's own)."""
    max_rate: float = Field(0.0, ge=0.0, le=1.0)
    """Failure rate (failed / checked) tolerated before the check counts as failed."""
    params: dict[str, Any] = Field(default_factory=dict)


class Contract(_Strict):
    """A data contract (see the module docstring for the YAML form)."""

    name: str
    description: str = ""
    sources: list[str] = Field(default_factory=list)
    max_findings: int | None = Field(1000, ge=0)
    policy: Policy = Field(default_factory=Policy)
    checks: list[CheckSpec]


def load_contract(path: Path | str) -> Contract:
    """Read and validate a contract; every error is one line naming the file and key."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            "cannot read contract", record=str(p), found=exc.strerror or str(exc)
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            "contract is not valid YAML", record=str(p), found=str(exc).splitlines()[0]
        ) from None
    return contract_from_dict(data, origin=str(p))


def contract_from_dict(data: Any, *, origin: str = "contract") -> Contract:
    """Validate a contract given as a mapping (what the YAML holds)."""
    if not isinstance(data, dict):
        raise ConfigError(
            "contract must be a mapping",
            record=origin,
            expected="name, checks",
            found=type(data).__name__,
        )
    try:
        contract = Contract.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"]) or "(top)"
        raise ConfigError(
            err["msg"], record=origin, field=loc, found=_short(err.get("input"))
        ) from None
    from wardwatch.quality._registry import CHECKS

    for i, spec in enumerate(contract.checks):
        if spec.check not in CHECKS:
            raise ConfigError(
                "unknown check",
                record=origin,
                field=f"checks.{i}.check",
                expected=" | ".join(sorted(CHECKS)),
                found=spec.check,
            )
        definition = CHECKS[spec.check]
        try:
            definition.params.model_validate(spec.params)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(x) for x in err["loc"])
            raise ConfigError(
                err["msg"],
                record=origin,
                field=f"checks.{i}.params.{loc}",
                found=_short(err.get("input")),
            ) from None
        from wardwatch.core.schemas import QUARANTINE, TABLES

        for t in spec.tables or ():
            if t not in TABLES and t != QUARANTINE.name:
                raise ConfigError(
                    "unknown table",
                    record=origin,
                    field=f"checks.{i}.tables",
                    expected=" | ".join(TABLES),
                    found=t,
                )
    return contract


def default_contract() -> Contract:
    """The built-in contract: every check on the canonical tables, with sensible severities."""
    text = resources.files("wardwatch.quality").joinpath("default_contract.yaml").read_text("utf-8")
    return contract_from_dict(yaml.safe_load(text), origin="default_contract.yaml")


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
