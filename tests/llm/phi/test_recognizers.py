"""Each recognizer on positive examples (the span and class found) and negative ones (clinical
text that looks like PHI and is not)."""

from __future__ import annotations

import itertools

import pytest

from wardwatch.llm.phi import PHI_CLASSES, Redactor

POSITIVE: list[tuple[str, str, str]] = [
    # (text, class, the exact span expected)
    ("Seen by Dr. Patel today.", "name", "Patel"),
    ("Dr. Anita Patel reviewed the films.", "name", "Anita Patel"),
    ("Patient: GARCIA, Maria", "name", "GARCIA, Maria"),
    ("Lopez, Ana M. was admitted.", "name", "Lopez, Ana M"),
    ("Signed: Zora Quist, MD", "name", "Zora Quist"),
    ("dictated by dr nguyen", "name", "nguyen"),
    ("spoke with her daughter maria at length", "name", "maria"),
    ("Zora Quist is a 72-year-old woman.", "name", "Zora Quist"),
    ("Xiomara Garcia called back.", "name", "Xiomara Garcia"),
    ("Mrs. O'Brien-Walsh was seen.", "name", "O'Brien-Walsh"),
    ("pt john smith seen in clinic", "name", "john smith"),
    ("Lives at 1423 N Maple Ave, Apt 4B in town.", "geographic", "1423 N Maple Ave, Apt 4B"),
    ("Springfield, IL 62704", "geographic", "Springfield"),
    ("Springfield, IL 62704", "geographic", "62704"),
    ("Shelbyville, Indiana is home.", "geographic", "Shelbyville"),
    ("Resident of Cook County.", "geographic", "Cook County"),
    ("She moved to Millbrook last year.", "geographic", "Millbrook"),
    ("ZIP code: 02114", "geographic", "02114"),
    ("Admitted 03/04/2021.", "date", "03/04/2021"),
    ("Admitted 3/4/21.", "date", "3/4/21"),
    ("Admitted 2021-03-04T14:22:05Z.", "date", "2021-03-04T14:22:05Z"),
    ("Admitted March 3rd.", "date", "March 3rd"),
    ("Admitted 3 March 2021.", "date", "3 March 2021"),
    ("Admitted 03-Mar-2021 14:30.", "date", "03-Mar-2021 14:30"),
    ("Admitted in March 2021.", "date", "March 2021"),
    ("Symptoms since 3/14.", "date", "3/14"),
    ("A1c 9.1% in March.", "date", "March"),
    ("Seen Jan 5, 2020 at 2:30 pm.", "date", "Jan 5, 2020 at 2:30 pm"),
    ("A 92-year-old man.", "age_over_89", "92"),
    ("Pt is 95 y/o.", "age_over_89", "95"),
    ("age 91, lives alone", "age_over_89", "91"),
    ("aged 103.", "age_over_89", "103"),
    ("a woman in her 90s", "age_over_89", "90s"),
    ("Call (555) 123-4567.", "phone", "(555) 123-4567"),
    ("Call 555.123.4567.", "phone", "555.123.4567"),
    ("Call +1 555 123 4567.", "phone", "+1 555 123 4567"),
    ("Fax: 555-123-9999", "fax", "555-123-9999"),
    ("Phone 555-123-4567, fax 555-123-9999", "fax", "555-123-9999"),
    ("Phone 555-123-4567, fax 555-123-9999", "phone", "555-123-4567"),
    ("Mail maria.garcia@example.com today", "email", "maria.garcia@example.com"),
    ("SSN 123-45-6789", "ssn", "123-45-6789"),
    ("Social security number 123 45 6789", "ssn", "123 45 6789"),
    ("MRN: 00123456", "mrn", "00123456"),
    ("MR# 889213", "mrn", "889213"),
    ("Member ID: XJH123456789", "health_plan", "XJH123456789"),
    ("Medicare MBI 1EG4-TE5-MK73", "health_plan", "1EG4-TE5-MK73"),
    ("Account #: 55512390", "account", "55512390"),
    ("acct no. 7781234", "account", "7781234"),
    ("driver's license D1234567", "license", "D1234567"),
    ("DEA number AB1234563", "license", "AB1234563"),
    ("VIN 1HGCM82633A004352", "vehicle", "1HGCM82633A004352"),
    ("license plate 7ABC123", "vehicle", "7ABC123"),
    ("pacemaker serial number PJN123456H", "device", "PJN123456H"),
    (
        "UDI (01)00844588003288(17)141120(10)7654321D",
        "device",
        "(01)00844588003288(17)141120(10)7654321D",
    ),
    ("see https://portal.example.org/p/1234.", "url", "https://portal.example.org/p/1234"),
    ("blog at www.janedoe-journey.com today", "url", "www.janedoe-journey.com"),
    ("from IP 192.168.10.4 today", "ip_address", "192.168.10.4"),
    ("session 2001:db8::8a2e:370:7334 logged", "ip_address", "2001:db8::8a2e:370:7334"),
    ("fingerprint ID FP-99812 on file", "biometric", "FP-99812"),
    ("retinal scan RS-5521-A on file", "biometric", "RS-5521-A"),
    ("photo file IMG_2231.jpg shows rash", "photo", "IMG_2231.jpg"),
    ("ref no. 88812-XQ", "other_id", "88812-XQ"),
    ("badge #4471 at bedside", "other_id", "4471"),
]

NEGATIVE: list[str] = [
    "Cr 1.8 mg/dL (LOINC 2160-0), glucose 188 mg/dL (2345-7).",
    "Diagnoses: E11.9, I50.23, N18.32.",
    "BP 132/84, HR 88, SpO2 95% on RA, T 37.8 C, RR 18.",
    "Metformin 500 mg PO BID; furosemide 40 mg daily; 1/2 tab at bedtime.",
    "Diagnosed with diabetes in 2019; quit smoking in 2015.",
    "An 85-year-old woman with a 67 year old sister.",
    "Originally from Ohio, she moved to Texas.",
    "History of Wilson disease, Graves disease and Bell's palsy.",
    "Foley catheter removed; Murphy sign negative; Glasgow Coma Scale 15.",
    "Takes Allegra and Lyrica at home.",
    "2/6 systolic murmur, strength 4/5 on the left.",
    "Vitals at 14:30 and again at 0800 on Monday.",
    "She may go home; will march in the parade; the May-Thurner anatomy.",
    "Serial troponins 0.04, 0.05 and 0.04 ng/mL.",
    "NDC 0093-7214-01 dispensed; lot AB1234.",
    "Hospital day 3, POD 2, room 412, bed B.",
    "Smoked 1 pack per day for 30 years.",
    "Enrolled in trial NCT04412345.",
]


@pytest.mark.parametrize(("text", "cls", "expected"), POSITIVE)
def test_positive(redactor: Redactor, text: str, cls: str, expected: str) -> None:
    found = [(s.cls, s.text) for s in redactor.find(text)]
    assert (cls, expected) in found, found


@pytest.mark.parametrize("text", NEGATIVE)
def test_negative(redactor: Redactor, text: str) -> None:
    assert [(s.cls, s.text) for s in redactor.find(text)] == []


def test_every_class_has_positive_examples() -> None:
    assert {cls for _, cls, _ in POSITIVE} == set(PHI_CLASSES)


def test_spans_are_exact_sorted_and_disjoint(redactor: Redactor) -> None:
    text = " ".join(t for t, _, _ in POSITIVE)
    spans = redactor.find(text)
    assert all(text[s.start : s.end] == s.text for s in spans)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))
