"""A use case as YAML: cohort, label, prediction time, features, subgroups, split and models.

``usecases/readmission.yaml`` is the worked example. Every section is a strict pydantic
model: an unknown key, a wrong type or a value out of range is reported in one line naming
the file, the key path and what is allowed (:func:`load_usecase`).

Times: the *prediction time* of an index event is when the model is asked (at discharge, the
encounter's ``end_time``). Features may only use rows whose ``recorded_time`` (when the fact
reached the source system) is at or before it; the label looks forward from it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wardwatch.errors import ConfigError

__all__ = [
    "AgeBands",
    "CalibrationSpec",
    "CohortSpec",
    "FeatureSpec",
    "LabelSpec",
    "ModelSpec",
    "SplitSpec",
    "UseCase",
    "default_usecase_path",
    "load_usecase",
    "parse_usecase",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Exclusion = Literal["under_age", "died_in_hospital", "transfer_out", "planned_index"]
_DEFAULT_EXCLUDE: tuple[Exclusion, ...] = ("under_age", "died_in_hospital", "transfer_out")


class CohortSpec(_Strict):
    """Which inpatient stays are index events (one row per index event)."""

    encounter_classes: list[str] = Field(default_factory=lambda: ["IMP"], min_length=1)
    """``encounters.class_code`` values of an index stay (v3 ActCode; ``IMP`` = inpatient)."""
    min_age: int = Field(default=18, ge=0, le=120)
    """Age in whole years at discharge below which a stay is excluded (``under_age``)."""
    exclude: list[Exclusion] = Field(default_factory=lambda: list(_DEFAULT_EXCLUDE))
    """Exclusions applied, in this order (the report counts each)."""
    death_dispositions: list[str] = Field(default_factory=lambda: ["exp"])
    """Discharge dispositions meaning the patient died in hospital."""
    transfer_dispositions: list[str] = Field(default_factory=lambda: ["other-hcf"])
    """Discharge dispositions meaning a transfer to another acute-care hospital."""
    planned_types: list[str] = Field(default_factory=lambda: ["8715000"])
    """``encounters.type_code`` of planned (elective) admissions (SNOMED 8715000)."""
    start: str | None = None
    """Earliest discharge date (ISO) of an index event; default: no bound."""
    end: str | None = None
    """Latest discharge date (ISO) of an index event; default: no bound."""


class LabelSpec(_Strict):
    """The outcome: an unplanned admission within ``window_days`` after the index discharge."""

    name: str = "readmit_30d"
    window_days: int = Field(default=30, ge=1, le=365)
    """Observation window after the prediction time; index events whose window is not
    complete at the data cut-off are excluded (``incomplete_follow_up``)."""
    encounter_classes: list[str] = Field(default_factory=lambda: ["IMP"], min_length=1)
    """Classes of an encounter that counts as a readmission."""
    exclude_planned: bool = True
    """Planned readmissions (``cohort.planned_types``) do not count as the outcome."""


class PredictionSpec(_Strict):
    """When the model is asked."""

    at: Literal["discharge", "admission"] = "discharge"
    """``discharge``: the index stay's ``end_time``; ``admission``: its ``start_time``."""
    offset_hours: float = Field(default=0.0, ge=-72.0, le=72.0)
    """Shift of the prediction time (e.g. -4: four hours before discharge)."""


FeatureKind = Literal[
    "demographic", "stay", "comorbidity", "utilization", "lab", "abnormal_labs", "medications"
]
LabStat = Literal["last", "mean", "min", "max", "count", "delta"]


class FeatureSpec(_Strict):
    """One feature (see :mod:`wardwatch.features._definitions` for each kind)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,62}$")
    kind: FeatureKind
    field: str | None = None
    """``demographic``: age | sex | race | ethnicity; ``stay``: los_days | disposition |
    admit_source | diagnosis_group; ``comorbidity``: charlson | elixhauser."""
    code: str | None = None
    """``lab``: the LOINC code."""
    codes: list[str] = Field(default_factory=list)
    """``lab``: further LOINC codes meaning the same test; ``abnormal_labs``: codes counted."""
    stat: LabStat = "last"
    classes: list[str] = Field(default_factory=list)
    """``utilization``: encounter classes counted (e.g. [IMP] or [EMER])."""
    window_days: float | None = Field(default=None, gt=0)
    """Look-back window before the prediction time (default: all history)."""
    time_basis: Literal["recorded", "clinical"] = "recorded"
    """``recorded`` (default) filters source rows on when they were recorded; ``clinical``
    on when they happened, which leaks facts recorded after the prediction time and is
    there so the leakage audit can show it."""
    lookahead_days: float = Field(default=0.0, ge=0)
    """Extends the window past the prediction time. Anything but 0 is leakage by design:
    it exists for tests and drills of the audit."""

    @model_validator(mode="after")
    def _fields_of_kind(self) -> FeatureSpec:
        need: dict[str, tuple[str, ...]] = {
            "demographic": ("age", "sex", "race", "ethnicity"),
            "stay": ("los_days", "disposition", "admit_source", "diagnosis_group"),
            "comorbidity": ("charlson", "elixhauser"),
        }
        if self.kind in need and self.field not in need[self.kind]:
            allowed = " | ".join(need[self.kind])
            raise ValueError(f"kind {self.kind} needs field: {allowed}; found {self.field!r}")
        if self.kind == "lab" and not self.code:
            raise ValueError("kind lab needs code: a LOINC code such as 2951-2")
        if self.kind == "utilization" and not self.classes:
            raise ValueError("kind utilization needs classes: e.g. [IMP] or [EMER]")
        return self

    @property
    def categorical(self) -> bool:
        """True for features whose values are categories (strings), not numbers."""
        return (self.kind == "demographic" and self.field != "age") or (
            self.kind == "stay" and self.field != "los_days"
        )


class AgeBands(_Strict):
    """Age bands of the ``age_band`` subgroup: lower bounds in years."""

    bounds: list[int] = Field(default_factory=lambda: [18, 45, 65, 80], min_length=1)


Subgroup = Literal["age_band", "sex", "race", "ethnicity", "site", "payer"]
_SUBGROUPS: tuple[Subgroup, ...] = ("age_band", "sex", "race", "ethnicity", "site", "payer")


class SplitSpec(_Strict):
    """Temporal, patient-grouped split: fractions of index events in time order.

    Index events are ordered by prediction time and cut into train, calibration,
    validation and test by the fractions (earlier events train, later ones test). With
    ``group_by_patient`` a patient belongs to the split of their last index event; their
    earlier index events that fall in an earlier split are dropped (and counted), so no
    patient is in two splits, no split sees another's future, and the test split keeps
    every patient it sees (frequent readmitters included).
    """

    method: Literal["temporal"] = "temporal"
    train: float = Field(default=0.6, gt=0, lt=1)
    calibration: float = Field(default=0.1, ge=0, lt=1)
    validation: float = Field(default=0.1, ge=0, lt=1)
    test: float = Field(default=0.2, gt=0, lt=1)
    group_by_patient: bool = True

    @model_validator(mode="after")
    def _sum_to_one(self) -> SplitSpec:
        total = self.train + self.calibration + self.validation + self.test
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"split fractions must add up to 1; found {total:g}")
        return self


ModelFamily = Literal["logistic_regression", "lightgbm"]


class ModelSpec(_Strict):
    """One candidate model: a family and its estimator parameters."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,62}$")
    family: ModelFamily
    params: dict[str, Any] = Field(default_factory=dict)


class CalibrationSpec(_Strict):
    """Probability calibration fitted on the calibration split."""

    method: Literal["isotonic", "sigmoid", "none"] = "isotonic"


class UseCase(_Strict):
    """A prediction use case (see the module docstring and ``usecases/readmission.yaml``)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_\-]{0,62}$")
    description: str = ""
    cohort: CohortSpec = Field(default_factory=CohortSpec)
    label: LabelSpec = Field(default_factory=LabelSpec)
    prediction: PredictionSpec = Field(default_factory=PredictionSpec)
    features: Annotated[list[FeatureSpec], Field(min_length=1)]
    subgroups: list[Subgroup] = Field(default_factory=lambda: list(_SUBGROUPS))
    age_bands: AgeBands = Field(default_factory=AgeBands)
    split: SplitSpec = Field(default_factory=SplitSpec)
    models: Annotated[list[ModelSpec], Field(min_length=1)]
    calibration: CalibrationSpec = Field(default_factory=CalibrationSpec)
    evaluation: dict[str, Any] = Field(default_factory=dict)
    """Settings of the clinical evaluation (``wardwatch.evaluate.EvaluationConfig``)."""

    @model_validator(mode="after")
    def _unique_names(self) -> UseCase:
        for what, names in (
            ("feature", [f.name for f in self.features]),
            ("model", [m.name for m in self.models]),
        ):
            seen: set[str] = set()
            for n in names:
                if n in seen:
                    raise ValueError(f"{what} name {n!r} is used twice")
                seen.add(n)
        return self

    def feature(self, name: str) -> FeatureSpec:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)


def parse_usecase(data: Any, source: str = "<use case>") -> UseCase:
    """Validate a parsed YAML document as a use case; errors name ``source`` and the key."""
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: a use case is a mapping",
            expected="keys name, cohort, label, features, models...",
            found=type(data).__name__,
        )
    try:
        return UseCase.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        found = err.get("input")
        found_text = None if isinstance(found, dict) else repr(found)
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(
            f"{source}: invalid use case at {where}: {msg}{more}",
            found=found_text if err["type"] != "missing" else None,
        ) from None


def load_usecase(path: Path | str) -> UseCase:
    """Read and validate a use-case YAML file (one-line errors naming the file and key)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read use case {p}: {exc.strerror or exc}",
            hint="give the path of a YAML file such as usecases/readmission.yaml",
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{p}: not valid YAML{at}", hint="fix the YAML syntax") from None
    return parse_usecase(data, str(p))


def default_usecase_path() -> Path:
    """The packaged example use case (30-day readmission)."""
    return Path(str(resources.files("wardwatch.features") / "readmission.yaml"))
