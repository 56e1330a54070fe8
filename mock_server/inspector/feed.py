"""What changed since a page last looked: the event bus's task, delivery, journal and reset
events, numbered and kept in a bounded ring, for the inspector's server-sent events.

Why a ring and short answers rather than one endless response: our HTTP server (httpd/) sends
each answer whole, which keeps its loop simple and its framing tested byte by byte. So each
`/_mock/ui/events` answer is one bounded wait: it returns as soon as something changes (or
after `HOLD_S` with only a heartbeat), carrying `id:` and `retry:`, and the browser's
EventSource reconnects on its own with `Last-Event-ID`; nothing is lost between answers
because the ring remembers. A waiting answer holds one worker thread, never the loop that
serves the public routes; at most `MAX_CLIENTS` wait at once, and `close()` (at server stop)
ends every wait at once.

Cost: nobody subscribes to the bus until a page asks, and the subscription ends itself once
no page has asked for `IDLE_S`, so a server with no page open pays nothing per event.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from mock_server.core.events import Event, EventBus
from mock_server.core.tasks import Status
from mock_server.webhooks.records import DeliveryState

RING = 4096  # changes remembered for a page that reconnects (beyond: it reloads)
HOLD_S = 15.0  # longest wait of one answer: a heartbeat at least this often
COALESCE_S = 0.05  # once something changed, wait this long for more to send together
MAX_CLIENTS = 8  # answers waiting at once; more are told to retry later
IDLE_S = 30.0  # no page asked for this long: stop listening to the bus
WATCHED = ("task.", "webhook.", "request.recorded", "state.reset")
# The kinds the page shows, by name: the bus builds no other event for it (credits.* events,
# one per created task, are not shown).
KINDS = frozenset(
    {
        "task.created",
        *(f"task.{status}" for status in Status),
        *(f"webhook.{state}" for state in DeliveryState),
        "request.recorded",
        "state.reset",
    }
)


class Busy(Exception):
    """`MAX_CLIENTS` answers are already waiting."""


@dataclass
class Batch:
    """The changes after a page's last id: task ids (newest last), their kinds, and whether
    the page must reload (a reset, or changes fallen out of the ring)."""

    seq: int
    tasks: list[str] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)  # task ids whose callbacks moved
    requests: int = 0
    reload: bool = False
    closed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.tasks or self.deliveries or self.requests or self.reload)


class Feed:
    """The changes one emulator's pages may wait for (thread-safe)."""

    def __init__(self, events: EventBus) -> None:
        self._events = events
        self._cond = threading.Condition()
        self._ring: deque[tuple[int, str, str | None]] = deque(maxlen=RING)
        self._seq = 0
        self._clients = 0
        self._subscribed = False
        self._last_seen = 0.0
        self._closed = False

    def touch(self) -> int:
        """A page is looking: listen (if not already) and say which change it has seen."""
        with self._cond:
            self._last_seen = time.monotonic()
            if not self._subscribed and not self._closed:
                self._subscribed = True
                self._events.subscribe(self._on_event, KINDS)
            return self._seq

    @contextmanager
    def client(self) -> Iterator[None]:
        with self._cond:
            if self._clients >= MAX_CLIENTS:
                raise Busy
            self._clients += 1
        try:
            yield
        finally:
            with self._cond:
                self._clients -= 1
                self._last_seen = time.monotonic()

    def wait(self, after: int, hold_s: float = HOLD_S) -> Batch:
        """The changes after `after`, waiting up to `hold_s` for the first one."""
        self.touch()
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._seq > after, hold_s)
            if self._seq > after and hold_s and not self._closed:  # let a burst arrive whole
                self._cond.wait_for(lambda: self._closed, COALESCE_S)
            return self._since(after)

    def _since(self, after: int) -> Batch:
        batch = Batch(self._seq, closed=self._closed)
        oldest = self._ring[0][0] if self._ring else self._seq + 1
        if after > self._seq or (after < oldest - 1 and self._seq > after):
            batch.reload = True  # another server's ids, or changes already forgotten
            return batch
        for seq, kind, task_id in self._ring:
            if seq <= after:
                continue
            if kind == "state.reset":
                batch.reload = True
            elif kind == "request.recorded":
                batch.requests += 1
            elif task_id is not None:
                (batch.tasks if kind.startswith("task.") else batch.deliveries).append(task_id)
        return batch

    def close(self) -> None:
        """End every wait now and stop listening (the server is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._unsubscribe()

    def _unsubscribe(self) -> None:
        with self._cond:
            subscribed, self._subscribed = self._subscribed, False
        if subscribed:
            self._events.unsubscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        """Runs under the state lock of whoever changed something: a tuple appended, a wake."""
        if not event.kind.startswith(WATCHED):
            return
        with self._cond:
            if not self._clients and time.monotonic() - self._last_seen > IDLE_S:
                idle = True  # and deaf from now: a page from before must reload
                self._seq += 1
                self._ring.append((self._seq, "state.reset", None))
            else:
                idle = False
                self._seq += 1
                self._ring.append((self._seq, event.kind, event.task_id))
                self._cond.notify_all()
        if idle:
            self._unsubscribe()
