"""SqliteStore: the memory store, plus a note of what changed since the last commit.

Reads never touch the file. A save only notes the object (a dict assignment under the state
lock); `write` turns the notes into statements at the commit, so an object saved many times
between two commits (a busy key's account) is written once, as it is then. The rate limiter's
buckets are written with the records, from the limiter's own notes (a set of keys): only the
buckets that changed, each once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from mock_server.billing.credits import ENTRY_LOG_LIMIT, Entry
from mock_server.core.store import MemoryStore
from mock_server.core.tasks import Task
from mock_server.state import codec

if TYPE_CHECKING:
    from mock_server.billing.keys import Account
    from mock_server.billing.ratelimit import Bucket, RateLimiter
    from mock_server.webhooks.records import Delivery

TRIM_EVERY = 100  # ledger entries: drop rows past ENTRY_LOG_LIMIT once per this many


class SqliteStore(MemoryStore):
    """What the emulator sees is MemoryStore's; what changed waits here for `write`."""

    def __init__(self) -> None:
        super().__init__()
        self.recording = False  # off while the emulator is built and the file is loaded
        self.flusher: Callable[[], None] = lambda: None
        self._tasks_changed: dict[str, Task | None] = {}
        self._accounts_changed: dict[str, Account | None] = {}
        self._deliveries_changed: dict[str, Delivery | None] = {}
        self._wiped = False
        self._forgotten: set[str] = set()  # keys whose rows go before anything is written
        # Per key: the last entry written and its number, so only newer ones are inserted.
        self._last_entry: dict[str, tuple[Entry, int]] = {}
        self._limiter: RateLimiter | None = None

    def watch(self, limiter: RateLimiter) -> None:
        """Write `limiter`'s buckets with the records from now on (it notes which change)."""
        limiter.recording = True
        self._limiter = limiter

    @property
    def dirty(self) -> bool:
        return bool(
            self._wiped
            or self._forgotten
            or self._tasks_changed
            or self._accounts_changed
            or self._deliveries_changed
            or (self._limiter is not None and self._limiter.dirty)
        )

    def flush(self) -> None:
        """Commit what changed (the durable state's commit); before a callback is sent."""
        self.flusher()

    def save_task(self, task: Task) -> None:
        super().save_task(task)
        if self.recording:
            self._tasks_changed[task.task_id] = task

    def delete_task(self, task_id: str) -> None:
        super().delete_task(task_id)
        if self.recording:
            self._tasks_changed[task_id] = None

    def save_account(self, account: Account) -> None:
        super().save_account(account)
        if self.recording:
            self._accounts_changed[account.key] = account

    def delete_account(self, key: str) -> None:
        super().delete_account(key)
        if self.recording:
            self._accounts_changed[key] = None
            self._forgotten.add(key)

    def save_delivery(self, delivery: Delivery) -> None:
        super().save_delivery(delivery)
        if self.recording:
            self._deliveries_changed[delivery.event_id] = delivery

    def delete_delivery(self, event_id: str) -> None:
        super().delete_delivery(event_id)
        if self.recording:
            self._deliveries_changed[event_id] = None

    def clear(self) -> None:
        super().clear()
        if self.recording:
            self._tasks_changed.clear()
            self._accounts_changed.clear()
            self._deliveries_changed.clear()
            self._forgotten.clear()
            self._wiped = True

    def mark_all(self) -> None:
        """Note every object held, so the next `write` puts the whole memory in the file."""
        self._wiped = True
        self._tasks_changed = dict(self._tasks)
        self._accounts_changed = dict(self._accounts)
        self._deliveries_changed = dict(self._deliveries)
        if self._limiter is not None:
            self._limiter.note_all()

    def remember_entries(self, key: str, last: Entry, seq: int) -> None:
        """After loading: `last` is the newest entry of `key` in the file, numbered `seq`."""
        self._last_entry[key] = (last, seq)

    def write(self, db: sqlite3.Connection) -> None:
        """Turn the notes into statements in the open transaction, and forget them. The caller
        holds the state lock, so every object is read in a consistent state."""
        if self._wiped:
            for table in ("tasks", "accounts", "entries", "deliveries"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            self._last_entry.clear()
            self._wiped = False
        for key in self._forgotten:  # forgotten (maybe made afresh since): old rows go
            db.execute("DELETE FROM accounts WHERE key = ?", (key,))
            db.execute("DELETE FROM entries WHERE key = ?", (key,))
            self._last_entry.pop(key, None)
        self._forgotten.clear()
        for task_id, task in self._tasks_changed.items():
            if task is None:
                db.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
            else:
                db.execute(
                    "INSERT INTO tasks VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE"
                    " SET status = excluded.status, doc = excluded.doc",
                    (task_id, task.status.value, codec.task_doc(task)),
                )
        for key, account in self._accounts_changed.items():
            self._write_account(db, key, account)
        for event_id, delivery in self._deliveries_changed.items():
            if delivery is None:
                db.execute("DELETE FROM deliveries WHERE event_id = ?", (event_id,))
            else:
                db.execute(
                    "INSERT INTO deliveries VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO UPDATE"
                    " SET state = excluded.state, doc = excluded.doc, body = excluded.body",
                    (event_id, delivery.state.value, codec.delivery_doc(delivery), delivery.body),
                )
        self._tasks_changed.clear()
        self._accounts_changed.clear()
        self._deliveries_changed.clear()
        if self._limiter is not None and self._limiter.dirty:
            _write_buckets(db, *self._limiter.take_changes())

    def _write_account(self, db: sqlite3.Connection, key: str, account: Account | None) -> None:
        if account is None:
            return
        ledger = account.ledger
        totals = (ledger.granted, ledger.held, ledger.spent)
        db.execute(
            "INSERT INTO accounts (key, revoked, granted, held, spent, pinned)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET"
            " revoked = excluded.revoked, granted = excluded.granted, held = excluded.held,"
            " spent = excluded.spent, pinned = excluded.pinned",
            (key, int(account.revoked), *totals, int(account.pinned)),
        )
        last, seq = self._last_entry.get(key, (None, 0))
        new: list[Entry] = []
        for entry in reversed(ledger.entries):
            if entry is last:
                break
            new.append(entry)
        if not new:
            return
        rows = [codec.entry_row(key, seq + n, e) for n, e in enumerate(reversed(new), 1)]
        db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)", rows)
        top = seq + len(new)
        self._last_entry[key] = (new[0], top)
        if top // TRIM_EVERY != seq // TRIM_EVERY:
            db.execute(
                "DELETE FROM entries WHERE key = ? AND seq <= ?", (key, top - ENTRY_LOG_LIMIT)
            )


def _write_buckets(
    db: sqlite3.Connection, cleared: bool, changed: dict[str, Bucket | None]
) -> None:
    if cleared:
        db.execute("DELETE FROM buckets")
    db.executemany(
        "DELETE FROM buckets WHERE key = ?", [(k,) for k, b in changed.items() if b is None]
    )
    db.executemany(
        "INSERT INTO buckets VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE"
        " SET tokens = excluded.tokens, at = excluded.at",
        [(key, *bucket) for key, bucket in changed.items() if bucket is not None],
    )
