"""ER7 decoding: delimiters from MSH, escape sequences, character sets."""

from __future__ import annotations

import pytest
from tests.ingest.hl7v2.hl7_samples import adt, msh, obx, only, oru, parse, pid, pv1

from wardwatch.ingest import Reason


def _family(pid_5: str, **msh_fields: str) -> str | None:
    text = "\r".join([msh("ADT^A01", **msh_fields), pid(f5=pid_5), pv1()])
    sink = parse(text)
    assert sink.quarantined == 0, sink.rejected
    value = only(sink, "patients")["family_name"]
    assert value is None or isinstance(value, str)
    return value


@pytest.mark.parametrize(
    ("escaped", "decoded"),
    [("O\\F\\Brien", "O|Brien"), ("A\\S\\B", "A^B"), ("A\\T\\B", "A&B"), ("A\\R\\B", "A~B"),
     ("C:\\E\\temp", "C:\\temp"), ("\\X4142\\C", "ABC"), ("\\XC3A9\\mile", "émile"),
     ("one\\.br\\two", "one\ntwo"), ("\\H\\bold\\N\\", "bold"), ("a\\.sp2\\b", "a\n\nb"),
     ("left\\.ce\\", "left"), ("stray\\back", "stray\\back"), ("\\Zlocal\\x", "\\Zlocal\\x"),
     ('""', None)],
)  # fmt: skip
def test_escape_sequences(escaped: str, decoded: str | None) -> None:
    assert _family(escaped) == decoded


def test_escaped_delimiters_do_not_split_values() -> None:
    sink = parse(oru(obx("1", f2="TX", f5="a\\F\\b\\S\\c\\R\\d")))
    assert only(sink, "observations")["value_text"] == "a|b^c~d"


def test_custom_delimiters_give_the_same_rows() -> None:
    standard = adt()
    table = str.maketrans({"|": "#", "^": "@", "~": "!", "\\": "$", "&": "%"})
    custom = standard.translate(table)
    assert custom.startswith("MSH#@!$%#")
    a, b = parse(standard), parse(custom)
    assert b.quarantined == 0, b.rejected
    assert a.rows == b.rows


def test_custom_escape_character_in_values() -> None:
    text = adt(pid_seg=pid(f5="O\\F\\Brien^Jo")).translate(str.maketrans({"|": "#", "\\": "$"}))
    sink = parse(text)
    assert only(sink, "patients")["family_name"] == "O#Brien"


def test_utf8_is_the_default() -> None:
    assert _family("Müller") == "Müller"


def test_msh_18_latin1() -> None:
    text = "\r".join([msh("ADT^A01", f18="8859/1"), pid(f5="Müller"), pv1()])
    sink = parse(text.encode("latin-1"))
    assert only(sink, "patients")["family_name"] == "Müller"


def test_msh_18_unicode_utf8() -> None:
    assert _family("Łukasz", f18="UNICODE UTF-8") == "Łukasz"


def test_bytes_not_in_declared_ascii_are_an_encoding_problem_at_their_field() -> None:
    text = "\r".join([msh("ADT^A01", f18="ASCII"), pid(f5="Müller"), pv1()])
    sink = parse(text.encode("latin-1"))
    _, rejection, raw = sink.rejected[0]
    assert rejection.reason == Reason.ENCODING
    assert (rejection.field, rejection.found) == ("PID-5", "0xFC")
    assert "ASCII" in (rejection.expected or "")
    assert isinstance(raw, bytes)


def test_invalid_utf8_is_an_encoding_problem() -> None:
    text = adt().encode().replace(b"Pittsburgh", b"Pitts\xffburgh")
    _, rejection, _ = parse(text).rejected[0]
    assert (rejection.reason, rejection.field, rejection.found) == (
        Reason.ENCODING,
        "PID-11",
        "0xFF",
    )


def test_invalid_utf8_in_msh_names_the_msh_field() -> None:
    text = adt().encode().replace(b"WARDWATCH|HUH", b"WARDWATCH|H\xc3", 1)
    _, rejection, _ = parse(text).rejected[0]
    assert (rejection.reason, rejection.field) == (Reason.ENCODING, "MSH-4")


def test_unsupported_character_set() -> None:
    _, rejection, _ = parse("\r".join([msh("ADT^A01", f18="EBCDIC"), pid(), pv1()])).rejected[0]
    assert (rejection.reason, rejection.field, rejection.found) == (
        Reason.ENCODING,
        "MSH-18",
        "EBCDIC",
    )


def test_hex_escape_that_is_not_text_in_the_charset() -> None:
    sink = parse(adt(pid_seg=pid(f5="\\XFF\\")))
    _, rejection, _ = sink.rejected[0]
    assert (rejection.reason, rejection.field) == (Reason.ENCODING, "PID-5")
