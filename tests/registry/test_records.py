"""Alias history replay: promotions push, rollbacks pop, clears unset."""

from __future__ import annotations

from datetime import UTC, datetime

from wardwatch.registry import AliasEvent
from wardwatch.registry._records import alias_stacks

AT = datetime(2026, 11, 2, tzinfo=UTC)


def ev(action: str, alias: str, frm: int | None, to: int | None) -> AliasEvent:
    return AliasEvent("m", alias, action, frm, to, "eve", "ml-engineer", AT, "", False)


def test_rollbacks_walk_back_through_promotions() -> None:
    events = [
        ev("promote", "champion", None, 1),
        ev("promote", "champion", 1, 2),
        ev("promote", "champion", 2, 3),
        ev("rollback", "champion", 3, 2),
    ]
    assert alias_stacks(events) == {"champion": [1, 2]}
    events.append(ev("rollback", "champion", 2, 1))
    assert alias_stacks(events) == {"champion": [1]}
    events.append(ev("promote", "champion", 1, 4))
    assert alias_stacks(events)["champion"] == [1, 4]


def test_clear_and_unexplained_rollback() -> None:
    events = [ev("promote", "challenger", None, 5), ev("clear", "challenger", 5, None)]
    assert alias_stacks(events) == {"challenger": [5, None]}
    # A rollback to a version that is not the one before is taken as a plain move.
    assert alias_stacks([ev("promote", "champion", None, 1), ev("rollback", "champion", 1, 7)]) == {
        "champion": [1, 7]
    }
    assert alias_stacks([]) == {}
    repaired = [ev("promote", "champion", None, 1), ev("promote", "champion", 1, 1)]
    assert alias_stacks(repaired) == {"champion": [1]}
