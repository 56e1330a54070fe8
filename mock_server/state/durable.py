"""DurableState: one state file, held by this process, written through at each commit.

The commit point. Every change is made in memory under the emulator's state lock and noted by
the store; `flush` writes the notes and commits, also under the state lock, so a commit never
holds half of a change (a hold without its task). The HTTP layer flushes after the app has
answered and before a byte is sent, and a callback flushes before it is posted: so whatever a
client or a receiver is told is in the file first, and `kill -9` at any moment loses nothing
told. Changes nobody was told of yet (a transition fired by the clock) wait at most
FLUSH_INTERVAL for the background flusher. One commit carries everything noted since the
previous one, from every thread: that is the group commit, and under load it is most of them.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mock_server.core.clock import monotonic
from mock_server.emulator import Emulator
from mock_server.state import resume, schema, snapshot
from mock_server.state.journaled import JournalFile
from mock_server.state.lockfile import StateLock
from mock_server.state.store import SqliteStore

FLUSH_INTERVAL = 0.02  # seconds: the longest an unreported change waits for its commit
JOURNAL_INTERVAL = 0.5  # seconds between the journal's commits: bigger batches, fewer commits
log = logging.getLogger(__name__)


class DurableState:
    """Opened (locked, checked) before the emulator is built; `attach` loads or fills the file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = StateLock(self.path)
        self._lock.acquire()
        try:
            self.db, self.resumed = schema.open_file(self.path)
        except BaseException:
            self._lock.release()
            raise
        self.store = SqliteStore()
        self._emulator: Emulator | None = None
        self._written: dict[str, Any] = {}  # per meta document: what was written last
        self._journal = JournalFile()
        self._db_lock = threading.Lock()  # one transaction at a time; taken after the state lock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, emulator: Emulator) -> None:
        """Resume from the file, or put the emulator's start state in it; then write through."""
        with emulator.lock:
            if self.resumed:
                resume.load(self.db, emulator, self.store)
                self._journal.load(self.db, emulator.journal, emulator.risk_log)
            self.store.recording = True
            self.store.watch(emulator.rate_limiter)
            if not self.resumed:
                self.store.mark_all()  # the configured keys, seeded already
            for key, credits in emulator.settings.keys.items():  # a key added to the flags
                if self.store.account(key) is None:
                    emulator.accounts.create(key, credits)
            emulator.webhooks.durable = True
            self._emulator = emulator
            self.store.flusher = self.flush
            self.flush()
        self._thread = threading.Thread(target=self._run, name="seedream-state", daemon=True)
        self._thread.start()

    def flush(self) -> None:
        """Commit every change noted so far (nothing to do: returns at once): what an answer
        or a callback is about to report."""
        emulator = self._emulator
        if emulator is None:
            return
        with emulator.lock:
            meta = self._changed_meta(emulator)
            if not meta and not self.store.dirty:
                return
            with self._db_lock:
                self._transaction(lambda: self._write(meta))

    def _write(self, meta: dict[str, str]) -> None:
        self.store.write(self.db)
        for name, doc in meta.items():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, doc))

    def _flush_journal(self) -> None:
        """The journal and the portability log are no answer anyone was told: the background
        commit writes them, outside the state lock, so no request waits on their rows."""
        emulator = self._emulator
        if emulator is None or not self._journal.pending(emulator.journal, emulator.risk_log):
            return
        with self._db_lock:
            self._transaction(
                lambda: self._journal.write(self.db, emulator.journal, emulator.risk_log)
            )

    def _transaction(self, write: Callable[[], None]) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
            write()
            self.db.execute("COMMIT")
        except sqlite3.Error:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.store.mark_all()  # the notes are gone: the next commit writes everything
            self._written.clear()
            self._journal.forget()
            log.exception("seedream-mock: cannot write the state file %s", self.path)
            raise

    def _changed_meta(self, emulator: Emulator) -> dict[str, str]:
        changed: dict[str, str] = {}
        key, doc = snapshot.clock_doc(emulator)
        if self._written.get("clock") != key:
            changed["clock"], self._written["clock"] = doc, key
        ids = snapshot.ids_doc(emulator)
        if self._written.get("ids") != ids:
            changed["ids"] = self._written["ids"] = ids
        last = self._written.get("timing_generator")
        checkpoint = snapshot.generator_checkpoint(emulator, last)
        if checkpoint is not None:
            self._written["timing_generator"], changed["timing_generator"] = checkpoint
        version = snapshot.runtime_version(emulator)
        if self._written.get("runtime") != version:
            changed["runtime"] = snapshot.runtime_doc(emulator)
            self._written["runtime"] = version
        return changed

    def _run(self) -> None:
        journal_due = monotonic() + JOURNAL_INTERVAL
        while not self._stop.wait(FLUSH_INTERVAL):
            with contextlib.suppress(sqlite3.Error):  # logged by flush; tried again next time
                self.flush()
                if monotonic() >= journal_due:
                    journal_due = monotonic() + JOURNAL_INTERVAL
                    self._flush_journal()

    def close(self) -> None:
        """Last commit, then let the file go (its lock with it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        try:
            self.flush()
            self._flush_journal()
        finally:
            self._emulator = None
            self.db.close()
            self._lock.release()
