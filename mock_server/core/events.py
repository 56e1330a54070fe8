"""One stream of domain events from the task machine and the ledger, for webhooks, the
inspector and persistence to subscribe to without the producers knowing them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
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
    """Synchronous publish/subscribe; subscribers run under the state lock and must be quick.

    A subscriber may name the kinds it wants; a producer asks `wants(kind)` before building
    an event, so the events of the hot routes (a request recorded, a task created, credits
    held) cost nothing while nobody listens for them (the inspector listens to everything,
    and only while a page is open)."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[Subscriber, frozenset[str] | None]] = []
        self._everything = False
        self._kinds: frozenset[str] = frozenset()

    def subscribe(self, subscriber: Subscriber, kinds: Collection[str] | None = None) -> None:
        """Tell `subscriber` of every event, or only of those of `kinds`."""
        wanted = None if kinds is None else frozenset(kinds)
        self._subscribers = [*self._subscribers, (subscriber, wanted)]
        self._note_wanted()

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop telling `subscriber` (a listener that comes and goes, like an open inspector
        page, costs the producers nothing once it has left). A new list, not a removal: a
        publish under way keeps iterating its own copy."""
        self._subscribers = [entry for entry in self._subscribers if entry[0] != subscriber]
        self._note_wanted()

    def _note_wanted(self) -> None:
        kinds = [wanted for _, wanted in self._subscribers]
        self._everything = any(wanted is None for wanted in kinds)
        self._kinds = frozenset().union(*(wanted for wanted in kinds if wanted is not None))

    def wants(self, kind: str) -> bool:
        """Whether any subscriber would be told of an event of `kind`."""
        return self._everything or kind in self._kinds

    def publish(self, event: Event) -> None:
        for subscriber, wanted in self._subscribers:
            if wanted is not None and event.kind not in wanted:
                continue
            try:
                subscriber(event)
            except Exception:  # a faulty listener must not undo a state change already made
                log.exception("event subscriber failed on %s", event.kind)
