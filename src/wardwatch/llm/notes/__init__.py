"""Synthetic clinical notes with gold annotations, for measuring redaction and summaries.

Each note is realistic prose (header, HPI, course, labs with LOINC codes, medications by
RxNorm ingredient, social/administrative lines, disposition, follow-up, signature) holding
identifiers of all the Safe Harbor classes in varied surface forms, annotated with exact
spans, plus the sentences that state clinical facts and, on request, embedded
prompt-injection sentences. Alongside, text that looks like PHI and is not: ICD-10 and LOINC
codes, doses, vitals, lab values, bare years, ages up to 89, state names, eponyms ("Wilson
disease"), drug brand names that look like given names, times of day and weekdays (a time of
day alone is not a date element and is not annotated).

    notes = generate_notes(200, seed=1)
    story = notes_for_patient("P-1", 4, seed=1)
"""

from wardwatch.llm.notes._builder import Fact, SyntheticNote
from wardwatch.llm.notes._generate import KINDS, generate_notes, notes_for_patient

__all__ = ["KINDS", "Fact", "SyntheticNote", "generate_notes", "notes_for_patient"]
