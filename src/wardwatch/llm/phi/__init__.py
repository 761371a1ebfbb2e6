"""PHI redaction for wardwatch's LLM workflows: find the 18 Safe Harbor identifier classes in
clinical text, replace them by consistent placeholders before text leaves for a non-local
backend, and restore them locally in the answer.

Offline and deterministic: Microsoft Presidio's analyzer on a blank spaCy English pipeline
with wardwatch's own recognizers (patterns with labels, word lists, capitalisation rules).

    redactor = Redactor.default()
    session = redactor.session()
    safe = session.redact(note)          # "[NAME_1] seen on [DATE_1] ..."
    answer = session.restore(llm_reply)  # placeholders back to the originals, locally
"""

from wardwatch.llm.phi._classes import PHI_CLASSES, PLACEHOLDER_RE, PhiSpan
from wardwatch.llm.phi._engine import baseline_analyzer, wardwatch_analyzer
from wardwatch.llm.phi._metrics import COVERAGE, ClassScore, RedactionScore, score_redaction
from wardwatch.llm.phi._redactor import RedactionSession, Redactor

__all__ = [
    "COVERAGE",
    "PHI_CLASSES",
    "PLACEHOLDER_RE",
    "ClassScore",
    "PhiSpan",
    "RedactionScore",
    "RedactionSession",
    "Redactor",
    "baseline_analyzer",
    "score_redaction",
    "wardwatch_analyzer",
]
