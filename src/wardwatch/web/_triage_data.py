"""What the triage page shows, gathered as plain data: predictions from the log, their
explanation recomputed from the logged input, the model card's key lines, and (for the
clinician role only) the patient's identifying data from the lake.

The prediction log (``lake/predictions/date=*/part-*.parquet``,
:data:`wardwatch.serve.PREDICTION_LOG_SCHEMA`) keeps each scored row's model input as JSON
(``features``) and the SHA-256 of the input as given (``input_hash``), not the explanation.
:func:`explain` loads the exact version that scored the row (cached), scores the logged
input again with its top factors, and recomputes the input hash the way the service does
(``sha256`` of the sorted-key JSON of the model's features), so the page can say whether the
explanation is of the very input that was scored. The log replaces free text and categories
the model never saw by ``(unseen)``; such a row's hash does not match, and the page says so.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from wardwatch.audit import is_pseudonym, pseudonym
from wardwatch.core.lake import Lake
from wardwatch.registry import Identity, card_for
from wardwatch.serve import Factor, ServedModel, load_version

__all__ = [
    "MAX_ROWS",
    "QUERY_RE",
    "TOP_FACTORS",
    "CardLines",
    "Explanation",
    "LoggedPrediction",
    "PatientRecord",
    "card_lines",
    "explain",
    "has_predictions",
    "input_hash",
    "patient_records",
    "read_predictions",
    "served_model",
    "valid_query",
]

TOP_FACTORS = 5
"""How many factors an explanation lists (the scoring API's default)."""
MAX_ROWS = 200
"""At most this many predictions are listed for one search (the newest)."""
QUERY_RE = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
"""What a search may be: a request id, a pseudonym or a patient id (1 to 128 characters of
letters, digits and ``. _ : @ / + = -``)."""
_TABLE = "predictions"


def valid_query(text: str) -> bool:
    """Whether ``text`` has the form of a search (see :data:`QUERY_RE`)."""
    return QUERY_RE.fullmatch(text) is not None


# -- the prediction log ----------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedPrediction:
    """One row of the prediction log. ``risk`` is the calibrated probability in [0, 1];
    ``band`` ``low``/``medium``/``high``; ``decision`` whether the risk crossed the version's
    decision threshold (the patient was flagged); ``shadow`` a challenger's score nobody saw;
    ``patient`` the keyed pseudonym (None when the caller sent no patient)."""

    request_id: str
    at: datetime
    model: str
    version: int
    alias: str | None
    shadow: bool
    patient: str | None
    risk: float
    band: str
    decision: bool
    features: dict[str, Any]
    input_hash: str | None

    @property
    def key(self) -> tuple[str, int]:
        return (self.request_id, self.version)


def _files(lake_dir: Path) -> list[str]:
    root = lake_dir / _TABLE
    if not root.is_dir():
        return []
    return [str(p) for p in sorted(root.glob("date=*/*.parquet"))]


def has_predictions(lake_dir: Path) -> bool:
    """Whether the prediction log has any file."""
    return bool(_files(lake_dir))


def _features(text: Any) -> dict[str, Any]:
    try:
        value = orjson.loads(text) if isinstance(text, str | bytes) else None
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _prediction(r: Sequence[Any]) -> LoggedPrediction:
    return LoggedPrediction(
        request_id=str(r[0]), at=r[1].astimezone(UTC), model=str(r[2]), version=int(r[3]),
        alias=r[4], shadow=bool(r[5]), patient=r[6], risk=float(r[7]), band=str(r[8]),
        decision=bool(r[9]), features=_features(r[10]), input_hash=r[11],
    )  # fmt: skip


def read_predictions(
    lake_dir: Path,
    *,
    request_id: str | None = None,
    patient: str | None = None,
    models: Sequence[str] | None = None,
    limit: int = MAX_ROWS,
) -> tuple[list[LoggedPrediction], int]:
    """The logged predictions with this request id or for this patient pseudonym, newest
    first, at most ``limit``, and how many there are in all. ``models`` limits them to the
    models a key's scope covers (None: every model)."""
    if (request_id is None) == (patient is None):
        raise ValueError("give a request id or a patient pseudonym")
    files = _files(lake_dir)
    if not files or (models is not None and not models):
        return [], 0
    where, params = ("request_id = ?", [request_id]) if request_id else ("patient = ?", [patient])
    if models is not None:
        where += f" AND model IN ({', '.join('?' for _ in models)})"
        params += list(models)
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    query = (
        'SELECT request_id, "at", model, version, alias, coalesce(shadow, false), patient, risk,'
        " band, decision, features, input_hash, count(*) OVER () AS total"
        f" FROM read_parquet([{listed}], hive_partitioning=false, union_by_name=true)"
        f' WHERE {where} ORDER BY "at" DESC, shadow, version DESC LIMIT {int(limit)}'
    )
    with duckdb.connect() as db:
        rows = db.execute(query, params).fetchall()
    out = [_prediction(r) for r in rows]
    return out, int(rows[0][12]) if rows else 0


# -- explanations ----------------------------------------------------------------------------

_MODELS: dict[tuple[str, str, int], ServedModel] = {}
_MODELS_LOCK = threading.Lock()
_MODELS_MAX = 8


def served_model(registry: Any, name: str, version: int) -> ServedModel:
    """Version ``version`` of ``name`` loaded for scoring (kept for the next request; loading
    sets MLflow's process-wide tracking URI, so one load at a time)."""
    key = (str(registry.tracking_uri), name, version)
    with _MODELS_LOCK:
        hit = _MODELS.get(key)
        if hit is None:
            hit = load_version(registry, name, version)
            if len(_MODELS) >= _MODELS_MAX:
                _MODELS.pop(next(iter(_MODELS)))
            _MODELS[key] = hit
        return hit


def input_hash(features: Sequence[str], row: Mapping[str, Any]) -> str:
    """The input hash the service logs: SHA-256 of the sorted-key JSON of the model's
    features (absent ones as null)."""
    given = {k: row.get(k) for k in features}
    return hashlib.sha256(orjson.dumps(given, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Explanation:
    """A logged prediction scored again: its top factors (log-odds contributions; positive
    raises the risk), the recomputed risk, and whether the recomputed input hash equals the
    logged one (the explanation is then of the exact input that was scored)."""

    factors: tuple[Factor, ...]
    risk: float
    logged_risk: float
    threshold: float
    hash_matches: bool

    @property
    def risk_matches(self) -> bool:
        """Whether the recomputed risk equals the logged one (to 1e-9)."""
        return abs(self.risk - self.logged_risk) <= 1e-9

    def rows(self) -> list[dict[str, Any]]:
        """The factors as the page lists them (``label``, ``value``, ``direction``, ...)."""
        return [f.to_dict() for f in self.factors]


def explain(registry: Any, pred: LoggedPrediction, *, top: int = TOP_FACTORS) -> Explanation:
    """Re-explain ``pred`` with the version that scored it (see the module docstring)."""
    served = served_model(registry, pred.model, pred.version)
    row = {k: pred.features.get(k) for k in served.features}
    (again,) = served.predict([row], top=top)
    return Explanation(
        factors=again.factors,
        risk=again.risk,
        logged_risk=pred.risk,
        threshold=served.threshold,
        hash_matches=pred.input_hash is not None
        and input_hash(served.features, pred.features) == pred.input_hash,
    )


# -- the model card --------------------------------------------------------------------------


@dataclass(frozen=True)
class CardLine:
    """One attribute of the card: its short name, its text, and whether it is filled (an
    unfilled one reads "Needs a person: ...")."""

    name: str
    text: str
    filled: bool


@dataclass(frozen=True)
class CardLines:
    """The key lines of a version's model card a clinician reads before acting: intended
    use and population, cautioned out-of-scope use, known risks and limitations."""

    name: str
    version: int
    status: str
    lines: tuple[CardLine, ...]


_CARD_KEYS = ("intended_use", "patient_population", "out_of_scope", "known_risks")
_CARDS: dict[tuple[str, str, int], tuple[float, CardLines]] = {}
_CARD_TTL_S = 60.0


def card_lines(registry: Any, name: str, version: int, who: Identity) -> CardLines:
    """The key lines of the card of ``name`` version ``version`` (cached a minute).

    Every role may read a card (the clinician acting on a score is who its HTI-1 source
    attributes are for); the cache holds only what every reader of the version may see.
    Raises :class:`~wardwatch.registry.RegistryError` for an unknown version.
    """
    key = (str(registry.store.engine.url), name, version)
    hit = _CARDS.get(key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    card = card_for(registry, name, version, identity=who)
    by_key = {a.key: a for a in card.hti1}
    lines = tuple(
        CardLine(by_key[k].spec.short, by_key[k].text, by_key[k].filled)
        for k in _CARD_KEYS
        if k in by_key
    )
    out = CardLines(name, version, str(card.inputs.status), lines)
    _CARDS[key] = (time.monotonic() + _CARD_TTL_S, out)
    return out


# -- identifying data (clinician only) --------------------------------------------------------


@dataclass(frozen=True)
class PatientRecord:
    """A patient as the lake's ``patients`` table knows them (identifying: clinician only).
    The social security number, address and phone are not shown: the page needs only
    enough to confirm whom the score is about."""

    patient_id: str
    mrn: str | None
    given_name: str | None
    family_name: str | None
    birth_date: date | None
    sex: str | None

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.given_name, self.family_name) if p) or "(no name)"


_RECORD_COLUMNS = "patient_id, mrn, given_name, family_name, birth_date, sex"
_PSEUDONYMS: dict[tuple[str, ...], dict[str, list[str]]] = {}
_PSEUDONYMS_LOCK = threading.Lock()


def _signature(files: list[Path]) -> tuple[str, ...]:
    out = []
    for f in files:
        st = f.stat()
        out.append(f"{f}:{st.st_size}:{st.st_mtime_ns}")
    return tuple(out)


def _ids_by_pseudonym(lake: Lake, secret: bytes) -> dict[str, list[str]]:
    """Every lake patient id by its pseudonym (cached until the table's files change)."""
    files = lake.files("patients")
    sig = (hashlib.sha256(secret).hexdigest(), *_signature(files))
    with _PSEUDONYMS_LOCK:
        hit = _PSEUDONYMS.get(sig)
        if hit is not None:
            return hit
        with duckdb.connect() as db:
            ids = [
                str(r[0])
                for r in db.execute(
                    "SELECT DISTINCT patient_id FROM read_parquet(?, union_by_name=true)"
                    " WHERE patient_id IS NOT NULL",
                    [lake.glob("patients")],
                ).fetchall()
            ]
        table: dict[str, list[str]] = {}
        for pid in ids:
            table.setdefault(pseudonym(pid, secret), []).append(pid)
        _PSEUDONYMS.clear()
        _PSEUDONYMS[sig] = table
        return table


def patient_records(
    lake_dir: Path, secret: bytes, *, patient_id: str | None = None, pseudo: str | None = None
) -> list[PatientRecord]:
    """The lake's ``patients`` rows of one patient: by the id the EHR knows, or by its
    pseudonym (matched against the pseudonyms of every patient id in the lake)."""
    lake = Lake(lake_dir)
    if not lake.files("patients"):
        return []
    if patient_id is None:
        if pseudo is None or not is_pseudonym(pseudo):
            return []
        ids = _ids_by_pseudonym(lake, secret).get(pseudo, [])
    else:
        ids = [patient_id]
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    with duckdb.connect() as db:
        rows = db.execute(
            f"SELECT DISTINCT {_RECORD_COLUMNS} FROM read_parquet(?, union_by_name=true)"
            f" WHERE patient_id IN ({marks}) ORDER BY patient_id, mrn",
            [lake.glob("patients"), *ids],
        ).fetchall()
    return [
        PatientRecord(str(r[0]), r[1], r[2], r[3], r[4] if isinstance(r[4], date) else None, r[5])
        for r in rows
    ]
