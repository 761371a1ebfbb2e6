"""Throughput of the FHIR parsers (parse + validate + map), printed, never asserted.

Run from the repository root::

    .venv/bin/python tests/ingest/fhir/bench_parse.py [--replicas 40]

The NDJSON workload is the 9 Synthea bundles of ``tests/fixtures/synthea`` as bulk NDJSON
(compact lines, ``urn:uuid:`` references rewritten to ``Type/id`` as a bulk export has them),
replicated with fresh ids per replica so that reference caches see realistic data: 1,401
resources a replica, 55% Observations. The sink only counts.
"""

from __future__ import annotations

import argparse
import gc
import io
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from wardwatch.ingest._sink import Rejection
from wardwatch.ingest.fhir import parse_bundle, parse_ndjson

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "synthea"
_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class CountingSink:
    """A sink that keeps nothing: the cost measured is the parser's."""

    def __init__(self) -> None:
        self.loaded = self.quarantined = self.rows = 0

    def load(self, line: int, rows: Sequence[tuple[str, tuple[Any, ...]]]) -> None:
        self.loaded += 1
        self.rows += len(rows)

    def reject(self, line: int, rejection: Rejection, raw: str | bytes | None) -> None:
        self.quarantined += 1


def synthea_ndjson_lines() -> list[bytes]:
    """The Synthea resources as bulk NDJSON lines (compact, relative references)."""
    lines = []
    for path in sorted(FIXTURES.glob("*.json")):
        bundle = orjson.loads(path.read_bytes())
        types = {e["fullUrl"]: e["resource"]["resourceType"] for e in bundle["entry"]}
        for entry in bundle["entry"]:
            text = orjson.dumps(entry["resource"])
            for full_url, rtype in types.items():
                text = text.replace(
                    b'"' + full_url.encode() + b'"',
                    b'"' + rtype.encode() + b"/" + full_url[9:].encode() + b'"',
                )
            lines.append(text)
    return lines


def ndjson_workload(replicas: int) -> bytes:
    """``replicas`` copies of the Synthea lines, ids suffixed per copy."""
    base = b"\n".join(synthea_ndjson_lines())
    out = []
    for k in range(replicas):
        suffix = f"-{k:x}".encode()
        out.append(_UUID.sub(lambda m, s=suffix: m.group(0) + s, base))
    return b"\n".join(out) + b"\n"


def _best(fn: Any, repeat: int) -> float:
    """Best CPU time of ``repeat`` runs (CPU time: other processes on the box matter less)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--replicas", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    data = ndjson_workload(args.replicas)
    lines = data.splitlines()
    n = len(lines)
    sink = CountingSink()

    def run_ndjson() -> None:
        nonlocal sink
        sink = CountingSink()
        parse_ndjson(io.BytesIO(data), sink)

    best = _best(run_ndjson, args.repeat)
    print(
        f"parse_ndjson: {n} resources ({len(data) / 1e6:.1f} MB) in {best:.3f} s CPU = "
        f"{n / best:,.0f} resources/s; loaded {sink.loaded}, quarantined {sink.quarantined}, "
        f"rows {sink.rows}"
    )
    observations = [line for line in lines if line.startswith(b'{"resourceType":"Observation"')]
    obs_data = b"\n".join(observations)
    best = _best(lambda: parse_ndjson(io.BytesIO(obs_data), CountingSink()), args.repeat)
    print(f"parse_ndjson, Observations only: {len(observations) / best:,.0f} resources/s")

    def orjson_only() -> None:
        gc.disable()
        try:
            for line in lines:
                orjson.loads(line)
        finally:
            gc.enable()

    best = _best(orjson_only, args.repeat)
    print(f"orjson.loads per line, nothing kept (reference): {n / best:,.0f} resources/s")

    files = [p.read_bytes() for p in sorted(FIXTURES.glob("*.json"))]
    entries = 0

    def run_bundles() -> None:
        nonlocal entries
        counting = CountingSink()
        for blob in files:
            parse_bundle(io.BytesIO(blob), counting)
        entries = counting.loaded + counting.quarantined

    best = _best(run_bundles, args.repeat)
    print(
        f"parse_bundle (9 pretty-printed Synthea bundles): {entries} entries in {best:.3f} s "
        f"CPU = {entries / best:,.0f} entries/s"
    )


if __name__ == "__main__":
    main()
