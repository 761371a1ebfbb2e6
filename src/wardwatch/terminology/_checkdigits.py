"""Check digits of clinical identifiers: NPI (Luhn), LOINC (mod 10), SNOMED CT (Verhoeff).

These catch the commonest keying and transcription errors (one wrong digit, most adjacent
swaps) without a code list, which matters because no package ships LOINC, SNOMED CT or the NPI
registry offline:

* **NPI** (National Provider Identifier, 10 digits): the last digit is the Luhn check digit of
  the first nine, computed as if the number were prefixed by ``80840`` (the ISO health-industry
  card issuer prefix). ``1234567893`` is the example CMS publishes.
* **LOINC** codes (``NNNNN-C``): the digit after the hyphen is the mod 10 check digit of the
  part before it, the same doubling algorithm as Luhn (``2345-7``: glucose).
* **SNOMED CT** identifiers (SCTID, 6 to 18 digits): the last digit is a Verhoeff check digit
  over the others, and the two digits before it are the partition identifier (``00`` concept,
  ``01`` description, ``02`` relationship, ``10``/``11``/``12`` the same in an extension
  namespace, ``03``/``13`` and ``05``/``15`` for newer item kinds).
"""

from __future__ import annotations

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

_NPI_PREFIX = "80840"

# Verhoeff's tables: multiplication in the dihedral group D5, the position permutation and
# the inverse.
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_INV = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)

#: SNOMED CT partition identifiers (the two digits before the check digit).
_SNOMED_PARTITIONS = frozenset({"00", "01", "02", "03", "05", "10", "11", "12", "13", "15"})


def _digits_only(text: str) -> bool:
    return text.isascii() and text.isdigit()


def luhn_check_digit(body: str) -> str:
    """The Luhn (mod 10, "double every second digit from the right") check digit of ``body``.

    Raises ValueError when ``body`` is empty or not all ASCII digits.
    """
    if not body or not _digits_only(body):
        raise ValueError(f"expected a non-empty string of digits, found {body!r}")
    total = 0
    # The check digit will sit at position 0 from the right, so the rightmost digit of the
    # body is at an odd position and gets doubled.
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def npi_check_digit(first9: str) -> str:
    """The tenth digit of an NPI whose first nine digits are ``first9`` (Luhn over ``80840``+)."""
    if len(first9) != 9 or not _digits_only(first9):
        raise ValueError(f"expected 9 digits, found {first9!r}")
    return luhn_check_digit(_NPI_PREFIX + first9)


def luhn_npi_valid(npi: str) -> bool:
    """True when ``npi`` is 10 ASCII digits whose last is the Luhn check digit (prefix 80840).

    ``luhn_npi_valid("1234567893")`` is True; any single changed digit makes it False.
    """
    if len(npi) != 10 or not _digits_only(npi) or npi[0] not in "12":
        return False
    return npi_check_digit(npi[:9]) == npi[9]


def loinc_check_digit(body: str) -> str:
    """The LOINC mod 10 check digit of the part of a code before the hyphen ("2345" -> "7")."""
    if not body or len(body) > 7 or not _digits_only(body):
        raise ValueError(f"expected 1 to 7 digits, found {body!r}")
    return luhn_check_digit(body)


def loinc_valid(code: str) -> bool:
    """True when ``code`` has the LOINC form ``N{1,7}-C`` and ``C`` is its mod 10 check digit.

    This checks the form only, not that the code exists in the LOINC table.
    """
    body, sep, check = code.partition("-")
    if not sep or len(check) != 1 or not _digits_only(check):
        return False
    if not body or len(body) > 7 or not _digits_only(body):
        return False
    return loinc_check_digit(body) == check


def verhoeff_check_digit(body: str) -> str:
    """The Verhoeff check digit of ``body`` (a string of ASCII digits)."""
    if not body or not _digits_only(body):
        raise ValueError(f"expected a non-empty string of digits, found {body!r}")
    c = 0
    for i, ch in enumerate(reversed(body)):
        c = _D[c][_P[(i + 1) % 8][ord(ch) - 48]]
    return str(_INV[c])


def verhoeff_valid(number: str) -> bool:
    """True when the last digit of ``number`` is the Verhoeff check digit of the others."""
    if len(number) < 2 or not _digits_only(number):
        return False
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _D[c][_P[i % 8][ord(ch) - 48]]
    return c == 0


def snomed_valid(sctid: str) -> bool:
    """True when ``sctid`` is a well-formed SNOMED CT identifier.

    Well formed: 6 to 18 ASCII digits, no leading zero, a known partition identifier in the
    two digits before the last, and a last digit that is the Verhoeff check digit. It does
    not say that the concept exists or is active.
    """
    if not 6 <= len(sctid) <= 18 or not _digits_only(sctid) or sctid[0] == "0":
        return False
    if sctid[-3:-1] not in _SNOMED_PARTITIONS:
        return False
    return verhoeff_valid(sctid)
