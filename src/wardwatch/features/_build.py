"""Build a use case's feature table: cohort, label and point-in-time features in one query.

    from wardwatch.features import build_features, load_usecase
    from wardwatch.quality import open_engine

    with open_engine("duckdb", lake) as engine:
        fs = build_features(engine, load_usecase("usecases/readmission.yaml"))
    fs.frame            # one row per index event: ids, index_time, label, group_*, features
    fs.source_times     # per feature, the latest recorded time of the rows it used
    fs.attrition        # how many index events each exclusion removed

The same code runs on DuckDB and Spark (the engines of :mod:`wardwatch.quality`).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wardwatch.core.lake import Lake
from wardwatch.errors import InputError
from wardwatch.features._cohort import Attrition, cohort, label_table
from wardwatch.features._definitions import SRC, Lookup, families, src_column, stay_columns
from wardwatch.features._spec import FeatureSpec, UseCase, parse_usecase

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from wardwatch.quality import Engine

__all__ = [
    "FeatureSet",
    "attach_features",
    "build_features",
    "featureset_dir",
    "lake_provenance",
]

_TABLES = ("encounters", "patients", "claims", "conditions", "observations", "medications")
_FRAME_FILE = "features.parquet"
_META_FILE = "featureset.json"


@dataclass
class FeatureSet:
    """The feature table of a use case, with what is needed to audit and reproduce it.

    ``frame`` has one row per index event (sorted by ``index_time``, ``index_id``):
    ``index_id``, ``patient_id``, ``index_time`` (the prediction time), ``label`` (0/1), the
    ``group_*`` subgroup attributes and one column per feature (float, NaN when missing; text
    for categorical features). ``source_times`` has ``index_id``, ``index_time``,
    ``label_time`` (start of the readmission, if any) and ``<feature>__src`` for each
    time-varying feature.
    """

    usecase: UseCase
    as_of: datetime
    engine: str
    frame: pd.DataFrame
    source_times: pd.DataFrame
    attrition: list[Attrition]
    provenance: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.usecase.features]

    @property
    def categorical(self) -> list[str]:
        return [f.name for f in self.usecase.features if f.categorical]

    @property
    def provenance_hash(self) -> str:
        """SHA-256 over the (source file, content hash) pairs the lake was loaded from."""
        text = "\n".join(f"{k}\t{v}" for k, v in sorted(self.provenance.items()))
        return hashlib.sha256(text.encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        """Counts for people and machines (no identifiers)."""
        n = len(self.frame)
        positives = int(self.frame["label"].sum()) if n else 0
        missing = {
            name: round(float(self.frame[name].isna().mean()), 6) if n else None
            for name in self.feature_names
        }
        return {
            "usecase": self.usecase.name,
            "engine": self.engine,
            "as_of": self.as_of.isoformat(),
            "index_events": n,
            "patients": int(self.frame["patient_id"].nunique()) if n else 0,
            "positives": positives,
            "label_rate": positives / n if n else None,
            "attrition": [a.to_dict() for a in self.attrition],
            "features": len(self.feature_names),
            "missing_rate": missing,
            "provenance_hash": self.provenance_hash,
            "seconds": round(self.seconds, 3),
        }

    def save(self, directory: Path) -> Path:
        """Write ``features.parquet`` (frame and source times) and ``featureset.json``."""
        directory.mkdir(parents=True, exist_ok=True)
        times = self.source_times.drop(columns=["index_time"])
        table = pa.Table.from_pandas(
            self.frame.merge(times, on="index_id", how="left"), preserve_index=False
        )
        tmp = directory / f".{_FRAME_FILE}.tmp"
        pq.write_table(table, tmp)
        tmp.replace(directory / _FRAME_FILE)
        meta = {
            "usecase": self.usecase.model_dump(mode="json"),
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "attrition": [a.to_dict() for a in self.attrition],
            "provenance": self.provenance,
            "seconds": self.seconds,
        }
        (directory / _META_FILE).write_bytes(orjson.dumps(meta, option=orjson.OPT_INDENT_2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> FeatureSet:
        """Read a feature set written by :meth:`save`."""
        meta_path, frame_path = directory / _META_FILE, directory / _FRAME_FILE
        if not meta_path.is_file() or not frame_path.is_file():
            raise InputError(
                f"no feature set in {directory}",
                expected=f"{_FRAME_FILE} and {_META_FILE}",
                hint="run `wardwatch features build` first",
            )
        meta = orjson.loads(meta_path.read_bytes())
        usecase = parse_usecase(meta["usecase"], str(meta_path))
        both = pq.read_table(frame_path).to_pandas()
        src_cols = [c for c in both.columns if c.endswith(SRC)]
        times = both[["index_id", "index_time", "label_time", *src_cols]]
        frame = both.drop(columns=["label_time", *src_cols])
        return cls(
            usecase=usecase,
            as_of=datetime.fromisoformat(meta["as_of"]),
            engine=meta["engine"],
            frame=frame.reset_index(drop=True),
            source_times=times.reset_index(drop=True),
            attrition=[Attrition(**a) for a in meta["attrition"]],
            provenance=dict(meta.get("provenance", {})),
            seconds=float(meta.get("seconds", 0.0)),
        )


def featureset_dir(state_dir: Path, usecase: str) -> Path:
    """Where a workspace keeps the feature set of a use case (``.wardwatch/features/<name>``)."""
    return state_dir / "features" / usecase


def lake_provenance(lake: Lake) -> dict[str, str]:
    """Source file -> SHA-256 of every source committed to the lake."""
    return {m["path"]: m["source_hash"] for m in lake.manifests() if "path" in m}


def _data_cutoff(engine: Engine, tables: dict[str, ir.Table]) -> datetime:
    enc = tables["encounters"]
    latest = engine.scalar(enc.recorded_time.fill_null(enc.end_time).max())
    if latest is None:
        raise InputError(
            "the lake has no encounters to build a cohort from",
            hint="ingest data first (`wardwatch ingest PATH...`)",
        )
    if isinstance(latest, pd.Timestamp):
        latest = latest.to_pydatetime()
    assert isinstance(latest, datetime)
    return latest if latest.tzinfo else latest.replace(tzinfo=UTC)


def _attrition(engine: Engine, cand: ir.Table, flags: list[tuple[str, Any]]) -> list[Attrition]:
    aggs: dict[str, Any] = {"n": cand.count()}
    removed = ibis.literal(False)
    for i, (_step, flag) in enumerate(flags):
        aggs[f"x{i}"] = ibis.ifelse(~removed & flag, 1, 0).sum()
        removed = removed | flag
    row = engine.to_arrow(cand.aggregate(**aggs)).to_pylist()[0]
    remaining = int(row["n"])
    steps = [Attrition("index events", 0, remaining)]
    for i, (step, _flag) in enumerate(flags):
        excluded = int(row[f"x{i}"] or 0)
        remaining -= excluded
        steps.append(Attrition(step, excluded, remaining))
    return steps


def _attach(left: ir.Table, right: ir.Table) -> ir.Table:
    """``left`` with the columns of ``right`` (keyed by ``index_id``), by a left join."""
    r = right.rename(_rid="index_id")
    return left.left_join(r, left.index_id == r._rid).drop("_rid")


def attach_features(
    engine: Engine,
    out: ir.Table,
    idx: ir.Table,
    tables: dict[str, ir.Table],
    feats: list[FeatureSpec],
    *,
    lookup: Lookup | None = None,
) -> ir.Table:
    """``out`` (keyed by ``index_id``) with the time-varying features of the index events
    ``idx`` and their ``__src`` columns (stay and demographic features are
    :func:`stay_columns`). A count or score with no source row is 0, a lab value is null.
    ``lookup``: see :func:`~wardwatch.features._definitions.families`.
    """
    fills: dict[str, Any] = {}
    fams = families(
        idx, tables, feats, memtable=engine.memtable, distinct=engine.to_arrow, lookup=lookup
    )
    for fam in fams:
        out = _attach(out, fam.table)
        fills.update(fam.fills)
    return out.mutate(**{k: out[k].fill_null(v) for k, v in fills.items()})


def build_features(
    engine: Engine,
    usecase: UseCase,
    *,
    as_of: datetime | None = None,
    provenance: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> FeatureSet:
    """The use case's feature table on ``engine`` (see :class:`FeatureSet`).

    ``as_of`` is the data cut-off: index events whose label window ends after it are
    excluded. Default: the latest encounter time recorded in the lake.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    tables = {name: engine.table(name) for name in _TABLES}
    cutoff = as_of or _data_cutoff(engine, tables)
    if cutoff.tzinfo is None:
        cutoff = cutoff.replace(tzinfo=UTC)
    say("cohort")
    cand, flags = cohort(tables, usecase, cutoff)
    attrition = _attrition(engine, cand, flags)
    excluded = ibis.literal(False)
    for _step, flag in flags:
        excluded = excluded | flag
    idx = cand.filter(~excluded)
    labels = label_table(tables, idx, usecase)
    feats = list(usecase.features)
    groups = [f"group_{g}" for g in usecase.subgroups]
    base = idx.select(
        "index_id",
        "patient_id",
        "index_time",
        *groups,
        **stay_columns(idx, feats),
    )
    out = _attach(base, labels)
    say("features")
    out = attach_features(engine, out, idx, tables, feats)
    out = out.order_by(["index_time", "index_id"])
    say("query")
    table = engine.to_arrow(out)
    df = table.to_pandas()
    src_cols = [src_column(f.name) for f in feats]
    frame_cols = ["index_id", "patient_id", "index_time", "label", *groups]
    frame = df[frame_cols + [f.name for f in feats]].copy()
    frame["label"] = frame["label"].astype("int64")
    for f in feats:
        if not f.categorical:
            frame[f.name] = frame[f.name].astype("float64")
    times = df[["index_id", "index_time", "label_time", *src_cols]].copy()
    return FeatureSet(
        usecase=usecase,
        as_of=cutoff,
        engine=engine.name,
        frame=frame.reset_index(drop=True),
        source_times=times.reset_index(drop=True),
        attrition=attrition,
        provenance=dict(provenance or {}),
        seconds=time.perf_counter() - started,
    )
