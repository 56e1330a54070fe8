"""Due events (task transitions, later webhook retries) fired in time order by the clock."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable

from mock_server.clock import Clock

log = logging.getLogger(__name__)

Action = Callable[[float], None]
"""An event's work; it receives the moment it was due, so its effects carry that timestamp."""


class Scheduler:
    """A time-ordered queue of actions, fired when the clock reaches them.

    Three things fire events: the ticker thread (real and scaled clocks), an explicit `advance`
    (manual clock: every event due is fired, in order, with the clock set to each event's time,
    before the call returns), and `fire_due`, which request handlers call before reading state so
    that a read never sees a transition that is late only because a thread was slow.
    All of it runs under the server's one state lock, so events and requests never interleave.
    """

    def __init__(self, clock: Clock, lock: threading.RLock) -> None:
        self.clock = clock
        self._cond = threading.Condition(lock)
        self._heap: list[tuple[float, int, Action]] = []
        self._seq = itertools.count()
        self._cancelled: set[int] = set()
        self._thread: threading.Thread | None = None
        self._stopping = False

    def schedule(self, at: float, action: Action) -> int:
        """Queue `action` for moment `at`; returns a handle for `cancel`."""
        with self._cond:
            handle = next(self._seq)
            heapq.heappush(self._heap, (at, handle, action))
            self._cond.notify_all()
            return handle

    def cancel(self, handle: int) -> None:
        with self._cond:
            self._cancelled.add(handle)

    def clear(self) -> None:
        """Drop every pending event (reset)."""
        with self._cond:
            self._heap.clear()
            self._cancelled.clear()
            self._cond.notify_all()

    def pending(self) -> int:
        with self._cond:
            return len(self._heap) - len(self._cancelled)

    def _pop_due(self, limit: float) -> tuple[float, Action] | None:
        while self._heap and self._heap[0][0] <= limit:
            at, handle, action = heapq.heappop(self._heap)
            if handle in self._cancelled:
                self._cancelled.discard(handle)
                continue
            return at, action
        return None

    def _run(self, at: float, action: Action) -> None:
        try:
            action(at)
        except Exception:  # one broken event must not stop the clock for all others
            log.exception("scheduled event at %s failed", at)

    def fire_due(self) -> None:
        """Fire every event whose time has come, oldest first."""
        with self._cond:
            while (due := self._pop_due(self.clock.now())) is not None:
                self._run(*due)

    def advance_to(self, moment: float) -> None:
        """Move the clock forward to `moment`, firing each event due on the way at its own time."""
        with self._cond:
            while (due := self._pop_due(moment)) is not None:
                self.clock.advance_to(due[0])
                self._run(*due)
            self.clock.advance_to(moment)
            self._cond.notify_all()

    def wake(self) -> None:
        """Tell the ticker the clock changed (mode or speed), so it recomputes its sleep."""
        with self._cond:
            self._cond.notify_all()

    def start(self) -> None:
        """Start the ticker thread that fires events on real and scaled clocks."""
        with self._cond:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(
                target=self._tick, name="seedream-scheduler", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def _tick(self) -> None:
        with self._cond:
            while not self._stopping:
                self.fire_due()
                timeout = 1.0  # a bounded wait: a missed wake-up costs at most a second
                if self._heap:
                    until = self.clock.wall_seconds_until(self._heap[0][0])
                    if until is not None:
                        timeout = min(timeout, until)
                self._cond.wait(timeout=timeout)
