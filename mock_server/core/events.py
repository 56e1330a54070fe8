"""One stream of domain events from the task machine and the ledger, for webhooks, the
inspector and persistence to subscribe to without the producers knowing them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened, at a moment of the mock's clock.

    kind: `task.created`, `task.processing`, `task.completed`, `task.failed`,
    `credits.held`, `credits.captured`, `credits.released`, `credits.granted`, `state.reset`.
    """

    kind: str
    at: float
    key: str | None = None
    task_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Subscriber = Callable[[Event], None]


class EventBus:
    """Synchronous publish/subscribe; subscribers run under the state lock and must be quick."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop telling `subscriber` (a listener that comes and goes, like an open inspector
        page, costs the producers nothing once it has left). A new list, not a removal: a
        publish under way keeps iterating its own copy."""
        self._subscribers = [s for s in self._subscribers if s != subscriber]

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # a faulty listener must not undo a state change already made
                log.exception("event subscriber failed on %s", event.kind)
