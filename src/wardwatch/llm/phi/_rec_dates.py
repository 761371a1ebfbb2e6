"""Recognizers for dates (every element but the year) and ages over 89.

What counts as a date (Safe Harbor: "all elements of dates, except year"):

* numeric dates ``03/04/2021``, ``3/4/21``, ``03-04-2021``, ``03.04.2021``, ISO ``2021-03-04``
  and ISO date-times ``2021-03-04T14:22:05Z``;
* month names with a day and/or year: ``March 3, 2021``, ``March 3rd``, ``3 March 2021``,
  ``03-Mar-2021``, ``the 3rd of March``, ``March 2021`` (a month with its year is a date
  element), ``03/2021``;
* month/day ``3/14`` only after a date word ("on", "since", "until", "dated", "DOS" ...), so
  that "1/2 tab", "BP 132/84", "4/5 strength" and "2/6 murmur" stay;
* a capitalised month name alone after "in", "since", "last" ... ("A1c 9.1% in March"): a
  month is a date element too;
* a time joined to a date (``03/04/2021 14:22``, ``March 3 at 2:30 pm``) is part of the span.

Not dates: a bare year ("in 2019"), a time of day alone ("at 14:30"), a weekday alone
("Monday"), durations and hospital days. "May"/"March"/"Mar" need a capital (dictation
"may 3 tabs" is not a date); other month names are found in any case.

Known gaps: holidays ("Christmas 2019"), relative dates ("two days before admission"), a
month/day with no date word before it ("Echo 9/14:") and a time written without a colon
after a date ("10/02/2023 @ 0345": the date is found, the time is not).

Ages over 89: the number in "92-year-old", "92 y/o", "92yo", "age 91", "aged 95", "Age: 90",
"92 M/F", and "90s"/"nineties" in "in her 90s". Ages up to 89 are not PHI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wardwatch.llm.phi._base import SHAPE, STRONG, Hit, SpanRecognizer

__all__ = ["AgeRecognizer", "DateElementRecognizer"]

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_MON = rf"(?P<mon>{_MONTH})\.?"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d|'\d\d)"
_TIME_R = (
    r"(?:,?[ \t]*(?:at|@)?[ \t]*(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
    r"(?:[ \t]?(?:[AaPp]\.?[Mm]\.?))?(?:[ \t]?(?:[A-Z]{2,4}T))?"
    r"|[ \t]*(?:at|@)[ \t]*(?:1[0-2]|0?[1-9])(?::[0-5]\d)?[ \t]?[AaPp]\.?[Mm]\.?)"
)
_TIME = rf"(?:{_TIME_R})?"
_ISO_TIME_R = r"(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+\-]\d{2}:?\d{2})?)"
_B = r"(?<![\w/.\-])"
_E = r"(?![\w/]|[.\-]\d)"

_NUMERIC = re.compile(
    rf"{_B}(?:"
    rf"(?P<iso>(?:1[89]|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?:{_ISO_TIME_R}|{_TIME_R})?"
    rf"|(?P<us>(?P<a>\d{{1,2}})(?P<sep>[/\-.])(?P<b>\d{{1,2}})(?P=sep)(?P<y>(?:1[89]|20)\d\d|\d\d))"
    rf"{_TIME}"
    rf"|(?P<my>(?:0?[1-9]|1[0-2])/(?:1[89]|20)\d\d)"
    rf"){_E}",
    re.IGNORECASE,
)
_NAMED = tuple(
    re.compile(rf"(?<![\w])(?:{body})(?![\w])", re.IGNORECASE)
    for body in (
        rf"{_MON}[ \t]+(?:the[ \t]+)?{_DAY}(?:,?[ \t]+{_YEAR})?{_TIME}",
        rf"{_DAY}[ \t]+(?:of[ \t]+)?{_MON}(?:,?[ \t]+{_YEAR})?{_TIME}",
        rf"\d{{1,2}}-{_MON}-(?:\d{{4}}|\d\d){_TIME}",
        rf"{_MON}[ \t]+(?:of[ \t]+)?{_YEAR}",
    )
)
_THE_DAY = re.compile(
    rf"(?<![\w])the[ \t]+(?P<d>{_DAY})[ \t]+of[ \t]+{_MON}(?:,?[ \t]+{_YEAR})?(?![\w])",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    r"(?i:\b(?:on|since|from|until|till|through|thru|dated|dos|starting|beginning|effective|"
    r"as\s+of|before|after|by|admitted|discharged|seen|scheduled|due)\b)[ \t:]+"
    r"(?P<md>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))"
    r"(?![\w/]|\.\d|[ \t]*(?:tabs?|tablets?|caps?|pills?|of\b|inch|strength|cm|mg|ml))"
)
_MONTH_ALONE = re.compile(
    r"(?<![\w])(?i:in|since|during|until|till|by|from|through|early|late|mid|last|next|this|"
    r"of|before|after)[ \t\-]+"
    r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|"
    r"December)(?![\w])"
)
_CAPITAL_ONLY = frozenset({"may", "mar", "march"})


def _named_ok(text: str, start: int, mon: str) -> bool:
    return not (mon.lower() in _CAPITAL_ONLY and not mon[0].isupper())


class DateElementRecognizer(SpanRecognizer):
    """Every date element except a bare year, with a joined time of day."""

    CLASSES = ("date",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _NUMERIC.finditer(text):
            if m.group("us"):
                a, b = int(m.group("a")), int(m.group("b"))
                # month/day or day/month: one of them must be a month, both valid days
                if not (1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12):
                    continue
                if m.group("sep") == "." and len(m.group("y")) == 2:
                    continue  # "1.2.21" is more often a version or a list number
            yield (m.start(), _rstrip(text, m.start(), m.end()), "date", SHAPE)
        for pattern in _NAMED:
            for m in pattern.finditer(text):
                if _named_ok(text, m.start(), m.group("mon")):
                    yield (m.start(), _rstrip(text, m.start(), m.end()), "date", SHAPE)
        for m in _THE_DAY.finditer(text):
            if _named_ok(text, m.start(), m.group("mon")):
                yield (m.start(), _rstrip(text, m.start(), m.end()), "date", SHAPE)
        for m in _MONTH_DAY.finditer(text):
            yield (m.start("md"), m.end("md"), "date", STRONG)
        for m in _MONTH_ALONE.finditer(text):
            yield (m.start("mon"), m.end("mon"), "date", SHAPE)


def _rstrip(text: str, start: int, end: int) -> int:
    """End without trailing spaces/commas, and without a full stop after "pm" (not "p.m.")."""
    while end > start and text[end - 1] in " \t,":
        end -= 1
    if text[end - 3 : end].lower() in ("am.", "pm."):
        end -= 1
    return end


_AGE_WORD = r"(?P<n>9\d|1[0-1]\d)"
_AGE_AFTER = re.compile(
    rf"(?<![\w.\-/]){_AGE_WORD}(?:"
    r"[ \t]*-?[ \t]*(?:years?|yrs?|y)[ \t]*-?[ \t]*(?:old|o\b|/o\b|\.o\.)"
    r"|[ \t]*(?:yo|y/o|y\.o\.|yr\.?[ \t]?old)\b"
    r"|[ \t]*-?[ \t]*years?\b(?![ \t]+(?:ago|of|later|since|history|prior|before|after))"
    r"|[ \t]?(?:M|F|m|f)\b(?=[ \t]+(?:with|w/|presents?|presenting|admitted|pt|patient|who|s/p))"
    r")",
)
_AGE_BEFORE = re.compile(
    r"(?i:\b(?:age|aged|ages|turned|turning)\b)[ \t:]*(?:is[ \t]+|of[ \t]+)?"
    rf"{_AGE_WORD}(?![\w%/]|\.\d|[ \t]*(?:%|kg|lbs?|mg|percent|mmhg|bpm|units))",
)
_AGE_DECADE = re.compile(
    r"(?i:\b(?:in|into)[ \t]+(?:his|her|their|the|early|late|mid)(?:[ \t]+(?:early|late|mid))?"
    r"[ \t]*-?[ \t]*)(?P<n>(?:9|10|11)0'?s|nineties)\b"
)
_AGE_SLASH = re.compile(rf"(?<![\w.\-/]){_AGE_WORD}[ \t]?(?:M|F|yo[MF])(?![\w])")


class AgeRecognizer(SpanRecognizer):
    """Ages over 89: the number, in the forms a clinical note writes an age."""

    CLASSES = ("age_over_89",)

    def hits(self, text: str) -> Iterator[Hit]:
        for pattern in (_AGE_AFTER, _AGE_BEFORE, _AGE_DECADE):
            for m in pattern.finditer(text):
                yield (m.start("n"), m.end("n"), "age_over_89", STRONG)
        for m in _AGE_SLASH.finditer(text):
            # "92F" / "92 M" as an age only at a line head or after "a"/"pt" ("a 92F")
            before = text[max(0, m.start() - 12) : m.start()]
            if re.search(r"(?i)(?:^|\n|\b(?:a|an|pt|patient|is)[ \t]+)$", before):
                yield (m.start("n"), m.end("n"), "age_over_89", STRONG)
