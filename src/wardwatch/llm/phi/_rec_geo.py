"""The geographic recognizer: every unit smaller than a state.

* street addresses: a house number, up to four capitalised words and a street suffix, with an
  apartment/unit/suite part ("1423 N Maple Ave, Apt 4B"); "PO Box 1234";
* a city before a state ("Shelbyville, IN", "Springfield, Illinois"), listed or not;
* a listed city alone ("moved to Tucson"); a listed city that is also a name or a word
  ("Jackson", "Mobile") only after a place word ("lives in Jackson", "from Mobile");
* counties and parishes ("Cook County");
* ZIP codes (``62704``, ``62704-1234``) after a state or a "ZIP" label.

The state itself is kept (Safe Harbor allows it), so "Springfield, IL 62704" gives two spans.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from wardwatch.llm.phi._base import LIST, SHAPE, STRONG, Hit, SpanRecognizer
from wardwatch.llm.phi._geo_lexicon import (
    AMBIGUOUS_CITIES,
    CITIES,
    STATE_ABBREVS,
    STATE_NAMES,
    STREET_SUFFIXES,
)
from wardwatch.llm.phi._lexicon import CLINICAL_CAPS, MONTHS, WEEKDAYS

__all__ = ["GeoRecognizer"]

_WORD = r"(?:[A-Z][a-z]+(?:['\-][A-Za-z]+)?|\d{1,3}(?:st|nd|rd|th))"
_SUFFIX = "|".join(sorted(STREET_SUFFIXES, key=len, reverse=True))
_UNIT = (
    r"(?:,?[ \t]+(?:Apt|Apartment|Unit|Suite|Ste|Room|Rm|Bldg|Lot|Fl|Floor|#)\.?[ \t]*#?[ \t]*"
    r"[A-Za-z0-9\-]{1,6})"
)
_STREET = re.compile(
    rf"(?<![\w\-/.])\d{{1,6}}[A-Za-z]?[ \t]+(?:[NSEW]\.?[ \t]+|(?:North|South|East|West)[ \t]+)?"
    rf"(?:{_WORD}[ \t]+){{0,3}}{_WORD}[ \t]+(?:{_SUFFIX})\b\.?"
    rf"(?:[ \t]+(?:[NSEW]|NE|NW|SE|SW)\b)?{_UNIT}?"
)
_STREET_LOOSE = re.compile(
    rf"(?<![\w\-/.])\d{{1,6}}[ \t]+(?:[a-z]+[ \t]+){{1,3}}"
    rf"(?i:street|avenue|ave|road|boulevard|blvd|lane|drive|court)\b\.?{_UNIT}?"
)
_PO_BOX = re.compile(r"(?i)\b(?:P\.?\s?O\.?\s?Box|Post\s+Office\s+Box)[ \t]+\d{1,6}\b")
_STATE_ALT = "|".join(sorted(STATE_NAMES, key=len, reverse=True))
_ABBR_ALT = "|".join(sorted(STATE_ABBREVS))
_CITY_STATE = re.compile(
    r"(?<![^\W\d_])(?P<city>(?:[A-Z][a-z]+(?:['\-.][A-Za-z]+)?[ \t]+){0,2}"
    r"[A-Z][a-z]+(?:['\-][A-Za-z]+)?)"
    rf",?[ \t]+(?P<state>(?-i:{_ABBR_ALT})\b|{_STATE_ALT})"
    rf"(?:,?[ \t]+(?P<zip>\d{{5}}(?:-\d{{4}})?))?(?![\w])"
)
_ZIP_LABEL = re.compile(
    r"(?i)\b(?:zip(?:\s*code)?|postal\s+code)\b[ \t:#]*(\d{5}(?:-\d{4})?)(?![\w\-])"
)
_COUNTY = re.compile(
    r"\b(?:(?:St\.?|Ste\.?|Saint|Fort|Ft\.?)[ \t]+)?(?:[A-Z][a-z]+[ \t]+){0,2}(?:[A-Z][a-z]+)"
    r"[ \t]+(?:County|Parish|Borough)\b"
)
_CAP_WORD = re.compile(r"(?<![\w\-])[A-Z][a-z]+(?![\w\-])")
_PLACE_CUE = re.compile(
    r"(?i:\b(?:lives|living|live|resides|residing|resident|moved|relocated|home|born|from|"
    r"in|to|near|visiting|travel(?:l?ed)?|transferred|city\s+of|town\s+of|outside|of)\b)[ \t]+$"
)
_RESIDENCE = re.compile(
    r"(?i:\b(?:lives|living|live|resides|residing|moved|relocated|born|raised|grew[ \t]+up|"
    r"transferred|visiting|travel(?:l?ed)?|trip|home|returned)\b)[^.\n;]{0,60}?"
    r"(?i:\b(?:in|to|from|near|at|outside(?:[ \t]+of)?)\b)[ \t]+"
    r"(?P<place>[A-Z][a-z]+(?:['\-][A-Za-z]+)?(?:[ \t]+[A-Z][a-z]+){0,2})"
)
_NOT_PLACE = (
    MONTHS
    | WEEKDAYS
    | frozenset(
        [
            "hospital",
            "medical",
            "center",
            "centre",
            "clinic",
            "health",
            "healthcare",
            "rehab",
            "rehabilitation",
            "nursing",
            "facility",
            "home",
            "hospice",
            "care",
            "university",
            "memorial",
            "general",
            "regional",
            "community",
            "county",
            "the",
            "a",
            "an",
            "his",
            "her",
            "their",
            "our",
            "this",
            "that",
            "emergency",
            "department",
            "icu",
            "unit",
            "floor",
            "er",
            "ed",
        ]
    )
)
_FACILITY = re.compile(
    r"[ \t]+(?i:hospital|medical|clinic|health|university|institute|center|centre|memorial|"
    r"nursing|rehab|rehabilitation|hospice|regional|general|community)\b"
)
# State abbreviations that are also credentials or common words: a city before them needs a
# ZIP after them or must be a listed city.
_AMBIGUOUS_ABBREVS = frozenset(
    [
        "MD",
        "PA",
        "OR",
        "IN",
        "ME",
        "OK",
        "HI",
        "DE",
        "OH",
        "LA",
        "MA",
        "CO",
        "ID",
        "AL",
        "MS",
        "MO",
        "NE",
    ]
)
# Words that start a capitalised run but are not part of the place ("Lives Springfield").
_LEAD = frozenset(
    [
        "The",
        "A",
        "An",
        "In",
        "At",
        "To",
        "From",
        "Of",
        "Lives",
        "Living",
        "Resides",
        "Home",
        "Address",
        "City",
        "Born",
        "Moved",
        "Near",
        "Patient",
        "Pt",
        "Visiting",
        "Transferred",
        "And",
        "Or",
        "On",
        "For",
        "With",
        "By",
        "Is",
        "Was",
    ]
)


class GeoRecognizer(SpanRecognizer):
    """Addresses, cities, counties and ZIP codes; states alone are left."""

    CLASSES = ("geographic",)

    def hits(self, text: str) -> Iterator[Hit]:
        street_ends: list[int] = []
        for pattern in (_STREET, _STREET_LOOSE, _PO_BOX):
            for m in pattern.finditer(text):
                end = m.end()
                while end > m.start() and text[end - 1] in ".,":
                    end -= 1
                street_ends.append(end)
                yield (m.start(), end, "geographic", STRONG)
        for m in _CITY_STATE.finditer(text):
            start, end = m.span("city")
            words = m.group("city").split()
            while words and (words[0] in _LEAD or words[0].lower() in CLINICAL_CAPS):
                words = words[1:]
                start = text.index(words[0], start) if words else end
            city = " ".join(words)
            state = m.group("state")
            after_street = any(0 <= start - e <= 2 for e in street_ends)
            if state in _AMBIGUOUS_ABBREVS and not (
                m.group("zip") or city in CITIES or after_street
            ):
                continue  # "Patel, MD" is a clinician; "Springfield, MD 21201" a place
            if words and city not in STATE_NAMES:
                yield (start, end, "geographic", STRONG)
            if m.group("zip"):
                yield (m.start("zip"), m.end("zip"), "geographic", STRONG)
        for m in _ZIP_LABEL.finditer(text):
            yield (m.start(1), m.end(1), "geographic", STRONG)
        for m in _COUNTY.finditer(text):
            start = m.start()
            first = m.group(0).split()[0]
            if first in _LEAD:
                start = text.index(m.group(0).split()[1], start)
            yield (start, m.end(), "geographic", SHAPE)
        for m in _RESIDENCE.finditer(text):
            words = m.group("place").split()
            if any(w.lower() in CLINICAL_CAPS for w in words):
                continue  # "to Internal Medicine", "from Cardiology": a service, not a place
            keep: list[str] = []
            for w in words:
                if w.lower() in _NOT_PLACE or w in STATE_NAMES:
                    break
                keep.append(w)
            rest = text[m.start("place") + len(" ".join(keep)) :]
            facility = _FACILITY.match(rest) is not None
            if keep and " ".join(keep) not in STATE_NAMES and not facility:
                start = m.start("place")
                yield (start, start + len(" ".join(keep)), "geographic", SHAPE)
        for start, end in _listed_cities(text):
            city = text[start:end]
            ambiguous = city.split()[0] in AMBIGUOUS_CITIES or city in AMBIGUOUS_CITIES
            if ambiguous and _PLACE_CUE.search(text[max(0, start - 25) : start]) is None:
                continue
            yield (start, end, "geographic", LIST)


def _listed_cities(text: str) -> Iterator[tuple[int, int]]:
    """Spans of listed cities: runs of up to three capitalised words, longest name first."""
    words = [(m.start(), m.end()) for m in _CAP_WORD.finditer(text)]
    i = 0
    while i < len(words):
        for n in (3, 2, 1):
            run = words[i : i + n]
            if len(run) < n or any(text[a[1] : b[0]] != " " for a, b in itertools.pairwise(run)):
                continue
            if text[run[0][0] : run[-1][1]] in CITIES:
                yield run[0][0], run[-1][1]
                i += n - 1
                break
        i += 1
