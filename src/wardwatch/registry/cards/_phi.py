"""Keeping patient identifiers out of cards and bundles.

Cards and evidence bundles leave the workspace (to reviewers, auditors, tickets), so they
carry no identifier: keys that hold one are dropped and row-level lists (a data-quality
report's findings, with record ids, patient ids and the values found) are withheld and
counted. Free text is not inspected: a report's own masking applies to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ID_KEYS", "ROW_LEVEL_KEYS", "scrub_identifiers"]

ID_KEYS = frozenset(
    {
        "patient_id",
        "patient_ids",
        "encounter_id",
        "encounter_ids",
        "person_id",
        "mrn",
        "record_id",
        "related_id",
        "index_id",
        "index_ids",
    }
)
"""Keys whose values identify a patient or one of their records: dropped everywhere."""
ROW_LEVEL_KEYS = frozenset({"findings", "rows", "examples"})
"""Keys of row-level lists (lists of mappings): emptied, with ``<key>_withheld`` counts."""


def scrub_identifiers(data: Any) -> Any:
    """``data`` without identifier keys (:data:`ID_KEYS`) and without row-level lists.

    A row-level list (``findings``) becomes empty, with ``<key>_withheld``: how many rows it
    had, so that counts stay visible and the rows stay home. Other values are kept as they
    are; ``data`` itself is not changed.
    """
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in ID_KEYS:
                continue
            if (
                key in ROW_LEVEL_KEYS
                and isinstance(value, list)
                and value
                and isinstance(value[0], Mapping)
            ):
                out[key] = []
                out[f"{key}_withheld"] = len(value)
                continue
            out[key] = scrub_identifiers(value)
        return out
    if isinstance(data, list | tuple):
        return [scrub_identifiers(v) for v in data]
    return data
