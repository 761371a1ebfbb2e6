"""The lexical support rule, decided by hand on cases a reviewer can check."""

from __future__ import annotations

import pytest

from wardwatch.llm._text import content_terms, numbers, sentence_spans
from wardwatch.llm.support import Verifier, embedding_judge, lexical_support

SPAN = "Creatinine was 2.10 mg/dL and glucose 182 mg/dL on admission."


def test_sentence_spans_point_into_the_text() -> None:
    text = "Dr. Smith saw her. BP 120/80!\nPlan: rest.\n\nNo fever."
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "Dr. Smith saw her.",
        "BP 120/80!",
        "Plan: rest.",
        "No fever.",
    ]


def test_negation_scope_ends_at_a_clause_break() -> None:
    assert content_terms("No fever, has cough but denies chest pain") == [
        ("fever", True),
        ("cough", False),
        ("chest", True),
        ("pain", True),
    ]
    assert numbers("BP 120/80, creatinine 2.10, 1,000 units") == {"120/80", "2.1", "1000"}


@pytest.mark.parametrize(
    ("sentence", "supported", "why"),
    [
        ("Creatinine was 2.1 mg/dL.", True, "lexical"),  # 2.1 == 2.10
        ("Creatinine was 2.10 mg/dL and glucose 182 mg/dL on admission.", True, "verbatim"),
        ("Creatinine was 3.1 mg/dL.", False, "number not in the cited text"),
        ("Glucose was 182 mg/dL, creatinine 2.1 mg/dL, potassium low.", False, "words"),
        ("It was so.", False, "nothing checkable"),
    ],
)
def test_lexical_rule(sentence: str, supported: bool, why: str) -> None:
    result = lexical_support(sentence, SPAN)
    assert result.supported is supported
    assert result.reason.startswith(why)


def test_negations_must_match() -> None:
    assert not lexical_support(
        "The patient had chest pain.", "No chest pain was reported."
    ).supported
    assert not lexical_support("No cough.", "Productive cough for three days.").supported
    assert lexical_support("No chest pain.", "No chest pain was reported.").supported
    why = lexical_support("Chest pain reported.", "No chest pain was reported.").reason
    assert why == "negation differs from the cited text"


def test_coverage_is_the_share_of_content_words() -> None:
    # content words: creatinine, rise, sharply -> 1 of 3 present
    result = lexical_support("Creatinine rose sharply.", SPAN)
    assert result.coverage == pytest.approx(1 / 3)
    assert not result.supported


def test_several_spans_are_read_together() -> None:
    sentence = "Creatinine was 2.1 mg/dL and chest X-ray showed consolidation."
    spans = [SPAN, "Chest X-ray showed right lower lobe consolidation."]
    assert not lexical_support(sentence, spans[0]).supported
    assert lexical_support(sentence, spans).supported


def test_semantic_hook_can_only_veto() -> None:
    strict = Verifier(semantic=lambda premise, hyp: 0.1, semantic_threshold=0.5)
    lenient = Verifier(semantic=lambda premise, hyp: 0.9)
    assert not strict.check("Creatinine was 2.1 mg/dL.", SPAN).supported
    assert strict.check("Creatinine was 2.1 mg/dL.", SPAN).semantic == 0.1
    assert lenient.check("Creatinine was 2.1 mg/dL.", SPAN).supported
    assert not lenient.check("Creatinine was 3.1 mg/dL.", SPAN).supported


def test_embedding_judge_is_the_clipped_cosine() -> None:
    import numpy as np

    vectors = {"a": [1.0, 0.0], "b": [1.0, 1.0], "c": [-1.0, 0.0]}
    judge = embedding_judge(lambda texts: np.array([vectors[t] for t in texts]))
    assert judge("a", "b") == pytest.approx(2**-0.5)
    assert judge("a", "c") == 0.0
