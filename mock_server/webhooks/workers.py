"""A small pool of worker threads whose idleness can be awaited (for the manual clock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from mock_server.core.clock import monotonic

log = logging.getLogger(__name__)


class WorkerPool:
    """Runs jobs off the request and scheduler threads; `wait_idle` blocks until all are done."""

    def __init__(self, workers: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._idle = threading.Condition()
        self._running = 0
        self._closed = False
        self._submitted = 0  # jobs ever queued: a job's number, and what `mark` reports
        self._active: set[int] = set()  # numbers of the jobs queued or running

    def submit(self, job: Callable[[], None]) -> bool:
        """Queue a job; False once the pool is shut down."""
        with self._idle:
            if self._closed:
                return False
            self._running += 1
            self._submitted += 1
            number = self._submitted
            self._active.add(number)
        self._executor.submit(self._run, job, number)
        return True

    def _run(self, job: Callable[[], None], number: int = 0) -> None:
        try:
            job()
        except Exception:  # a broken job must not leave the pool looking busy forever
            log.exception("worker job failed")
        finally:
            with self._idle:
                self._running -= 1
                self._active.discard(number)
                self._idle.notify_all()

    def mark(self) -> int:
        """A point in the pool's history, for `wait_since`."""
        with self._idle:
            return self._submitted

    def wait_since(self, mark: int, timeout: float = 60.0) -> bool:
        """Block until every job queued after `mark` is done (or `timeout` wall seconds pass).
        Jobs queued before it are not waited for: a manual-clock advance made by a webhook
        receiver must not wait for the callback that is waiting for its answer."""
        deadline = monotonic() + timeout
        with self._idle:
            while any(number > mark for number in self._active):
                remaining = deadline - monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    @property
    def busy(self) -> int:
        with self._idle:
            return self._running

    def wait_idle(self, timeout: float = 60.0) -> bool:
        """Block until no job is queued or running (or `timeout` wall seconds pass)."""
        deadline = monotonic() + timeout
        with self._idle:
            while self._running:
                remaining = deadline - monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    def shutdown(self, timeout: float) -> bool:
        """Accept no more jobs and wait (bounded) for the running ones; True if all finished."""
        with self._idle:
            self._closed = True
        finished = self.wait_idle(timeout)
        self._executor.shutdown(wait=finished, cancel_futures=True)
        return finished
