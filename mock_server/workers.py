"""A small pool of worker threads whose idleness can be awaited (for the manual clock)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from mock_server.clock import monotonic

log = logging.getLogger(__name__)


class WorkerPool:
    """Runs jobs off the request and scheduler threads; `wait_idle` blocks until all are done."""

    def __init__(self, workers: int, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._idle = threading.Condition()
        self._running = 0
        self._closed = False

    def submit(self, job: Callable[[], None]) -> bool:
        """Queue a job; False once the pool is shut down."""
        with self._idle:
            if self._closed:
                return False
            self._running += 1
        self._executor.submit(self._run, job)
        return True

    def _run(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # a broken job must not leave the pool looking busy forever
            log.exception("worker job failed")
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

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
