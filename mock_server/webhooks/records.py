"""What a callback delivery is and what became of it: its state and every attempt made.

Records only (the store keeps them, documents render them); `webhooks.py` makes them happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from mock_server.webhooks.sender import AttemptResult


class DeliveryState(StrEnum):
    PENDING = "pending"  # an attempt is due or running, or a retry is scheduled
    HELD = "held"  # a reorder fault holds it until another callback has gone out
    DROPPED = "dropped"  # a fault rule dropped it: never sent
    DELIVERED = "delivered"  # a receiver answered 2xx
    EXHAUSTED = "exhausted"  # every scheduled attempt failed
    ABANDONED = "abandoned"  # the server stopped before the next attempt


# States nothing moves a delivery out of, except a resend that succeeds (which ends it again).
ENDED = frozenset(
    {
        DeliveryState.DROPPED,
        DeliveryState.DELIVERED,
        DeliveryState.EXHAUSTED,
        DeliveryState.ABANDONED,
    }
)


@dataclass(frozen=True)
class Attempt:
    number: int
    at: float  # mock clock time the attempt started
    result: AttemptResult
    kind: str = "scheduled"  # or "resend" (control API) or "duplicate" (a fault rule)


@dataclass
class Delivery:
    """One callback: the body is frozen when the task ends; its id is the same on every retry."""

    event_id: str
    task_id: str
    key: str
    url: str
    event: str
    body: bytes
    created_at: float
    state: DeliveryState = DeliveryState.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    next_attempt_at: float | None = None
    handle: int | None = None
    note: str | None = None
    sent: int = 0
    duplicates: int = 0  # extra copies to send after the first attempt (fault)
    bad_signature: bool = False  # sign with a wrong key (fault)
    epoch: int = 0  # the resets before it was made: a reset forgets it, an eviction does not

    @property
    def scheduled_attempts(self) -> int:
        return sum(1 for a in self.attempts if a.kind == "scheduled")
