"""Row rules (``_rules.evaluate``): counts, counts per source and listings, taken from the
offending rows the engine keeps or, beyond :data:`HELD_ROWS`, from the relation itself, give
the same result; the finding limit is shared by the rules in order; ``blank`` is ``strip``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.quality._lake import make_lake, ts

from wardwatch.core.lake import Lake
from wardwatch.core.workspace import init_workspace
from wardwatch.ingest import ingest
from wardwatch.quality import (
    QualityReport,
    contract_from_dict,
    default_contract,
    open_engine,
    run_gate,
)
from wardwatch.quality import _rules as rules
from wardwatch.synth import SynthConfig, generate

AS_OF = ts("2026-06-30")


def obs(oid: str, **kw: Any) -> dict[str, Any]:
    row = {
        "observation_id": oid, "patient_id": "p1", "encounter_id": "e1", "code": "2345-7",
        "code_system": "http://loinc.org", "status": "final", "value_num": 95.0,
        "value_unit": "mg/dL", "effective_time": ts("2024-01-11 09:00"),
        "recorded_time": ts("2024-01-11 11:00"),
    }  # fmt: skip
    row.update(kw)
    return row


def _comparable(report: QualityReport) -> list[dict[str, Any]]:
    """Every result with its findings in order; profile metrics left out (their float sums
    depend on the engine's thread schedule)."""
    out = []
    for r in report.results:
        d = r.to_dict()
        if r.check == "profile":
            d.pop("metrics")
        out.append(d)
    return out


@pytest.fixture(scope="module")
def defective_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    root = tmp_path_factory.mktemp("rules")
    generate(SynthConfig(patients=60, seed=11, out=root / "synth", defects="all=0.03", hl7=False,
                         claims_csv=False))  # fmt: skip
    ws = init_workspace(root / "ws")
    ingest(ws, [root / "synth"], workers=1)
    return Lake(ws.lake_dir)


@pytest.mark.parametrize("max_findings", [None, 7], ids=["all", "seven"])
def test_kept_rows_and_relation_give_the_same_result(
    defective_lake: Lake, monkeypatch: pytest.MonkeyPatch, max_findings: int | None
) -> None:
    contract = default_contract()
    held = run_gate(defective_lake, contract, as_of=AS_OF, max_findings=max_findings)
    monkeypatch.setattr(rules, "HELD_ROWS", 0)
    direct = run_gate(defective_lake, contract, as_of=AS_OF, max_findings=max_findings)
    assert [(r.check, r.table, r.error) for r in held.results if r.error] == []
    assert _comparable(direct) == _comparable(held)
    # not vacuous: several checks had several rules firing, and the limit cut listings
    fired = [r for r in held.results if len(r.by_reason) > 1]
    assert len(fired) >= 3
    if max_findings is not None:
        assert any(r.truncated for r in held.results)


@pytest.mark.parametrize("held_rows", [rules.HELD_ROWS, 0], ids=["kept", "relation"])
def test_the_finding_limit_is_shared_by_the_rules_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held_rows: int
) -> None:
    monkeypatch.setattr(rules, "HELD_ROWS", held_rows)
    rows = [obs(f"p{i}", patient_id=None) for i in range(3)]
    rows += [obs(f"c{i}", code=None, patient_id=None if i == 0 else "p1") for i in range(4)]
    lake = make_lake(tmp_path / "lake", {"observations": rows})
    c = contract_from_dict({"name": "t", "max_findings": 5, "checks": [{"check": "required"}]})
    res = run_gate(lake, c, as_of=AS_OF).result("required", "observations")
    assert res is not None
    # patient_id comes before code in the schema: its 4 rows are listed, then 1 of code's 4
    assert (res.checked, res.failed, res.truncated) == (7, 8, True)
    assert res.by_reason == {"missing-required": 8}
    assert res.by_source == {"src1/observations.ndjson": 8}
    assert [(f.record_id, f.field, f.line) for f in res.findings] == [
        ("p0", "observations.patient_id", 1),
        ("p1", "observations.patient_id", 2),
        ("p2", "observations.patient_id", 3),
        ("c0", "observations.patient_id", 4),
        ("c0", "observations.code", 4),
    ]
    assert all(f.expected == "a str value" and f.found is None for f in res.findings)


def test_rows_kept_by_the_engine_are_released(tmp_path: Path) -> None:
    lake = make_lake(tmp_path / "lake", {"observations": [obs("o1"), obs("o2")]})

    def temp_tables(con: Any) -> list[str]:
        return [r[0] for r in con.sql("SELECT table_name FROM duckdb_tables() WHERE temporary")
                .fetchall()]  # fmt: skip

    with open_engine("duckdb", lake) as eng:
        t = eng.table("observations")
        with eng.held(t.filter(t.observation_id == "o2")) as kept:
            assert eng.scalar(kept.count()) == 1
            assert len(temp_tables(eng.backend.con)) == 1
        assert temp_tables(eng.backend.con) == []


_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(" \t\n\r\x0b\x0c\x01\x1f!~a\u00a0\u2003é"),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    ),
    max_size=6,
)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), _TEXT), min_size=1, max_size=40))
def test_blank_is_strip_to_nothing(texts: list[str | None]) -> None:
    """``blank`` (strip only the rows that start below "!") is ``strip() == ""`` for text and
    false for null, on the engine and against Python's own strip of the same characters."""
    t = ibis.memtable(pa.table({"i": list(range(len(texts))), "s": pa.array(texts, pa.string())}))
    expr = t.select(t.i, fast=rules.blank(t.s), slow=t.s.strip() == "").order_by("i")
    con = ibis.duckdb.connect()
    try:
        got = con.to_pyarrow(expr).to_pylist()
    finally:
        con.disconnect()
    for row, text in zip(got, texts, strict=True):
        if text is None:
            assert (row["fast"], row["slow"]) == (False, None)
        else:
            assert row["fast"] == row["slow"] == (text.strip(" \t\n\r\x0b\x0c") == ""), text
