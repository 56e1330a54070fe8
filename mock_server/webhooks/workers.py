"""A small pool of worker threads whose idleness can be awaited (for the manual clock).

A thread that waits for jobs (`wait_since`: a manual-clock advance after each event) runs the
queued jobs it waits for itself instead of sleeping until a worker has picked them up and
finished: each hand-over to a worker and back cost a wake-up and a GIL switch, about a sixth of
the time of a callback made by an advance. The jobs still run one at a time per waiting thread
and in the order queued, so an advance makes its attempts exactly as before.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

from mock_server.core.clock import monotonic

log = logging.getLogger(__name__)

Job = Callable[[], None]


class WorkerPool:
    """Runs jobs off the request and scheduler threads; `wait_idle` blocks until all are done."""

    def __init__(self, workers: int, name: str) -> None:
        self._workers, self._name = workers, name
        self._lock = threading.Lock()
        self._queued = threading.Condition(self._lock)  # a job queued, or the pool closing
        self._idle = threading.Condition(self._lock)  # a job ended
        self._queue: deque[tuple[int, Job]] = deque()
        self._threads: list[threading.Thread] = []
        self._sleeping = 0  # workers waiting for a job
        self._running = 0  # jobs queued or running
        self._closed = False  # no more jobs accepted
        self._stopped = False  # workers leave; jobs still queued never run
        self._submitted = 0  # jobs ever queued: a job's number, and what `mark` reports
        self._active: set[int] = set()  # numbers of the jobs queued or running

    def submit(self, job: Job) -> bool:
        """Queue a job; False once the pool is shut down."""
        with self._lock:
            if self._closed:
                return False
            self._running += 1
            self._submitted += 1
            self._active.add(self._submitted)
            self._queue.append((self._submitted, job))
            if self._sleeping:
                self._queued.notify()
            elif len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return True

    def _work(self) -> None:
        with self._lock:
            while True:
                while not self._queue and not self._stopped:
                    self._sleeping += 1
                    self._queued.wait()
                    self._sleeping -= 1
                if self._stopped:
                    return
                number, job = self._queue.popleft()
                self._lock.release()
                try:
                    self._run(job, number)
                finally:
                    self._lock.acquire()

    def _run(self, job: Job, number: int) -> None:
        """Run `job` (lock not held) and count it done."""
        try:
            job()
        except Exception:  # a broken job must not leave the pool looking busy forever
            log.exception("worker job failed")
        finally:
            with self._lock:
                self._running -= 1
                self._active.discard(number)
                self._idle.notify_all()

    def mark(self) -> int:
        """A point in the pool's history, for `wait_since`."""
        with self._lock:
            return self._submitted

    def wait_since(self, mark: int, timeout: float = 60.0) -> bool:
        """Block until every job queued after `mark` is done (or `timeout` wall seconds pass),
        running those still queued on this thread. Jobs queued before it are neither waited
        for nor run: a manual-clock advance made by a webhook receiver must not wait for the
        callback that is waiting for its answer."""
        deadline = monotonic() + timeout
        with self._lock:
            while any(number > mark for number in self._active):
                claimed = self._claim(mark)
                if claimed is not None:
                    self._lock.release()
                    try:
                        self._run(claimed[1], claimed[0])
                    finally:
                        self._lock.acquire()
                    continue
                remaining = deadline - monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    def _claim(self, mark: int) -> tuple[int, Job] | None:
        """Take the first queued job numbered after `mark` off the queue (lock held)."""
        for index, (number, job) in enumerate(self._queue):
            if number > mark:
                del self._queue[index]
                return number, job
        return None

    @property
    def busy(self) -> int:
        with self._lock:
            return self._running

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no job is queued or running (or `timeout` wall seconds pass)."""
        deadline = monotonic() + timeout
        with self._lock:
            while self._running:
                remaining = deadline - monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    def shutdown(self, timeout: float) -> bool:
        """Accept no more jobs and wait (bounded) for the queued and running ones; True if all
        finished. Workers then leave; a job still queued after `timeout` never runs."""
        with self._lock:
            self._closed = True
        finished = self.wait_idle(timeout)
        with self._lock:
            self._stopped = True
            self._queue.clear()
            self._queued.notify_all()
        return finished
