"""Recognizers for labelled identifiers: MRN, health plan, account, licence, vehicle, device,
biometric, photo and other unique numbers, plus a catch-all for long unlabelled numbers.

An identifier here is a token of letters, digits and inner dashes that carries at least two
digits (``FP-99812``, ``1EG4-TE5-MK73``, ``00123456``). It is taken when a label of its class
stands before it: right before it, joined by ``#``, ``:``, "no.", "number", "ID" (any token
of four or more characters with two digits), or up to three words before it (then the token
needs five digits, or three digits and a letter, so that "Medicare since 2015" stays).
"Weak" labels that are also ordinary words ("order", "case", "plan", "group", "visit") need
the explicit joiner. A token followed by a unit ("1000 mL") is a quantity, never an id.

Codes after a terminology label (LOINC, RxNorm, SNOMED, ICD, CPT, NDC) are never identifiers:
they are what a summary needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wardwatch.llm.phi._base import FALLBACK, SHAPE, STRONG, Hit, SpanRecognizer

__all__ = ["FallbackIdRecognizer", "LabelledIdRecognizer", "PhotoRecognizer", "VinRecognizer"]

_ID = r"(?P<id>(?=[A-Za-z0-9\-]*\d[A-Za-z0-9\-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+){0,5})(?![\w])"
# digits written in groups ("44 18 223"): only right after a label, 6+ digits in all
_SPACED = r"(?P<sp>\d{2,4}(?:[ ]\d{2,4}){1,3})(?![\w\-])"
_JOIN = r"(?:[ \t]*(?:[#:=]|\b(?:number|num|nbr|no\.?|id|ID|identifier|is|was|reads)\b))+"
_GAP = r"(?:[^\n\w]{1,4}[A-Za-z][\w'/\-]*){0,3}?"
_UNIT = re.compile(
    r"\s*(?:mg|mcg|g|kg|ml|mL|L|l|units?|iu|IU|%|mmHg|bpm|cm|mm|mEq|mmol|meq|hours?|hrs?|"
    r"days?|weeks?|minutes?|min|tabs?|tablets?|caps?)\b"
)
_CODE_LABEL = re.compile(
    r"(?i)\b(?:loinc|rxnorm|rxcui|snomed(?:[ -]ct)?|icd(?:-?10(?:-cm)?|-?9)?|cpt|hcpcs|ndc|"
    r"lot|cui|code|nct)\b[^\n]{0,6}$"
)

# (class, strong labels, weak labels): regex alternations, case-insensitive unless (?-i:...)
_LABELS: tuple[tuple[str, str, str], ...] = (
    (
        "mrn",
        r"MRN|MR\s?#|MR\s?No|medical\s+record(?:\s+number)?|med\.?\s*rec(?:ord)?|"
        r"hospital\s+(?:no|number|#|id)|unit\s+(?:no|number)|EMPI|patient\s+(?:id|no|number|#)",
        r"chart",
    ),
    (
        "health_plan",
        r"member(?:ship)?(?:\s+id)?|subscriber(?:\s+id)?|policy|insurance(?:\s+id)?|insurer|"
        r"medicare(?:\s+beneficiary)?|medicaid|MBI|beneficiary|health\s+plan|"
        r"BCBS|Aetna|Cigna|Humana|UnitedHealthcare|Tricare|Kaiser",
        r"plan|group|payer|payor|coverage",
    ),
    (
        "account",
        r"account|acct|(?-i:HAR|FIN|CSN)|billing\s+account|guarantor(?:\s+account)?|"
        r"bank\s+account|routing|credit\s+card|card\s+number",
        r"billing|encounter|visit|invoice|statement|card",
    ),
    (
        "license",
        r"driver'?s?\s+licen[cs]e|driving\s+licen[cs]e|(?<!/)(?-i:DL|CDL)|"
        r"licen[cs]e(?!\s+plate)|DEA|passport|certificate|cert",
        r"permit|registration\s+(?:no|number|#)",
    ),
    (
        "vehicle",
        r"license\s+plate|licence\s+plate|plate|VIN|vehicle\s+identification(?:\s+number)?|"
        r"vehicle\s+(?:id|tag)|tag\s+(?:no|number|#)",
        r"registration|vehicle|car|truck|motorcycle",
    ),
    (
        "device",
        r"serial(?:\s+(?:number|no|#|num))?|(?<!/)(?-i:S/N|SN)|UDI|device\s+(?:id|identifier|serial)|"
        r"implant\s+(?:id|serial|identifier)|pump\s+serial|generator\s+serial|model\s*/\s*serial",
        r"device|implant|pacemaker|defibrillator|ICD|pump|monitor|sensor|transmitter",
    ),
    (
        "biometric",
        r"finger\s?print|thumb\s?print|retinal(?:\s+scan)?|retina(?:\s+scan)?|iris(?:\s+scan)?|"
        r"voice\s?print|palm\s?(?:vein|print|scan)|facial\s+(?:recognition|geometry|scan|template)|"
        r"face\s+template|biometric|hand\s+geometry|DNA\s+profile|gait\s+signature",
        r"scan|template",
    ),
    (
        "photo",
        r"photo(?:graph)?\s+(?:id|#|no|number)|image\s+(?:id|#|no|number)",
        r"photo|photograph|picture|image",
    ),
    (
        "other_id",
        r"ref(?:erence)?|badge|employee(?:\s+(?:id|no|number))?|staff\s+id|accession|specimen|"
        r"requisition|confirmation|tracking|ticket|incident|voucher|wristband|bracelet|"
        r"locker|barcode|enrollment|case\s+(?:id|no|number|#)|study\s+(?:id|subject)",
        r"order|case|claim|report|control|study|subject|trial|authorization|auth|referral|"
        r"prescription|(?-i:Rx)|transaction|id\s+card",
    ),
)


_Compiled = tuple[str, re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]


def _compile(cls: str, strong: str, weak: str) -> _Compiled:
    head = r"(?<![\w/])"
    tail = r"(?![A-Za-z])"
    label = re.compile(rf"{head}(?i:{strong}|{weak}){tail}")
    joined = re.compile(rf"{head}(?i:{strong}|{weak}){tail}{_JOIN}[ \t]*(?:{_SPACED}|{_ID})")
    gapped = re.compile(rf"{head}(?i:{strong}){tail}{_GAP}[^\n\w]{{1,4}}{_ID}")
    adjacent = re.compile(rf"{head}(?i:{strong}){tail}[ \t]*[#:]?[ \t]*(?:{_SPACED}|{_ID})")
    return cls, label, joined, adjacent, gapped


_COMPILED = tuple(_compile(cls, strong, weak) for cls, strong, weak in _LABELS)


def _digits(token: str) -> int:
    return sum(c.isdigit() for c in token)


def id_ok(token: str, *, loose: bool) -> bool:
    """Whether ``token`` looks like an identifier (strict when it was not right after a label)."""
    d = _digits(token)
    letters = sum(c.isalpha() for c in token)
    if loose:
        return len(token) >= 4 and d >= 2
    return len(token) >= 5 and (d >= 5 or (d >= 3 and letters >= 1))


def _is_quantity(text: str, end: int) -> bool:
    return _UNIT.match(text, end) is not None


def _after_code_label(text: str, start: int) -> bool:
    return _CODE_LABEL.search(text[max(0, start - 30) : start]) is not None


class LabelledIdRecognizer(SpanRecognizer):
    """Identifiers after a label of their class ("MRN: 00123456", "badge #4471")."""

    CLASSES = (
        "mrn",
        "health_plan",
        "account",
        "license",
        "vehicle",
        "device",
        "biometric",
        "photo",
        "other_id",
    )

    def hits(self, text: str) -> Iterator[Hit]:
        for cls, label, joined, adjacent, gapped in _COMPILED:
            # the label pattern finds where to look; the three id patterns are tried there
            for at in label.finditer(text):
                pos = at.start()
                for pattern, loose, score in (
                    (joined, True, STRONG),
                    (adjacent, True, STRONG),
                    (gapped, False, SHAPE),
                ):
                    m = pattern.match(text, pos)
                    if m is None:
                        continue
                    group = "sp" if "sp" in pattern.groupindex and m.group("sp") else "id"
                    start, end = m.span(group)
                    token = m.group(group).replace(" ", "")
                    if group == "sp" and len(token) < 6:
                        continue
                    if not id_ok(token, loose=loose) or _is_quantity(text, end):
                        continue
                    if _after_code_label(text, start) or _looks_like_date(token):
                        continue
                    yield (start, end, cls, score)
        for m in _UDI.finditer(text):
            yield (m.start(), m.end(), "device", STRONG)


_UDI = re.compile(r"\(01\)\d{14}(?:\(\d{2,4}\)[A-Za-z0-9\-]{1,20})*")
_DATEISH = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}|\d{1,2}-\d{1,2}-\d{2,4}|"
    r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$"
)


def _looks_like_date(token: str) -> bool:
    return _DATEISH.match(token) is not None


_VIN = re.compile(r"(?<![A-Za-z0-9\-])[A-HJ-NPR-Z0-9]{17}(?![A-Za-z0-9\-])")


class VinRecognizer(SpanRecognizer):
    """Vehicle identification numbers by shape: 17 characters without I, O, Q."""

    CLASSES = ("vehicle",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _VIN.finditer(text):
            value = m.group(0)
            if _digits(value) >= 3 and sum(c.isalpha() for c in value) >= 2:
                yield (m.start(), m.end(), "vehicle", SHAPE)


_IMAGE_FILE = re.compile(
    r"(?i)(?<![\w.\-/])[A-Za-z0-9][\w\-]{0,80}\.(?:jpe?g|png|gif|bmp|tiff?|heic|heif|webp|raw|dng)"
    r"(?![\w])"
)


class PhotoRecognizer(SpanRecognizer):
    """Image file names (``IMG_2231.jpg``): a photograph or comparable image on file."""

    CLASSES = ("photo",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _IMAGE_FILE.finditer(text):
            yield (m.start(), m.end(), "photo", STRONG)


# public registry numbers, not about a person: ClinicalTrials.gov, PubMed
_REGISTRY = re.compile(r"^(?:NCT\d{8}|PMID\d+|PMC\d+)$")
_LONG_ID = re.compile(
    r"(?<![\w\-./:@])(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*(?![\w\-@]|\.\d)"
)


class FallbackIdRecognizer(SpanRecognizer):
    """Unlabelled tokens that can only be identifiers: seven or more digits, or five or more
    digits mixed with capitals (``PJN123456H``). Lowest score: any labelled hit wins."""

    CLASSES = ("other_id",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _LONG_ID.finditer(text):
            token = m.group(0)
            d = _digits(token)
            upper = sum(c.isupper() for c in token)
            lower = sum(c.islower() for c in token)
            if not (d >= 7 or (d >= 5 and upper >= 1 and lower == 0)):
                continue
            if _is_quantity(text, m.end()) or _after_code_label(text, m.start()):
                continue
            if _looks_like_date(token) or _REGISTRY.match(token):
                continue
            yield (m.start(), m.end(), "other_id", FALLBACK)
