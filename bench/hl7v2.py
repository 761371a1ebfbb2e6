"""Throughput of the HL7 v2 parser (frame + decode + validate + map), printed, never asserted.

Run from the repository root::

    .venv/bin/python tests/ingest/hl7v2/bench_hl7.py [--messages 20000]

The workload mimics the wardwatch generator's feed: per visit an ADT^A01, an ORU^R01 with 6
lab results and an ADT^A03, each with a distinct control id, visit number and times, so no
cache sees more repetition than a real feed would; plus the 5 Simulated Hospital messages
repeated. The sink only counts. CPU time (``time.process_time``) is reported beside wall time
because the development machines are shared.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.ingest.hl7v2.hl7_samples import SIMHOSPITAL, adt, obx, oru, pid, pv1  # noqa: E402

from wardwatch.ingest._sink import Rejection  # noqa: E402
from wardwatch.ingest.hl7v2 import parse_hl7  # noqa: E402


class CountingSink:
    """A sink that keeps nothing: the cost measured is the parser's."""

    def __init__(self) -> None:
        self.loaded = self.quarantined = self.rows = 0

    def load(self, line: int, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        self.loaded += 1
        self.rows += len(rows)

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None:
        self.quarantined += 1


def feed(messages: int) -> bytes:
    out: list[str] = []
    for v in range(messages // 3):
        day = f"2024{1 + v % 12:02d}{1 + v % 28:02d}"
        admit, result, discharge = f"{day}0830{v % 60:02d}", f"{day}1015{v % 60:02d}", f"{day}1700"
        visit = pv1(f19=f"V{v}^^^WW^VN", f44=admit)
        person = pid(f3=f"{100000 + v}^^^WW^MR~p-{v}^^^WARDWATCH-FHIR^PI")
        labs = [obx(str(i), f5=f"{90 + (v * i) % 40}", f14=result, f21=f"o-{v}-{i}")
                for i in range(1, 7)]  # fmt: skip
        out.append(adt("A01", control=f"A{v}", evn=admit, pid_seg=person, pv1_seg=visit))
        out.append(oru(*labs, control=f"R{v}", pv1_seg=visit).replace(pid(), person))
        out.append(adt("A03", control=f"D{v}", evn=f"{discharge}00", pid_seg=person,
                       pv1_seg=pv1(f19=f"V{v}", f44=admit, f45=discharge, f36="01")))  # fmt: skip
    return ("\n".join(out) + "\n").encode()


def run(label: str, data: bytes, messages: int) -> None:
    sink = CountingSink()
    wall, cpu = time.perf_counter(), time.process_time()
    parse_hl7(io.BytesIO(data), sink)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert sink.loaded + sink.quarantined == messages
    print(
        f"{label:<28} {messages:>7,} msgs {sink.rows:>8,} rows  "
        f"{messages / cpu:>8,.0f} msg/s CPU ({messages / wall:>7,.0f} wall)  "
        f"{sink.rows / cpu:>8,.0f} rows/s  {len(data) / cpu / 2**20:5.1f} MiB/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    n = args.messages - args.messages % 3
    run("generator-like feed", feed(n), n)
    sim = [p.read_bytes() for p in sorted(SIMHOSPITAL.glob("*.hl7"))]
    reps = max(1, n // len(sim))
    run("Simulated Hospital x" + str(reps), b"".join(sim) * reps, reps * len(sim))


if __name__ == "__main__":
    main()
