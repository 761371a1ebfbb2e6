"""Throughput of the tabular parsers (CSV and Parquet through a mapping), printed, never asserted.

Run from the repository root::

    .venv/bin/python tests/ingest/tabular/bench_tabular.py [--rows 200000]

The workload is a claims file with the wardwatch generator's header (the built-in
``synth_claims`` mapping: 3 times, 2 code lists, a number per row), every row distinct, 1% of
rows ragged or with a bad value; the same rows as Parquet with native types. The sink only
counts. CPU time is reported beside wall time because the development machines are shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import time
from collections.abc import Sequence
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wardwatch.ingest._sink import Rejection
from wardwatch.ingest.tabular import builtin_mapping, parse_csv, parse_parquet

HEADER = (
    "claim_id,member_id,encounter_id,claim_type,status,payer_name,billing_npi,service_from,"
    "service_to,submitted_at,total_charge,currency,icd10_codes,cpt_codes\n"
)


class CountingSink:
    """A sink that keeps nothing: the cost measured is the parser's."""

    def __init__(self) -> None:
        self.loaded = self.quarantined = 0

    def load(self, line: int, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        self.loaded += 1

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None:
        self.quarantined += 1


def csv_bytes(rows: int) -> bytes:
    start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    lines = [HEADER]
    for i in range(rows):
        day = (start + dt.timedelta(hours=i)).date()
        sent = start + dt.timedelta(hours=i, minutes=i % 60, seconds=i % 59)
        charge = "12x" if i % 200 == 7 else f"{100 + i % 5000}.{i % 100:02d}"
        line = (
            f"c-{i},p-{i % 9973},e-{i},institutional,active,Payer {i % 17},1234567893,{day},"
            f"{day + dt.timedelta(days=i % 6)},{sent.isoformat()},{charge},USD,"
            f"J18.9|E11.{i % 10},99213|8004{i % 10}\n"
        )
        lines.append(f"c-{i},p-{i}\n" if i % 200 == 99 else line)
    return "".join(lines).encode()


def run(label: str, parse: Any, rows: int, size: int) -> None:
    sink = CountingSink()
    wall, cpu = time.perf_counter(), time.process_time()
    parse(sink)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert sink.loaded + sink.quarantined == rows, (sink.loaded, sink.quarantined)
    print(
        f"{label:<8} {rows:>9,} rows ({sink.quarantined:,} quarantined)  "
        f"{rows / cpu:>9,.0f} rows/s CPU ({rows / wall:>9,.0f} wall)  "
        f"{size / cpu / 2**20:6.1f} MiB/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    mapping = builtin_mapping("synth_claims")
    data = csv_bytes(args.rows)
    run("csv", lambda s: parse_csv(io.BytesIO(data), s, mapping), args.rows, len(data))
    skip_ragged = pacsv.ParseOptions(invalid_row_handler=lambda r: "skip")
    table = pacsv.read_csv(io.BytesIO(data), parse_options=skip_ragged)
    buf = io.BytesIO()
    pq.write_table(table, buf)
    run(
        "parquet",
        lambda s: parse_parquet(io.BytesIO(buf.getvalue()), s, mapping),
        table.num_rows,
        len(buf.getvalue()),
    )


if __name__ == "__main__":
    main()
