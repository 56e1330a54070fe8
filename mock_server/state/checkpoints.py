"""Checkpoints of the state file's WAL, made on a thread and a connection of their own.

SQLite's default checkpoints the WAL into the file inside the `COMMIT` that takes the WAL past
1,000 pages, with two fsyncs (synchronous=NORMAL): that commit took 15-60 ms instead of 0.05,
and every answer waiting for it waited as long (in-process, p99 of POST at 64 connections
went from about 70 ms to about 100 ms, and a third as many commits were made). So the
writing connection does none (`PRAGMA wal_autocheckpoint = 0`), and this thread does, when
the WAL has grown past the same size, in two PASSIVE rounds. The first runs beside the writer
and copies the bulk while commits go on being appended. Under load it never copies everything
(commits come in meanwhile), and the WAL starts again from its beginning only after a
checkpoint that did: without more, it grew by 25 MB a second under POSTs at 64 connections
(240 MB in 20 s). So the second round is the writer's: once the bulk is copied, its next
commit, right after `COMMIT` and before another can begin, checkpoints the few frames appended
since (`after_commit`: about a millisecond with its fsyncs, on the thread that commits, so no
other thread holds the writer up meanwhile). The commit after it starts the WAL again and cuts
the file back to WAL_LIMIT (`journal_size_limit`), so its size says how much is new.
A checkpoint is no part of durability: a commit in the WAL survives `kill -9` as it is.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from pathlib import Path

from mock_server.state import schema

WAL_LIMIT = 1000 * 4096  # bytes of WAL that call for a checkpoint: SQLite's own default
LOOK_EVERY = 0.1  # seconds between looks at the WAL's size (one stat)
log = logging.getLogger(__name__)


class Checkpointer:
    """Keeps the WAL of `path` near WAL_LIMIT, from a daemon thread, until `stop`."""

    def __init__(self, path: Path) -> None:
        self._wal = Path(f"{path}-wal")
        self._db = schema.connect(path)
        self._rest_due = False  # the bulk is copied: the writer's next commit copies the rest
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="seedream-checkpoint", daemon=True)

    @staticmethod
    def take_over(db: sqlite3.Connection) -> None:
        """The writing connection leaves checkpoints to this thread."""
        db.execute("PRAGMA wal_autocheckpoint = 0")
        db.execute(f"PRAGMA journal_size_limit = {WAL_LIMIT}")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(LOOK_EVERY):
            self.checkpoint_if_big()

    def checkpoint_if_big(self) -> None:
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return
        if size > WAL_LIMIT and not self._rest_due:
            with contextlib.suppress(sqlite3.Error):  # busy or failing: tried again next time
                _checkpoint(self._db)  # the bulk, beside the writer
                self._rest_due = True

    def after_commit(self, writer: sqlite3.Connection) -> None:
        """Called by the writer after its `COMMIT`, before another transaction can begin:
        copy what the bulk left, so the WAL starts again from its beginning."""
        if self._rest_due:
            self._rest_due = False
            with contextlib.suppress(sqlite3.Error):
                _checkpoint(writer)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._db.close()


def _checkpoint(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
