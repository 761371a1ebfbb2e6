"""The dashboard's pages, one module each, every one an ``APIRouter`` under ``/ui``."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["routers"]


def routers() -> list[APIRouter]:
    """Every page's router."""
    from wardwatch.web.pages import audit, monitoring, overview, quality, triage, version

    return [m.router for m in (overview, version, quality, monitoring, triage, audit)]
