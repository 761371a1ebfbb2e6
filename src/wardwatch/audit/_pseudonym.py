"""Keyed pseudonyms, and the guard that keeps PHI out of audit payloads.

A pseudonym is ``<kind>_`` followed by the first 16 hex digits (64 bits) of
HMAC-SHA256(secret, ``"<kind>:" + value``): the same id under the same workspace secret always
gives the same pseudonym (events about one patient can be joined), a different secret gives
an unrelated one, and without the secret an id cannot be tested against it. 64 bits keep the
chance of any collision among ten million patients near three in a million. ``kind`` is
``pt`` for patients and ``enc`` for encounters, so that the two never collide.

The payload guard (:func:`guard_payload`) walks every key of a payload, at any depth, after
normalizing its spelling (``birthDate``, ``Birth-Date`` and ``birth_date`` are one key):

- **pseudonymized**: keys that hold a patient or encounter id (``patient_id``, ``patient``,
  ``person_id``, ``member_id``, ``encounter_id``, ``visit_id``, ... and their plurals). Text
  or integer values, or lists of them, are replaced by their pseudonyms; values already of
  the pseudonym form are kept. A record under such a key (a dict) is refused: give the id.
- **refused**: keys that hold a direct identifier (person names, ``mrn``, ``ssn``,
  ``birth_date``/``dob``, ``address``/``zip``, ``phone``/``fax``, ``email``). The error names the
  key's path, never its value. A bare ``name`` is refused in an object that also holds a
  patient id (it is then a person's name) and allowed elsewhere (``{"name": "readmission"}``
  names a model).

The guard looks at keys, not at free text: a payload must not carry notes or messages that
may mention a patient (record their hash instead).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from wardwatch.audit._chain import AuditError

__all__ = ["PSEUDONYM_RE", "guard_payload", "guard_subject", "is_pseudonym", "pseudonym"]

PSEUDONYM_HEX = 16
PSEUDONYM_RE = re.compile(r"(pt|enc)_[0-9a-f]{16}")

_PATIENT_KEYS = frozenset(
    {
        "patient", "patient_id", "patient_ref", "patient_reference", "person_id", "member_id",
        "subscriber_id", "beneficiary_id", "patients", "patient_ids", "person_ids",
    }
)  # fmt: skip
_ENCOUNTER_KEYS = frozenset(
    {
        "encounter", "encounter_id", "encounter_ref", "visit_id", "admission_id", "stay_id",
        "encounters", "encounter_ids", "visit_ids", "stay_ids",
    }
)  # fmt: skip
_DIRECT_KEYS = frozenset(
    {
        "patient_name", "person_name", "given_name", "family_name",
        "first_name", "last_name", "middle_name", "full_name", "maiden_name", "surname",
        "mrn", "medical_record_number", "ssn", "social_security_number",
        "birth_date", "birthdate", "dob", "date_of_birth",
        "address", "street", "street_address", "home_address", "postal_code", "zip", "zip_code",
        "phone", "phone_number", "telephone", "mobile", "fax", "telecom",
        "email", "email_address",
    }
)  # fmt: skip

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEP = re.compile(r"[\s\-.]+")
_SUBJECT = re.compile(r"(patient|encounter):(.+)")


def _norm_key(key: str) -> str:
    return _SEP.sub("_", _CAMEL.sub("_", key.strip())).lower()


def pseudonym(value: str | int, secret: bytes, *, kind: str = "pt") -> str:
    """The keyed pseudonym of ``value`` (see the module doc); stable for one ``secret``."""
    if len(secret) < 16:
        raise AuditError(
            "pseudonym secret is too short", expected="at least 16 bytes",
            found=f"{len(secret)} bytes", hint="use Workspace.secret()",
        )  # fmt: skip
    digest = hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}_{digest[:PSEUDONYM_HEX]}"


def is_pseudonym(value: object) -> bool:
    """True if ``value`` has the form of a pseudonym (``pt_`` or ``enc_`` and 16 hex digits)."""
    return isinstance(value, str) and PSEUDONYM_RE.fullmatch(value) is not None


def _pseudonymize(value: Any, secret: bytes | None, kind: str, path: str) -> Any:
    if value is None or is_pseudonym(value):
        return value
    if isinstance(value, list | tuple):
        return [_pseudonymize(v, secret, kind, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise AuditError(
            "payload holds a patient record where an id belongs", field=path,
            expected="an id (text or integer), pseudonymized by the log",
            found=type(value).__name__, hint="record only the id, never the record",
        )  # fmt: skip
    if secret is None:
        raise AuditError(
            "payload holds an identifier and the log has no secret to pseudonymize it",
            field=path, expected="a keyed pseudonym", found="a raw identifier (not shown)",
            hint="open the log with the workspace secret (AuditLog.from_workspace)",
        )  # fmt: skip
    return pseudonym(value, secret, kind=kind)


def guard_payload(payload: Any, secret: bytes | None, path: str = "payload") -> Any:
    """A copy of ``payload`` with patient/encounter ids pseudonymized.

    Raises :class:`AuditError` naming the first key that holds a direct identifier (its
    value is never shown), or an id that cannot be pseudonymized.
    """
    if isinstance(payload, list | tuple):
        return [guard_payload(v, secret, f"{path}[{i}]") for i, v in enumerate(payload)]
    if not isinstance(payload, dict):
        return payload
    keys = {k: _norm_key(k) for k in payload if isinstance(k, str)}
    has_patient = any(n in _PATIENT_KEYS for n in keys.values())
    out: dict[Any, Any] = {}
    for key, value in payload.items():
        norm = keys.get(key, "")
        where = f"{path}.{key}"
        if norm in _DIRECT_KEYS or (norm == "name" and has_patient):
            raise AuditError(
                "payload holds a direct identifier", field=where,
                expected="no names, MRNs, SSNs, birth dates, addresses, phones or e-mails",
                found="a value (not shown)",
                hint="keep only the patient id, which the log pseudonymizes",
            )  # fmt: skip
        if norm in _PATIENT_KEYS:
            out[key] = _pseudonymize(value, secret, "pt", where)
        elif norm in _ENCOUNTER_KEYS:
            out[key] = _pseudonymize(value, secret, "enc", where)
        else:
            out[key] = guard_payload(value, secret, where)
    return out


def guard_subject(subject: str, secret: bytes | None) -> str:
    """``subject`` with a ``patient:<id>`` or ``encounter:<id>`` id pseudonymized."""
    m = _SUBJECT.fullmatch(subject)
    if m is None:
        return subject
    kind = "pt" if m.group(1) == "patient" else "enc"
    return f"{m.group(1)}:{_pseudonymize(m.group(2), secret, kind, 'subject')}"
