"""HL7 v2 messages for the tests, built field by field so that field numbers are explicit."""

from __future__ import annotations

import io
from pathlib import Path

from wardwatch.ingest import CollectingSink
from wardwatch.ingest.hl7v2 import parse_hl7

SIMHOSPITAL = Path(__file__).parents[2] / "fixtures" / "simhospital"
FHIR_ID = "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
T_ADMIT = "20240105083000-0500"


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with ``fields[n]`` in field n (MSH: n >= 3; MSH-1/2 are ``|^~\\&``)."""
    first = 3 if name == "MSH" else 1
    last = max(fields, default=first - 1)
    values = [fields.get(i, "") for i in range(first, last + 1)]
    head = "MSH|^~\\&" if name == "MSH" else name
    return "|".join([head, *values])


def msh(kind: str, control: str = "MSG0001", **extra: str) -> str:
    fields = {3: "WARDWATCH", 4: "HUH", 5: "WW-INGEST", 6: "WW", 7: T_ADMIT, 9: kind,
              10: control, 11: "P", 12: "2.5"}  # fmt: skip
    fields.update({int(k[1:]): v for k, v in extra.items()})
    return segment("MSH", fields)


def pid(**extra: str) -> str:
    fields = {
        1: "1",
        3: f"100000001^^^WARDWATCH^MR~{FHIR_ID}^^^WARDWATCH-FHIR^PI",
        5: "Doe^Jane^Quinn",
        7: "19800214",
        8: "F",
        10: "2106-3^White^CDCREC",
        11: "12 Main St^Apt 4^Pittsburgh^PA^15217^USA",
        13: "412-555-0100^PRN^PH",
        19: "999-12-3456",
        22: "2186-5^Not Hispanic or Latino^CDCREC",
    }
    fields.update({int(k[1:]): v for k, v in extra.items()})
    return segment("PID", fields)


def pv1(**extra: str) -> str:
    fields = {
        1: "1",
        2: "I",
        3: "MED^^^HUH",
        4: "E",
        7: "1234567893^Smith^John^^^Dr^^^NPI",
        10: "MED",
        14: "7",
        19: "VISIT-1^^^WARDWATCH^VN",
        44: T_ADMIT,
    }
    fields.update({int(k[1:]): v for k, v in extra.items()})
    return segment("PV1", fields)


def obr(**extra: str) -> str:
    fields = {1: "1", 2: "ORD1", 3: "ORD1F", 4: "LAB^Laboratory results^L",
              7: "20240105090000-0500", 22: "20240105100000-0500", 24: "LAB", 25: "F"}  # fmt: skip
    fields.update({int(k[1:]): v for k, v in extra.items()})
    return segment("OBR", fields)


def obx(set_id: str = "1", **extra: str) -> str:
    fields = {1: set_id, 2: "NM", 3: "2345-7^Glucose^LN", 5: "105", 6: "mg/dL^mg/dL^UCUM",
              7: "70-99", 8: "H", 11: "F", 14: "20240105090000-0500"}  # fmt: skip
    fields.update({int(k[1:]): v for k, v in extra.items()})
    return segment("OBX", fields)


def adt(
    trigger: str = "A01",
    *,
    control: str = "MSG0001",
    evn: str | None = T_ADMIT,
    pid_seg: str | None = None,
    pv1_seg: str | None = None,
    extra: tuple[str, ...] = (),
) -> str:
    segs = [msh(f"ADT^{trigger}^ADT_A01", control)]
    if evn is not None:
        segs.append(f"EVN|{trigger}|{evn}")
    segs += [pid_seg or pid(), pv1_seg or pv1(), *extra]
    return "\r".join(segs)


def oru(
    *obxs: str, control: str = "MSG0002", pv1_seg: str | None = None, obr_seg: str | None = None
) -> str:
    segs = [msh("ORU^R01^ORU_R01", control), pid(), pv1_seg or pv1(), "ORC|RE|ORD1|ORD1F||CM",
            obr_seg or obr(), *(obxs or (obx(),))]  # fmt: skip
    return "\r".join(segs)


def parse(data: str | bytes, **kwargs: int) -> CollectingSink:
    """Parse ``data`` (text is UTF-8 encoded) into a fresh CollectingSink."""
    sink = CollectingSink()
    raw = data.encode() if isinstance(data, str) else data
    parse_hl7(io.BytesIO(raw), sink, **kwargs)
    return sink


def only(sink: CollectingSink, table: str) -> dict[str, object]:
    """The single row of ``table``."""
    rows = sink.dicts(table)
    assert len(rows) == 1, rows
    return rows[0]
