"""A monitored workspace: the small use case's logistic regression registered, approved and
promoted to champion, and a deployment period scored into the prediction log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from tests.registry.conftest import LENIENT, USECASE, Trained, make_people, stage
from tests.registry.conftest import trained as trained
from tests.train._data import make_frame

from wardwatch.core.workspace import Workspace, init_workspace
from wardwatch.registry import Registry, parse_policy
from wardwatch.serve import ServedModel, load_version

__all__ = ["USECASE", "Deployed", "deployment_frame"]

START = pd.Timestamp("2021-01-04", tz="UTC")  # a Monday: weekly windows from here


@dataclass(frozen=True)
class Deployed:
    ws: Workspace
    served: ServedModel
    keys: dict[str, str]


def deployment_frame(
    weeks: int,
    *,
    seed: int,
    per_week: int = 300,
    change: Callable[[pd.DataFrame], None] | None = None,
) -> pd.DataFrame:
    """``weeks`` weeks of index events from :data:`START` drawn like the training data
    (``change`` edits the frame in place, e.g. to inject a drift)."""
    frame, _ = make_frame(int(per_week * weeks / 1.7), seed=seed, days=7 * weeks)
    frame["index_time"] = START + (frame["index_time"] - pd.Timestamp("2021-01-01", tz="UTC"))
    frame = frame[frame["index_time"] < START + pd.Timedelta(weeks=weeks)].reset_index(drop=True)
    if change is not None:
        change(frame)
    return frame


def make_deployed(trained: Trained, root: Path) -> Deployed:
    ws = init_workspace(root)
    stage(trained, ws)
    reg = Registry.from_workspace(ws)
    try:
        people = make_people(reg.store, reg.audit)
        v = reg.register(
            USECASE, model="logreg", identity=people.engineer, policy=parse_policy(LENIENT)
        )
        reg.approve(USECASE, v.version, identity=people.approver, comment="ok")
        reg.promote(USECASE, v.version, identity=people.engineer, reason="first")
        served = load_version(reg, USECASE, "champion")
    finally:
        reg.close()
    return Deployed(ws, served, dict(people.keys))


@pytest.fixture
def deployed(trained: Trained, tmp_path: Path) -> Deployed:
    return make_deployed(trained, tmp_path / "ws")
