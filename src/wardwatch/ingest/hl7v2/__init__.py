"""HL7 v2 (ER7) messages to canonical rows: ADT to patients and encounters, ORU^R01 to
patients, encounters and observations.

One record is one message; its record number is its 1-based position in the file. A file may
hold any number of messages with CR, LF or CRLF segment separators, optionally MLLP-framed; it
is read in chunks, in memory bounded by ``max_message_bytes`` (see :func:`parse_hl7`).

What a message gives:

* ``patients``: one row per PID. The patient id is the PID-3 repetition typed ``PI`` with
  authority ``WARDWATCH-FHIR`` (the FHIR Patient id the wardwatch generator writes there), else
  ``<assigning authority>|<MRN>`` (``SIMULATOR MRN|3463070384``). ``recorded_time`` is MSH-7.
* ``encounters``: one row per PV1 with the visit number PV1-19 (derived from patient and admit
  time when absent) and the admit time PV1-44.
* ``observations``: one row per OBX, id OBX-21 or ``<filler order number>-<OBX-1>``.

Each message describes the state of a patient, visit or result at the time it was sent, so a
patient, visit or result appears once per message about it: an A08 update or an A03 discharge
gives another ``encounters`` row with the same ``encounter_id``, a corrected result another
``observations`` row with the same ``observation_id``. **Readers take the latest row per key
by ``recorded_time``.**

A message is quarantined whole with the first problem found: MALFORMED (no MSH, bad
delimiters, bad segment name), ENCODING (bytes not in the MSH-18 character set, or an
unsupported one), TOO_LARGE, MISSING_REQUIRED (MSH-9/10/12, PID-3, OBX-3, PV1-44 where an
encounter needs it), MISSING_SEGMENT (PID/PV1 in ADT, PID/OBR/OBX in ORU), CARDINALITY (two PID
in an ADT), INVALID_DATETIME (any time that is mapped), INVALID_VALUE (unsupported message type,
unknown table codes in PID-8/PV1-2/OBX-2/OBX-11, a non-numeric NM value, a repeated
observation id).
"""

from wardwatch.ingest.hl7v2._charset import CHARSETS
from wardwatch.ingest.hl7v2._er7 import Message, Segment, parse_message
from wardwatch.ingest.hl7v2._framing import RawMessage, iter_messages
from wardwatch.ingest.hl7v2._parser import SUPPORTED_TYPES, map_message, parse_hl7

__all__ = [
    "CHARSETS",
    "SUPPORTED_TYPES",
    "Message",
    "RawMessage",
    "Segment",
    "iter_messages",
    "map_message",
    "parse_hl7",
    "parse_message",
]
