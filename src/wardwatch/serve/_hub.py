"""The models a running service serves, following the registry's aliases without a restart.

:class:`ModelHub` holds, per registered model, the version under ``champion`` and, when
there is one, under ``challenger``. A background thread polls the registry's alias record
(one query per model every ``poll_s`` seconds); when an alias moves (a promotion, a
rollback) it loads the new version off the request path and then swaps one reference, so
requests in flight finish on the version they started with and no request fails.

Routing: with ``canary_percent`` > 0 that share of requests (chosen by a hash of the request
id, so a retried request goes the same way) is answered by the challenger; with ``shadow``
the challenger scores every request too, for the prediction log only, and the champion
answers.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wardwatch.serve._loaded import ServedModel

__all__ = ["ModelHub", "Route"]

log = logging.getLogger("wardwatch.serve")


@dataclass
class _Slot:
    champion: ServedModel | None = None
    challenger: ServedModel | None = None
    aliases: dict[str, int | None] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Route:
    """Which version answers a request (``served``) and which scores it in shadow."""

    served: ServedModel
    alias: str
    shadow: ServedModel | None = None


class ModelHub:
    """Loaded versions per model name (see the module docstring).

    Args:
        registry: a :class:`~wardwatch.registry.Registry` (its store and MLflow).
        names: the registered models to serve.
        loader: ``(registry, name, version) -> ServedModel``.
        canary_percent: share of requests (0-100) answered by the challenger.
        shadow: score every request with the challenger too (logged, not returned).
        poll_s: how often the aliases are checked.
    """

    def __init__(
        self,
        registry: Any,
        names: Sequence[str],
        loader: Callable[[Any, str, int], ServedModel],
        *,
        canary_percent: float = 0.0,
        shadow: bool = False,
        poll_s: float = 1.0,
    ) -> None:
        self.registry = registry
        self.loader = loader
        self.canary_percent = canary_percent
        self.shadow = shadow
        self.poll_s = poll_s
        self._slots: dict[str, _Slot] = {n: _Slot() for n in names}
        self._cache: dict[tuple[str, int], ServedModel] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.on_change: Callable[[str, str, int | None], None] | None = None

    @property
    def names(self) -> list[str]:
        return list(self._slots)

    def refresh(self) -> bool:
        """Check every model's aliases once and load what moved; True if anything changed."""
        changed = False
        with self._lock:
            for name, slot in list(self._slots.items()):
                try:
                    aliases = self.registry.alias_versions(name)
                except Exception as exc:
                    slot.error = f"cannot read the registry: {type(exc).__name__}"
                    log.warning("alias poll failed for %s: %s", name, type(exc).__name__)
                    continue
                if aliases == slot.aliases:
                    continue
                try:
                    champion = self._get(name, aliases.get("champion"))
                    challenger = self._get(name, aliases.get("challenger"))
                except Exception as exc:
                    slot.error = f"cannot load a version: {str(exc)[:200]}"
                    log.error("loading %s failed: %s", name, slot.error)
                    continue
                old = dict(slot.aliases)
                # one reference swap: a request sees the old pair or the new, never a mix
                self._slots[name] = _Slot(champion, challenger, dict(aliases))
                changed = True
                for alias, version in aliases.items():
                    if old.get(alias) != version and self.on_change is not None:
                        self.on_change(name, alias, version)
        return changed

    def _get(self, name: str, version: int | None) -> ServedModel | None:
        if version is None:
            return None
        key = (name, int(version))
        if key not in self._cache:
            self._cache[key] = self.loader(self.registry, name, int(version))
        return self._cache[key]

    def start(self) -> None:
        """Load once now, then poll in a daemon thread."""
        self.refresh()
        self._thread = threading.Thread(target=self._run, name="wardwatch-alias-poll", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            self.refresh()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def ready(self) -> dict[str, str | None]:
        """Per model: None when a champion is loaded, else why not."""
        return {
            n: (None if s.champion else (s.error or "no champion version"))
            for n, s in self._slots.items()
        }

    def versions(self) -> dict[str, dict[str, int | None]]:
        """Per model, the version each alias serves."""
        return {
            n: {
                "champion": s.champion.version if s.champion else None,
                "challenger": s.challenger.version if s.challenger else None,
            }
            for n, s in self._slots.items()
        }

    def route(self, name: str, request_id: str) -> Route | None:
        """The version that answers ``request_id`` for model ``name`` (None: not served)."""
        slot = self._slots.get(name)
        if slot is None or slot.champion is None:
            return None
        champion, challenger = slot.champion, slot.challenger
        if challenger is not None and self.canary_percent > 0:
            bucket = int.from_bytes(hashlib.sha256(request_id.encode()).digest()[:4], "big")
            if bucket % 10_000 < self.canary_percent * 100:
                return Route(challenger, "challenger")
        shadow = challenger if (self.shadow and challenger is not None) else None
        return Route(champion, "champion", shadow)

    def model(self, name: str) -> ServedModel | None:
        slot = self._slots.get(name)
        return slot.champion if slot else None
