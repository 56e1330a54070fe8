"""The bounded ring of journal entries: O(1) to add (the oldest falls out), read newest first.

Adding is the only part on the hot path: a counter, a lock held for one append, and an event
for whoever listens (the inspector). Filtering runs on the raw entries and only the page shown
is turned into documents, so a read costs what it shows, not what is kept.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any

from mock_server.core.errors import NotFoundError
from mock_server.core.events import Event, EventBus
from mock_server.core.paging import page
from mock_server.journal.query import Query
from mock_server.journal.records import Recorded, document

RECORDED = "request.recorded"
OFF = (
    "The request journal is off on this server (--journal-size 0); start it with "
    "--journal-size N to keep the last N requests."
)


class RequestJournal:
    """The last `size` requests to the public routes; `size` 0 keeps none (and says so)."""

    def __init__(self, size: int, events: EventBus) -> None:
        self.size = size
        self._entries: deque[tuple[int, Recorded]] = deque(maxlen=max(size, 1))
        self._seq = itertools.count(1)  # never reused, across clears too: `since` stays valid
        self._last = 0  # the newest seq handed out
        self._lock = threading.Lock()
        self._events = events
        events.subscribe(self._on_event, ("state.reset",))

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def add(self, entry: Recorded) -> int:
        """Keep `entry` (the oldest goes when full); its seq. Publishes `request.recorded`
        outside any lock, on the thread that served the request: listeners must be quick."""
        with self._lock:
            seq = self._last = next(self._seq)
            self._entries.append((seq, entry))
        if self._events.wants(RECORDED):
            self._events.publish(Event(RECORDED, entry.at, None, entry.task_id, {"seq": seq}))
        return seq

    def clear(self) -> int:
        """Forget every entry; how many there were."""
        self._check()
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
        return count

    def find(
        self, query: Query, limit: int | None = None, before: str | None = None
    ) -> list[dict[str, Any]]:
        """The matching entries' documents, newest first; up to `limit` after the entry whose
        seq is `before` (see `paging`)."""
        self._check()
        with self._lock:
            kept = list(self._entries)
        found = [(seq, e) for seq, e in reversed(kept) if query.matches(seq, e)]
        shown = page(found, lambda item: str(item[0]), limit, before)
        return [document(seq, entry) for seq, entry in shown]

    def after(self, seq: int) -> tuple[list[tuple[int, Recorded]], int]:
        """For a state file: the entries newer than `seq`, and the oldest seq still kept (the
        next one to be handed out when none is), so rows older than that can go."""
        newer: list[tuple[int, Recorded]] = []
        with self._lock:
            for item in reversed(self._entries):  # newest first: stop at the first written
                if item[0] <= seq:
                    break
                newer.append(item)
            oldest = self._entries[0][0] if self._entries else self._last + 1
        newer.reverse()
        return newer, oldest

    def restore(self, entries: list[tuple[int, Recorded]], last: int) -> None:
        """After a restart: the kept entries back, and seq going on from `last`."""
        with self._lock:
            self._entries.clear()
            self._entries.extend(entries[-self.size :] if self.enabled else [])
            self._last = max(last, self._last)
            self._seq = itertools.count(self._last + 1)

    def _check(self) -> None:
        if not self.enabled:
            raise NotFoundError(OFF, "journal_size")

    def _on_event(self, event: Event) -> None:
        if event.kind == "state.reset":
            with self._lock:
                self._entries.clear()
