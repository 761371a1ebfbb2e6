"""Expected units and physiologic ranges of common LOINC-coded labs and vital signs.

For each code: the canonical UCUM unit the lake should hold, the other units sources send with
the factor that converts them to the canonical one, the physiologic range (a value outside it
cannot be a real measurement of a living patient: a wrong unit, a typo, a placeholder) and the
usual adult reference (normal) range, which is for context only and never makes a value invalid.

Mass/substance conversions need a molar mass, which UCUM cannot know; they are listed here with
the molar mass they come from (glucose 180.156 g/mol: 1 mmol/L = 18.016 mg/dL). Units that UCUM
can convert to a listed one (``g/L`` for ``mg/dL``, ``/uL`` for ``10*3/uL``, ``[degF]`` for
``Cel``) are accepted too, through :func:`LabSpec.conversion`. Two guards keep that safe:

* no bridging between dimensionless units unless they are synonyms (``%`` and ``mmol/mol``
  are both dimensionless, but HbA1c in mmol/mol (IFCC) is not a tenth of HbA1c in %);
* no bridging between equivalents and moles (UCUM defines ``eq`` as ``mol``, right only for
  monovalent ions: calcium has 2.004 mg/dL per meq/L but 4.008 per mmol/L).

The unit-switch detector uses :meth:`LabSpec.switch_factors`: the factors by which a series
would jump if a source switched to another unit but kept the old unit's label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Literal

from wardwatch.terminology._ucum import Conversion, parse_ucum, ucum_conversion

__all__ = ["LABS", "LabSpec", "lab_spec", "lab_unit_conversion"]

Range = tuple[float | None, float | None]


@dataclass(frozen=True, slots=True)
class LabSpec:
    """What a LOINC-coded measurement should look like.

    Attributes:
        loinc: the LOINC code.
        display: the LOINC long common name.
        unit: the canonical UCUM unit.
        alternatives: other units sources use -> the conversion to ``unit`` (``value * scale +
            offset``).
        plausible: physiologic limits in ``unit`` (inclusive); outside is implausible.
        reference: the usual adult reference interval in ``unit`` (``None`` for an open end).
        reference_female: the female interval where it differs (else None).
        category: ``laboratory`` or ``vital-signs`` (the FHIR Observation category).
        note: where the conversion factors come from.
    """

    loinc: str
    display: str
    unit: str
    alternatives: Mapping[str, Conversion]
    plausible: tuple[float, float]
    reference: Range
    reference_female: Range | None = None
    category: Literal["laboratory", "vital-signs"] = "laboratory"
    note: str = ""

    @property
    def units(self) -> tuple[str, ...]:
        """The canonical unit then the listed alternatives."""
        return (self.unit, *self.alternatives)

    def conversion(self, unit: object) -> Conversion | None:
        """The conversion from ``unit`` to :attr:`unit`, or None if it is not a unit for this."""
        return lab_unit_conversion(self.loinc, unit)

    def switch_factors(self) -> dict[str, float]:
        """Listed alternative units with a pure-scale conversion other than 1: unit -> scale.

        A glucose series whose values shrink by 18.016 while the unit still says mg/dL is a
        switch to mmol/L.
        """
        return {
            u: c.scale
            for u, c in self.alternatives.items()
            if c.offset == 0.0 and abs(c.scale - 1.0) > 1e-9
        }


def _c(scale: float, offset: float = 0.0) -> Conversion:
    return Conversion(scale, offset)


_MEQ = {"meq/L": _c(1.0)}
_GLUCOSE = {"mmol/L": _c(18.016), "g/L": _c(100.0)}
_GLUCOSE_NOTE = "glucose 180.156 g/mol: 1 mmol/L = 18.016 mg/dL"
_CHOL = {"mmol/L": _c(38.67)}
_CHOL_NOTE = "cholesterol 386.65 g/mol: 1 mmol/L = 38.67 mg/dL"
_EGFR = {"mL/s/{1.73_m2}": _c(60.0)}
_COUNT = {"10*9/L": _c(1.0), "/uL": _c(0.001)}
_ENZYME = {"[IU]/L": _c(1.0), "ukat/L": _c(60.0)}
_SPO2 = {"1": _c(100.0)}
_VS: Literal["vital-signs"] = "vital-signs"

_TABLE = (
    LabSpec("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", _GLUCOSE,
            (10, 2000), (70, 99), note=_GLUCOSE_NOTE),
    LabSpec("2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", _GLUCOSE, (10, 2000), (70, 99),
            note=_GLUCOSE_NOTE),
    LabSpec("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%",
            {"mmol/mol": _c(0.09148, 2.152)}, (3, 20), (4.0, 5.6),
            note="IFCC mmol/mol to NGSP %: % = 0.09148 * mmol/mol + 2.152 (master equation)"),
    LabSpec("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL",
            {"umol/L": _c(1 / 88.42)}, (0.1, 25), (0.74, 1.35), (0.59, 1.04),
            note="creatinine 113.12 g/mol: 88.42 umol/L = 1 mg/dL"),
    LabSpec("33914-3", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in "
            "Serum or Plasma by Creatinine-based formula (MDRD)", "mL/min/{1.73_m2}", _EGFR,
            (1, 250), (60, None)),
    LabSpec("62238-1", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in "
            "Serum or Plasma by Creatinine-based formula (CKD-EPI)", "mL/min/{1.73_m2}", _EGFR,
            (1, 250), (60, None)),
    LabSpec("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL",
            {"mmol/L": _c(2.801)}, (1, 250), (7, 20),
            note="urea 1 mmol/L carries 28.014 mg of nitrogen: 1 mmol/L = 2.801 mg/dL BUN"),
    LabSpec("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", _MEQ, (95, 190),
            (136, 145)),
    LabSpec("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", _MEQ, (1.0, 10.0),
            (3.5, 5.1)),
    LabSpec("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", _MEQ, (60, 160),
            (98, 107)),
    LabSpec("1963-8", "Bicarbonate [Moles/volume] in Serum or Plasma", "mmol/L", _MEQ, (2, 60),
            (22, 29)),
    LabSpec("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL",
            {"mmol/L": _c(4.008), "meq/L": _c(2.004)}, (2, 20), (8.6, 10.3),
            note="calcium 40.078 g/mol, divalent: 1 mmol/L = 4.008 mg/dL, 1 meq/L = 2.004"),
    LabSpec("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL",
            {"g/L": _c(0.1), "mmol/L": _c(1.6114)}, (2, 25), (13.5, 17.5), (12.0, 15.5),
            note="hemoglobin monomer 16,114.5 g/mol: 1 mmol/L = 1.6114 g/dL"),
    LabSpec("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%",
            {"1": _c(100.0), "L/L": _c(100.0)}, (5, 80), (38.3, 48.6), (35.5, 44.9)),
    LabSpec("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", _COUNT,
            (0.1, 300), (4.5, 11.0)),
    LabSpec("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", _COUNT,
            (2, 2000), (150, 400)),
    LabSpec("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma",
            "U/L", _ENZYME, (1, 10000), (7, 56)),
    LabSpec("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or "
            "Plasma", "U/L", _ENZYME, (1, 20000), (10, 40)),
    LabSpec("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL",
            {"umol/L": _c(1 / 17.104)}, (0, 60), (0.1, 1.2),
            note="bilirubin 584.66 g/mol: 17.104 umol/L = 1 mg/dL"),
    LabSpec("1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", {"g/L": _c(0.1)},
            (0.5, 7.0), (3.5, 5.0)),
    LabSpec("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", _CHOL,
            (40, 1000), (None, 200), note=_CHOL_NOTE),
    LabSpec("18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
            "mg/dL", _CHOL, (1, 800), (None, 100), note=_CHOL_NOTE),
    LabSpec("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation",
            "mg/dL", _CHOL, (1, 800), (None, 100), note=_CHOL_NOTE),
    LabSpec("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", _CHOL,
            (5, 250), (40, None), (50, None), note=_CHOL_NOTE),
    LabSpec("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL",
            {"mmol/L": _c(88.57)}, (10, 10000), (None, 150),
            note="triglyceride (as triolein) 885.7 g/mol: 1 mmol/L = 88.57 mg/dL"),
    LabSpec("30934-4", "Natriuretic peptide B [Mass/volume] in Serum or Plasma", "pg/mL",
            {"ng/L": _c(1.0), "pmol/L": _c(3.464)}, (1, 50000), (None, 100),
            note="BNP-32 3,464 g/mol: 1 pmol/L = 3.464 pg/mL"),
    LabSpec("10839-9", "Troponin I.cardiac [Mass/volume] in Serum or Plasma", "ng/mL",
            {"ng/L": _c(0.001), "pg/mL": _c(0.001)}, (0, 500), (None, 0.04)),
    LabSpec("2524-7", "Lactate [Moles/volume] in Serum or Plasma", "mmol/L",
            {"mg/dL": _c(1 / 9.008)}, (0.2, 30), (0.5, 2.2),
            note="lactate 90.08 g/mol: 9.008 mg/dL = 1 mmol/L"),
    LabSpec("8867-4", "Heart rate", "/min", {"{beats}/min": _c(1.0)}, (20, 300), (60, 100),
            category=_VS),
    LabSpec("8480-6", "Systolic blood pressure", "mm[Hg]", {"kPa": _c(7.50062)}, (40, 300),
            (90, 120), category=_VS),
    LabSpec("8462-4", "Diastolic blood pressure", "mm[Hg]", {"kPa": _c(7.50062)}, (20, 200),
            (60, 80), category=_VS),
    LabSpec("8310-5", "Body temperature", "Cel", {"[degF]": _c(5 / 9, -160 / 9)}, (25, 45),
            (36.1, 37.2), category=_VS),
    LabSpec("9279-1", "Respiratory rate", "/min", {"{breaths}/min": _c(1.0)}, (2, 80), (12, 20),
            category=_VS),
    LabSpec("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", _SPO2,
            (40, 100), (95, 100), category=_VS),
    LabSpec("2708-6", "Oxygen saturation in Arterial blood", "%", _SPO2, (40, 100), (95, 100),
            category=_VS),
    LabSpec("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", {}, (8, 120), (18.5, 25.0),
            category=_VS),
    LabSpec("29463-7", "Body weight", "kg", {"[lb_av]": _c(0.45359237), "g": _c(0.001)},
            (0.2, 650), (None, None), category=_VS),
    LabSpec("8302-2", "Body height", "cm", {"[in_i]": _c(2.54), "m": _c(100.0)}, (20, 275),
            (None, None), category=_VS),
)  # fmt: skip

#: The table, by LOINC code.
LABS: Mapping[str, LabSpec] = MappingProxyType({spec.loinc: spec for spec in _TABLE})


def lab_spec(loinc: object) -> LabSpec | None:
    """The :class:`LabSpec` of a LOINC code, or None when the code is not in :data:`LABS`."""
    return LABS.get(loinc) if isinstance(loinc, str) else None


@lru_cache(maxsize=8192)
def _resolve(loinc: str, unit: str) -> Conversion | None:
    spec = LABS.get(loinc)
    if spec is None:
        return None
    if unit == spec.unit:
        return Conversion(1.0)
    if unit in spec.alternatives:
        return spec.alternatives[unit]
    parsed = parse_ucum(unit)
    if parsed is None:
        return None
    listed = {spec.unit: Conversion(1.0), **spec.alternatives}
    for known, to_canonical in listed.items():
        target = parse_ucum(known)
        if target is None or ("eq" in parsed.atoms) != ("eq" in target.atoms):
            continue
        step = ucum_conversion(unit, known)
        if step is None:
            continue
        synonym = abs(step.scale - 1.0) < 1e-9 and step.offset == 0.0
        if not parsed.dims and not synonym:
            continue
        return step.then(to_canonical)
    return None


def lab_unit_conversion(loinc: object, unit: object) -> Conversion | None:
    """The conversion from ``unit`` to the canonical unit of ``loinc``, or None.

    None when the code is not in :data:`LABS`, the unit is not valid UCUM, or it is valid but
    not a unit this measurement can be in (mmol/L for hemoglobin A1c, ``%`` for glucose).
    """
    if not isinstance(loinc, str) or not isinstance(unit, str):
        return None
    return _resolve(loinc, unit)
