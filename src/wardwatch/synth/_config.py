"""What to generate (:class:`SynthConfig`), what was generated (:class:`SynthResult`), and
the ``--defects`` / ``--drift`` spec parsers.

Defect spec: comma-separated ``class=rate`` pairs (``missing-required=0.01,unit-switch=0.02``),
``all=RATE``, or the path of a YAML file mapping class to rate. A rate is the chance that an
eligible record gets that defect (for ``unit-switch``: about the share of glucose results in the
affected feed slice).

Drift spec: comma-separated ``kind@YYYY-MM-DD[:param]`` items, e.g.
``age-mix@2024-01-01:2.5,unit-switch@2023-06-01:LMC``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from wardwatch.errors import ConfigError

__all__ = [
    "DEFECT_CLASSES",
    "DRIFT_KINDS",
    "DriftEvent",
    "SynthConfig",
    "SynthResult",
    "parse_date",
    "parse_defects",
    "parse_drift",
]

DEFECT_CLASSES: tuple[str, ...] = (
    "missing-required",
    "dangling-reference",
    "end-before-start",
    "future-date",
    "before-birth",
    "invalid-code",
    "bad-check-digit",
    "unit-switch",
    "implausible-value",
    "duplicate-patient",
    "duplicate-event",
    "malformed-json",
    "wrong-type",
)

#: kind -> (what it does, what its parameter means, default parameter)
DRIFT_KINDS: dict[str, tuple[str, str, str]] = {
    "age-mix": (
        "unplanned admissions of patients aged 75+ become more frequent",
        "rate multiplier",
        "2.5",
    ),
    "case-mix": (
        "patients with heart failure or CKD are admitted more often, more often for "
        "heart failure or acute kidney injury",
        "rate multiplier",
        "2.5",
    ),
    "unit-switch": (
        "glucose is reported in mmol/L (value / 18.016, unit mmol/L)",
        "site key or 'all'",
        "all",
    ),
    "silent-unit-switch": (
        "glucose is sent in mmol/L (value / 18.016) while the unit field still says mg/dL "
        "(a misconfigured lab interface)",
        "site key or 'all'",
        "all",
    ),
    "code-set-change": (
        "a site codes diagnoses with less specific (unspecified) ICD-10-CM codes",
        "site key",
        "RGH",
    ),
    "new-site": (
        "a new hospital opens and admits a share of the Riverside catchment's "
        "inpatient and emergency visits",
        "share of visits",
        "0.5",
    ),
    "label-rate": ("the 30-day readmission probability is multiplied", "multiplier", "1.5"),
}
_SITE_KEYS = ("RGH", "LMC", "MRH", "BCH", "HUH")
_FORMATS = ("ndjson", "bundle")


def parse_date(value: date | str, what: str) -> date:
    """A ``date`` from a date or a ``YYYY-MM-DD`` string (ConfigError naming ``what``)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ConfigError(f"bad {what} date", found=str(value), expected="YYYY-MM-DD") from None


def _rate(token: str, cls: str, raw: Any) -> float:
    try:
        rate = float(raw)
    except (TypeError, ValueError):
        raise ConfigError("bad defect rate", found=token, expected="a number in [0, 1]") from None
    if not 0.0 <= rate <= 1.0:
        raise ConfigError("bad defect rate", found=token, expected="a number in [0, 1]")
    return rate


def _check_class(token: str, cls: str) -> None:
    if cls not in DEFECT_CLASSES and cls != "all":
        raise ConfigError(
            "unknown defect class",
            found=token,
            expected="one of all, " + ", ".join(DEFECT_CLASSES),
        )


def parse_defects(spec: str | Path | Mapping[str, float] | None) -> dict[str, float]:
    """Defect rates by class from a spec string, a YAML path or a mapping (empty when None)."""
    if spec is None or spec == "":
        return {}
    pairs: list[tuple[str, str, Any]] = []
    if isinstance(spec, Mapping):
        pairs = [(f"{k}={v}", str(k), v) for k, v in spec.items()]
    else:
        text = str(spec)
        path = Path(text)
        if isinstance(spec, Path) or (("=" not in text) and text.endswith((".yaml", ".yml"))):
            if not path.is_file():
                raise ConfigError(
                    "defect spec file not found",
                    found=text,
                    hint="give class=rate pairs or a YAML file",
                )
            try:
                loaded = yaml.safe_load(path.read_text())
            except yaml.YAMLError as exc:
                raise ConfigError(
                    "defect spec file is not valid YAML",
                    record=text,
                    found=str(exc).splitlines()[0],
                ) from None
            if not isinstance(loaded, Mapping):
                raise ConfigError(
                    "defect spec file must map class to rate",
                    record=text,
                    found=type(loaded).__name__,
                )
            pairs = [(f"{k}={v}", str(k), v) for k, v in loaded.items()]
        else:
            for token in (t.strip() for t in text.split(",")):
                if not token:
                    continue
                cls, sep, raw = token.partition("=")
                if not sep:
                    raise ConfigError(
                        "bad defect spec token",
                        found=token,
                        expected="class=rate, e.g. missing-required=0.01",
                    )
                pairs.append((token, cls.strip(), raw.strip()))
    rates: dict[str, float] = {}
    for token, cls, raw in pairs:
        _check_class(token, cls)
        rate = _rate(token, cls, raw)
        if cls == "all":
            for c in DEFECT_CLASSES:
                rates.setdefault(c, rate)
        else:
            rates[cls] = rate
    return {c: r for c, r in rates.items() if r > 0}


@dataclass(frozen=True)
class DriftEvent:
    """One drift: ``kind`` applies from ``start`` (a date, 00:00 UTC) with ``param``."""

    kind: str
    start: date
    param: str

    @property
    def description(self) -> str:
        """What this drift does, in words."""
        what, param_doc, _ = DRIFT_KINDS[self.kind]
        return f"{what} ({param_doc}: {self.param})"

    def number(self) -> float:
        """The parameter as a number (for the multiplier and share kinds)."""
        return float(self.param)

    def to_dict(self) -> dict[str, str]:
        """A JSON-ready description (what ``drift.json`` lists)."""
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "param": self.param,
            "description": self.description,
        }


_DRIFT_RE = re.compile(r"(?P<kind>[a-z-]+)@(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?::(?P<p>.+))?")


def _drift_error(token: str, expected: str) -> ConfigError:
    return ConfigError("bad drift spec token", found=token, expected=expected)


def parse_drift(spec: str | None) -> tuple[DriftEvent, ...]:
    """Drift events from ``kind@YYYY-MM-DD[:param]`` items (empty when None)."""
    if not spec:
        return ()
    events: list[DriftEvent] = []
    kinds = ", ".join(DRIFT_KINDS)
    for token in (t.strip() for t in spec.split(",")):
        if not token:
            continue
        m = _DRIFT_RE.fullmatch(token)
        if m is None:
            raise _drift_error(token, f"kind@YYYY-MM-DD[:param] with kind one of {kinds}")
        kind = m["kind"]
        if kind not in DRIFT_KINDS:
            raise ConfigError("unknown drift kind", found=token, expected=f"one of {kinds}")
        try:
            start = date.fromisoformat(m["date"])
        except ValueError:
            raise _drift_error(token, "a real calendar date YYYY-MM-DD") from None
        param = (m["p"] or DRIFT_KINDS[kind][2]).strip()
        if kind in ("age-mix", "case-mix", "label-rate", "new-site"):
            try:
                value = float(param)
            except ValueError:
                raise _drift_error(token, f"a number after ':' ({DRIFT_KINDS[kind][1]})") from None
            if value <= 0 or (kind == "new-site" and value > 1):
                raise _drift_error(
                    token, "a positive number" if kind != "new-site" else "a share in (0, 1]"
                )
        elif (
            kind in ("unit-switch", "silent-unit-switch")
            and param != "all"
            and (param not in _SITE_KEYS)
        ):
            raise _drift_error(token, "a site key (" + ", ".join(_SITE_KEYS) + ") or 'all'")
        elif kind == "code-set-change" and param not in _SITE_KEYS:
            raise _drift_error(token, "a site key (" + ", ".join(_SITE_KEYS) + ")")
        if any(e.kind == kind for e in events):
            raise _drift_error(token, f"at most one {kind} drift")
        events.append(DriftEvent(kind, start, param))
    return tuple(events)


@dataclass
class SynthConfig:
    """What :func:`wardwatch.synth.generate` writes.

    Args:
        patients: number of patients (about ``RESOURCES_PER_PATIENT`` FHIR resources each over
            the default seven years).
        seed: the seed; the same seed and config give byte-identical files.
        out: output folder (created).
        format: ``ndjson`` (FHIR bulk data, one file per resource type) or ``bundle`` (one
            FHIR transaction Bundle per patient under ``bundles/``).
        defects: defect spec (see module docstring); NDJSON format only.
        drift: drift spec (see module docstring).
        start, end: the first and last day of the simulated period; ``end`` is the
            generation's "now" (nothing is dated after it, except injected future dates).
        hl7: also write HL7 v2.5 messages to ``hl7/messages.hl7``.
        claims_csv: also write ``claims.csv``.
    """

    patients: int = 1000
    seed: int = 0
    out: Path | str = Path("synth")
    format: str = "ndjson"
    defects: str | Path | Mapping[str, float] | None = None
    drift: str | None = None
    start: date | str = date(2019, 1, 1)
    end: date | str = date(2025, 12, 31)
    hl7: bool = True
    claims_csv: bool = True

    def validated(self) -> tuple[date, date, dict[str, float], tuple[DriftEvent, ...]]:
        """Check the config: (start, end, defect rates, drift events), or raise ConfigError."""
        if not isinstance(self.patients, int) or self.patients < 1:
            raise ConfigError(
                "bad patient count", found=str(self.patients), expected="a positive integer"
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise ConfigError("bad seed", found=str(self.seed), expected="an integer >= 0")
        if self.format not in _FORMATS:
            raise ConfigError(
                "unknown output format", found=str(self.format), expected=" | ".join(_FORMATS)
            )
        start = parse_date(self.start, "start")
        end = parse_date(self.end, "end")
        if (end - start).days < 60:
            raise ConfigError(
                "the period is too short",
                found=f"{start} .. {end}",
                expected="end at least 60 days after start",
            )
        if start.year < 2007:
            raise ConfigError(
                "start is too early",
                found=str(start),
                expected="2007-01-01 or later (current US time zone rules)",
            )
        rates = parse_defects(self.defects)
        if rates and self.format != "ndjson":
            raise ConfigError(
                "defects apply to the NDJSON format only",
                found=f"--format {self.format}",
                hint="use --format ndjson",
            )
        drift = parse_drift(self.drift)
        for event in drift:
            if not start < event.start <= end:
                raise ConfigError(
                    "drift date outside the period",
                    found=event.start.isoformat(),
                    expected=f"after {start} and not after {end}",
                )
        return start, end, rates, drift


@dataclass
class SynthResult:
    """What :func:`wardwatch.synth.generate` wrote.

    ``counts`` is the number of FHIR resources per type (records written, injected duplicates
    included); ``files`` every file written; ``defects`` the number of injected defects per
    class and ``defects_manifest`` where they are listed; ``resources_per_second`` the FHIR
    write throughput of this run.
    """

    out: Path
    format: str
    patients: int
    seed: int
    start: date
    end: date
    counts: dict[str, int]
    files: list[Path]
    hl7_messages: int = 0
    claims_rows: int = 0
    defects: dict[str, int] = field(default_factory=dict)
    defects_manifest: Path | None = None
    drift_manifest: Path | None = None
    elapsed_s: float = 0.0

    @property
    def resources(self) -> int:
        """Total FHIR resources written."""
        return sum(self.counts.values())

    @property
    def resources_per_second(self) -> float:
        """FHIR resources written per second of wall time."""
        return self.resources / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "out": str(self.out),
            "format": self.format,
            "patients": self.patients,
            "seed": self.seed,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "resources": self.resources,
            "counts": dict(self.counts),
            "hl7_messages": self.hl7_messages,
            "claims_rows": self.claims_rows,
            "defects": dict(self.defects),
            "defects_manifest": str(self.defects_manifest) if self.defects_manifest else None,
            "drift_manifest": str(self.drift_manifest) if self.drift_manifest else None,
            "files": [str(p) for p in self.files],
            "elapsed_s": round(self.elapsed_s, 3),
            "resources_per_second": round(self.resources_per_second, 1),
        }
