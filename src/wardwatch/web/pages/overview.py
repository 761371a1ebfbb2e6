"""Overview (``/ui/``): every model with its champion and challenger, their gate status, the
last monitoring verdict and open alerts, and the data gate's verdict on the latest ingest.

A model the signed-in key's scope does not cover is not listed. "Last monitoring verdict" is
the newest monitored window of the champion: ``alerting`` when an alert on the model is open
or acknowledged, ``quiet`` when monitoring ran and nothing is active, ``not monitored``
before the first run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from wardwatch.monitor import load_history
from wardwatch.monitor.alerts import AlertBook
from wardwatch.registry import Identity, ModelVersion, RegistryError
from wardwatch.web._context import UI, signed_in, ui
from wardwatch.web._quality_data import latest_report
from wardwatch.web._render import render

__all__ = ["ModelRow", "latest_quality", "model_rows", "router"]

router = APIRouter(prefix="/ui", include_in_schema=False)


@dataclass(frozen=True)
class ModelRow:
    """One model on the overview."""

    name: str
    champion: ModelVersion | None
    challenger: ModelVersion | None
    last_window_end: datetime | None
    active_alerts: int
    worst_severity: str | None
    owners: dict[str, int]
    """Active alerts by the owner they page (data-feed, model, sre)."""

    @property
    def verdict(self) -> str:
        if self.active_alerts:
            return "alerting"
        return "quiet" if self.last_window_end else "not monitored"


def _version(state: UI, name: str, number: int | None, who: Identity) -> ModelVersion | None:
    if number is None:
        return None
    try:
        return state.registry.version(name, number, identity=who)
    except RegistryError:
        return None


_SEVERITY = {"critical": 3, "high": 2, "warning": 1, "info": 0}


def model_rows(state: UI, who: Identity) -> list[ModelRow]:
    """The overview's rows for the models ``who`` may use."""
    book = AlertBook(state.store, state.audit)
    rows = []
    for name in state.registry.names():
        if not who.may_use(name):
            continue
        aliases = state.registry.alias_versions(name)
        champion = _version(state, name, aliases.get("champion"), who)
        last = None
        if champion is not None:
            windows = load_history(
                state.store, name, champion.version, before=datetime.now(UTC), windows=1
            )
            last = windows[-1][0].window_end if windows and windows[-1] else None
        active = book.list(status="active", model=name)
        worst = max((a.severity for a in active), key=lambda s: _SEVERITY.get(s, 0),
                    default=None)  # fmt: skip
        rows.append(
            ModelRow(
                name=name,
                champion=champion,
                challenger=_version(state, name, aliases.get("challenger"), who),
                last_window_end=last,
                active_alerts=len(active),
                worst_severity=worst,
                owners=dict(Counter(a.owner for a in active)),
            )
        )
    return rows


def latest_quality(state: UI) -> dict[str, Any] | None:
    """The newest quality-gate report in the workspace's reports folder, as a dict (None
    when the gate never ran); see :func:`wardwatch.web._quality_data.latest_report`."""
    return latest_report(state.ws.reports_dir)


@router.get("/")
def overview(request: Request) -> Response:
    session = signed_in(request, "overview")
    state = ui(request)
    models = model_rows(state, session.identity)
    owners: Counter[str] = Counter()
    for m in models:
        owners.update(m.owners)
    return render(
        request,
        "overview.html",
        {
            "models": models,
            "quality": latest_quality(state),
            "serving": sum(1 for m in models if m.champion is not None),
            "active": sum(m.active_alerts for m in models),
            "owners": dict(sorted(owners.items())),
        },
        session=session,
        page="overview",
    )
