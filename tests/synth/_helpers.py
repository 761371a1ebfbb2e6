"""Helpers shared by the synth tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson


def read_ndjson(path: Path) -> Iterator[dict[str, Any]]:
    """The records of an NDJSON file, parsed."""
    with path.open("rb") as f:
        for line in f:
            yield orjson.loads(line)
