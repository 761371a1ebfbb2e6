"""Clinical code systems: formats, check digits and small code lists.

May be imported by any stage. Check digits (:mod:`wardwatch.terminology._checkdigits`):

* :func:`luhn_npi_valid`, :func:`npi_check_digit`: NPI, Luhn over ``80840`` + the 10 digits.
* :func:`loinc_valid`, :func:`loinc_check_digit`: LOINC ``NNNNN-C`` mod 10 check digit.
* :func:`snomed_valid`, :func:`verhoeff_check_digit`: SNOMED CT identifiers (Verhoeff check
  digit, partition identifier, length 6 to 18).
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

__all__ = [
    "loinc_check_digit",
    "loinc_valid",
    "luhn_check_digit",
    "luhn_npi_valid",
    "npi_check_digit",
    "snomed_valid",
    "verhoeff_check_digit",
    "verhoeff_valid",
]
