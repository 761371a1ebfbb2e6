"""Shared foundations: canonical schemas, time parsing, workspace, store and lake handles."""

from wardwatch.core.lake import Lake
from wardwatch.core.schemas import QUARANTINE, TABLES, Column, TableSpec, arrow_schema
from wardwatch.core.settings import Settings, load_settings
from wardwatch.core.store import Store
from wardwatch.core.workspace import Workspace, init_workspace, open_workspace

__all__ = [
    "QUARANTINE",
    "TABLES",
    "Column",
    "Lake",
    "Settings",
    "Store",
    "TableSpec",
    "Workspace",
    "arrow_schema",
    "init_workspace",
    "load_settings",
    "open_workspace",
]
