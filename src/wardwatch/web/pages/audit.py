"""Audit (``/ui/audit``): the hash-chained event log, newest first, and whether it is intact.

At the top, the chain's verification (:meth:`wardwatch.audit.AuditLog.verify`, kept for a
short time, see :mod:`wardwatch.web._audit_data`): ``verified`` with the number of events and
signed checkpoints checked and the head's seq and hash, or ``broken`` with the first bad
event's seq and what is wrong with it. Below, a GET form filters by actor, action (exact, or
a whole stage with a trailing dot: ``registry.``), subject and a range of UTC days; events
are listed 50 at a time (seq, time, actor and role, action, subject, a one-line payload
summary that expands to the JSON payload), with "older events" loading the next 50 in
place (htmx) or as a page. Payloads hold pseudonyms, never raw patient ids: the log refuses
them when events are appended. Open to the roles that may read the registry's history
(not the clinician).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response

from wardwatch.errors import WardwatchError
from wardwatch.web import _audit_data as data
from wardwatch.web._context import UIError, signed_in, ui
from wardwatch.web._render import render

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/audit")
def audit(request: Request) -> Response:
    session = signed_in(request, "audit")
    state = ui(request)
    try:
        f = data.parse_filter(request.query_params)
    except data.FilterError as exc:
        raise UIError(400, str(exc)) from None
    try:
        rows, next_before = data.events_page(state.audit, f)
    except WardwatchError as exc:
        raise UIError(503, f"the audit log cannot be read: {exc}") from None
    except SQLAlchemyError as exc:
        raise UIError(503, f"the audit log cannot be read ({type(exc).__name__})") from None
    more_url = (
        "/ui/audit?" + urlencode(f.query(before=next_before)) if next_before is not None else None
    )
    context = {"rows": rows, "more_url": more_url, "filters": f}
    if request.headers.get("hx-request") == "true" and f.before is not None:
        return render(request, "audit_rows.html", context, session=session, page="audit")
    try:
        chain: data.Chain | None = data.chain_status(state.audit)
        chain_error = None
    except WardwatchError as exc:
        chain, chain_error = None, str(exc)
    except SQLAlchemyError as exc:
        chain, chain_error = None, f"the store cannot be read ({type(exc).__name__})"
    return render(
        request,
        "audit.html",
        {
            **context,
            "chain": chain,
            "chain_error": chain_error,
            "page_size": data.PAGE_SIZE,
            "newest_url": "/ui/audit?" + urlencode(f.query()) if f.before is not None else None,
        },
        session=session,
        page="audit",
    )
