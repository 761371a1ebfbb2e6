"""Recognizers for contact and network identifiers: phone, fax, e-mail, URL, IP address, SSN.

None of them touches the network (Presidio's own e-mail recognizer calls ``tldextract``, which
downloads the public suffix list; these use fixed patterns instead).

* Phone and fax share one pattern (10-digit North American numbers in the usual punctuations,
  an optional +1 and extension; 7-digit local numbers only after a phone word). A number is a
  fax when "fax"/"facsimile" stands shortly before it on the same line or "(fax)" right after.
* URLs: a scheme or ``www.``, or a host ending in a common top-level domain, with its path.
* IP addresses: dotted IPv4 with each part 0-255, and IPv6 (full, or compressed with ``::``).
* SSN: ``123-45-6789`` anywhere; nine digits with spaces or none only after "SSN"/"social
  security".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from wardwatch.llm.phi._base import SHAPE, STRONG, Hit, SpanRecognizer, trim_span

__all__ = [
    "EmailAddressRecognizer",
    "IpAddressRecognizer",
    "PhoneFaxRecognizer",
    "SsnRecognizer",
    "WebAddressRecognizer",
]

_PHONE = re.compile(
    r"(?<![\w+/.\-])"
    r"(?:\+?1[\s.\-]?)?"
    r"(?:\(\d{3}\)[\s.\-]?|\d{3}[\s.\-])"
    r"\d{3}[\s.\-]\d{4}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?"
    r"(?![\w\-/]|\.\d)"
)
_LOCAL = re.compile(
    r"(?i:\b(?:phone|tel|telephone|cell|mobile|pager|call|fax|ext|extension|reached at)\b)"
    r"[^\n\d]{0,12}(?<![\w\-])(\d{3}-\d{4})(?![\w\-])"
)
_FAX_BEFORE = re.compile(r"(?i)\b(?:fax|faxed|facsimile|telefax)\b|\bF:")
_FAX_AFTER = re.compile(r"(?i)^\s*\(?\s*fax\b")
_PHONE_WORD = re.compile(r"(?i)\b(?:phone|tel|telephone|cell|mobile|pager|call|ph|home|work)\b")

_EMAIL = re.compile(
    r"(?<![\w.+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)

_TLD = r"(?:com|org|net|edu|gov|mil|io|us|info|biz|health|care|app|co|me|ly|ca|uk)"
_URL = re.compile(
    r"(?i)(?<![\w@.\-])(?:"
    r"(?:https?|ftp|sftp)://[^\s<>\"'`]+"
    r"|www\d{0,3}\.[^\s<>\"'`]+"
    r"|(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
    + _TLD
    + r"(?![a-z0-9\-@])(?:[/?#][^\s<>\"'`]*)?"
    r")"
)

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.])(?:{_OCTET}\.){{3}}{_OCTET}(?:/\d{{1,2}})?(?![\w]|\.\d)")
_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = re.compile(
    rf"(?<![\w:])(?:"
    rf"(?:{_H}:){{7}}{_H}"
    rf"|(?:{_H}:){{1,6}}:(?:{_H}:){{0,5}}{_H}"
    rf"|(?:{_H}:){{1,7}}:"
    rf"|::(?:{_H}:){{0,6}}{_H}"
    rf")(?![\w:])"
)

_SSN_DASHED = re.compile(r"(?<![\w\-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w\-])")
_SSN_LABELLED = re.compile(
    r"(?i:\b(?:ssn|ss\s?#|soc(?:ial)?\.?\s+sec(?:urity)?(?:\s+(?:number|no\.?|#))?))"
    r"[^\n\w]{0,6}(?:(?i:is|was|number|no)\W{1,3})?"
    r"(\d{3}[\s\-]?\d{2}[\s\-]?\d{4}|(?:x{3}|\*{3})-?(?:x{2}|\*{2})-?\d{4})(?![\w\-])"
)


class PhoneFaxRecognizer(SpanRecognizer):
    """Telephone and fax numbers; which one is told by a fax word before or after."""

    CLASSES = ("phone", "fax")

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _PHONE.finditer(text):
            yield (m.start(), m.end(), self._kind(text, m.start(), m.end()), SHAPE)
        for m in _LOCAL.finditer(text):
            yield (m.start(1), m.end(1), self._kind(text, m.start(1), m.end(1)), SHAPE)

    @staticmethod
    def _kind(text: str, start: int, end: int) -> str:
        line_start = text.rfind("\n", 0, start) + 1
        before = text[max(line_start, start - 40) : start]
        faxes = list(_FAX_BEFORE.finditer(before))
        if faxes:
            # the nearest label wins: "phone 555-..., fax 555-..." gives phone then fax
            phones = list(_PHONE_WORD.finditer(before))
            if not phones or phones[-1].start() < faxes[-1].start():
                return "fax"
        return "fax" if _FAX_AFTER.match(text[end : end + 12]) else "phone"


class EmailAddressRecognizer(SpanRecognizer):
    """E-mail addresses (any domain with a 2+ letter top level; no look-up)."""

    CLASSES = ("email",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _EMAIL.finditer(text):
            start, end = trim_span(text, m.start(), m.end())
            yield (start, end, "email", STRONG)


class WebAddressRecognizer(SpanRecognizer):
    """Web addresses: with a scheme, with ``www.``, or a bare host under a common domain."""

    CLASSES = ("url",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _URL.finditer(text):
            start, end = trim_span(text, m.start(), m.end())
            if end > start:
                yield (start, end, "url", SHAPE)


class IpAddressRecognizer(SpanRecognizer):
    """IPv4 (each octet 0-255, optional /prefix) and IPv6 addresses."""

    CLASSES = ("ip_address",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _IPV4.finditer(text):
            yield (m.start(), m.end(), "ip_address", SHAPE)
        for m in _IPV6.finditer(text):
            value = m.group(0)
            # "12:30:45" is a time, not an address: IPv6 needs "::" or eight groups
            shaped = "::" in value or value.count(":") == 7
            if shaped and (any(c.isdigit() for c in value) or len(value) > 6):
                yield (m.start(), m.end(), "ip_address", SHAPE)


class SsnRecognizer(SpanRecognizer):
    """US Social Security numbers: dashed anywhere, other spellings after an SSN label."""

    CLASSES = ("ssn",)

    def hits(self, text: str) -> Iterator[Hit]:
        for m in _SSN_DASHED.finditer(text):
            yield (m.start(), m.end(), "ssn", SHAPE)
        for m in _SSN_LABELLED.finditer(text):
            yield (m.start(1), m.end(1), "ssn", STRONG)
