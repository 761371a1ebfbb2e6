"""Duplicates: the same clinical event recorded twice, the same person registered twice.

``duplicate-events`` finds exact copies of an event under a new id (an interface that re-sent a
message, a bulk export merged twice): same patient, code, clinical time and value. Only the
relational engine sees the rows: one aggregate finds the rows that share patient, code and time
with another row (by a hash of the three), and a window over the event's identity names, among
those rows only, per group, the row that came first (by source file, line and id); every later
copy is a finding pointing at it.

``duplicate-patients`` finds probable duplicate registrations: the same person under a new id
and MRN, with the small errors a registration clerk makes (a typo in the name, two digits of
the phone number swapped, day and month of birth transposed). Candidate pairs are blocked in
the engine (one self-join over a few keys, each of which survives one such error); only those
pairs come back to Python, where :func:`score_pair` scores them field by field with ``rapidfuzz``.
Findings carry similarities and words, never the identifying values themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import ibis
from pydantic import Field, field_validator
from rapidfuzz.distance import OSA, Indel, JaroWinkler

from wardwatch.core.schemas import table_spec
from wardwatch.quality._context import CheckContext
from wardwatch.quality._model import CheckResult, Finding, Severity
from wardwatch.quality._registry import Params, register
from wardwatch.quality._rules import RowRule, evaluate, field_path, resource_type

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = [
    "EVENT_IDENTITY",
    "FIELD_WEIGHTS",
    "DuplicateEventParams",
    "DuplicatePatientParams",
    "score_pair",
]

# --- duplicate events ---------------------------------------------------------------------

#: Per event table: the clinical time and the other columns that, with patient, encounter, code
#: and code system, say which event a row records. Nulls compare equal (the engine's partitions
#: are null-safe). A copy keeps its encounter; two encounters of one patient that happen to
#: share a minute and a value (one component of two blood pressures) are two measurements. A
#: condition's onset is the disease's, shared by every encounter diagnosis and problem-list
#: entry that asserts it, so a condition is the same record only when it is also asserted with
#: the same category at the same recorded time.
EVENT_IDENTITY: dict[str, tuple[str, tuple[str, ...]]] = {
    "observations": ("effective_time", ("value_num", "value_unit", "value_code", "value_text")),
    "conditions": ("onset_time", ("category", "recorded_time")),
    "medications": ("recorded_time", ()),
    "procedures": ("start_time", ()),
}


class DuplicateEventParams(Params):
    """``duplicate-events`` has no parameters yet (the identity of an event is fixed)."""


@register(
    "duplicate-events",
    "The same event is not recorded twice under different ids (same patient, encounter, code, "
    "clinical time and value).",
    tables=tuple(EVENT_IDENTITY),
    params=DuplicateEventParams,
    severity=Severity.ERROR,
)
def duplicate_events(ctx: CheckContext, table: str, params: DuplicateEventParams) -> CheckResult:
    """Every later copy of an event (by source file, line, id) is a finding whose
    ``related_id`` is the first copy. Rows without a time, patient or code are never grouped;
    component rows of one observation (``<id>#<n>``) are never flagged against each other."""
    if table not in EVENT_IDENTITY:
        return CheckResult(
            "duplicate-events",
            table,
            Severity.ERROR,
            "duplicate events",
            error=f"no event identity for table {table}",
        )
    time_col, extra = EVENT_IDENTITY[table]
    key = table_spec(table).key
    t = ctx.table(table)
    t = t.filter(t.patient_id.notnull() & t.code.notnull() & t[time_col].notnull())
    # A column the lake lacks (a schema finding of its own) just does not discriminate.
    names = ("patient_id", "encounter_id", "code", "code_system", time_col, *extra)
    present = [c for c in names if c in t.columns]
    # Only rows that share patient, code and time with another row can be copies. One
    # aggregate over a hash of those three (never null here; equal values, equal hash) finds
    # the hashes held by more than one row, and only their rows go through the windows over
    # the whole identity, which drop the rows that merely share a hash (sorting every row of
    # the table is what costs). The aggregate reads its own view of the table, so that the
    # engine streams the table twice instead of keeping every row of it for the join.
    v = ctx.table(table).view()
    v = v.filter(v.patient_id.notnull() & v.code.notnull() & v[time_col].notnull())
    shared = v.group_by(__h=_event_hash(v, time_col)).aggregate(__n=v.count())
    shared = shared.filter(shared.__n > 1)
    t = t.semi_join(shared, _event_hash(t, time_col) == shared.__h)
    group = [t[c] for c in present]
    ordered = ibis.window(group_by=group, order_by=[t.source_file, t.source_line, t[key]])
    rel = t.mutate(
        __first=t[key].first().over(ordered), __copies=t.count().over(ibis.window(group_by=group))
    )
    if not ctx.rows(table):
        return CheckResult("duplicate-events", table, Severity.ERROR, "duplicate events")
    # Restrict to rows of groups with copies before comparing ids: cheap for the engine. The
    # few rows left are kept, so that counting and listing them does not redo the above.
    with ctx.engine.held(rel.filter(rel.__copies > 1)) as rel:
        this, first = _resource_id(rel[key], table), _resource_id(rel.__first, table)
        rule = RowRule(
            "duplicate-event",
            field_path(table, key),
            this != first,
            rel.__copies.cast("string") + " records of one event",
            "one record per " + ", ".join(present),
            related=rel.__first,
        )
        return evaluate(
            ctx,
            check="duplicate-events",
            table=table,
            description="duplicate events",
            relation=rel,
            rules=[rule],
            checked=ctx.rows(table),
        )


def _event_hash(t: ir.Table, time_col: str) -> ir.IntegerValue:
    """A hash of a row's patient, code and clinical time (the engine's own hash function)."""
    return t.patient_id.hash() ^ t.code.hash() ^ t[time_col].hash()


def _resource_id(col: ir.StringValue, table: str) -> ir.StringValue:
    """The resource id of a row: an observation component's ``<id>#<n>`` without ``#<n>``."""
    if table != "observations":
        return col
    pos = col.find("#")
    return ibis.cases((pos >= 0, col.substr(0, pos)), else_=col)


# --- duplicate patients -------------------------------------------------------------------

#: Weight of each field in the match score (renormalized over the fields both records have).
FIELD_WEIGHTS: dict[str, float] = {
    "family_name": 0.20,
    "given_name": 0.20,
    "birth_date": 0.20,
    "sex": 0.05,
    "ssn": 0.15,
    "phone": 0.10,
    "address_line": 0.07,
    "postal_code": 0.03,
}
#: A strong disagreement multiplies the score down: a different first name, sex or birth date
#: (beyond a typo) is a different person even when the household (address, phone) is shared.
#: field -> (similarity below which the field disagrees strongly, factor).
_VETO: dict[str, tuple[float, float]] = {
    "given_name": (0.8, 0.7),
    "sex": (1.0, 0.7),
    "birth_date": (0.5, 0.7),
    "ssn": (0.5, 0.8),
}
_PAIR_COLUMNS = (
    "patient_id",
    "family_name",
    "given_name",
    "birth_date",
    "sex",
    "ssn",
    "phone",
    "address_line",
    "postal_code",
    "source_file",
    "source_line",
)


class DuplicatePatientParams(Params):
    """Parameters of ``duplicate-patients``."""

    threshold: float = 0.85
    """A pair scoring at least this (0-1) is a probable duplicate."""
    weights: dict[str, float] = Field(default_factory=dict)
    """Overrides of :data:`FIELD_WEIGHTS` (field name -> weight >= 0)."""
    max_block: int = 100
    """Blocks (patients sharing a blocking key) larger than this are skipped: a placeholder
    phone number or birth date shared by thousands would otherwise make a quadratic join."""

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, v: float) -> float:
        if not 0.0 < v <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        return v

    @field_validator("weights")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        for name, w in v.items():
            if name not in FIELD_WEIGHTS:
                raise ValueError(f"unknown field {name!r} (one of {', '.join(FIELD_WEIGHTS)})")
            if w < 0:
                raise ValueError(f"weight of {name} must be >= 0")
        return v

    @field_validator("max_block")
    @classmethod
    def _max_block(cls, v: int) -> int:
        if v < 2:
            raise ValueError("max_block must be at least 2")
        return v


@register(
    "duplicate-patients",
    "No person is registered twice (probable duplicates: names, birth date, phone, address "
    "and SSN nearly the same under different ids).",
    tables=("patients",),
    params=DuplicatePatientParams,
    severity=Severity.ERROR,
)
def duplicate_patients(
    ctx: CheckContext, table: str, params: DuplicatePatientParams
) -> CheckResult:
    """One finding per pair of patients scoring at least ``threshold``: ``record_id`` is the
    later registration (by source file, line, id), ``related_id`` the earlier one."""
    result = CheckResult("duplicate-patients", table, Severity.ERROR, "duplicate patients")
    result.checked = ctx.rows(table)
    if result.checked < 2:
        result.metrics = {"candidate_pairs": 0, "threshold": params.threshold}
        return result
    t = ctx.table(table)
    pairs = _candidate_pairs(t, params.max_block)
    rows = _pair_rows(ctx, t, pairs)
    weights = {**FIELD_WEIGHTS, **params.weights}
    matches: list[tuple[dict[str, Any], dict[str, Any], float, str, str]] = []
    for a, b in rows:
        score, field, evidence = score_pair(a, b, weights=weights)
        if score >= params.threshold:
            later, earlier = (b, a) if _order(a) <= _order(b) else (a, b)
            matches.append((later, earlier, score, field, evidence))
    matches.sort(key=lambda m: _order(m[0]))
    result.metrics = {"candidate_pairs": len(rows), "threshold": params.threshold}
    result.failed = len(matches)
    if matches:
        result.by_reason["duplicate-patient"] = len(matches)
    limit = ctx.max_findings
    for later, earlier, score, field, evidence in matches:
        src = later["source_file"] or "(unknown)"
        result.by_source[src] = result.by_source.get(src, 0) + 1
        if limit is not None and len(result.findings) >= limit:
            result.truncated = True
            continue
        result.findings.append(
            Finding(
                check="duplicate-patients",
                reason="duplicate-patient",
                severity=result.severity,
                table=table,
                record_id=later["patient_id"],
                field=field_path(table, field),
                expected="a distinct person",
                found=evidence,
                resource_type=resource_type(table),
                patient_id=later["patient_id"],
                source=later["source_file"],
                line=later["source_line"],
                related_id=earlier["patient_id"],
                score=round(score, 4),
                # the report masks ``found`` of identifying fields; the evidence holds no
                # identifying value, so the message keeps it readable there
                message=f"probable duplicate registration ({evidence}); merge the two records "
                "or mark them as distinct people",
            )
        )
    return result


def _order(row: Mapping[str, Any]) -> tuple[str, int, str]:
    """Registration order: source file, line, id (missing provenance sorts last)."""
    line = row.get("source_line")
    return (
        row.get("source_file") or "\uffff",
        line if line is not None else 2**62,
        row.get("patient_id") or "",
    )


def _norm(col: ir.StringValue) -> ir.StringValue:
    """Lower case, trimmed; blank as null (a blank is no evidence)."""
    s = col.lower().strip()
    return ibis.cases((s == "", ibis.null("string")), else_=s)


def _digits(col: ir.StringValue) -> ir.StringValue:
    """The digits of a phone number or SSN, with the usual separators removed."""
    s = col
    for ch in ("-", " ", "(", ")", ".", "+", "/"):
        s = s.replace(ch, "")
    return ibis.cases((s == "", ibis.null("string")), else_=s)


def _candidate_pairs(t: ir.Table, max_block: int) -> ir.Table:
    """Pairs ``(id_a, id_b)``, ``id_a < id_b``, sharing at least one blocking key.

    Each key survives one of the errors duplicates carry: a name typo keeps the birth date,
    a transposed birth date keeps the names, any of them keeps the phone number and the SSN.
    The keys are stacked into one ``(patient, key)`` relation (each key as text, prefixed with
    its kind), so that a single self-join blocks on all of them.
    """

    def col(name: str) -> ir.StringValue:
        # a column the lake lacks (a schema finding of its own) blocks nothing
        if name not in t.columns:
            return ibis.null("string")
        return t[name].cast("string")

    keyed = t.filter(t.patient_id.notnull()).select(
        pid=t.patient_id,
        birth=col("birth_date"),
        fam=_norm(col("family_name")),
        giv=_norm(col("given_name")),
        sex=_norm(col("sex")),
        phone=_digits(col("phone")),
        ssn=_digits(col("ssn")),
    )
    keysets: Sequence[tuple[str, ...]] = (
        ("birth", "giv", "sex"),
        ("birth", "fam"),
        ("fam", "giv", "sex"),
        ("phone",),
        ("ssn",),
    )
    stacked: ir.Table | None = None
    for keys in keysets:
        text: ir.StringValue = ibis.literal("/".join(keys))
        for k in keys:
            text = text + "|" + keyed[k]
        part = keyed.filter(ibis.and_(*(keyed[k].notnull() for k in keys))).select(
            pid=keyed.pid, bkey=text
        )
        stacked = part if stacked is None else stacked.union(part, distinct=False)
    assert stacked is not None
    sizes = stacked.group_by("bkey").aggregate(members=stacked.count())
    sizes = sizes.filter((sizes.members > 1) & (sizes.members <= max_block))
    sizes = sizes.select(okey=sizes.bkey)
    blocked = stacked.inner_join(sizes, stacked.bkey == sizes.okey).select("pid", "bkey")
    a = blocked.select(id_a=blocked.pid, key_a=blocked.bkey)
    other = blocked.view()
    b = other.select(id_b=other.pid, key_b=other.bkey)
    pairs = a.inner_join(b, [a.key_a == b.key_b, a.id_a < b.id_b]).select("id_a", "id_b")
    return pairs.distinct()


def _pair_rows(
    ctx: CheckContext, t: ir.Table, pairs: ir.Table
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """The candidate pairs with both records' fields (one row per pair)."""
    cols = [c for c in _PAIR_COLUMNS if c in t.columns]
    a = t.select(**{f"a__{c}": t[c] for c in cols})
    other = t.view()
    b = other.select(**{f"b__{c}": other[c] for c in cols})
    joined = pairs.inner_join(a, pairs.id_a == a.a__patient_id).inner_join(
        b, pairs.id_b == b.b__patient_id
    )
    data = ctx.engine.to_arrow(joined.select(*a.columns, *b.columns)).to_pylist()
    seen: set[tuple[str, str]] = set()
    out: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for row in data:
        ra = {c: row[f"a__{c}"] for c in cols}
        rb = {c: row[f"b__{c}"] for c in cols}
        pair = (ra["patient_id"], rb["patient_id"])
        if pair in seen:  # an id listed twice (unique-keys reports it): score it once
            continue
        seen.add(pair)
        out.append((ra, rb))
    out.sort(key=lambda p: (p[0]["patient_id"], p[1]["patient_id"]))
    return out


# --- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sim:
    """The similarity of one field (0-1) and how it reads in the evidence."""

    value: float
    words: str


def score_pair(
    a: Mapping[str, Any], b: Mapping[str, Any], *, weights: Mapping[str, float] | None = None
) -> tuple[float, str, str]:
    """How likely two patient records are the same person.

    Each field both records have is compared (names: Jaro-Winkler on the lower-cased text;
    birth date: exact 1.0, day and month transposed 0.9, one digit wrong or two adjacent digits
    swapped 0.85; phone and SSN: digits equal 1.0, one edit or swap 0.9, two 0.5; address:
    Indel similarity; postal code and sex: equal or not). The score is the weighted mean of
    the similarities over the fields both have, times a penalty for each strong disagreement
    (another first name, sex, birth date or SSN), so a twin or a spouse sharing the
    household's address and phone stays well below a typo'd re-registration.

    Returns ``(score, field, evidence)``: the score (0-1; 1 is the same record), the column
    that differs most (``patient_id`` when nothing differs but the id) and a one-line
    evidence text made of similarities and words only, never of the values.
    """
    w = dict(FIELD_WEIGHTS if weights is None else weights)
    sims: dict[str, _Sim] = {}
    fam = _name_sim(a.get("family_name"), b.get("family_name"))
    if fam is not None:
        sims["family_name"] = fam
    giv = _given_sim(a.get("given_name"), b.get("given_name"))
    if giv is not None:
        sims["given_name"] = giv
    birth = _date_sim(a.get("birth_date"), b.get("birth_date"))
    if birth is not None:
        sims["birth_date"] = birth
    sex = _equal_sim(_text(a.get("sex")), _text(b.get("sex")))
    if sex is not None:
        sims["sex"] = sex
    for name in ("ssn", "phone"):
        s = _number_sim(a.get(name), b.get(name))
        if s is not None:
            sims[name] = s
    addr = _address_sim(a.get("address_line"), b.get("address_line"))
    if addr is not None:
        sims["address_line"] = addr
    postal = _equal_sim(_postal(a.get("postal_code")), _postal(b.get("postal_code")))
    if postal is not None:
        sims["postal_code"] = postal
    total = sum(w.get(f, 0.0) for f in sims)
    if total <= 0:
        return 0.0, "patient_id", "score 0.00: no field to compare"
    score = sum(w.get(f, 0.0) * s.value for f, s in sims.items()) / total
    vetoes = []
    for f, (below, factor) in _VETO.items():
        s = sims.get(f)
        if s is not None and w.get(f, 0.0) > 0 and s.value < below:
            score *= factor
            vetoes.append(f)
    score = max(0.0, min(1.0, score))
    differing = [(s.value, f) for f, s in sims.items() if s.value < 1.0 and w.get(f, 0.0) > 0]
    field = min(differing)[1] if differing else "patient_id"
    parts = [f"{f} {s.words}" for f, s in sims.items()]
    if vetoes:
        parts.append("differs in " + "/".join(vetoes))
    shown = math.floor(score * 100 + 1e-9) / 100  # rounded down: only the same record shows 1.00
    return score, field, f"score {shown:.2f}: " + ", ".join(parts)


def _text(v: Any) -> str | None:
    if v is None:
        return None
    s = " ".join(str(v).lower().split())
    return s or None


def _fmt(x: float) -> str:
    return f"{x:.2f}"


def _name_sim(x: Any, y: Any) -> _Sim | None:
    a, b = _text(x), _text(y)
    if a is None or b is None:
        return None
    s = float(JaroWinkler.normalized_similarity(a, b))
    return _Sim(s, "same" if a == b else _fmt(s))


def _given_sim(x: Any, y: Any) -> _Sim | None:
    """Given names (first and middle): the whole text, or the first name alone when one
    record has no middle name."""
    a, b = _text(x), _text(y)
    if a is None or b is None:
        return None
    s = float(JaroWinkler.normalized_similarity(a, b))
    fa, fb = a.split(" ")[0], b.split(" ")[0]
    if " " not in a or " " not in b:
        s = max(s, float(JaroWinkler.normalized_similarity(fa, fb)))
    return _Sim(s, "same" if a == b else _fmt(s))


def _equal_sim(a: str | None, b: str | None) -> _Sim | None:
    if a is None or b is None:
        return None
    return _Sim(1.0, "same") if a == b else _Sim(0.0, "different")


def _postal(v: Any) -> str | None:
    s = _text(v)
    return s.replace(" ", "")[:5] if s else None


def _address_sim(x: Any, y: Any) -> _Sim | None:
    a, b = _text(x), _text(y)
    if a is None or b is None:
        return None
    s = float(Indel.normalized_similarity(a, b))
    return _Sim(s, "same" if a == b else _fmt(s))


def _only_digits(v: Any) -> str | None:
    if v is None:
        return None
    d = "".join(ch for ch in str(v) if ch.isdigit())
    if len(d) == 11 and d[0] == "1":  # +1 country code of a NANP phone number
        d = d[1:]
    return d or None


def _number_sim(x: Any, y: Any) -> _Sim | None:
    """Phone numbers and SSNs: digits equal, one digit wrong, two adjacent digits swapped."""
    a, b = _only_digits(x), _only_digits(y)
    if a is None or b is None:
        return None
    if a == b:
        return _Sim(1.0, "same")
    d = int(OSA.distance(a, b))
    if d == 1:
        swapped = len(a) == len(b) and sorted(a) == sorted(b)
        return _Sim(0.9, "digits swapped" if swapped else "one digit off")
    if d == 2:
        return _Sim(0.5, "two digits off")
    return _Sim(0.0, "different")


def _as_date(v: Any) -> date | None:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v[:10])
        except ValueError:
            return None
    return None


def _date_sim(x: Any, y: Any) -> _Sim | None:
    """Birth dates: exact, day and month transposed, one digit wrong or two adjacent digits
    swapped (``YYYYMMDD``)."""
    a, b = _as_date(x), _as_date(y)
    if a is None or b is None:
        return None
    if a == b:
        return _Sim(1.0, "same")
    if a.year == b.year and a.month == b.day and a.day == b.month:
        return _Sim(0.9, "day/month transposed")
    sa, sb = a.strftime("%Y%m%d"), b.strftime("%Y%m%d")
    if int(OSA.distance(sa, sb)) == 1:
        return _Sim(0.85, "one digit off")
    return _Sim(0.0, "different")
