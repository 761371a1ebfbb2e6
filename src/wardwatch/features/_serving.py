"""A use case's features for one patient at request time, from FHIR R4 resources.

    from wardwatch.features import features_from_fhir, flatten_resources, load_usecase

    resources = flatten_resources(prefetch)        # a Bundle, a list, or a CDS Hooks prefetch
    ff = features_from_fhir(resources, usecase, encounter_id="enc-1", now=datetime.now(UTC))
    ff.row                # feature name -> value (None = missing), as build_features gives it
    ff.prediction_time    # the index stay's discharge, or ``now``

The values are the batch pipeline's because the code is the batch pipeline's: the resources
go through the FHIR ingest mappers as one collection Bundle (the rows a Bundle file in the lake
would hold; what the mappers quarantine is skipped with a warning), the rows become Arrow
tables registered on a private DuckDB connection (in memory: nothing is written anywhere),
and the index event and its features come from the Ibis queries of
:func:`~wardwatch.features.build_features` (:func:`~wardwatch.features._cohort.index_events`,
``stay_columns``, ``attach_features``). Only the cohort differs: the index event is given (a
discharge being scored now has no follow-up and no label), so no exclusion applies and no
label is computed.

Speed: compiling those Ibis expressions takes about a second, so they are compiled once per
use case to SQL over tables known by name (:func:`prepare_features`, or the first call) and
each call only runs the SQL: the index event first (a one-row temporary table, so that the
feature query does not plan it once per family), the inputs of the lookup tables (unit
conversions, comorbidity categories, made in Python by the batch code), then the features.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import orjson
import pyarrow as pa

from wardwatch.core.schemas import TABLES, arrow_schema
from wardwatch.errors import InputError
from wardwatch.features._build import _TABLES, attach_features
from wardwatch.features._cohort import index_events
from wardwatch.features._definitions import stay_columns
from wardwatch.features._spec import UseCase
from wardwatch.ingest import Rejection, Row
from wardwatch.ingest._writer import _to_arrow
from wardwatch.ingest.fhir import parse_bundle
from wardwatch.quality import Engine

if TYPE_CHECKING:
    import ibis.expr.types as ir

__all__ = ["FhirFeatures", "features_from_fhir", "flatten_resources", "prepare_features"]

_MAX_NESTING = 8
"""Containers (Bundles, lists, a prefetch mapping) nested deeper than this are refused."""
_MAX_DEPTH = 64
"""References are looked for down to this depth of a resource (the mappers' own limit)."""
_NO_ENCOUNTER = ""
"""The index id when there is no index stay: an empty string is never a FHIR id."""
_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}").fullmatch
_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_.\[\]\-]{0,199}").fullmatch
_URN = ("urn:uuid:", "urn:oid:")
_PROVENANCE = ("request", "", "fhir-request", "serving")
_JSON_TYPES = {dict: "object", list: "array", str: "string", int: "number", float: "number"}
_STAY = "ww_index_stay"
_INDEX = "ww_index"
_STAY_SCHEMA = pa.schema(
    [pa.field(c.name, c.arrow_type) for c in TABLES["encounters"].columns]
    + [pa.field("ww_at", pa.timestamp("us", tz="UTC"))]
)
_PATIENT_COL = {
    name: [c.name for c in spec.columns].index("patient_id")
    for name, spec in TABLES.items()
    if "patient_id" in [c.name for c in spec.columns]
}


@dataclass(frozen=True)
class FhirFeatures:
    """One patient's feature row at request time, and how it was made.

    ``row`` maps every feature of the use case to its value, exactly what
    :func:`~wardwatch.features.build_features` gives for the same patient and index stay:
    a float for numeric features, a string for categorical ones, None when missing (a lab
    never measured in its window; a count with nothing to count is 0.0, not missing).
    ``patient_id`` is the Patient's id as received (pseudonymize it before logging).
    ``encounter_id`` is the index stay, or None when the patient has none (stay features are
    then missing). ``prediction_time`` (aware, UTC) is the only time the features look back
    from: a source row counts only when recorded at or before it. ``warnings`` say what was
    skipped (reason, resource type and element path; never a value or an id).
    """

    row: dict[str, Any]
    patient_id: str
    encounter_id: str | None
    prediction_time: datetime
    warnings: tuple[str, ...]


# -- flattening -------------------------------------------------------------------------------


def flatten_resources(obj: Any) -> list[dict[str, Any]]:
    """The FHIR resources in ``obj``, in order, as one flat list.

    ``obj`` is a resource, a Bundle of any type (its ``entry.resource``s; entries without a
    resource are skipped; a Bundle inside is flattened too), a list of those, or a CDS Hooks
    ``prefetch`` mapping whose values are any of those or None (skipped). References to a
    Bundle entry's ``urn:uuid:``/``urn:oid:`` fullUrl are rewritten to ``Type/id`` (in copies),
    so that they still resolve once the Bundle is gone.

    Raises:
        InputError: something in ``obj`` is neither of those; the message names where
            (``prefetch['observations'].entry[3].resource``) and the JSON type found, never
            a value.
    """
    out: list[dict[str, Any]] = []
    urns: dict[str, str] = {}
    _flatten(obj, "input", out, urns, 0, top=True)
    if urns:
        out = [_rewrite(r, urns, 0) for r in out]
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for kind, name in _JSON_TYPES.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "object"
    return f"non-JSON value ({type(value).__name__})"


def _junk(where: str, expected: str, value: Any) -> InputError:
    return InputError(
        "the input is not FHIR R4 resources",
        field=where,
        expected=expected,
        found=_json_type(value),
        hint="send a Bundle, a list of resources or a CDS Hooks prefetch object",
    )


def _flatten(
    obj: Any, where: str, out: list[dict[str, Any]], urns: dict[str, str], nest: int, *, top: bool
) -> None:
    if nest > _MAX_NESTING:
        raise InputError(
            "resources nested too deep",
            field=where,
            expected=f"Bundles and lists nested at most {_MAX_NESTING} deep",
            found="deeper nesting",
        )
    what = "a FHIR resource, a Bundle or a list of them"
    if isinstance(obj, list | tuple):
        for i, item in enumerate(obj):
            if item is not None:
                _flatten(item, f"{where}[{i}]", out, urns, nest + 1, top=False)
        return
    if not isinstance(obj, Mapping):
        raise _junk(where, what, obj)
    rtype = obj.get("resourceType")
    if rtype is None and top:  # a CDS Hooks prefetch: key -> resource | Bundle | None
        for key, value in obj.items():
            name = f"prefetch[{key!r}]" if isinstance(key, str) and _KEY(key) else "prefetch[?]"
            if value is not None:
                _flatten(value, name, out, urns, nest + 1, top=False)
        return
    if not isinstance(rtype, str):
        raise _junk(f"{where}.resourceType", "a resourceType string", rtype)
    if rtype != "Bundle":
        out.append(obj if isinstance(obj, dict) else dict(obj))
        return
    entries = obj.get("entry")
    if entries is None:
        return
    if not isinstance(entries, list | tuple):
        raise _junk(f"{where}.entry", "an array of entries", entries)
    for i, entry in enumerate(entries):
        at = f"{where}.entry[{i}]"
        if not isinstance(entry, Mapping):
            raise _junk(at, "a Bundle entry (an object)", entry)
        res = entry.get("resource")
        if res is None:
            continue  # a request or a response without a resource: nothing to score
        if not isinstance(res, Mapping):
            raise _junk(f"{at}.resource", "a FHIR resource (an object)", res)
        _flatten(res, f"{at}.resource", out, urns, nest + 1, top=False)
        target = _entry_target(entry.get("fullUrl"), res)
        if target is not None:
            urns.setdefault(*target)


def _entry_target(full: Any, res: Mapping[str, Any]) -> tuple[str, str] | None:
    """(``urn:`` fullUrl, ``Type/id``) of a Bundle entry whose fullUrl is a URN."""
    rtype, rid = res.get("resourceType"), res.get("id")
    if not isinstance(full, str) or not full.startswith(_URN) or rtype == "Bundle":
        return None
    if not isinstance(rtype, str) or not isinstance(rid, str):
        return None
    return full, f"{rtype}/{rid}"


def _rewrite(node: Any, urns: dict[str, str], depth: int) -> Any:
    """``node`` with its references to ``urns`` replaced; unchanged parts are shared."""
    if depth > _MAX_DEPTH:
        return node  # the mappers refuse anything this deep anyway
    if isinstance(node, dict):
        ref = node.get("reference")
        changed: dict[str, Any] | None = None
        if isinstance(ref, str) and ref in urns:
            changed = {**node, "reference": urns[ref]}
        for key, value in node.items():
            if isinstance(value, dict | list):
                new = _rewrite(value, urns, depth + 1)
                if new is not value:
                    changed = changed if changed is not None else dict(node)
                    changed[key] = new
        return node if changed is None else changed
    if isinstance(node, list):
        items = [_rewrite(v, urns, depth + 1) for v in node]
        return node if all(a is b for a, b in zip(items, node, strict=True)) else items
    return node


# -- mapping ----------------------------------------------------------------------------------


class _EntrySink:
    """Rows and rejections by entry number (1-based, the order of the resources)."""

    def __init__(self) -> None:
        self.rows: dict[int, list[Row]] = {}
        self.rejected: dict[int, Rejection] = {}

    def load(self, line: int, rows: Sequence[Row]) -> None:
        self.rows[line] = list(rows)

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None:
        self.rejected[line] = rejection


def _resource_type(res: Mapping[str, Any]) -> str:
    rtype = res.get("resourceType")
    return rtype if isinstance(rtype, str) and _KEY(rtype) else "resource"


def _unique(resources: Sequence[Mapping[str, Any]], notes: Counter[str]) -> list[Mapping[str, Any]]:
    """The resources without repeats of a (type, id) (a CDS prefetch repeats the encounter)."""
    seen: dict[tuple[str, str], Mapping[str, Any]] = {}
    out: list[Mapping[str, Any]] = []
    for i, res in enumerate(resources):
        if not isinstance(res, Mapping):
            raise _junk(f"resources[{i}]", "a FHIR resource (an object)", res)
        rtype, rid = res.get("resourceType"), res.get("id")
        if isinstance(rtype, str) and isinstance(rid, str):
            first = seen.get((rtype, rid))
            if first is not None:
                if first != res:
                    notes[f"{_resource_type(res)}: a second, different copy ignored"] += 1
                continue
            seen[(rtype, rid)] = res
        out.append(res)
    return out


def _the_patient(resources: Sequence[Mapping[str, Any]]) -> int:
    """The position of the one Patient (InputError when there is none or more than one)."""
    found = [i for i, r in enumerate(resources) if r.get("resourceType") == "Patient"]
    if len(found) != 1:
        raise InputError(
            "the resources must describe exactly one patient",
            field="Patient",
            expected="one Patient resource",
            found=f"{len(found)} Patient resources",
            hint="send one patient's resources per request",
        )
    return found[0]


def _map(
    resources: Sequence[Mapping[str, Any]], notes: Counter[str]
) -> tuple[_EntrySink, list[int]]:
    """The mappers' rows of each resource; the entry number of each resource (0: not sent)."""
    parts: list[bytes] = []
    numbers: list[int] = []
    for res in resources:
        try:
            raw = orjson.dumps(res)
        except TypeError:  # not JSON (a non-string key, a set...): not a resource
            notes[f"{_resource_type(res)}: not JSON, skipped"] += 1
            numbers.append(0)
            continue
        parts.append(b'{"resource":' + raw + b"}")
        numbers.append(len(parts))
    data = b'{"resourceType":"Bundle","type":"collection","entry":[' + b",".join(parts) + b"]}"
    sink = _EntrySink()
    parse_bundle(BytesIO(data), sink)
    return sink, numbers


def _quarantined(rej: Rejection) -> str:
    """The warning for a quarantined resource: its type, reason and element path, no value."""
    rtype = rej.resource_type if rej.resource_type and _KEY(rej.resource_type) else "resource"
    where = f" at {rej.field}" if rej.field and _PATH(rej.field) else ""
    return f"{rtype}: quarantined by the FHIR mapper ({rej.reason}{where}), skipped"


def _tables(sink: _EntrySink, patient_id: str, notes: Counter[str]) -> dict[str, pa.Table]:
    """The canonical tables of the patient's rows (other patients' resources dropped)."""
    rows: dict[str, list[tuple[Any, ...]]] = {}
    lines: dict[str, list[int]] = {}
    for n, entry_rows in sorted(sink.rows.items()):
        if any(
            t in _PATIENT_COL and values[_PATIENT_COL[t]] not in (patient_id, None)
            for t, values in entry_rows
        ):
            notes["resource of another patient dropped"] += 1
            continue
        for table, values in entry_rows:
            rows.setdefault(table, []).append(values)
            lines.setdefault(table, []).append(n)
    return {
        name: _to_arrow(TABLES[name], rows[name], lines[name], _PROVENANCE)
        if name in rows
        else arrow_schema(name).empty_table()
        for name in _TABLES
    }


# -- the index event ---------------------------------------------------------------------------


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise InputError(f"{what} must be a datetime", found=type(value).__name__)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _index_stay(
    encounters: pa.Table, usecase: UseCase, encounter_id: str | None, notes: Counter[str]
) -> dict[str, Any] | None:
    """The index stay's row: the one asked for, else the latest cohort-class stay, else None."""
    rows = encounters.to_pylist()
    classes = usecase.cohort.encounter_classes
    if encounter_id is not None:
        hits = [r for r in rows if r["encounter_id"] == encounter_id]
        if not hits:
            raise InputError(
                "the index encounter is not among the patient's resources",
                field="encounter_id",
                expected="an Encounter of this patient that the FHIR mapper accepts",
                found="no such Encounter (see the warnings for resources skipped)",
                hint="send the encounter being scored with the patient's resources",
            )
        stay: dict[str, Any] = hits[0]
        if stay["class_code"] not in classes:
            notes["index encounter is not of a cohort class (the model was not trained on it)"] += 1
        if stay["status"] == "entered-in-error":
            notes["index encounter is entered-in-error"] += 1
        return stay
    candidates = [
        r
        for r in rows
        if r["class_code"] in classes
        and r["start_time"] is not None
        and r["status"] != "entered-in-error"
    ]
    if not candidates:
        return None
    latest: dict[str, Any] = max(candidates, key=lambda r: (r["start_time"], r["end_time"] is None))
    return latest


def _prediction_time(stay: dict[str, Any] | None, usecase: UseCase, now: datetime) -> datetime:
    """The batch rule (discharge or admission, plus the offset), or ``now`` when not known."""
    if stay is None:
        return now
    base = stay["end_time"] if usecase.prediction.at == "discharge" else stay["start_time"]
    if base is None:
        return now
    return _utc(base, "time") + timedelta(seconds=round(usecase.prediction.offset_hours * 3600))


def _stay_table(stay: dict[str, Any] | None, patient_id: str, at: datetime) -> pa.Table:
    """The index stay as a one-row ``encounters`` table with its prediction time ``ww_at``.

    A stay still in progress (no end yet: a discharge being scored) ends at the prediction
    time, so its length of stay is the one it will have at discharge now. Without a stay, the
    row is the patient alone: stay features are missing, history features still count.
    """
    spec = TABLES["encounters"]
    if stay is None:
        row: dict[str, Any] = {c.name: None for c in spec.columns}
        row.update(encounter_id=_NO_ENCOUNTER, patient_id=patient_id)
    else:
        row = {c.name: stay[c.name] for c in spec.columns}
        if row["end_time"] is None:
            row["end_time"] = at
    row["ww_at"] = at
    return pa.Table.from_pylist([row], schema=_STAY_SCHEMA)


@dataclass(frozen=True)
class _Lookup:
    """A lookup table of a plan: its name, the query of its input rows and their transform."""

    name: str
    sql: str
    schema: pa.Schema
    transform: Callable[[pa.Table], pa.Table]


@dataclass(frozen=True)
class _Plan:
    """A use case's queries compiled once to SQL over tables known by name (no data in it)."""

    index_sql: str
    lookups: tuple[_Lookup, ...]
    sql: str


_PLANS: dict[str, _Plan] = {}
_PLANS_LOCK = threading.Lock()
_DATABASE_LOCK = threading.Lock()
_PLANS_KEPT = 16
_DATABASE: list[tuple[int, duckdb.DuckDBPyConnection]] = []


def _plan(usecase: UseCase) -> _Plan:
    """The compiled queries of ``usecase``: compiled on its first call, then kept.

    Compiling the Ibis expressions takes seconds; running their SQL on one patient's rows,
    milliseconds.
    """
    key = usecase.model_dump_json()
    with _PLANS_LOCK:
        plan = _PLANS.get(key)
        if plan is None:
            if len(_PLANS) >= _PLANS_KEPT:
                _PLANS.clear()
            plan = _PLANS[key] = _compile(usecase)
        return plan


def prepare_features(usecase: UseCase) -> None:
    """Compile the use case's queries now (a server's start-up), not on its first request.

    The first :func:`features_from_fhir` call of a use case compiles them (about a second);
    later calls reuse them.
    """
    _plan(usecase)


def _compile(usecase: UseCase) -> _Plan:
    """The batch queries (index event, lookups, features) as SQL on typed empty tables."""
    backend = ibis.duckdb.connect()
    engine = Engine("duckdb", backend)
    try:
        for name in _TABLES:
            backend.con.register(name, arrow_schema(name).empty_table())
        backend.con.register(_STAY, _STAY_SCHEMA.empty_table())
        tables = {name: backend.table(name) for name in _TABLES}
        lookups: list[_Lookup] = []

        def lookup(query: ir.Table, transform: Callable[[pa.Table], pa.Table]) -> ir.Table:
            name, schema = f"ww_lookup_{len(lookups)}", query.schema().to_pyarrow()
            backend.con.register(name, transform(schema.empty_table()))
            lookups.append(_Lookup(name, str(backend.compile(query)), schema, transform))
            return backend.table(name)

        feats = list(usecase.features)
        stays = backend.table(_STAY)
        index = index_events(tables, usecase, stays, stays.ww_at)
        # the index event is made first, as a table: inlined, it would be planned once a family
        backend.con.register(_INDEX, index.schema().to_pyarrow().empty_table())
        idx = backend.table(_INDEX)
        base = idx.select("index_id", **stay_columns(idx, feats))
        out = attach_features(engine, base, idx, tables, feats, lookup=lookup)
        sql = str(backend.compile(out.select(*[f.name for f in feats])))
        return _Plan(str(backend.compile(index)), tuple(lookups), sql)
    finally:
        engine.close()


def _cursor() -> duckdb.DuckDBPyConnection:
    """A new connection to this process's in-memory DuckDB (tables registered on it, and
    temporary tables, are its own; a new database would cost tens of milliseconds)."""
    with _DATABASE_LOCK:
        if not _DATABASE or _DATABASE[0][0] != os.getpid():  # never share one across a fork
            db = duckdb.connect()
            db.execute("SET GLOBAL TimeZone = 'UTC'")
            _DATABASE[:] = [(os.getpid(), db)]
        return _DATABASE[0][1].cursor()


def _run(plan: _Plan, tables: dict[str, pa.Table], stay: pa.Table) -> dict[str, Any]:
    """The plan's feature row over ``tables`` and the index ``stay``, on a private cursor."""
    cur = _cursor()
    try:
        cur.execute("SET TimeZone = 'UTC'")  # as open_engine: dates (age) fall in UTC
        for name, table in tables.items():
            cur.register(name, table)
        cur.register(_STAY, stay)
        cur.execute(f"CREATE TEMP TABLE {_INDEX} AS {plan.index_sql}")
        for lk in plan.lookups:
            rows = cur.execute(lk.sql).fetchall()
            data = pa.Table.from_pylist(
                [dict(zip(lk.schema.names, r, strict=True)) for r in rows], schema=lk.schema
            )
            cur.register(lk.name, lk.transform(data))
        cur.execute(plan.sql)
        names = [d[0] for d in cur.description or ()]
        row = cur.fetchone()
    finally:
        cur.close()
    return {} if row is None else dict(zip(names, row, strict=True))


def _value(value: Any, categorical: bool) -> Any:
    if value is None:
        return None
    if categorical:
        return str(value)
    number = float(value)
    return None if number != number else number  # NaN is missing, as in the batch frame


def features_from_fhir(
    resources: Sequence[Mapping[str, Any]],
    usecase: UseCase,
    *,
    encounter_id: str | None = None,
    now: datetime,
) -> FhirFeatures:
    """The use case's features of the one patient in ``resources`` (see :class:`FhirFeatures`).

    ``resources`` (from :func:`flatten_resources`) must hold exactly one Patient; resources
    of other patients are dropped, resources the FHIR mappers quarantine are skipped, and
    repeats of a (type, id) are ignored, each with a warning. The index stay is
    ``encounter_id`` (it must be among the resources), else the patient's latest stay of a
    cohort class (inpatient) by start time, else none. The prediction time is the batch
    rule's (the stay's discharge, for the packaged use case), or ``now`` (naive means UTC)
    when the stay has not ended or there is none.

    Raises:
        InputError: not exactly one Patient, the Patient quarantined, the given encounter
            absent, or an item of ``resources`` that is not an object.
    """
    now = _utc(now, "now")
    if encounter_id is not None:  # an id, or a reference as some CDS clients send it
        encounter_id = encounter_id.removeprefix("Encounter/")
    notes: Counter[str] = Counter()
    unique = _unique(resources, notes)
    at_patient = _the_patient(unique)
    sink, numbers = _map(unique, notes)
    patient_entry = numbers[at_patient]
    patient_rows = sink.rows.get(patient_entry) if patient_entry else None
    if not patient_rows:
        rej = sink.rejected.get(patient_entry)
        raise InputError(
            "the Patient resource cannot be read",
            field=(rej.field or "Patient") if rej else "Patient",
            expected="a valid R4 Patient with an id",
            found=str(rej.reason) if rej else "not JSON",
        )
    patient_id = str(patient_rows[0][1][0])
    for rej in sink.rejected.values():
        notes[_quarantined(rej)] += 1
    tables = _tables(sink, patient_id, notes)
    stay = _index_stay(tables["encounters"], usecase, encounter_id, notes)
    at = _prediction_time(stay, usecase, now)
    values = _run(_plan(usecase), tables, _stay_table(stay, patient_id, at))
    row = {f.name: _value(values.get(f.name), f.categorical) for f in usecase.features}
    warnings = tuple(f"{n} x {text}" if n > 1 else text for text, n in sorted(notes.items()))
    return FhirFeatures(
        row=row,
        patient_id=patient_id,
        encounter_id=None if stay is None else str(stay["encounter_id"]),
        prediction_time=at,
        warnings=warnings,
    )
