"""The claims feed as CSV (``claims.csv``), one row per claim, same ids as the FHIR Claims.

Header (the tabular ingest mapping is written against it)::

    claim_id,member_id,encounter_id,claim_type,status,payer_name,billing_npi,service_from,
    service_to,submitted_at,total_charge,currency,icd10_codes,cpt_codes

``member_id`` is the FHIR Patient id, ``encounter_id`` the FHIR Encounter id; dates are local
``YYYY-MM-DD``; ``submitted_at`` is ISO 8601 with the site's UTC offset; code lists are
pipe-separated with the principal diagnosis first.
"""

from __future__ import annotations

from collections.abc import Iterator

from wardwatch.synth._billing import claim_diagnoses, claim_items
from wardwatch.synth._model import Person, Visit

__all__ = ["CLAIMS_HEADER", "claim_rows"]

CLAIMS_HEADER = (
    "claim_id",
    "member_id",
    "encounter_id",
    "claim_type",
    "status",
    "payer_name",
    "billing_npi",
    "service_from",
    "service_to",
    "submitted_at",
    "total_charge",
    "currency",
    "icd10_codes",
    "cpt_codes",
)


def claim_rows(p: Person, visits: list[Visit]) -> Iterator[tuple[str, ...]]:
    """One row per billed visit (visits whose claim would be submitted after "now" have none)."""
    for v in visits:
        if v.claim_id is None or v.claim_created is None:
            continue
        zone = v.site.zone
        items = claim_items(v)
        total = sum(price * qty for _, _, qty, price in items)
        yield (
            v.claim_id,
            p.id,
            v.id,
            "professional" if v.cls == "AMB" else "institutional",
            "active",
            v.payer.name,
            v.site.npi,
            zone.date(v.start),
            zone.date(v.end),
            zone.iso(v.claim_created),
            f"{total:.2f}",
            "USD",
            "|".join(c.code for c in claim_diagnoses(v)),
            "|".join(code for code, _, _, _ in items),
        )
