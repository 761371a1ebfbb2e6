"""Per-discharge readmission features computed from generated FHIR NDJSON alone.

This is an independent reading of the output (no generator internals): it is what a use case
would compute, and the signal test fits a model on it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import orjson

PLANNED = "8715000"  # SNOMED CT "Hospital admission, elective"
# Charlson-like weights by ICD-10-CM prefix (an independent re-statement, not imported).
CHARLSON_PREFIXES = {
    "I50": 1,
    "I25.2": 1,
    "I73": 1,
    "I69": 1,
    "F03": 1,
    "J44": 1,
    "J45": 1,
    "K74": 1,
    "E11": 1,
    "N18": 2,
    "C": 2,
}
THRESHOLDS = {  # LOINC -> (low, high)
    "2951-2": (135, 145),
    "2823-3": (3.5, 5.1),
    "718-7": (10, 1e9),
    "6690-2": (4, 11),
    "2160-0": (-1e9, 1.5),
    "2345-7": (70, 200),
    "30934-4": (-1e9, 500),
}
DISPOSITIONS = ("home", "snf", "aadvice", "rehab", "hosp", "long", "other-hcf")


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _read(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return [orjson.loads(line) for line in f]


def _charlson(codes: set[str]) -> int:
    score = 0
    for prefix, weight in CHARLSON_PREFIXES.items():
        if any(c.startswith(prefix) for c in codes):
            score += weight
    return score


def discharge_table(
    folder: Path, now: datetime
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[datetime]]:
    """(features, labels, patient groups, discharge times) for every index discharge."""
    births = {
        p["id"]: _t(p["birthDate"] + "T00:00:00+00:00") for p in _read(folder / "Patient.ndjson")
    }
    encounters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in _read(folder / "Encounter.ndjson"):
        encounters[e["subject"]["reference"].split("/")[1]].append(e)
    conditions: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for c in _read(folder / "Condition.ndjson"):
        conditions[c["subject"]["reference"].split("/")[1]].append(
            (_t(c["onsetDateTime"]), c["code"]["coding"][0]["code"])
        )
    last_labs: dict[str, dict[str, tuple[datetime, float]]] = defaultdict(dict)
    with (folder / "Observation.ndjson").open("rb") as f:
        for line in f:
            if b'"laboratory"' not in line:
                continue
            o = orjson.loads(line)
            code = o["code"]["coding"][0]["code"]
            if code not in THRESHOLDS:
                continue
            enc = o["encounter"]["reference"].split("/")[1]
            ts = _t(o["effectiveDateTime"])
            prev = last_labs[enc].get(code)
            if prev is None or ts >= prev[0]:
                last_labs[enc][code] = (ts, o["valueQuantity"]["value"])
    rows: list[list[float]] = []
    labels: list[int] = []
    groups: list[str] = []
    times: list[datetime] = []
    for pid, encs in encounters.items():
        encs.sort(key=lambda e: e["period"]["start"])
        parsed = [(e, _t(e["period"]["start"]), _t(e["period"]["end"])) for e in encs]
        for e, start, end in parsed:
            if e["class"]["code"] != "IMP":
                continue
            disp = e["hospitalization"]["dischargeDisposition"]["coding"][0]["code"]
            if disp == "exp" or end > now - timedelta(days=30):
                continue
            label = any(
                e2["class"]["code"] == "IMP"
                and e2["type"][0]["coding"][0]["code"] != PLANNED
                and end < s2 <= end + timedelta(days=30)
                for e2, s2, _ in parsed
            )
            prior_ip = sum(
                1
                for e2, s2, _ in parsed
                if e2["class"]["code"] == "IMP" and start - timedelta(days=365) <= s2 < start
            )
            prior_ed = sum(
                1
                for e2, s2, _ in parsed
                if e2["class"]["code"] == "EMER" and start - timedelta(days=180) <= s2 < start
            )
            codes = {c for t, c in conditions[pid] if t <= end}
            abnormal = 0
            for code, (_, value) in last_labs[e["id"]].items():
                low, high = THRESHOLDS[code]
                abnormal += value < low or value > high
            reason = e["reasonCode"][0]["coding"][0]["code"]
            age = (end - births[pid]).days / 365.25
            row = [
                age,
                _charlson(codes),
                min(prior_ip, 4),
                min(prior_ed, 4),
                abnormal,
                min((end - start).total_seconds() / 86400, 15),
            ]
            row += [float(disp == d) for d in DISPOSITIONS]
            row += [float(reason.startswith(p)) for p in ("I50", "J44", "A41", "N17", "K92")]
            row.append(float(e["type"][0]["coding"][0]["code"] == PLANNED))
            rows.append(row)
            labels.append(int(label))
            groups.append(pid)
            times.append(end)
    return np.array(rows, dtype=float), np.array(labels), np.array(groups), times
