"""Claims: the FHIR Claim resource and the lines and codes shared with ``claims.csv``.

A visit is billed once, after it ends (``Claim.created`` 3 to 25 days after discharge; a claim
that would be submitted after the generation's "now" is not written). Office visits give
professional claims, emergency visits and stays institutional ones. The payer is the
patient's plan on the day of service: on ``Claim.insurer`` (an Organization) and as the
display of ``Claim.insurance.coverage``; self-pay claims have no insurer.
"""

from __future__ import annotations

from collections.abc import Callable

from wardwatch.synth._catalog import PRICES
from wardwatch.synth._codes import SYSTEMS, Icd
from wardwatch.synth._model import Visit
from wardwatch.synth._reference import Payer, Site
from wardwatch.synth._vocab import CLAIM_TYPE, ICD, JSON, PRINCIPAL, PRIORITY, cc, usd

__all__ = ["claim_diagnoses", "claim_items", "claim_resource"]

#: Price level of each site relative to the price table.
_SITE_PRICE = {"RGH": 1.0, "LMC": 1.15, "MRH": 0.95, "BCH": 1.3, "HUH": 1.2, "NHP": 1.05}


def claim_diagnoses(v: Visit) -> list[Icd]:
    """The claim's ICD-10-CM codes, principal (the visit reason) first, no repeats, at most 12."""
    seen = {v.reason.code}
    out = [v.reason]
    for d in v.dx:
        if d.icd.code not in seen:
            seen.add(d.icd.code)
            out.append(d.icd)
    return out[:12]


def claim_items(v: Visit) -> list[tuple[str, str, int, float]]:
    """The claim lines: (code, system key, quantity, unit price), one per distinct code."""
    qty: dict[tuple[str, str], int] = {}
    for code, system, n in v.billing:
        qty[(code, system)] = qty.get((code, system), 0) + n
    level = _SITE_PRICE.get(v.site.key, 1.0)
    return [
        (code, system, n, round(PRICES.get(code, 100.0) * level, 2))
        for (code, system), n in qty.items()
    ]


def claim_resource(
    v: Visit,
    subject: JSON,
    enc: JSON,
    iso: Callable[[int], str],
    org_ref: Callable[[Site | Payer], JSON],
) -> JSON:
    """The FHIR Claim of a billed visit (``v.claim_id`` set)."""
    assert v.claim_id is not None
    assert v.claim_created is not None
    items = claim_items(v)
    day = v.site.zone.date(v.start)
    res: JSON = {
        "resourceType": "Claim",
        "id": v.claim_id,
        "status": "active",
        "type": CLAIM_TYPE["professional" if v.cls == "AMB" else "institutional"],
        "use": "claim",
        "patient": subject,
        "billablePeriod": {"start": iso(v.start), "end": iso(v.end)},
        "created": iso(v.claim_created),
    }
    if v.payer.kind != "self-pay":
        res["insurer"] = org_ref(v.payer)
    res["provider"] = org_ref(v.site)
    res["priority"] = PRIORITY
    res["diagnosis"] = [
        {
            "sequence": i,
            "diagnosisCodeableConcept": cc(ICD, c.code, c.display),
            **({"type": PRINCIPAL} if i == 1 else {}),
        }
        for i, c in enumerate(claim_diagnoses(v), 1)
    ]
    res["insurance"] = [{"sequence": 1, "focal": True, "coverage": {"display": v.payer.name}}]
    res["item"] = [
        {
            "sequence": i,
            "productOrService": {"coding": [{"system": SYSTEMS[system], "code": code}]},
            "servicedDate": day,
            "quantity": {"value": qty},
            "unitPrice": usd(price),
            "net": usd(price * qty),
            "encounter": [enc],
        }
        for i, (code, system, qty, price) in enumerate(items, 1)
    ]
    res["total"] = usd(sum(price * qty for _, _, qty, price in items))
    return res
