"""Two worker processes serve one workspace: every prediction is answered, audited once in
one unbroken chain, and logged."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.dataset as ds
import pytest
from tests.serve.conftest import ServedWs, start_server, stop_server
from tests.serve.test_api import PATH, rows

from wardwatch.audit import AuditLog

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_two_workers_share_the_audit_chain(served_ws: ServedWs, tmp_path: Path) -> None:
    server = start_server(served_ws.ws, tmp_path / "server.log", "--workers", "2")
    batch = rows(20)

    def one(i: int) -> int:
        with server.client(served_ws.keys["cleo"]) as c:
            return c.post(PATH, json={"rows": [batch[i % 20]]}).status_code

    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(120)))
    finally:
        stop_server(server)
    assert statuses == [200] * 120
    log = AuditLog.from_workspace(served_ws.ws)
    assert len(log.events(action="serve.predict")) == 120
    assert log.verify().ok
    table = ds.dataset(served_ws.ws.lake_dir / "predictions", partitioning="hive").to_table()
    assert table.num_rows == 120
