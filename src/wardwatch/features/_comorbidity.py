"""Charlson and Elixhauser comorbidity indices from ICD-10-CM codes.

The code lists are the ICD-10 coding algorithms of Quan et al. (Med Care 2005;43:1130-9),
the ones most readmission models use, written as code prefixes (``I50`` matches I50.1,
I50.32...; ``K70.0-K70.3`` is K70.0, K70.1, K70.2 and K70.3). For ICD-10-CM, the diabetes
blocks E10-E14 are widened to E08-E13.

* **Charlson comorbidity index**: the sum of Charlson's weights (1, 2, 3 or 6) over the 17
  conditions present; 0 means none. Hierarchies: diabetes with chronic complications replaces
  diabetes without; moderate/severe liver disease replaces mild; metastatic solid tumour
  replaces any malignancy.
* **Elixhauser count**: the number of the 31 Elixhauser conditions present (0-31), with the
  same replacements for diabetes, tumours and hypertension (complicated over uncomplicated).

:func:`categories_of` maps one code to the categories it belongs to; the scores are computed
in the engine (:mod:`wardwatch.features._definitions`) from these category flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "CHARLSON",
    "ELIXHAUSER",
    "HIERARCHY",
    "Category",
    "categories_of",
    "expand",
]

_DM_UNCOMPLICATED = [f"E{n}.{d}" for n in (8, 9, 10, 11, 12, 13, 14) for d in (0, 1, 6, 8, 9)]
_DM_COMPLICATED = [f"E{n}.{d}" for n in (8, 9, 10, 11, 12, 13, 14) for d in (2, 3, 4, 5, 7)]
_MALIGNANCY = [
    "C00-C26",
    "C30-C34",
    "C37-C41",
    "C43",
    "C45-C58",
    "C60-C76",
]


@dataclass(frozen=True, slots=True)
class Category:
    """One comorbidity of an index: key, words, weight and ICD-10 prefixes."""

    index: str
    key: str
    label: str
    weight: int
    codes: tuple[str, ...]


def _cat(index: str, key: str, label: str, weight: int, *parts: list[str]) -> Category:
    return Category(index, key, label, weight, tuple(c for part in parts for c in part))


CHARLSON: tuple[Category, ...] = (
    _cat("charlson", "mi", "Myocardial infarction", 1, ["I21", "I22", "I25.2"]),
    _cat(
        "charlson",
        "chf",
        "Congestive heart failure",
        1,
        ["I09.9", "I11.0", "I13.0", "I13.2", "I25.5", "I42.0", "I42.5-I42.9", "I43", "I50"],
    ),
    _cat(
        "charlson",
        "pvd",
        "Peripheral vascular disease",
        1,
        ["I70", "I71", "I73.1", "I73.8", "I73.9", "I77.1", "I79.0", "I79.2"],
        ["K55.1", "K55.8", "K55.9", "Z95.8", "Z95.9"],
    ),
    _cat("charlson", "cevd", "Cerebrovascular disease", 1, ["G45", "G46", "H34.0", "I60-I69"]),
    _cat("charlson", "dementia", "Dementia", 1, ["F00-F03", "F05.1", "G30", "G31.1"]),
    _cat(
        "charlson",
        "cpd",
        "Chronic pulmonary disease",
        1,
        ["I27.8", "I27.9", "J40-J47", "J60-J67", "J68.4", "J70.1", "J70.3"],
    ),
    _cat(
        "charlson",
        "rheum",
        "Rheumatic disease",
        1,
        ["M05", "M06", "M31.5", "M32-M34", "M35.1", "M35.3", "M36.0"],
    ),
    _cat("charlson", "pud", "Peptic ulcer disease", 1, ["K25-K28"]),
    _cat(
        "charlson",
        "mld",
        "Mild liver disease",
        1,
        ["B18", "K70.0-K70.3", "K70.9", "K71.3-K71.5", "K71.7", "K73", "K74", "K76.0"],
        ["K76.2-K76.4", "K76.8", "K76.9", "Z94.4"],
    ),
    _cat("charlson", "diab", "Diabetes without chronic complication", 1, _DM_UNCOMPLICATED),
    _cat("charlson", "diabwc", "Diabetes with chronic complication", 2, _DM_COMPLICATED),
    _cat(
        "charlson",
        "hp",
        "Hemiplegia or paraplegia",
        2,
        ["G04.1", "G11.4", "G80.1", "G80.2", "G81", "G82", "G83.0-G83.4", "G83.9"],
    ),
    _cat(
        "charlson",
        "rend",
        "Renal disease",
        2,
        ["I12.0", "I13.1", "N03.2-N03.7", "N05.2-N05.7", "N18", "N19", "N25.0"],
        ["Z49.0-Z49.2", "Z94.0", "Z99.2"],
    ),
    _cat(
        "charlson",
        "canc",
        "Any malignancy, including lymphoma and leukaemia",
        2,
        [*_MALIGNANCY, "C81-C85", "C88", "C90-C97"],
    ),
    _cat(
        "charlson",
        "msld",
        "Moderate or severe liver disease",
        3,
        ["I85.0", "I85.9", "I86.4", "I98.2", "K70.4", "K71.1", "K72.1", "K72.9", "K76.5"],
        ["K76.6", "K76.7"],
    ),
    _cat("charlson", "metacanc", "Metastatic solid tumour", 6, ["C77-C80"]),
    _cat("charlson", "aids", "AIDS/HIV", 6, ["B20-B22", "B24"]),
)

_SHARED = {c.key: list(c.codes) for c in CHARLSON}

ELIXHAUSER: tuple[Category, ...] = (
    _cat("elixhauser", "chf", "Congestive heart failure", 1, _SHARED["chf"]),
    _cat(
        "elixhauser",
        "carit",
        "Cardiac arrhythmias",
        1,
        ["I44.1-I44.3", "I45.6", "I45.9", "I47-I49", "R00.0", "R00.1", "R00.8", "T82.1"],
        ["Z45.0", "Z95.0"],
    ),
    _cat(
        "elixhauser",
        "valv",
        "Valvular disease",
        1,
        ["A52.0", "I05-I08", "I09.1", "I09.8", "I34-I39", "Q23.0-Q23.3", "Z95.2-Z95.4"],
    ),
    _cat(
        "elixhauser",
        "pcd",
        "Pulmonary circulation disorders",
        1,
        ["I26", "I27", "I28.0", "I28.8", "I28.9"],
    ),
    _cat("elixhauser", "pvd", "Peripheral vascular disorders", 1, _SHARED["pvd"]),
    _cat("elixhauser", "hypunc", "Hypertension, uncomplicated", 1, ["I10"]),
    _cat("elixhauser", "hypc", "Hypertension, complicated", 1, ["I11-I13", "I15"]),
    _cat("elixhauser", "para", "Paralysis", 1, _SHARED["hp"]),
    _cat(
        "elixhauser",
        "ond",
        "Other neurological disorders",
        1,
        ["G10-G13", "G20-G22", "G25.4", "G25.5", "G31.2", "G31.8", "G31.9", "G32"],
        ["G35-G37", "G40", "G41", "G93.1", "G93.4", "R47.0", "R56"],
    ),
    _cat("elixhauser", "cpd", "Chronic pulmonary disease", 1, _SHARED["cpd"]),
    _cat("elixhauser", "diabunc", "Diabetes, uncomplicated", 1, _DM_UNCOMPLICATED),
    _cat("elixhauser", "diabc", "Diabetes, complicated", 1, _DM_COMPLICATED),
    _cat("elixhauser", "hypothy", "Hypothyroidism", 1, ["E00-E03", "E89.0"]),
    _cat(
        "elixhauser",
        "rf",
        "Renal failure",
        1,
        ["I12.0", "I13.1", "N18", "N19", "N25.0", "Z49.0-Z49.2", "Z94.0", "Z99.2"],
    ),
    _cat(
        "elixhauser",
        "ld",
        "Liver disease",
        1,
        ["B18", "I85", "I86.4", "I98.2", "K70", "K71.1", "K71.3-K71.5", "K71.7", "K72-K74"],
        ["K76.0", "K76.2-K76.9", "Z94.4"],
    ),
    _cat(
        "elixhauser",
        "pud",
        "Peptic ulcer disease excluding bleeding",
        1,
        ["K25.7", "K25.9", "K26.7", "K26.9", "K27.7", "K27.9", "K28.7", "K28.9"],
    ),
    _cat("elixhauser", "aids", "AIDS/HIV", 1, ["B20-B22", "B24"]),
    _cat(
        "elixhauser",
        "lymph",
        "Lymphoma",
        1,
        ["C81-C85", "C88", "C96", "C90.0", "C90.2"],
    ),
    _cat("elixhauser", "metacanc", "Metastatic cancer", 1, ["C77-C80"]),
    _cat("elixhauser", "solidtum", "Solid tumour without metastasis", 1, [*_MALIGNANCY, "C97"]),
    _cat(
        "elixhauser",
        "rheumd",
        "Rheumatoid arthritis/collagen vascular diseases",
        1,
        ["L94.0", "L94.1", "L94.3", "M05", "M06", "M08", "M12.0", "M12.3", "M30"],
        ["M31.0-M31.3", "M32-M35", "M45", "M46.1", "M46.8", "M46.9"],
    ),
    _cat(
        "elixhauser",
        "coag",
        "Coagulopathy",
        1,
        ["D65-D68", "D69.1", "D69.3-D69.6"],
    ),
    _cat("elixhauser", "obes", "Obesity", 1, ["E66"]),
    _cat("elixhauser", "wloss", "Weight loss", 1, ["E40-E46", "R63.4", "R64"]),
    _cat("elixhauser", "fed", "Fluid and electrolyte disorders", 1, ["E22.2", "E86", "E87"]),
    _cat("elixhauser", "blane", "Blood loss anaemia", 1, ["D50.0"]),
    _cat("elixhauser", "dane", "Deficiency anaemia", 1, ["D50.8", "D50.9", "D51-D53"]),
    _cat(
        "elixhauser",
        "alcohol",
        "Alcohol abuse",
        1,
        ["F10", "E52", "G62.1", "I42.6", "K29.2", "K70.0", "K70.3", "K70.9", "T51", "Z50.2"],
        ["Z71.4", "Z72.1"],
    ),
    _cat(
        "elixhauser",
        "drug",
        "Drug abuse",
        1,
        ["F11-F16", "F18", "F19", "Z71.5", "Z72.2"],
    ),
    _cat(
        "elixhauser",
        "psycho",
        "Psychoses",
        1,
        ["F20", "F22-F25", "F28", "F29", "F30.2", "F31.2", "F31.5"],
    ),
    _cat(
        "elixhauser",
        "depre",
        "Depression",
        1,
        ["F20.4", "F31.3-F31.5", "F32", "F33", "F34.1", "F41.2", "F43.2"],
    ),
)

HIERARCHY: dict[str, tuple[tuple[str, str], ...]] = {
    # index: (kept, dropped when kept is present)
    "charlson": (("diabwc", "diab"), ("msld", "mld"), ("metacanc", "canc")),
    "elixhauser": (("diabc", "diabunc"), ("metacanc", "solidtum"), ("hypc", "hypunc")),
}


def expand(spec: str) -> list[str]:
    """Undotted code prefixes of one list entry: ``"K70.0-K70.3"`` -> K700 ... K703."""
    if "-" not in spec:
        return [spec.replace(".", "")]
    lo, hi = (s.replace(".", "") for s in spec.split("-"))
    if len(lo) != len(hi):
        raise ValueError(f"range ends differ in length: {spec}")
    i = 0
    while i < len(lo) and lo[i] == hi[i]:
        i += 1
    head, a, b = lo[:i], lo[i:], hi[i:]
    if not (a.isdigit() and b.isdigit()) or int(a) > int(b):
        raise ValueError(f"not a numeric range: {spec}")
    return [f"{head}{n:0{len(a)}d}" for n in range(int(a), int(b) + 1)]


@lru_cache(maxsize=1)
def _prefixes() -> dict[str, tuple[tuple[str, str], ...]]:
    table: dict[str, list[tuple[str, str]]] = {}
    for cat in (*CHARLSON, *ELIXHAUSER):
        for entry in cat.codes:
            for prefix in expand(entry):
                table.setdefault(prefix, []).append((cat.index, cat.key))
    return {k: tuple(v) for k, v in table.items()}


def categories_of(code: str) -> list[tuple[str, str]]:
    """The (index, category key) pairs an ICD-10(-CM) code falls in; [] for none.

    A code matches a category when one of its prefixes is listed (``I50.32`` -> I50).
    """
    table = _prefixes()
    plain = code.replace(".", "").strip().upper()
    out: list[tuple[str, str]] = []
    for n in range(3, len(plain) + 1):
        out.extend(table.get(plain[:n], ()))
    return sorted(set(out))
