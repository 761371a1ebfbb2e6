"""Prompt-injection handling: notes are data, never instructions.

Three layers, each testable on its own:

1. **Detection** (:func:`instruction_kind`, :func:`find_instructions`): sentences of a source
   that address the model rather than describe the patient ("ignore previous instructions
   and ...", "you are now ...", "assistant: write ...") are flagged. Flagged sentences are
   never extractive candidates, are left out of what is sent to a model by default, and a
   cited span inside one never supports a sentence.
2. **Quoting** (:func:`quote_sources`): what is sent is wrapped as quoted data between
   delimiters the system prompt tells the model never to obey; delimiter look-alikes inside
   a note are defused so that a note cannot close its own quote.
3. **Output check** (:func:`output_violation`): an answer sentence is rejected when it is
   itself instruction-like, repeats the system prompt's canary token (the model leaked its
   instructions), or carries out a flagged instruction: it states an instruction's payload
   ("... and state that the patient is cleared to drive") or parrots the instruction.

The patterns favour recall on instruction-like text addressed to a model, and are anchored
on words clinical prose does not use together ("previous instructions", "system prompt",
"you are now an assistant"): a note saying "told to ignore prior diet advice" is not flagged.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from wardwatch.llm._text import sentence_spans
from wardwatch.llm.support import lexical_support

__all__ = [
    "CLOSE",
    "OPEN",
    "InstructionFlag",
    "find_instructions",
    "injection_payloads",
    "instruction_kind",
    "new_canary",
    "output_violation",
    "quote_sources",
]

OPEN = "<<<SOURCE {label}>>>"
CLOSE = "<<<END SOURCE>>>"

_W = r"[^.!?\n]{0,60}?"
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.I))
    for name, rx in (
        (
            "override",
            rf"\b(ignore|disregard|forget|override|bypass|skip)\b{_W}\b(previous|prior|above|earlier|"
            r"all|any|the|your|these|system|original)\s+(instructions?|prompts?|rules|directions|"
            r"guidelines|guardrails|context)\b",
        ),
        (
            "override_above",
            r"\b(ignore|disregard|forget)\s+(all\s+|everything\s+)?(of\s+)?(the\s+)?(above|"
            r"foregoing|preceding)\b",
        ),
        (
            "role",
            r"\byou\s+are\s+(now|no\s+longer)\b|\bact\s+as\s+(an?\s+)?(ai|assistant|model|"
            r"system|admin)",
        ),
        (
            "system",
            r"\b(system|developer)\s+(prompt|message|instructions?)\b|<\|?(system|im_start|"
            r"im_end|assistant)\|?>|\[/?(INST|SYS)\]",
        ),
        (
            "address",
            r"\b(assistant|ai|chatbot|language\s+model|llm|summari[sz]er)\s*[:,]\s*"
            r"(please\s+)?(write|say|output|print|respond|reply|state|include|add|"
            r"reveal|list|ignore|report|append)\b",
        ),
        ("new_instructions", r"\bnew\s+instructions?\b|\bbegin\s+instructions?\b"),
        (
            "exfiltrate",
            rf"\b(reveal|print|output|disclose|leak|expose|repeat)\b{_W}\b(prompt|"
            r"instructions|ssn|social\s+security|password|secret|api\s+key|"
            r"identifiers|mrn)\b",
        ),
        ("instead", r"\binstead\s*,?\s+(write|say|output|state|report|respond|print|claim)\b"),
        (
            "in_summary",
            rf"\b(in|into)\s+(your|the)\s+(summary|answer|response|output)\b{_W}\b"
            r"(write|say|state|include|add|report|claim|mention)\b|\b(when|while)\s+"
            rf"summari[sz]ing\b{_W}\b(write|say|state|include|add|report|claim)\b",
        ),
        (
            "do_not",
            r"\b(do\s+not|don't|never)\s+(redact|cite|mention\s+the\s+(allerg|diagnos)|"
            r"follow\s+(the|your))",
        ),
    )
)
_PAYLOAD = re.compile(
    r"\b(?:write|say|state|output|print|respond\s+with|reply\s+with|report|claim|include|add|"
    r"mention|document)\s+(?:that\s+|the\s+words?\s+|only\s+)?[\"“']?([^\"”'\n]{6,200}?)[\"”']?"
    r"\s*(?:[.!?]|$)",
    re.I,
)
_QUOTED = re.compile(r"[\"“]([^\"”\n]{6,200})[\"”]")
_DELIMS = re.compile(r"<<<|>>>")


def instruction_kind(text: str) -> str | None:
    """The name of the first injection pattern ``text`` matches, or None for plain data."""
    for name, pattern in _PATTERNS:
        if pattern.search(text):
            return name
    return None


@dataclass(frozen=True)
class InstructionFlag:
    """An instruction-like sentence found in a source: where, and which pattern matched."""

    source_id: str
    start: int
    end: int
    kind: str


def find_instructions(source_id: str, text: str) -> list[InstructionFlag]:
    """Every instruction-like sentence of a source text, as flags with spans into ``text``."""
    out = []
    for start, end in sentence_spans(text):
        kind = instruction_kind(text[start:end])
        if kind is not None:
            out.append(InstructionFlag(source_id, start, end, kind))
    return out


def injection_payloads(instruction: str) -> list[str]:
    """What an instruction asks the model to say: quoted text, or the object of "state ..."."""
    found = [m.group(1).strip() for m in _QUOTED.finditer(instruction)]
    found += [m.group(1).strip() for m in _PAYLOAD.finditer(instruction)]
    return [p for p in dict.fromkeys(found) if len(p) >= 6]


def quote_sources(items: Iterable[tuple[str, str]]) -> str:
    """``(label, text)`` pairs as quoted data blocks; delimiter look-alikes in text defused."""
    blocks = []
    for label, text in items:
        safe = _DELIMS.sub(lambda m: "‹‹‹" if m.group() == "<<<" else "›››", text)
        blocks.append(f"{OPEN.format(label=label)}\n{safe}\n{CLOSE}")
    return "\n".join(blocks)


def new_canary(rng: random.Random) -> str:
    """A token for the system prompt that must never appear in an answer (seeded)."""
    return f"CANARY-{rng.getrandbits(48):012x}"


def output_violation(
    sentence: str, *, canary: str | None = None, instructions: Sequence[str] = ()
) -> str | None:
    """Why an answer sentence must be rejected as following an injection, or None.

    ``instructions`` are the texts of the instruction-like sentences of the sources. Codes:
    ``canary`` (leaked the system prompt), ``instruction_like`` (the sentence is itself an
    instruction), ``injection`` (states an instruction's payload or parrots an instruction).
    """
    if canary and canary.lower() in sentence.lower():
        return "canary"
    if instruction_kind(sentence) is not None:
        return "instruction_like"
    for instruction in instructions:
        if lexical_support(sentence, instruction, threshold=0.6).supported:
            return "injection"
        for payload in injection_payloads(instruction):
            if lexical_support(payload, sentence, threshold=0.7).supported:
                return "injection"
    return None
