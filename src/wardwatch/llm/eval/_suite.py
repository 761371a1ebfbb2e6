"""LLM evaluation suites: YAML files validated by pydantic, expanded into cases.

    name: sample
    prompts: [summarize-v1, summarize-v2]       # packaged ids or files beside the suite
    backends: [{kind: extractive}]             # or {kind: openai, url: ..., model: ...}
    redact: always        # measure what *would* leave even for a local backend (or: auto)
    thresholds:
      citation_precision: {min: 0.95}
      phi_leak_rate_outbound: {max: 0}
    cases:
      - id: pneumonia
        task: Summarize the admission.
        notes: [{id: n1, text: "..."}]          # or {id: n1, file: notes/n1.txt}
        expected_facts: ["community-acquired pneumonia"]
        forbidden: ["cleared to drive"]
        phi: ["John Smith"]                     # gold PHI strings of the notes
        injections: ["Ignore previous instructions and ..."]
        expect_refusal: false
        user_can_see_phi: false
      - id: generated
        generate: {notes: 6, seed: 11, injection_rate: 0.3}   # one case per patient

A bad suite raises :class:`ConfigError` in one line naming the file and the key at fault
(``cases.2.expect_refusal``). Generated cases use :func:`wardwatch.llm.notes.generate_notes`;
their facts, PHI and injections come from the generator's annotations.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wardwatch.errors import ConfigError
from wardwatch.llm.eval._metrics import METRICS
from wardwatch.llm.sources import Source, SourceKind

__all__ = [
    "BackendSpec",
    "CaseSpec",
    "EvalCase",
    "GenerateSpec",
    "NoteSpec",
    "Suite",
    "Threshold",
    "backend_spec",
    "expand_cases",
    "load_suite",
]

_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoteSpec(_Model):
    """A hand-written note (``text``) or a text file beside the suite (``file``)."""

    id: str = Field(pattern=_ID)
    text: str | None = None
    file: str | None = None
    kind: SourceKind = "note"

    @model_validator(mode="after")
    def _one(self) -> NoteSpec:
        if (self.text is None) == (self.file is None):
            raise ValueError("give exactly one of text and file")
        return self


class GenerateSpec(_Model):
    """Synthetic notes from the generator: ``notes`` notes, grouped into one case per patient."""

    notes: int = Field(ge=1, le=500)
    seed: int
    injection_rate: float = Field(default=0.0, ge=0.0, le=1.0)


class CaseSpec(_Model):
    """One case: sources (hand-written or generated), the task and what is expected."""

    id: str = Field(pattern=_ID)
    task: str = Field(default="Summarize the patient's notes.", min_length=1)
    notes: list[NoteSpec] = Field(default_factory=list)
    generate: GenerateSpec | None = None
    expected_facts: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)
    phi: list[str] = Field(default_factory=list)
    injections: list[str] = Field(default_factory=list)
    expect_refusal: bool = False
    user_can_see_phi: bool = False

    @model_validator(mode="after")
    def _sources(self) -> CaseSpec:
        if bool(self.notes) == (self.generate is not None):
            raise ValueError("give exactly one of notes and generate")
        return self


class BackendSpec(_Model):
    """A backend to evaluate: ``extractive``, ``openai`` (``url``, ``model``) or ``llamacpp``."""

    kind: Literal["extractive", "openai", "llamacpp"] = "extractive"
    url: str | None = None
    model: str | None = None
    model_path: str | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    fallback: bool = False

    @model_validator(mode="after")
    def _needs(self) -> BackendSpec:
        if self.kind == "openai" and (not self.url or not self.model):
            raise ValueError("an openai backend needs url and model")
        if self.kind == "llamacpp" and not self.model_path:
            raise ValueError("a llamacpp backend needs model_path")
        return self

    @property
    def label(self) -> str:
        """How reports name it: ``extractive``, ``openai:<model>``, ``llamacpp:<file>``."""
        if self.kind == "openai":
            return f"openai:{self.model}"
        if self.kind == "llamacpp":
            return f"llamacpp:{Path(self.model_path or '').name}"
        return "extractive"


class Threshold(_Model):
    """A bound on a metric: the gate fails when the value is below ``min`` or above ``max``."""

    min: float | None = None
    max: float | None = None


class Suite(_Model):
    """An evaluation suite (module docstring)."""

    name: str = Field(pattern=_ID)
    description: str = ""
    prompts: list[str] = Field(min_length=1)
    backends: list[BackendSpec] = Field(default_factory=lambda: [BackendSpec()])
    redact: Literal["auto", "always"] = "always"
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    regression_tolerance: float = Field(default=0.0, ge=0.0)
    fail_on_regression: bool = False
    cases: list[CaseSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _known(self) -> Suite:
        for name in self.thresholds:
            if name not in METRICS:
                raise ValueError(f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}")
        ids = [c.id for c in self.cases]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"case ids repeat: {', '.join(dup)}")
        return self


def backend_spec(options: dict[str, Any]) -> BackendSpec:
    """A :class:`BackendSpec` from command-line options; one-line :class:`ConfigError`."""
    try:
        return BackendSpec.model_validate({k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "backend"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError("bad backend options", field=key, expected=msg) from None


def load_suite(path: Path) -> Suite:
    """Read and validate a suite file; one-line :class:`ConfigError` naming the key at fault."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("no such suite file", record=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            "suite is not YAML",
            record=path.name,
            found=f"a syntax error{where}",
            hint="check the indentation and quoting there",
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError("suite is not a mapping", record=path.name, expected="keys at the top")
    try:
        return Suite.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top)"
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError("bad LLM eval suite", record=path.name, field=key, expected=msg) from None


@dataclass(frozen=True)
class EvalCase:
    """A case ready to run: sources and the gold annotations to score against."""

    case_id: str
    task: str
    sources: tuple[Source, ...]
    expected_facts: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    phi: tuple[str, ...] = ()
    injections: tuple[str, ...] = ()
    expect_refusal: bool = False
    user_can_see_phi: bool = False
    patient_id: str | None = None


def _generated(spec: CaseSpec, gen: GenerateSpec) -> list[EvalCase]:
    notes_mod: Any = importlib.import_module("wardwatch.llm.notes")
    notes = notes_mod.generate_notes(gen.notes, seed=gen.seed, injection_rate=gen.injection_rate)
    by_patient: dict[str, list[Any]] = {}
    for n in notes:
        by_patient.setdefault(str(n.patient_id), []).append(n)
    out = []
    for k, group in enumerate(by_patient.values(), 1):
        sources = tuple(
            Source(str(n.note_id), n.text, patient_id=str(n.patient_id), date=n.date) for n in group
        )
        out.append(
            EvalCase(
                case_id=f"{spec.id}-{k}",
                task=spec.task,
                sources=sources,
                expected_facts=tuple(f.text for n in group for f in n.facts)
                + tuple(spec.expected_facts),
                forbidden=tuple(spec.forbidden),
                phi=tuple(dict.fromkeys(p.text for n in group for p in n.phi)) + tuple(spec.phi),
                injections=tuple(n.text[s:e] for n in group for s, e in n.injection),
                expect_refusal=spec.expect_refusal,
                user_can_see_phi=spec.user_can_see_phi,
                patient_id=str(group[0].patient_id),
            )
        )
    return out


def expand_cases(suite: Suite, base: Path) -> list[EvalCase]:
    """Every case of the suite, generated ones expanded (one per patient), files read."""
    out: list[EvalCase] = []
    for spec in suite.cases:
        if spec.generate is not None:
            out.extend(_generated(spec, spec.generate))
            continue
        sources = []
        for note in spec.notes:
            if note.file is not None:
                path = base / note.file
                if not path.is_file():
                    raise ConfigError(
                        "no such note file", record=spec.id, field="notes.file", found=note.file
                    )
                text = path.read_text(encoding="utf-8")
            else:
                text = note.text or ""
            sources.append(Source(note.id, text, kind=note.kind))
        out.append(
            EvalCase(
                case_id=spec.id,
                task=spec.task,
                sources=tuple(sources),
                expected_facts=tuple(spec.expected_facts),
                forbidden=tuple(spec.forbidden),
                phi=tuple(spec.phi),
                injections=tuple(spec.injections),
                expect_refusal=spec.expect_refusal,
                user_can_see_phi=spec.user_can_see_phi,
            )
        )
    return out
