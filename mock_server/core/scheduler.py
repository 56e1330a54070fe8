"""Due events (task transitions, webhook attempts) fired in time order by the clock."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Callable

from mock_server.core.clock import Clock
from mock_server.core.janitor import discard

log = logging.getLogger(__name__)

Action = Callable[[float], None]
"""An event's work; it receives the moment it was due, so its effects carry that timestamp."""

Settler = Callable[[], Callable[[], object]]
"""Called as an advance begins; returns a wait for the work (webhook attempts) that events
fired from then on start elsewhere. Work already running when the advance began is not waited
for: it may be a callback whose receiver is making this very call (see `advance_to`)."""


class Scheduler:
    """A time-ordered queue of actions, fired when the clock reaches them.

    Three things fire events: the ticker thread (real and scaled clocks); `advance_to` (manual
    clock: every event due is fired, in order, with the clock set to each event's time, and
    after each one the settlers wait for the work started since the advance began, so retries
    it schedules inside the window fire too, all before the call returns); and `fire_due`, which
    request handlers call before reading state, so that a read never sees a transition late only
    because a thread was.

    Locks, always taken in this order: the fire lock (one firer at a time, so events run in
    order), then whatever an action takes (the emulator's state lock), then the heap lock (a
    leaf). Callers must not hold the state lock when they fire events.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._fire_lock = threading.RLock()
        self._heap_cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Action]] = []
        self._seq = itertools.count()
        # Handles queued and neither fired nor cancelled: `cancel` of any other handle (fired,
        # cancelled already, never issued) must change nothing, or `pending` goes wrong.
        self._live: set[int] = set()
        self._cancelled: set[int] = set()
        self._settlers: list[Settler] = []
        self._thread: threading.Thread | None = None
        self._stopping = False

    def add_settler(self, settler: Settler) -> None:
        self._settlers.append(settler)

    def schedule(self, at: float, action: Action) -> int:
        """Queue `action` for moment `at`; returns a handle for `cancel`."""
        with self._heap_cond:
            handle = next(self._seq)
            heapq.heappush(self._heap, (at, handle, action))
            self._live.add(handle)
            if self._heap[0][1] == handle:
                # Only a new earliest event can shorten the ticker's sleep. Waking it for every
                # submit cost a GIL hand-off per POST (~15 % of the serving thread's samples).
                self._heap_cond.notify_all()
            return handle

    def cancel(self, handle: int) -> None:
        """Make sure a queued event never fires; a handle that has fired or been cancelled
        already is left alone."""
        with self._heap_cond:
            if handle in self._live:
                self._live.discard(handle)
                self._cancelled.add(handle)

    def clear(self) -> None:
        """Drop every pending event (reset)."""
        with self._heap_cond:
            discard(self._heap, self._live, self._cancelled)  # freed off this thread
            self._heap, self._live, self._cancelled = [], set(), set()
            self._heap_cond.notify_all()

    def pending(self) -> int:
        with self._heap_cond:
            return len(self._live)

    def next_due(self) -> float | None:
        with self._heap_cond:
            live = [at for at, handle, _ in self._heap if handle not in self._cancelled]
            return min(live) if live else None

    def _pop_due(self, limit: float) -> tuple[float, Action] | None:
        with self._heap_cond:
            while self._heap and self._heap[0][0] <= limit:
                at, handle, action = heapq.heappop(self._heap)
                if handle in self._cancelled:
                    self._cancelled.discard(handle)
                    continue
                self._live.discard(handle)
                return at, action
            return None

    def _run(self, at: float, action: Action) -> None:
        try:
            action(at)
        except Exception:  # one broken event must not stop the clock for all others
            log.exception("scheduled event at %s failed", at)

    def fire_due(self) -> None:
        """Fire every event whose time has come, oldest first."""
        with self._fire_lock:
            while (due := self._pop_due(self.clock.now())) is not None:
                self._run(*due)

    def advance_to(self, moment: float) -> None:
        """Move the clock forward to `moment`, firing each event due on the way at its own time
        and letting the work each one starts finish before the next.

        No lock is held while that work runs, so a call it makes back into the mock is served:
        a webhook receiver may advance the clock again, complete a task or reset while its
        callback is in flight. Such a nested advance fires what falls due in its own window and
        waits for the attempts *it* starts, not for the callback that is waiting for it; the
        outer advance then goes on from wherever the clock is, and still returns only once every
        event due up to its `moment` has fired and its attempts have finished.
        """
        waits = [settler() for settler in self._settlers]
        while True:
            with self._fire_lock:
                due = self._pop_due(moment)
                if due is not None:
                    self.clock.advance_to(due[0])
                    self._run(*due)
                else:
                    self.clock.advance_to(moment)
            for wait in waits:
                wait()
            if due is None:
                upcoming = self.next_due()
                if upcoming is None or upcoming > moment:
                    break
        self.wake()

    def wake(self) -> None:
        """Tell the ticker the clock changed (mode or speed), so it recomputes its sleep."""
        with self._heap_cond:
            self._heap_cond.notify_all()

    def start(self) -> None:
        """Start the ticker thread that fires events on real and scaled clocks."""
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._tick, name="seedream-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._heap_cond:
            self._stopping = True
            self._heap_cond.notify_all()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    def _tick(self) -> None:
        while True:
            with self._heap_cond:
                if self._stopping:
                    return
            self.fire_due()
            with self._heap_cond:
                if self._stopping:
                    return
                timeout = 1.0  # a bounded wait: a missed wake-up costs at most a second
                if self._heap:
                    until = self.clock.wall_seconds_until(self._heap[0][0])
                    if until is not None:
                        timeout = min(timeout, until)
                self._heap_cond.wait(timeout=timeout)
