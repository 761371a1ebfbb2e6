"""Each reason a message is quarantined for, with the field, what was expected and found."""

from __future__ import annotations

import pytest
from tests.ingest.hl7v2.hl7_samples import adt, msh, obr, obx, oru, parse, pid, pv1

from wardwatch.ingest import Reason

ORU = "ORU^R01^ORU_R01"
CASES = [
    # (id, message, reason, field, text expected to appear in `expected`, found)
    ("no-type", "\r".join([msh(""), pid(), pv1()]), Reason.MISSING_REQUIRED, "MSH-9",
     "ADT^A01", ""),
    ("no-trigger", "\r".join([msh("ADT"), pid(), pv1()]), Reason.MISSING_REQUIRED, "MSH-9",
     "trigger", "ADT"),
    ("no-control-id", "\r".join([msh("ADT^A01", ""), pid(), pv1()]), Reason.MISSING_REQUIRED,
     "MSH-10", "control id", None),
    ("no-version", "\r".join([msh("ADT^A01", f12=""), pid(), pv1()]), Reason.MISSING_REQUIRED,
     "MSH-12", "version", None),
    ("v3-version", "\r".join([msh("ADT^A01", f12="3.0"), pid(), pv1()]), Reason.INVALID_VALUE,
     "MSH-12", "2.x", "3.0"),
    ("bad-msh-7", "\r".join([msh("ADT^A01", f7="2024-01-05"), pid(), pv1()]),
     Reason.INVALID_DATETIME, "MSH-7", "HL7 DTM", "2024-01-05"),
    ("unsupported-type", "\r".join([msh("SIU^S12"), pid()]), Reason.INVALID_VALUE, "MSH-9",
     "ORU^R01", "SIU^S12"),
    ("adt-without-pid", "\r".join([msh("ADT^A01"), pv1()]), Reason.MISSING_SEGMENT, "PID",
     "PID and PV1", None),
    ("adt-without-pv1", "\r".join([msh("ADT^A01"), pid()]), Reason.MISSING_SEGMENT, "PV1",
     "PID and PV1", None),
    ("adt-two-pids", adt(extra=(pid(),)), Reason.CARDINALITY, "PID[2]", "one PID",
     "2 PID segments"),
    ("oru-without-obr", "\r".join([msh(ORU), pid(), obx()]), Reason.MISSING_SEGMENT, "OBR",
     "OBR", None),
    ("oru-without-obx", "\r".join([msh(ORU), pid(), obr()]), Reason.MISSING_SEGMENT, "OBX",
     "OBX", None),
    ("oru-without-pid", "\r".join([msh(ORU), obr(), obx()]), Reason.MISSING_SEGMENT, "PID",
     "PID", None),
    ("obx-before-obr", "\r".join([msh(ORU), pid(), obx(), obr(), obx("2")]),
     Reason.MISSING_SEGMENT, "OBR", "before OBX[1]", None),
    ("no-patient-id", adt(pid_seg=pid(f3="")), Reason.MISSING_REQUIRED, "PID-3", "identifier",
     ""),
    ("bad-birth-date", adt(pid_seg=pid(f7="19851345")), Reason.INVALID_DATETIME, "PID-7",
     "HL7 DTM", "19851345"),
    ("bad-sex", adt(pid_seg=pid(f8="Z")), Reason.INVALID_VALUE, "PID-8", "M, F", "Z"),
    ("bad-class", adt(pv1_seg=pv1(f2="Z")), Reason.INVALID_VALUE, "PV1-2", "I, E", "Z"),
    ("bad-discharge-time", adt("A03", pv1_seg=pv1(f45="2024x")), Reason.INVALID_DATETIME,
     "PV1-45", "HL7 DTM", "2024x"),
    ("update-without-admit-time", adt("A08", pv1_seg=pv1(f44="")), Reason.MISSING_REQUIRED,
     "PV1-44", "admit date/time", ""),
    ("non-numeric-nm", oru(obx("1"), obx("2", f5="abc")), Reason.INVALID_VALUE, "OBX[2]-5",
     "a number", "abc"),
    ("repeated-nm", oru(obx("1", f5="1~2")), Reason.INVALID_VALUE, "OBX[1]-5", "single number",
     "1~2"),
    ("bad-value-type", oru(obx("1", f2="XX")), Reason.INVALID_VALUE, "OBX[1]-2", "NM", "XX"),
    ("bad-status", oru(obx("1", f11="Q")), Reason.INVALID_VALUE, "OBX[1]-11", "F, U", "Q"),
    ("no-obx-code", oru(obx("1", f3="^Glucose^LN")), Reason.MISSING_REQUIRED, "OBX[1]-3",
     "code^display", "^Glucose^LN"),
    ("repeated-set-id", oru(obx("1"), obx("1")), Reason.INVALID_VALUE, "OBX[2]-1", "unique",
     "1"),
    ("bad-obx-time", oru(obx("1", f14="20241301")), Reason.INVALID_DATETIME, "OBX[1]-14",
     "HL7 DTM", "20241301"),
    ("bad-obr-time", oru(obr_seg=obr(f7="yesterday")), Reason.INVALID_DATETIME, "OBR[1]-7",
     "HL7 DTM", "yesterday"),
    ("lowercase-segment", adt().replace("\rPID|", "\rpid|"), Reason.MALFORMED, "segment 3",
     "uppercase", "pid|1||100000001^^^W"),
    ("bad-encoding-chars", adt().replace("MSH|^~\\&|", "MSH|^^\\&|", 1), Reason.MALFORMED,
     "MSH-2", "^~\\&", "^^\\&"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("message", "reason", "field", "expected", "found"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_rejection(
    message: str, reason: Reason, field: str, expected: str, found: str | None
) -> None:
    sink = parse(message)
    assert (sink.loaded, sink.quarantined) == (0, 1), sink.rows
    line, rejection, raw = sink.rejected[0]
    assert line == 1
    assert rejection.reason == reason
    assert rejection.field == field
    assert expected in (rejection.expected or ""), rejection.expected
    if found is not None:
        assert rejection.found == found
    assert "\n" not in rejection.message
    assert raw is not None
    assert "MSH" in (raw if isinstance(raw, str) else raw.decode())


def test_rejection_names_the_message() -> None:
    sink = parse(oru(obx("1", f5="abc"), control="CTRL-42"))
    _, rejection, raw = sink.rejected[0]
    assert rejection.resource_type == "ORU^R01"
    assert rejection.record_id == "CTRL-42"
    assert isinstance(raw, str)
    assert raw.startswith("MSH|^~\\&|WARDWATCH")
    assert rejection.message == "OBX[1]-5 does not match its value type"


def test_unsupported_type_message_is_plain() -> None:
    _, rejection, _ = parse("\r".join([msh("SIU^S12"), pid()])).rejected[0]
    assert rejection.message == "message type SIU^S12 not supported"


def test_a_bad_message_does_not_stop_the_next_one() -> None:
    sink = parse("\n".join([adt(control="1"), adt(pid_seg=pid(f7="bad"), control="2"), adt()]))
    assert (sink.loaded, sink.quarantined) == (2, 1)
    assert [line for line, _, _ in sink.rejected] == [2]


def test_data_before_the_first_msh_is_one_malformed_record() -> None:
    sink = parse("garbage line\r\nmore garbage\r\n" + adt())
    assert (sink.records_in, sink.loaded) == (2, 1)
    line, rejection, _ = sink.rejected[0]
    assert (line, rejection.reason) == (1, Reason.MALFORMED)
    assert rejection.found == "garbage line"
