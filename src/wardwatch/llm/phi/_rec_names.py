"""The person-name recognizer: titles, roles, relations, credentials, "LAST, First", the
"<Name> is a 67-year-old" sentence, and the given-name and surname lists, with
capitalisation rules and eponym/clinical-word exclusions.

How a name is found (each rule gives the name words only, never the title or role):

1. after a title or "seen/signed/dictated by": "Dr. Patel", "Mrs. Ana Silva", "dr nguyen";
2. before a credential: "Anita Patel, MD", "J. Okafor, RN";
3. the "LAST, First" form: "GARCIA, Maria", "Lopez, Ana M." (one of the two on the lists, or
   an all-capitals surname);
4. after a role or relation: "Patient: Maria Lopez", "daughter Maria", "PCP: John Kim",
   "wife rosa" (lower case: listed names, or any word set off by commas: "son, tariq,");
5. before an age: "Zora Quist is a 72-year-old", "Zora Quist, 72 y/o";
6. from the lists: a listed given name and the capitalised word after it ("Maria
   Kowalczyk"), a capitalised word before a listed surname ("Xiomara Garcia"), a listed given
   name or an unambiguous listed surname alone, both lower case in dictation ("john smith").

Words are "hard" non-names (function words, clinical words and abbreviations, disease and
device words, weekdays) or "soft" (names that are also words, months, states, directions,
street words: "Will", "May", "Virginia", "West", "Lane"): a soft word is a name only where
rules 1-5 or a listed given name before it say so. A candidate followed by a disease, sign or
device word is an eponym, not a person ("Wilson disease", "Foley catheter").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from wardwatch.llm.phi._base import LIST, STRONG, Hit, SpanRecognizer
from wardwatch.llm.phi._geo_lexicon import STATE_NAMES, STREET_SUFFIXES
from wardwatch.llm.phi._lexicon import (
    AMBIGUOUS,
    BY_ROLES,
    CLINICAL_CAPS,
    CREDENTIALS,
    EPONYM_HEADS,
    FIRST_NAMES,
    LAST_NAMES,
    MONTHS,
    RELATIONS,
    ROLES,
    STOPWORDS,
    TITLES,
    WEEKDAYS,
)

__all__ = ["NameRecognizer"]

_TOKEN = re.compile(r"[^\W\d_](?:(?:[^\W\d_]|['\-])*[^\W\d_])?")
_MC = re.compile(r"(?:Mc|Mac|Di|De|La|Le|Van)[A-Z][a-z]+")
_PARTICLES = frozenset({"de", "van", "von", "la", "del", "da", "di", "bin", "al", "le", "du"})
_SOFT = (
    AMBIGUOUS
    | MONTHS
    | frozenset(s.lower() for s in STATE_NAMES)
    | frozenset(s.lower() for s in STREET_SUFFIXES)
    | frozenset(
        [
            "north",
            "south",
            "east",
            "west",
            "street",
            "avenue",
            "road",
            "boulevard",
            "lane",
            "drive",
            "court",
            "way",
            "place",
        ]
    )
)
_HARD = (CLINICAL_CAPS | STOPWORDS | EPONYM_HEADS | WEEKDAYS | RELATIONS | ROLES) - _SOFT | TITLES
_MAX_WORDS = 4
_AGE_AFTER = re.compile(
    r",[ \t]*(?:aged?|age:)[ \t]+\d{1,3}(?![\d.])"
    r"|,?[ \t]+(?:(?:is|was)[ \t]+an?[ \t]+|(?:aged?|age:)[ \t]+)?\d{1,3}"
    r"(?:[ \t]*-?[ \t]*(?:years?|yrs?)[ \t]*-?[ \t]*old\b|[ \t]*(?:yo|y/o|y\.o\.)(?![A-Za-z]))"
)

Tok = tuple[int, int, str]


def _base(word: str) -> str:
    low = word.lower()
    return low[:-2] if low.endswith("'s") else low


@lru_cache(maxsize=65536)
def _shape(word: str) -> bool:
    """Capitalised ("Maria", "O'Brien", "McDonald", "Brown-Whitfield", "José") or all capitals
    ("GARCIA"), any alphabet; a trailing possessive "'s" is allowed."""
    w = word[:-2] if word[-2:] in ("'s", "'S") else word
    letters = w.replace("'", "").replace("-", "")
    if not letters.isalpha():
        return False
    if len(letters) >= 2 and letters.isupper():
        return True
    parts = re.split(r"['\-]", w)
    for n, part in enumerate(parts):
        if len(part) >= 2 and part[0].isupper() and (part[1:].islower() or _MC.fullmatch(part)):
            continue
        if n == 0 and len(part) == 1 and part.isupper() and len(parts) > 1:
            continue  # O'Brien, D'Angelo
        if n > 0 and part.islower():
            continue
        return False
    return True


@lru_cache(maxsize=65536)
def _soft(word: str) -> bool:
    """Capitalised and possibly a name (hard non-names and credentials excluded)."""
    return _shape(word) and _base(word) not in _HARD and word not in CREDENTIALS


@lru_cache(maxsize=65536)
def _strict(word: str) -> bool:
    """Capitalised and a name even without context (soft words excluded too)."""
    return _soft(word) and _base(word) not in _SOFT


def _first(word: str, *, any_: bool = False) -> bool:
    low = _base(word)
    return low in FIRST_NAMES and (any_ or low not in AMBIGUOUS)


def _last(word: str, *, any_: bool = False) -> bool:
    low = _base(word)
    return low in LAST_NAMES and (any_ or low not in AMBIGUOUS)


def _initial(word: str) -> bool:
    return len(word) == 1 and word.isupper()


class NameRecognizer(SpanRecognizer):
    """Names of patients, relatives and clinicians (see the module docstring for the rules)."""

    CLASSES = ("name",)

    def hits(self, text: str) -> Iterator[Hit]:
        toks: list[Tok] = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text)]
        taken: set[int] = set()
        for i in range(len(toks)):
            found = self._at(text, toks, i)
            if found is None:
                continue
            j, k, score = found
            if any(x in taken for x in range(j, k)) or _eponym(text, toks, k):
                continue
            taken.update(range(j, k))
            start, end = toks[j][0], toks[k - 1][1]
            if text[end - 2 : end].lower() == "'s":
                end -= 2
            yield (start, end, "name", score)

    def _at(self, text: str, toks: list[Tok], i: int) -> tuple[int, int, float] | None:
        word = toks[i][2]
        low = word.lower()
        nxt = i + 1
        if nxt >= len(toks):
            return _listed(text, toks, i)
        by_role = low == "by" and i > 0 and toks[i - 1][2].lower() in BY_ROLES
        if (low in TITLES and _gap(text, toks, i, nxt, r"\.?[ \t]+")) or (
            by_role and _gap(text, toks, i, nxt, r"[ \t]+")
        ):
            k = _extend(text, toks, nxt, lower=word.islower())
            if k > nxt:
                return nxt, _comma_first(text, toks, nxt, k), STRONG
        if low in ROLES or low in RELATIONS:
            found = _after_role(text, toks, i)
            if found is not None:
                return found
        k = _comma_first(text, toks, i, i + 1)
        if k > i + 1:
            return i, k, STRONG
        found = _before_credential(text, toks, i)
        if found is not None:
            return found
        found = _before_age(text, toks, i)
        if found is not None:
            return found
        return _listed(text, toks, i)


def _after_role(text: str, toks: list[Tok], i: int) -> tuple[int, int, float] | None:
    """Rule 4: the name after "Patient:", "daughter", "wife, " ..."""
    nxt = i + 1
    low = toks[i][2].lower()
    if not _gap(text, toks, i, nxt, r"(?:[ \t]*[:,(\-][ \t]*|[ \t]+)(?:named[ \t]+)?"):
        return None
    k = _extend(text, toks, nxt, lower=False, listed_lower=True)
    if k == nxt:
        after = toks[nxt][2]
        # an appositive in lower case: "son, tariq, ..." / "son, tariq (..."
        if after.islower() and _base(after) not in _HARD and len(after) > 2:
            tail = text[toks[nxt][1] : toks[nxt][1] + 2]
            if (_gap(text, toks, i, nxt, r",[ \t]*") and tail[:1] in (",", ")")) or tail == " (":
                return nxt, nxt + 1, STRONG
        return None
    weak = low in ("patient", "pt") and k - nxt == 1
    if weak and not (_first(toks[nxt][2]) or _last(toks[nxt][2])):
        return None
    return nxt, _comma_first(text, toks, nxt, k), STRONG


def _before_credential(text: str, toks: list[Tok], i: int) -> tuple[int, int, float] | None:
    """Rule 2: the words before ", MD" ("DO" only after a comma)."""
    word, cred = toks[i][2], toks[i + 1][2]
    if not (_soft(word) and cred in CREDENTIALS):
        return None
    if not _gap(text, toks, i, i + 1, r",[ \t]*" if cred == "DO" else r",?[ \t]+"):
        return None
    j = i
    while j > 0 and i - j < _MAX_WORDS - 1:
        prev = toks[j - 1][2]
        gap = r"\.?[ \t]+" if _initial(prev) else r"[ \t]+"
        if (_soft(prev) or _initial(prev)) and _gap(text, toks, j - 1, j, gap):
            j -= 1
        else:
            break
    return j, i + 1, STRONG


def _before_age(text: str, toks: list[Tok], i: int) -> tuple[int, int, float] | None:
    """Rule 5: "<Name> is a 72-year-old", "<Name>, 72 y/o" (capitalised words only)."""
    word = toks[i][2]
    if not _soft(word) or (_base(word) in _SOFT - AMBIGUOUS and not _first(word, any_=True)):
        return None
    k = i + 1
    while (
        k < len(toks) and k - i < 3 and _soft(toks[k][2]) and _gap(text, toks, k - 1, k, r"[ \t]+")
    ):
        k += 1
    if _AGE_AFTER.match(text, toks[k - 1][1]) is None:
        return None
    return i, k, STRONG


def _listed(text: str, toks: list[Tok], i: int) -> tuple[int, int, float] | None:
    """Rule 6: the given-name and surname lists."""
    word = toks[i][2]
    nxt = i + 1
    has_next = nxt < len(toks) and _gap(text, toks, i, nxt, r"[ \t]+")
    after = toks[nxt][2] if has_next else ""
    if has_next and _soft(word) and _first(word, any_=True) and _soft(after):
        pair_listed = _last(after, any_=True) or _strict(after)
        if pair_listed and not (_base(word) in AMBIGUOUS and _base(after) in AMBIGUOUS):
            return i, _extend(text, toks, nxt, lower=False, cap_only=True), LIST
    if _strict(word) and _first(word):
        return i, nxt, LIST
    if has_next and _strict(word) and _strict(after) and _last(after):
        return i, nxt + 1, LIST
    if _strict(word) and _last(word) and _base(word) not in FIRST_NAMES:
        return i, nxt, LIST
    dictation = word.islower() and after.islower() and _base(word) not in STOPWORDS
    if dictation and has_next and _first(word) and _last(after):
        return i, nxt + 1, LIST
    return None


def _comma_first(text: str, toks: list[Tok], i: int, k: int) -> int:
    """Rule 3: end of "LAST, First [M.]" when token ``i`` alone (``k == i + 1``) is a surname
    followed by a comma and a given name; ``k`` otherwise."""
    nxt = i + 1
    if k != nxt or nxt >= len(toks) or not _gap(text, toks, i, nxt, r",[ \t]*"):
        return k
    word, after = toks[i][2], toks[nxt][2]
    if not (_soft(word) and _soft(after)):
        return k
    upper_last = word.isupper() and len(word) > 2
    if not (_last(word, any_=True) or _first(after, any_=True) or (upper_last and _strict(after))):
        return k
    end = nxt + 1
    if end < len(toks) and _initial(toks[end][2]) and _gap(text, toks, nxt, end, r"[ \t]+"):
        end += 1  # middle initial
    return end


def _extend(
    text: str,
    toks: list[Tok],
    i: int,
    *,
    lower: bool,
    listed_lower: bool = False,
    cap_only: bool = False,
) -> int:
    """End index of the name words starting at token ``i`` (``i`` if none)."""
    k = i
    while k < len(toks) and k - i < _MAX_WORDS:
        if k > i:
            gap = r"\.?[ \t]+" if _initial(toks[k - 1][2]) else r"[ \t]+"
            if not _gap(text, toks, k - 1, k, gap):
                break
        word = toks[k][2]
        base = _base(word)
        if _soft(word):
            k += 1
        elif _initial(word) and not cap_only:
            k += 1  # an initial, kept only when a name word follows
        elif k > i and base in _PARTICLES and k + 1 < len(toks):
            k += 1
        elif (lower or listed_lower) and word.islower() and not cap_only:
            listed = base in FIRST_NAMES or base in LAST_NAMES
            # a surname after a listed given name ("robert kaye"), or the word after a title
            surname = k == i + 1 and _base(toks[i][2]) in FIRST_NAMES and len(word) > 2
            if base in _HARD or not (listed or surname or (lower and k == i and len(word) > 2)):
                break
            k += 1
        else:
            break
        if word.endswith("'s"):
            break
    while k > i and (_initial(toks[k - 1][2]) or _base(toks[k - 1][2]) in _PARTICLES):
        k -= 1
    return k


def _eponym(text: str, toks: list[Tok], k: int) -> bool:
    """Whether the word after a candidate marks it as a medical eponym ("Wilson disease")."""
    if k >= len(toks) or not _gap(text, toks, k - 1, k, r"(?:'s)?[ \t]+|-"):
        return False
    return toks[k][2].lower() in EPONYM_HEADS


_GAPS: dict[str, re.Pattern[str]] = {}


def _gap(text: str, toks: list[Tok], a: int, b: int, pattern: str) -> bool:
    """Whether the characters between tokens ``a`` and ``b`` match ``pattern`` exactly."""
    start, end = toks[a][1], toks[b][0]
    if pattern == r"[ \t]+":  # the common case, without a regex
        return end > start and all(c in " \t" for c in text[start:end])
    compiled = _GAPS.get(pattern)
    if compiled is None:
        compiled = _GAPS[pattern] = re.compile(pattern)
    return compiled.fullmatch(text, start, end) is not None
