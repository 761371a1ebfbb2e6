"""The ER7 ("pipe and hat") encoding of HL7 v2: delimiters, character set, segments, escapes.

A message is read in this order, and the first problem found is the one reported:

1. ``MSH`` gives the delimiters: MSH-1 is the field separator, MSH-2 the component, repetition,
   escape and subcomponent characters (and, from v2.7, the truncation character). They are
   read from the message, never assumed.
2. MSH-18 names the character set (see :data:`~wardwatch.ingest.hl7v2.CHARSETS`); the
   message is decoded with it, UTF-8 when MSH-18 is empty. Bytes that do not decode are an
   encoding problem located at the field that holds them.
3. Every segment name is three characters, an uppercase letter then letters or digits.

Values are split into repetitions, components and subcomponents on the raw text and unescaped
last, so an escaped delimiter (``\\F\\``, ``\\S\\``, ``\\T\\``, ``\\R\\``, ``\\E\\``) never splits a
value. ``\\Xhh..\\`` is hex data in the message's character set, ``\\.br\\`` and ``\\.sp\\`` are
line breaks, highlighting and other formatting commands are dropped. An escape sequence
wardwatch does not know (``\\Zxx\\`` local escapes, ``\\C..\\`` character set switches) or an
unterminated one is kept literally, so a stray backslash in free text loses nothing. The HL7
null ``""`` reads as an empty value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from wardwatch.core.timeutil import normalize_hl7_datetime
from wardwatch.ingest._reasons import Reason
from wardwatch.ingest.hl7v2._charset import charset_of, encoding_problem
from wardwatch.ingest.hl7v2._problem import Hl7Problem

__all__ = ["Delimiters", "Field", "Message", "Segment", "parse_message"]

_NAME = re.compile(r"[A-Z][A-Z0-9]{2}")
_SP = re.compile(r"\.sp\+?([0-9]{0,2})")
_FORMATTING = re.compile(r"\.(?:ce|fi|nf|in[+-]?[0-9]+|ti[+-]?[0-9]+|sk\+?[0-9]*)")
_HEX = re.compile(r"X((?:[0-9A-Fa-f]{2})+)")
# Segments listed with an index in error locations even when they occur once (OBX[1]-5).
_GROUPED = frozenset({"OBR", "OBX", "ORC", "NTE"})
_DTM_FORM = "HL7 DTM YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]"


def _is_delimiter(ch: int) -> bool:
    return 0x21 <= ch <= 0x7E and not chr(ch).isalnum()


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The message's delimiters, from MSH-1 and MSH-2."""

    field: str
    component: str
    repetition: str
    escape: str
    subcomponent: str
    truncation: str = ""

    @classmethod
    def from_msh(cls, msh: bytes) -> Delimiters:
        """Read and check MSH-1 and MSH-2 from the raw MSH segment."""
        fs = msh[3:4]
        if not fs or not _is_delimiter(fs[0]):
            raise Hl7Problem(
                Reason.MALFORMED,
                "MSH-1 field separator is missing or not a punctuation character",
                field="MSH-1",
                expected="one printable non-alphanumeric character such as |",
                found=fs.decode("latin-1"),
            )
        enc = msh[4:].split(fs, 1)[0]
        chars = set(enc)
        if (
            len(enc) not in (4, 5)
            or len(chars) != len(enc)
            or fs[0] in chars
            or not all(_is_delimiter(c) for c in enc)
        ):
            raise Hl7Problem(
                Reason.MALFORMED,
                "MSH-2 encoding characters are not 4 (or 5) distinct punctuation characters",
                field="MSH-2",
                expected="component, repetition, escape, subcomponent characters such as ^~\\&",
                found=enc[:20].decode("latin-1"),
            )
        e = enc.decode("ascii")
        return cls(fs.decode("ascii"), e[0], e[1], e[2], e[3], e[4:])


class Segment(NamedTuple):
    """One segment: ``fields[n]`` is the raw (escaped) text of field ``n``.

    ``fields[0]`` is the segment name; for ``MSH``, ``fields[1]`` is the field separator and
    ``fields[2]`` the encoding characters, so that ``fields[n]`` is MSH-n as the standard counts.
    ``label`` names the segment in error locations: ``PID``, or ``OBX[3]`` for the third OBX.
    """

    name: str
    fields: list[str]
    label: str


class Message:
    """A decoded ER7 message: its delimiters, character set and segments.

    :meth:`value` and :meth:`ts` read one leaf of a field; :meth:`field` gives a view of a
    whole field (for repetitions and error locations).
    """

    __slots__ = ("_comp", "_esc", "_rep", "_sub", "charset", "codec", "delims", "segments")

    def __init__(
        self, delims: Delimiters, charset: str, codec: str, segments: list[Segment]
    ) -> None:
        self.delims = delims
        self.charset = charset
        self.codec = codec
        self.segments = segments
        self._rep, self._comp = delims.repetition, delims.component
        self._sub, self._esc = delims.subcomponent, delims.escape

    @property
    def msh(self) -> Segment:
        return self.segments[0]

    def first(self, name: str) -> Segment | None:
        """The first segment called ``name``, or None."""
        for seg in self.segments:
            if seg.name == name:
                return seg
        return None

    def field(self, seg: Segment, n: int) -> Field:
        """Field ``n`` (1-based, as the standard counts) of ``seg``; empty when absent."""
        fields = seg.fields
        return Field(self, fields[n] if n < len(fields) else "", seg.label, n)

    def value(self, seg: Segment, n: int, c: int = 1, s: int = 1) -> str:
        """Component ``c``, subcomponent ``s`` of the first repetition of field ``n``.

        Unescaped and stripped; empty when absent or the HL7 null ``""``.
        """
        fields = seg.fields
        if n >= len(fields) or not fields[n]:
            return ""
        return self.part(fields[n], c, s, seg.label, n)

    def ts(self, seg: Segment, n: int) -> str | None:
        """The time in field ``n`` normalized, None when empty.

        Raises:
            Hl7Problem: INVALID_DATETIME when the value is not an HL7 DTM.
        """
        value = self.value(seg, n)
        if not value:
            return None
        norm = _normalize_dtm(value)
        if norm is None:
            loc = f"{seg.label}-{n}"
            raise Hl7Problem(
                Reason.INVALID_DATETIME,
                f"{loc} is not a valid HL7 date/time",
                field=loc,
                expected=_DTM_FORM,
                found=value,
            )
        return norm

    def part(self, raw: str, c: int, s: int, label: str, n: int) -> str:
        """Component ``c``, subcomponent ``s`` of the first repetition of ``raw`` (field ``n``
        of the segment labelled ``label``), unescaped and stripped."""
        rep, comp, sub = self._rep, self._comp, self._sub
        if c == 1:
            if comp in raw or rep in raw:
                raw = raw.split(rep, 1)[0].split(comp, 1)[0]
        else:
            parts = (raw.split(rep, 1)[0] if rep in raw else raw).split(comp)
            raw = parts[c - 1] if c <= len(parts) else ""
        if s == 1:
            if sub in raw:
                raw = raw.split(sub, 1)[0]
        else:
            subs = raw.split(sub)
            raw = subs[s - 1] if s <= len(subs) else ""
        if raw == '""':
            return ""
        if self._esc in raw:
            raw = self.unescape(raw, f"{label}-{n}")
        return raw.strip()

    def parts(self, raw: str, size: int, label: str, n: int) -> list[str]:
        """Components 1..``size`` of the first repetition of ``raw`` (their first subcomponent),
        unescaped and stripped, padded with "": one split for a whole composite value."""
        if self._rep in raw:
            raw = raw.split(self._rep, 1)[0]
        out = raw.split(self._comp, size)[:size]
        out += [""] * (size - len(out))
        sub, esc = self._sub, self._esc
        for i, v in enumerate(out):
            if v:
                if sub in v:
                    v = v.split(sub, 1)[0]
                if v == '""':
                    v = ""
                elif esc in v:
                    v = self.unescape(v, f"{label}-{n}")
                out[i] = v.strip()
        return out

    def unescape(self, raw: str, loc: str) -> str:
        """Replace the escape sequences in a leaf value (see the module docstring)."""
        esc = self._esc
        if esc not in raw:
            return raw
        out: list[str] = []
        i = 0
        while True:
            j = raw.find(esc, i)
            k = raw.find(esc, j + 1) if j >= 0 else -1
            if k < 0:
                out.append(raw[i:])
                return "".join(out)
            out.append(raw[i:j])
            value = self._escape(raw[j + 1 : k], loc)
            out.append(raw[j : k + 1] if value is None else value)
            i = k + 1

    def _escape(self, seq: str, loc: str) -> str | None:
        d = self.delims
        simple = {"F": d.field, "S": d.component, "T": d.subcomponent, "R": d.repetition,
                  "E": d.escape, "H": "", "N": ""}  # fmt: skip
        if seq in simple:
            return simple[seq]
        if seq == "P" and d.truncation:
            return d.truncation
        if seq == ".br":
            return "\n"
        if m := _SP.fullmatch(seq):
            return "\n" * max(1, int(m.group(1) or 1))
        if _FORMATTING.fullmatch(seq):
            return ""
        if m := _HEX.fullmatch(seq):
            data = bytes.fromhex(m.group(1))
            try:
                return data.decode(self.codec)
            except UnicodeDecodeError:
                raise Hl7Problem(
                    Reason.ENCODING,
                    f"hex escape \\X{m.group(1)}\\ is not valid {self.charset or 'UTF-8'} text",
                    field=loc,
                    expected=f"text in the character set of MSH-18 ({self.charset or 'UTF-8'})",
                    found=f"\\X{m.group(1)}\\",
                ) from None
        return None


class Field:
    """A view of one field of a segment (or one repetition of it), with its location."""

    __slots__ = ("label", "msg", "n", "raw")

    def __init__(self, msg: Message, raw: str, label: str, n: int) -> None:
        self.msg = msg
        self.raw = raw
        self.label = label
        self.n = n

    @property
    def loc(self) -> str:
        """Where the field is, as error messages name it: ``PID-7``, ``OBX[3]-5``."""
        return f"{self.label}-{self.n}"

    def __bool__(self) -> bool:
        """True when the field has a value (not empty, not the HL7 null ``""``)."""
        return self.raw != "" and self.raw != '""'

    def reps(self) -> list[Field]:
        """The repetitions of the field (one when it does not repeat)."""
        sep = self.msg.delims.repetition
        if sep not in self.raw:
            return [self]
        return [Field(self.msg, r, self.label, self.n) for r in self.raw.split(sep)]

    def comp(self, c: int = 1, s: int = 1) -> str:
        """Component ``c``, subcomponent ``s`` of the first repetition, unescaped and stripped."""
        if not self.raw:
            return ""
        return self.msg.part(self.raw, c, s, self.label, self.n)

    def comps(self, size: int) -> list[str]:
        """Components 1..``size`` of the first repetition (see :meth:`Message.parts`)."""
        return self.msg.parts(self.raw, size, self.label, self.n)

    def text(self, line_sep: str = "\n") -> str:
        """The whole field unescaped, repetitions joined by ``line_sep`` (for ST/TX/FT values)."""
        if not self:
            return ""
        return line_sep.join(self.msg.unescape(r.raw, self.loc) for r in self.reps())


# Times repeat across the messages of a feed (MSH-7, EVN-2, OBR-7 of one event); caching the
# normalization saves a regex match and a date check per repeat.
_normalize_dtm = lru_cache(maxsize=4096)(normalize_hl7_datetime)


def parse_message(segments: Sequence[bytes]) -> Message:
    """Decode and split one message (the segments of a :class:`RawMessage`).

    Raises:
        Hl7Problem: MALFORMED (no MSH first, bad delimiters, bad segment name) or ENCODING.
    """
    msh = segments[0]
    if not msh.startswith(b"MSH"):
        raise Hl7Problem(
            Reason.MALFORMED,
            "record does not start with an MSH segment",
            expected="MSH|^~\\&|...",
            found=msh[:20].decode("latin-1"),
        )
    delims = Delimiters.from_msh(msh)
    fs = delims.field.encode()
    charset, codec = charset_of(msh, fs, delims.repetition.encode(), delims.component.encode())
    try:
        texts = b"\r".join(segments).decode(codec).split("\r")
    except UnicodeDecodeError as exc:
        raise encoding_problem(segments, exc, fs, charset) from None
    fsep = delims.field
    counts = Counter(t[:3] for t in texts)
    seen: dict[str, int] = {}
    parsed: list[Segment] = []
    for i, text in enumerate(texts, start=1):
        name = text[:3]
        if (len(text) > 3 and text[3] != fsep) or not _NAME.fullmatch(name):
            raise Hl7Problem(
                Reason.MALFORMED,
                f"segment {i} does not start with a segment name",
                field=f"segment {i}",
                expected=f"3 characters (uppercase letter, then letters or digits), then {fsep}",
                found=text[:20],
            )
        fields = text.split(fsep)
        if i == 1:
            fields.insert(1, fsep)
        if counts[name] > 1 or name in _GROUPED:
            k = seen[name] = seen.get(name, 0) + 1
            parsed.append(Segment(name, fields, f"{name}[{k}]"))
        else:
            parsed.append(Segment(name, fields, name))
    return Message(delims, charset, codec, parsed)
