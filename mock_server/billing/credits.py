"""Ledger per key: hold on submit, capture on completion, release on failure.

Invariant at every instant: available + held + spent == granted. Every method either applies
whole or raises before changing anything, and callers hold the server's state lock, so the
invariant also holds under concurrent requests.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from mock_server.core.errors import InsufficientCreditsError

ENTRY_LOG_LIMIT = 1000


@dataclass(frozen=True)
class Entry:
    """One movement in a ledger, for the control API's ledger view."""

    at: float
    kind: str  # granted | held | captured | released
    amount: int
    task_id: str | None = None


@dataclass
class Ledger:
    """The credits of one API key."""

    granted: int = 0
    held: int = 0
    spent: int = 0
    entries: deque[Entry] = field(default_factory=lambda: deque(maxlen=ENTRY_LOG_LIMIT))

    @property
    def available(self) -> int:
        return self.granted - self.held - self.spent

    def grant(self, amount: int, at: float) -> None:
        """Add credits (or take them back with a negative amount, down to zero available)."""
        if self.available + amount < 0:
            raise ValueError(
                f"cannot remove {-amount} credits: only {self.available} are available"
            )
        self.granted += amount
        self.entries.append(Entry(at, "granted", amount))

    def hold(self, amount: int, at: float, task_id: str) -> None:
        """Reserve the price of a task; 402 when the key cannot afford it."""
        if self.available < amount:
            raise InsufficientCreditsError(
                f"This request needs {amount} credits but the key has {self.available} available "
                f"({self.held} held by running tasks)."
            )
        self.held += amount
        self.entries.append(Entry(at, "held", amount, task_id))

    def capture(self, amount: int, at: float, task_id: str) -> None:
        """Turn a hold into spending: the task completed."""
        self._unhold(amount, task_id)
        self.spent += amount
        self.entries.append(Entry(at, "captured", amount, task_id))

    def release(self, amount: int, at: float, task_id: str) -> None:
        """Give a hold back: the task failed, so it costs nothing."""
        self._unhold(amount, task_id)
        self.entries.append(Entry(at, "released", amount, task_id))

    def _unhold(self, amount: int, task_id: str) -> None:
        if amount > self.held:
            raise ValueError(f"task {task_id}: cannot settle {amount}, only {self.held} held")
        self.held -= amount

    def summary(self) -> dict[str, int]:
        return {
            "granted": self.granted,
            "held": self.held,
            "spent": self.spent,
            "available": self.available,
        }
