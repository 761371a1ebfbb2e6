"""Clinical code systems: formats, check digits, the ICD-10-CM list, UCUM units, lab ranges.

May be imported by any stage. Every validator has a scalar form returning :class:`CodeCheck`
(valid, reason, expected, hint) and a column form over Arrow/NumPy arrays returning
:class:`CodeCheckArrays`, for checks over millions of rows.

* ICD-10-CM against the full official list (billable vs header), loaded once.
* LOINC (mod-10 check digit), SNOMED CT (Verhoeff check digit and partition), NPI (Luhn over
  ``80840`` + the number), RxNorm, CPT and HCPCS formats: well-formed, not "exists" (no offline
  list of these ships).
* UCUM units parsed against the official atoms and prefixes; conversions by factor.
* A table of common LOINC labs and vitals with canonical units, accepted alternatives with
  conversion factors, physiologic limits and reference ranges.
"""

from wardwatch.terminology._checkdigits import (
    loinc_check_digit,
    loinc_valid,
    luhn_check_digit,
    luhn_npi_valid,
    npi_check_digit,
    snomed_valid,
    verhoeff_check_digit,
    verhoeff_valid,
)
from wardwatch.terminology._checked import (
    SNOMED_CONCEPT_PARTITIONS,
    snomed_partition,
    validate_loinc,
    validate_loinc_array,
    validate_npi,
    validate_npi_array,
    validate_snomed,
    validate_snomed_array,
)
from wardwatch.terminology._formats import (
    validate_cpt,
    validate_cpt_array,
    validate_hcpcs,
    validate_hcpcs_array,
    validate_rxnorm,
    validate_rxnorm_array,
)
from wardwatch.terminology._icd10 import (
    Icd10CmCodeList,
    Icd10CmStatus,
    icd10cm_code_list,
    icd10cm_status,
    icd10cm_status_array,
    normalize_icd10cm,
    validate_icd10cm,
    validate_icd10cm_array,
)
from wardwatch.terminology._labs import LABS, LabSpec, lab_spec, lab_unit_conversion
from wardwatch.terminology._observations import (
    ObservationCheck,
    ObservationCheckArrays,
    ObservationReason,
    check_observation,
    check_observations,
)
from wardwatch.terminology._result import CodeCheck, CodeCheckArrays, CodeReason
from wardwatch.terminology._systems import (
    CODE_SYSTEMS,
    CPT,
    HCPCS,
    ICD10CM,
    LOINC,
    NPI,
    RXNORM,
    SNOMED,
    UCUM,
    CodeSystem,
    canonical_system,
    code_system,
)
from wardwatch.terminology._ucum import (
    UCUM_VERSION,
    Conversion,
    UcumUnit,
    parse_ucum,
    ucum_conversion,
    ucum_valid,
    validate_ucum,
    validate_ucum_array,
)
from wardwatch.terminology._validate import systems_matching, validate_code, validate_codes

__all__ = [
    "CODE_SYSTEMS",
    "CPT",
    "HCPCS",
    "ICD10CM",
    "LABS",
    "LOINC",
    "NPI",
    "RXNORM",
    "SNOMED",
    "SNOMED_CONCEPT_PARTITIONS",
    "UCUM",
    "UCUM_VERSION",
    "CodeCheck",
    "CodeCheckArrays",
    "CodeReason",
    "CodeSystem",
    "Conversion",
    "Icd10CmCodeList",
    "Icd10CmStatus",
    "LabSpec",
    "ObservationCheck",
    "ObservationCheckArrays",
    "ObservationReason",
    "UcumUnit",
    "canonical_system",
    "check_observation",
    "check_observations",
    "code_system",
    "icd10cm_code_list",
    "icd10cm_status",
    "icd10cm_status_array",
    "lab_spec",
    "lab_unit_conversion",
    "loinc_check_digit",
    "loinc_valid",
    "luhn_check_digit",
    "luhn_npi_valid",
    "normalize_icd10cm",
    "npi_check_digit",
    "parse_ucum",
    "snomed_partition",
    "snomed_valid",
    "systems_matching",
    "ucum_conversion",
    "ucum_valid",
    "validate_code",
    "validate_codes",
    "validate_cpt",
    "validate_cpt_array",
    "validate_hcpcs",
    "validate_hcpcs_array",
    "validate_icd10cm",
    "validate_icd10cm_array",
    "validate_loinc",
    "validate_loinc_array",
    "validate_npi",
    "validate_npi_array",
    "validate_rxnorm",
    "validate_rxnorm_array",
    "validate_snomed",
    "validate_snomed_array",
    "validate_ucum",
    "validate_ucum_array",
    "verhoeff_check_digit",
    "verhoeff_valid",
]
