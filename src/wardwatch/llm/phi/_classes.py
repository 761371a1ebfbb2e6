"""The 18 HIPAA Safe Harbor identifier classes, the span type, and the placeholder syntax.

A class name is stable snake_case; its placeholder prefix is the upper-case name, so a name
becomes ``[NAME_1]`` and an IP address ``[IP_ADDRESS_2]``. The Presidio entity type used
inside the analyzer is the same upper-case name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "PHI_CLASSES",
    "PLACEHOLDER_RE",
    "PhiSpan",
    "class_of_entity",
    "entity_of_class",
]

PHI_CLASSES: tuple[str, ...] = (
    "name",
    "geographic",
    "date",
    "age_over_89",
    "phone",
    "fax",
    "email",
    "ssn",
    "mrn",
    "health_plan",
    "account",
    "license",
    "vehicle",
    "device",
    "url",
    "ip_address",
    "biometric",
    "photo",
    "other_id",
)
"""Safe Harbor classes (45 CFR 164.514(b)(2)(i)), in the order of the rule's list.

Nineteen names for the rule's 18 items: item 3 (all elements of dates except the year, and
all ages over 89) is split into ``"date"`` and ``"age_over_89"`` because the two are found
by different means and a reviewer wants to see each recall on its own.
"""

_CLASS_SET = frozenset(PHI_CLASSES)

PLACEHOLDER_RE = re.compile(r"\[(?:" + "|".join(c.upper() for c in PHI_CLASSES) + r")_[0-9]{1,6}\]")
"""A placeholder as written into redacted text: ``[CLASS_N]`` in plain ASCII."""


@dataclass(frozen=True)
class PhiSpan:
    """One identifier in a text: ``text[start:end] == span.text``; ``cls`` is in PHI_CLASSES."""

    start: int
    end: int
    cls: str
    text: str

    def __post_init__(self) -> None:
        if self.cls not in _CLASS_SET:
            raise ValueError(f"unknown PHI class {self.cls!r}; expected one of PHI_CLASSES")
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad span {self.start}..{self.end}; expected 0 <= start < end")
        if len(self.text) != self.end - self.start:
            raise ValueError("span text length does not match end - start")


def entity_of_class(cls: str) -> str:
    """The Presidio entity type for a PHI class (``"ip_address"`` -> ``"IP_ADDRESS"``)."""
    return cls.upper()


def class_of_entity(entity: str) -> str | None:
    """The PHI class of a Presidio entity type, or None if it is not one of ours."""
    cls = entity.lower()
    return cls if cls in _CLASS_SET else None
