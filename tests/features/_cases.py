"""A hand-built lake whose features and labels are worked out by hand (the tests' oracle).

Timeline (UTC). Patient P1, born 1950-06-15, is discharged from stay E1 on 2024-03-05 12:00
(the prediction time T). By hand, for E1:

* age 73 (the 74th birthday is in June); length of stay 4 days 4 hours = 4.1667 days;
* label 1: unplanned stay E1R starts 2024-03-20, 15 days after T;
* sodium_last 131: the 140 taken before T was recorded after T (13:00) and must be ignored,
  the 125 is outside the 14-day window; glucose 10 mmol/L = 180.16 mg/dL (x 18.016);
  creatinine 1.0 then 1.6: last 1.6, delta +0.6;
* abnormal_labs 3: sodium 131 < 135, glucose 10 > 5.5 mmol/L, creatinine 1.6 > 1.2;
* charlson 3: heart failure (1) + diabetes with complications (2); diabetes without
  complications is replaced by it; the CKD coded for E1 was recorded after T. With
  ``time_basis: clinical`` the CKD (renal disease, 2) leaks in: 5;
* elixhauser 2: heart failure and complicated diabetes (3 with the leaked CKD);
* prior_ip_365d 1 (E0, May 2023), prior_ed_180d 1 (Jan 2024), prior_amb_365d 1 (Jun 2023);
* medications_90d 2: codes A and B (A twice); C was ordered 156 days before;
* payer group Medicare (from E1's claim).

Cohort: 11 inpatient stays; E2 under 18, E3 died in hospital, E4 transferred out, E5's
30-day window ends after the data cut-off (2024-12-31): 7 index events remain. Labels: only
E1 is 1 (E1R is followed by a *planned* stay; E6 by a stay 31 days later).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.quality._lake import d, make_lake, ts

from wardwatch.core.lake import Lake

AS_OF = ts("2024-12-31")
T = ts("2024-03-05 12:00")
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"


def _patient(pid: str, born: str, **kw: Any) -> dict[str, Any]:
    return {
        "patient_id": pid,
        "birth_date": d(born),
        "sex": "female",
        "race": "2106-3",
        "ethnicity": "2186-5",
        "site_id": "S1",
        **kw,
    }


def _enc(eid: str, pid: str, cls: str, start: str, end: str, **kw: Any) -> dict[str, Any]:
    row = {
        "encounter_id": eid,
        "patient_id": pid,
        "class_code": cls,
        "status": "finished",
        "type_code": "183452005",
        "start_time": ts(start),
        "end_time": ts(end),
        "recorded_time": ts(end),
        "admit_source": "emd",
        "discharge_disposition": "home",
        "reason_code": "I50.23",
        "site_id": "S1",
    }
    row.update(kw)
    return row


def _obs(
    oid: str, code: str, value: float, unit: str, eff: str, rec: str, lo: float, hi: float
) -> dict[str, Any]:
    return {
        "observation_id": oid,
        "patient_id": "P1",
        "encounter_id": "E1",
        "code": code,
        "code_system": LOINC,
        "status": "final",
        "value_num": value,
        "value_unit": unit,
        "reference_low": lo,
        "reference_high": hi,
        "effective_time": ts(eff),
        "recorded_time": ts(rec),
    }


def _cond(cid: str, code: str, onset: str, recorded: str, **kw: Any) -> dict[str, Any]:
    return {
        "condition_id": cid,
        "patient_id": "P1",
        "code": code,
        "code_system": ICD,
        "onset_time": ts(onset),
        "recorded_time": ts(recorded),
        **kw,
    }


def _med(mid: str, code: str, recorded: str) -> dict[str, Any]:
    return {
        "medication_id": mid,
        "patient_id": "P1",
        "code": code,
        "code_system": "http://www.nlm.nih.gov/research/umls/rxnorm",
        "status": "active",
        "recorded_time": ts(recorded),
    }


def hand_lake(root: Path) -> Lake:
    """The lake of the module docstring."""
    tables: dict[str, list[dict[str, Any]]] = {
        "patients": [
            _patient("P1", "1950-06-15"),
            _patient("P2", "2010-01-01", sex="male"),
            _patient("P3", "1940-01-01", death_time=ts("2024-03-04 10:00")),
            _patient("P4", "1960-01-01", sex="male", race="2054-5"),
        ],
        "encounters": [
            _enc("E0", "P1", "IMP", "2023-05-01 09:00", "2023-05-03 10:00"),
            _enc("AMB1", "P1", "AMB", "2023-06-01 09:00", "2023-06-01 09:30"),
            _enc("ED1", "P1", "EMER", "2024-01-10 09:00", "2024-01-10 15:00"),
            _enc("E1", "P1", "IMP", "2024-03-01 08:00", "2024-03-05 12:00"),
            _enc(
                "E1R",
                "P1",
                "IMP",
                "2024-03-20 08:00",
                "2024-03-23 12:00",
                discharge_disposition="snf",
            ),
            _enc(
                "E1P",
                "P1",
                "IMP",
                "2024-04-01 08:00",
                "2024-04-02 12:00",
                type_code="8715000",
                admit_source="outp",
            ),
            _enc("E1L", "P1", "IMP", "2024-06-01 08:00", "2024-06-03 12:00"),
            _enc("E2", "P2", "IMP", "2024-02-01 08:00", "2024-02-03 12:00"),
            _enc(
                "E3",
                "P3",
                "IMP",
                "2024-03-01 08:00",
                "2024-03-05 12:00",
                discharge_disposition="exp",
            ),
            _enc(
                "E4",
                "P4",
                "IMP",
                "2024-05-01 08:00",
                "2024-05-04 12:00",
                discharge_disposition="other-hcf",
            ),
            _enc("E5", "P4", "IMP", "2024-12-20 08:00", "2024-12-22 12:00"),
            _enc("E6", "P4", "IMP", "2024-07-01 08:00", "2024-07-05 10:00"),
            _enc(
                "E7",
                "P4",
                "IMP",
                "2024-08-05 12:00",
                "2024-08-07 12:00",
                discharge_disposition=None,  # unknown: not an exclusion
            ),
        ],
        "observations": [
            _obs("O1", "2951-2", 131, "mmol/L", "2024-03-04 06:00", "2024-03-04 07:00", 135, 145),
            _obs("O2", "2951-2", 140, "mmol/L", "2024-03-05 06:00", "2024-03-05 13:00", 135, 145),
            _obs("O3", "2951-2", 125, "mmol/L", "2024-02-10 06:00", "2024-02-10 07:00", 135, 145),
            _obs("O4", "2345-7", 10, "mmol/L", "2024-03-03 06:00", "2024-03-03 07:00", 3.9, 5.5),
            _obs("O5", "2160-0", 1.0, "mg/dL", "2024-03-02 06:00", "2024-03-02 07:00", 0.6, 1.2),
            _obs("O6", "2160-0", 1.6, "mg/dL", "2024-03-04 06:00", "2024-03-04 07:00", 0.6, 1.2),
        ],
        "conditions": [
            _cond("C1", "I50.22", "2022-01-01", "2022-01-01"),
            _cond("C2", "E11.22", "2023-01-01", "2023-01-01"),
            _cond("C3", "E11.9", "2023-01-01", "2023-01-01"),
            _cond(
                "C4",
                "N18.3",
                "2024-03-01 08:00",
                "2024-03-07 09:00",
                encounter_id="E1",
                category="encounter-diagnosis",
            ),
        ],
        "medications": [
            _med("M1", "A", "2024-02-01"),
            _med("M2", "B", "2024-03-04"),
            _med("M3", "A", "2024-03-02"),
            _med("M4", "C", "2023-10-01"),
        ],
        "claims": [
            {
                "claim_id": "CL1",
                "patient_id": "P1",
                "encounter_id": "E1",
                "payer": "Medicare",
                "status": "active",
                "billable_start": T,
            },
        ],
    }
    return make_lake(root, tables)


E1_EXPECTED: dict[str, Any] = {
    "age": 73.0,
    "sex": "female",
    "los_days": 4 + 4 / 24,
    "disposition": "home",
    "admit_source": "emd",
    "diagnosis_group": "I50",
    "charlson": 3.0,
    "elixhauser": 2.0,
    "prior_ip_365d": 1.0,
    "prior_ed_180d": 1.0,
    "prior_amb_365d": 1.0,
    "sodium_last": 131.0,
    "creatinine_last": 1.6,
    "creatinine_delta": 0.6,
    "glucose_last": 10 * 18.016,
    "abnormal_labs": 3.0,
    "medications_90d": 2.0,
}
