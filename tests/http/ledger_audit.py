"""A key's balance recomputed from its ledger entries, checked against what the ledger reports.

`available + held + spent == granted` proves nothing by itself: the ledger derives `available`
from the other three. The entries (grants, holds, captures, releases) are a separate record, so
replaying them is an independent account: a movement applied but not recorded, or recorded but
not applied, makes the two disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mock_server.billing.credits import ENTRY_LOG_LIMIT


@dataclass
class Replay:
    """What a key's entries say: its totals and the fate of each task's hold."""

    granted: int = 0
    held: int = 0
    spent: int = 0
    open_holds: dict[str, int] = field(default_factory=dict)
    captured: set[str] = field(default_factory=set)
    released: set[str] = field(default_factory=set)

    @property
    def available(self) -> int:
        return self.granted - self.held - self.spent

    def totals(self) -> dict[str, int]:
        return {
            "granted": self.granted,
            "held": self.held,
            "spent": self.spent,
            "available": self.available,
        }


def replay(entries: list[dict[str, Any]]) -> Replay:
    """Apply the entries in order, checking each against the ones before it."""
    assert len(entries) < ENTRY_LOG_LIMIT, "the log is capped: too many entries to replay"
    seen = Replay()
    for entry in entries:
        kind, amount, task_id = entry["kind"], entry["amount"], entry["task_id"]
        if kind == "granted":
            assert task_id is None, entry
            seen.granted += amount
        elif kind == "held":
            assert amount >= 0, entry
            assert task_id not in seen.open_holds, f"{task_id} held twice"
            assert task_id not in seen.captured | seen.released, f"{task_id} held after settling"
            seen.open_holds[task_id] = amount
            seen.held += amount
        elif kind in ("captured", "released"):
            assert seen.open_holds.pop(task_id, None) == amount, f"{kind} without its hold: {entry}"
            seen.held -= amount
            if kind == "captured":
                seen.spent += amount
                seen.captured.add(task_id)
            else:
                seen.released.add(task_id)
        else:
            raise AssertionError(f"unknown entry kind {kind!r}")
        assert seen.available >= 0, f"overdrawn after {entry}"
    return seen


def audit(ledger: dict[str, Any]) -> Replay:
    """Replay a ledger document (`GET /_mock/keys/{key}`) and compare with its totals."""
    seen = replay(ledger["entries"])
    reported = {name: ledger[name] for name in ("granted", "held", "spent", "available")}
    assert reported == seen.totals(), (ledger["key"], reported, seen.totals())
    return seen


def check_tasks(seen: Replay, statuses: dict[str, str]) -> None:
    """Each task of the key holds until it ends, then is captured (completed) or released
    (failed): exactly the tasks the API reports in each state."""
    running = {t for t, s in statuses.items() if s in ("pending", "processing")}
    assert set(seen.open_holds) == running
    assert seen.captured == {t for t, s in statuses.items() if s == "completed"}
    assert seen.released == {t for t, s in statuses.items() if s == "failed"}
