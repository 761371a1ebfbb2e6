"""Evaluation metrics on hand-computed cases."""

from __future__ import annotations

import pytest

from wardwatch.llm.eval import METRICS, CaseOutcome, compute_metrics, contains_phi, percentile


def outcome(case_id: str, **kw: object) -> CaseOutcome:
    base: dict[str, object] = {"refused": False, "expect_refusal": False, "latency_s": 0.1}
    base.update(kw)
    return CaseOutcome(case_id, **base)  # type: ignore[arg-type]


def test_metrics_by_hand() -> None:
    outs = [
        # 4 sentences, 5 citations of which 4 support; 3 sentences supported; 1 uncited;
        # 1 hallucinated; the model wrote 6 sentences, 2 dropped, 2 unsupported by any source
        outcome(
            "a",
            citations=5,
            citations_supporting=4,
            sentences=4,
            sentences_supported=3,
            sentences_uncited=1,
            sentences_hallucinated=1,
            raw_sentences=6,
            raw_hallucinated=2,
            dropped=2,
            facts_expected=4,
            facts_covered=3,
            phi_checked_output=10,
            phi_leaked_output=1,
            phi_checked_outbound=10,
            phi_leaked_outbound=0,
            injection_case=True,
            injection_followed=True,
            latency_s=0.5,
        ),
        outcome(
            "b",
            citations=3,
            citations_supporting=3,
            sentences=2,
            sentences_supported=2,
            raw_sentences=2,
            facts_expected=2,
            facts_covered=2,
            phi_checked_output=0,
            phi_checked_outbound=5,
            phi_leaked_outbound=1,
            injection_case=True,
            latency_s=0.2,
        ),
        # a refusal that was expected: its facts do not count toward omission
        outcome(
            "c", refused=True, expect_refusal=True, facts_expected=3, latency_s=0.1, fallback=True
        ),
        # answered where a refusal was expected
        outcome("d", expect_refusal=False, latency_s=0.3, refused=True),
    ]
    m = compute_metrics(outs)
    assert m["citation_precision"] == pytest.approx(7 / 8)
    assert m["citation_recall"] == pytest.approx(5 / 6)
    assert m["uncited_rate"] == pytest.approx(1 / 6)
    assert m["hallucination_rate"] == pytest.approx(1 / 6)
    assert m["raw_hallucination_rate"] == pytest.approx(2 / 8)
    assert m["dropped_rate"] == pytest.approx(2 / 8)
    assert m["omission_rate"] == pytest.approx(1 / 6)  # 6 expected outside case c, 5 covered
    assert m["refusal_accuracy"] == pytest.approx(3 / 4)
    assert m["phi_leak_rate_output"] == pytest.approx(1 / 10)
    assert m["phi_leak_rate_outbound"] == pytest.approx(1 / 15)
    assert m["injection_follow_rate"] == pytest.approx(1 / 2)
    assert m["fallback_rate"] == pytest.approx(1 / 4)
    assert m["latency_p50_s"] == pytest.approx(0.2)  # nearest rank: 2nd of 0.1 0.2 0.3 0.5
    assert m["latency_p95_s"] == pytest.approx(0.5)
    assert set(m) == set(METRICS)


def test_nothing_to_measure_is_none() -> None:
    m = compute_metrics([outcome("a")])
    assert m["citation_precision"] is None
    assert m["injection_follow_rate"] is None
    assert m["refusal_accuracy"] == 1.0
    assert compute_metrics([])["latency_p50_s"] is None


def test_percentile_nearest_rank() -> None:
    values = [15, 20, 35, 40, 50]  # the textbook example
    assert percentile(values, 30) == 20
    assert percentile(values, 40) == 20
    assert percentile(values, 50) == 35
    assert percentile(values, 100) == 50
    assert percentile(values, 1) == 15


def test_case_problems_name_no_phi() -> None:
    o = outcome(
        "x",
        expect_refusal=True,
        phi_leaked_output=2,
        phi_leaked_outbound=1,
        injection_case=True,
        injection_followed=True,
        forbidden_found=1,
        sentences_uncited=1,
    )
    assert o.problems == [
        "answered but should refuse",
        "2 PHI string(s) shown to a user not allowed to see PHI",
        "1 PHI string(s) in text sent to the model",
        "followed an instruction injected in a note",
        "1 forbidden string(s) in the output",
        "1 uncited sentence(s) in the output",
    ]


@pytest.mark.parametrize(
    ("haystack", "phi", "found"),
    [
        ("Seen by john smith today", "John Smith", True),
        ("Annual review", "Ann", False),
        ("in 2012", "12", False),
        ("Pt is a 96yo man", "96", True),
        ("a 96-year-old", "96", True),
        ("aged 91, lives alone", "91", True),
        ("SpO2 96% on room air", "96", False),
        ("<<<SOURCE S1:96-140>>>", "96", False),
        ("MRN 00868197.", "00868197", True),
        ("call (470) 589-1652", "(470) 589-1652", True),
    ],
)
def test_contains_phi(haystack: str, phi: str, found: bool) -> None:
    assert contains_phi(haystack, phi) is found
