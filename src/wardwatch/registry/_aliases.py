"""Protected aliases: promotion behind gates and approval, one-step rollback, drift checks.

wardwatch records every move of ``champion`` and ``challenger`` twice, in ``alias_events``
and in the audit log; :meth:`AliasMixin.check_aliases` compares both with what MLflow shows,
so a move made around wardwatch (in MLflow, or in the registry tables) is reported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from wardwatch.registry._base import RegistryBase, mlflow_aliases, version_words
from wardwatch.registry._errors import GateRefusedError, RegistryError
from wardwatch.registry._gates import GateResult
from wardwatch.registry._identity import Identity
from wardwatch.registry._mlflow import mlflow_client, mlflow_error, not_found
from wardwatch.registry._records import PROTECTED_ALIASES, AliasEvent, alias_stacks, iso
from wardwatch.registry._tables import ALIAS_EVENTS, MODEL_VERSIONS, lock

__all__ = ["AliasMixin"]


class AliasMixin(RegistryBase):
    """Promotion, rollback and the alias checks."""

    def promote(
        self,
        name: str,
        version: int,
        *,
        identity: Identity,
        alias: str = "champion",
        reason: str | None = None,
        break_glass: bool = False,
    ) -> AliasEvent:
        """Point the protected ``alias`` at ``version``.

        Needs the version's latest gate result to pass, the latest decision on it to be an
        approval of that result, and the alias to be where wardwatch left it. With
        ``break_glass`` an admin bypasses all three, with a required ``reason``; that is
        always an ``admin.break_glass`` audit event; it also repairs an alias moved outside
        wardwatch back to the version recorded. Promoting the challenger to champion clears
        the challenger alias. Raises :class:`GateRefusedError` (audited) when refused.
        """
        self._check_alias(alias)
        subject = f"model:{name}@{version}"
        self._authorize(identity, "registry.promote", subject)
        if break_glass:
            self._authorize(identity, "admin.break_glass", subject)
            reason = self._words(reason, "reason")
        reason = (reason or "").strip()
        problems: list[str] = []
        drift: dict[str, Any] | None = None
        cleared: int | None = None
        with mlflow_client(self.tracking_uri) as client:
            from mlflow.exceptions import MlflowException

            with self.store.begin() as conn:
                lock(conn)
                row = self._row(conn, name, version)
                gate = self._gate_row(conn, row)
                stacks = alias_stacks(self._alias_events(conn, name))
                current = stacks.get(alias, [None])[-1]
                try:
                    actual = mlflow_aliases(client, name).get(alias)
                except MlflowException as exc:
                    raise mlflow_error(
                        exc, "cannot read the MLflow aliases", self.tracking_uri
                    ) from None
                # Re-promoting the recorded version is only a repair of a drifted alias.
                if current == int(version) and not (break_glass and actual != current):
                    raise RegistryError(
                        f"version {version} is already {alias}", record=f"{name}@{alias}"
                    )
                problems = self._promotion_problems(conn, row, gate)
                if actual != current:
                    drift = {"alias": alias, "recorded": current, "mlflow": actual}
                    problems.append(
                        f"alias {alias} points to {version_words(actual)} in MLflow but "
                        f"wardwatch recorded {version_words(current)} (moved outside wardwatch; "
                        "an admin must repair it with a break-glass promotion)"
                    )
                if not problems or break_glass:
                    now = datetime.now(UTC)
                    self._insert_alias(
                        conn,
                        name,
                        alias,
                        "promote",
                        current,
                        int(version),
                        identity,
                        now,
                        reason,
                        break_glass,
                    )
                    if alias == "champion" and stacks.get("challenger", [None])[-1] == int(version):
                        cleared = int(version)
                        self._insert_alias(
                            conn,
                            name,
                            "challenger",
                            "clear",
                            cleared,
                            None,
                            identity,
                            now,
                            f"promoted to champion; {reason}",
                            break_glass,
                        )
                    try:
                        client.set_registered_model_alias(name, alias, str(version))
                        if cleared is not None:
                            client.delete_registered_model_alias(name, "challenger")
                    except MlflowException as exc:
                        raise mlflow_error(
                            exc, "cannot move the MLflow alias", self.tracking_uri
                        ) from None
        if problems and not break_glass:
            self._event(
                identity,
                "registry.promote_refused",
                subject,
                {
                    "model_version": int(version),
                    "name": name,
                    "alias": alias,
                    "problems": problems,
                },
            )
            raise GateRefusedError(
                f"promotion of {name} version {version} to {alias} refused: " + "; ".join(problems),
                record=f"{name}@{version}",
            )
        payload = {
            "model_version": int(version),
            "name": name,
            "alias": alias,
            "from_version": current,
            "to_version": int(version),
            "reason": reason,
            "break_glass": break_glass,
            "gate_result_sha256": gate["result_sha256"] if gate else None,
            "cleared": [{"alias": "challenger", "version": cleared}] if cleared else [],
        }
        if break_glass:
            self._event(
                identity,
                "admin.break_glass",
                subject,
                {
                    "operation": "registry.promote",
                    "model_version": int(version),
                    "name": name,
                    "alias": alias,
                    "reason": reason,
                    "bypassed": problems,
                    "alias_drift": drift,
                },
            )
        self._event(identity, "registry.promote", subject, payload)
        return AliasEvent(
            name,
            alias,
            "promote",
            current,
            int(version),
            identity.name,
            identity.role,
            datetime.now(UTC),
            reason,
            break_glass,
        )

    def _promotion_problems(
        self, conn: Connection, row: Mapping[Any, Any], gate: Mapping[Any, Any] | None
    ) -> list[str]:
        name, version = row["name"], int(row["version"])
        if gate is None:
            return [f"no gate result (run `wardwatch registry gates {name} {version}`)"]
        problems = []
        if not gate["passed"]:
            failed = GateResult.from_dict(json.loads(gate["result"])).failed
            problems.append("gates fail: " + "; ".join(c.message for c in failed))
        decisions = self._decisions(conn, name, version)
        if not decisions:
            problems.append("no approval (an approver who did not register it must approve)")
        elif decisions[-1].decision != "approve":
            last = decisions[-1]
            problems.append(f"rejected by {last.by} at {iso(last.at)}")
        elif decisions[-1].gate_result_sha256 != gate["result_sha256"]:
            problems.append("the approval was of an earlier gate result (approve again)")
        return problems

    def _insert_alias(
        self,
        conn: Connection,
        name: str,
        alias: str,
        action: str,
        from_version: int | None,
        to_version: int | None,
        identity: Identity,
        at: datetime,
        reason: str,
        break_glass: bool,
    ) -> None:
        conn.execute(
            ALIAS_EVENTS.insert().values(
                name=name,
                alias=alias,
                action=action,
                from_version=from_version,
                to_version=to_version,
                by=identity.name,
                role=identity.role,
                at=at,
                reason=reason,
                break_glass=break_glass,
            )
        )

    def rollback(
        self, name: str, *, identity: Identity, reason: str, alias: str = "champion"
    ) -> AliasEvent:
        """Return ``alias`` to the version it pointed at before its last promotion, in one
        step, with a required ``reason``. Needs no gates or approval (that version passed
        them when it was promoted); an alias found moved outside wardwatch is recorded
        (``registry.alias_drift``) and then corrected."""
        self._check_alias(alias)
        reason = self._words(reason, "reason")
        self._authorize(identity, "registry.rollback", f"model:{name}@{alias}")
        drift: dict[str, Any] | None = None
        with mlflow_client(self.tracking_uri) as client:
            from mlflow.exceptions import MlflowException

            with self.store.begin() as conn:
                lock(conn)
                stack = alias_stacks(self._alias_events(conn, name)).get(alias, [])
                if len(stack) < 2 or (alias == "champion" and stack[-2] is None):
                    raise RegistryError(
                        f"no earlier {alias} to return to",
                        record=name,
                        found=f"{version_words(stack[-1] if stack else None)} is the first {alias}",
                    )
                current, target = stack[-1], stack[-2]
                try:
                    actual = mlflow_aliases(client, name).get(alias)
                    if actual != current:
                        drift = {"alias": alias, "recorded": current, "mlflow": actual}
                    now = datetime.now(UTC)
                    self._insert_alias(
                        conn, name, alias, "rollback", current, target, identity, now, reason, False
                    )
                    if target is None:
                        client.delete_registered_model_alias(name, alias)
                    else:
                        client.set_registered_model_alias(name, alias, str(target))
                except MlflowException as exc:
                    raise mlflow_error(
                        exc, "cannot move the MLflow alias", self.tracking_uri
                    ) from None
        subject = f"model:{name}@{target if target is not None else alias}"
        if drift is not None:
            self._event(identity, "registry.alias_drift", subject, {"name": name, **drift})
        self._event(
            identity,
            "registry.rollback",
            subject,
            {
                "model_version": target,
                "name": name,
                "alias": alias,
                "from_version": current,
                "to_version": target,
                "reason": reason,
            },
        )
        return AliasEvent(
            name,
            alias,
            "rollback",
            current,
            target,
            identity.name,
            identity.role,
            now,
            reason,
            False,
        )

    def aliases(self, name: str) -> dict[str, int | None]:
        """Where wardwatch last put each protected alias of ``name`` (None: unset)."""
        with self.store.begin() as conn:
            stacks = alias_stacks(self._alias_events(conn, name))
        return {a: (stacks.get(a) or [None])[-1] for a in PROTECTED_ALIASES}

    def check_aliases(self, name: str | None = None) -> list[str]:
        """Differences between MLflow's protected aliases, wardwatch's alias events and the
        audit log's promotions and rollbacks, one line each ([] when all agree).

        Without any registered version or alias event nothing is checked (and MLflow is not
        opened). ``name`` limits the check to one registered model.
        """
        with self.store.begin() as conn:
            names_q = sa.union(sa.select(MODEL_VERSIONS.c.name), sa.select(ALIAS_EVENTS.c.name))
            names = sorted({r[0] for r in conn.execute(names_q)} if name is None else {name})
            recorded = {n: alias_stacks(self._alias_events(conn, n)) for n in names}
        if not names:
            return []
        audited = self._audited_aliases()
        problems: list[str] = []
        mlflow_state: dict[str, dict[str, int]] = {}
        with mlflow_client(self.tracking_uri) as client:
            from mlflow.exceptions import MlflowException

            for n in names:
                try:
                    mlflow_state[n] = mlflow_aliases(client, n)
                except MlflowException as exc:
                    if not not_found(exc):
                        raise mlflow_error(
                            exc, "cannot read the MLflow aliases", self.tracking_uri
                        ) from None
                    mlflow_state[n] = {}
                    if any((s or [None])[-1] is not None for s in recorded[n].values()):
                        problems.append(
                            f"{n}: registered model missing from MLflow (deleted outside wardwatch)"
                        )
        for n in names:
            for alias in PROTECTED_ALIASES:
                want = (recorded[n].get(alias) or [None])[-1]
                logged = audited.get(n, {}).get(alias)
                actual = mlflow_state[n].get(alias)
                if actual != want:
                    problems.append(
                        f"{n}@{alias}: MLflow points to {version_words(actual)} but wardwatch "
                        f"recorded {version_words(want)} (alias moved outside wardwatch)"
                    )
                if logged != want:
                    problems.append(
                        f"{n}@{alias}: the alias events say {version_words(want)} but the audit "
                        f"log says {version_words(logged)} (registry tables changed outside "
                        "wardwatch)"
                    )
        return problems

    def _audited_aliases(self) -> dict[str, dict[str, int | None]]:
        """Each alias's version after replaying the audit log's promotions and rollbacks."""
        state: dict[str, dict[str, int | None]] = {}
        for ev in self.audit.events(action="registry."):
            if ev.action not in ("registry.promote", "registry.rollback"):
                continue
            p = ev.payload
            name, alias = p.get("name"), p.get("alias")
            if not isinstance(name, str) or not isinstance(alias, str):
                continue
            state.setdefault(name, {})[alias] = p.get("to_version")
            for item in p.get("cleared") or []:
                state[name][str(item.get("alias"))] = None
        return state
