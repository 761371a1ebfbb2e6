"""Text primitives shared by chunking, retrieval, support checks and guards.

- :func:`sentence_spans` splits text into sentences with character spans into the text (a
  line break ends a sentence too: notes put headings and list items on lines of their own).
- :func:`tokens` gives the lower-case word and number tokens of a text; :func:`content_terms`
  keeps the words that carry meaning (stop words dropped, light suffix stemming) together
  with their *polarity*: a word inside the scope of a negation cue ("no", "denies",
  "without", ...) is marked negated, up to the next clause break (punctuation or "but").
  "No fever, has cough" gives ``fever`` negated and ``cough`` affirmed.
- :func:`numbers` gives the numbers of a text, normalized (``2.10`` -> ``2.1``).

These are deliberately simple, deterministic rules: they are the lexical half of the
support check, written so that a reviewer can predict every decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = [
    "NEGATION_CUES",
    "STOPWORDS",
    "Term",
    "content_terms",
    "normalize_number",
    "numbers",
    "sentence_spans",
    "stem",
    "tokens",
]

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "his",
        "her",
        "him",
        "they",
        "them",
        "their",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "why",
        "how",
        "there",
        "here",
        "then",
        "than",
        "so",
        "such",
        "also",
        "into",
        "onto",
        "over",
        "under",
        "per",
        "via",
        "about",
        "after",
        "before",
        "during",
        "while",
        "upon",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "once",
        "all",
        "any",
        "both",
        "each",
        "few",
        "more",
        "most",
        "other",
        "some",
        "own",
        "same",
        "very",
        "can",
        "will",
        "would",
        "should",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "s",
        "t",
        "just",
        "now",
        "patient",
        "pt",
        "mr",
        "mrs",
        "ms",
        "dr",
        "noted",
        "seen",
        "today",
    ]
)
"""Words that carry no checkable content (negation cues are not here: they set polarity)."""

NEGATION_CUES = frozenset(
    [
        "no",
        "not",
        "denies",
        "denied",
        "deny",
        "without",
        "negative",
        "never",
        "none",
        "nor",
        "absent",
        "neither",
        "cannot",
    ]
)
"""Words that negate the words after them, up to the next clause break."""

_CLAUSE_BREAK = frozenset(["but", "however", "although", "though", "yet", "except"])
_ABBREV = re.compile(r"(?:\b(?:dr|mr|mrs|ms|st|vs|approx|e\.g|i\.e|jr|sr))\.$", re.I)
_SENT_END = re.compile(r"[.!?]+[\"')\]]*\s+|\n+")
_TOKEN = re.compile(
    r"\[[A-Z]+(?:_[A-Z]+)*_\d+\]|\d+(?:[.,/:]\d+)*|[A-Za-z]+(?:'[A-Za-z]+)?|[.,;:!?]"
)
_NUMBER = re.compile(r"\d+(?:[.,/:]\d+)*")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` as ``(start, end)`` spans into ``text``, trimmed.

    A sentence ends at ``.``, ``!`` or ``?`` followed by white space (not after a known
    abbreviation such as ``Dr.``), or at a line break. Empty pieces are skipped.
    """
    stop = len(text) if end is None else end
    out: list[tuple[int, int]] = []
    pos = start
    for m in _SENT_END.finditer(text, start, stop):
        if "\n" not in m.group() and _ABBREV.search(text, pos, m.start() + 1):
            continue
        out.extend(_trimmed(text, pos, m.end()))
        pos = m.end()
    out.extend(_trimmed(text, pos, stop))
    return out


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield (start, end)


def tokens(text: str) -> list[str]:
    """Lower-case words, numbers, PHI placeholders (kept as is) and clause punctuation."""
    out = []
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok.startswith("["):
            out.append(tok)
            continue
        tok = tok.lower()
        out.append(tok[:-2] if tok.endswith("'s") else tok)
    return out


_SUFFIXES = (
    ("ies", "y"),
    ("sses", "ss"),
    ("xes", "x"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("ing", ""),
    ("ed", ""),
    ("s", ""),
)


def stem(word: str) -> str:
    """A light suffix stemmer for matching, not for display.

    ``infections`` -> ``infection``; ``taking``, ``takes``, ``take`` -> ``tak``; ``stopped``
    -> ``stop``; ``notes`` -> ``not`` (harmless: "not" itself is a negation cue, never a
    content word). Words shorter than five letters only lose a final ``e``.
    """
    if len(word) < 5 or not word.isalpha():
        return word[:-1] if len(word) == 4 and word.endswith("e") else word
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: len(word) - len(suffix)] + repl
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] not in "lsz":
                word = word[:-1]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


Term = tuple[str, bool]
"""A content word (stemmed) and whether it is negated."""


def content_terms(text: str) -> list[Term]:
    """The content words of ``text``, stemmed, each with its negation polarity."""
    out: list[Term] = []
    negated = False
    for tok in tokens(text):
        if tok in ".,;:!?" or tok in _CLAUSE_BREAK:
            negated = False
            continue
        if tok in NEGATION_CUES or tok.endswith("n't"):
            negated = True
            continue
        if tok[0].isdigit() or tok in STOPWORDS or len(tok) < 2:
            continue
        out.append((tok if tok.startswith("[") else stem(tok), negated))
    return out


def normalize_number(value: str) -> str:
    """``2.10`` -> ``2.1``, ``1,000`` -> ``1000``; ratios and times kept as written."""
    value = value.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+", value) else value
    if re.fullmatch(r"\d+\.\d+", value):
        value = value.rstrip("0").rstrip(".")
    return value


def numbers(text: str) -> set[str]:
    """The normalized numbers written in ``text`` (``120/80``, ``2.1``, ``14``)."""
    return {normalize_number(m.group()) for m in _NUMBER.finditer(text)}
