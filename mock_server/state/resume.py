"""Loading a state file into a freshly built emulator, and scheduling what was still to come.

Nothing is replayed: records come back as they were written, then each live task gets its next
transition and each waiting delivery its next attempt, at the moments they were due. With a
real or scaled clock, those that fell due while the server was down are in the past, so the
first `fire_due` fires them at once, in time order, each stamped with its due time.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any, cast

from mock_server.billing.credits import Entry, Ledger
from mock_server.billing.keys import Account
from mock_server.core.clock import ClockMode, wall_time
from mock_server.emulator import Emulator
from mock_server.state import codec, snapshot
from mock_server.state.store import SqliteStore


def load(db: sqlite3.Connection, emulator: Emulator, store: SqliteStore) -> None:
    """Replace the emulator's start state by the file's. Call with the state lock held and the
    store not recording, before the scheduler's ticker starts."""
    store.clear()
    meta: dict[str, str] = dict(db.execute("SELECT name, doc FROM meta").fetchall())
    if "clock" in meta:
        _clock(emulator, json.loads(meta["clock"]))
    if "ids" in meta:
        ids = json.loads(meta["ids"])
        emulator.restore_ids(ids)
        if "timing_generator" in meta:
            snapshot.restore_generator(emulator, ids, meta["timing_generator"])
    if "runtime" in meta:
        snapshot.restore_runtime(emulator, json.loads(meta["runtime"]))
    emulator.rate_limiter.restore(  # after the runtime state: setting the limit empties them
        db.execute("SELECT key, tokens, at FROM buckets ORDER BY at, rowid")
    )
    _accounts(db, store)
    emulator.accounts.resume(_tasks(db, emulator, store))
    rows = db.execute("SELECT doc, body FROM deliveries ORDER BY rowid")
    for doc, body in rows:
        emulator.webhooks.resume(codec.delivery_from(doc, bytes(body), 0))


def _clock(emulator: Emulator, doc: dict[str, Any]) -> None:
    """A manual clock resumes at its reading; a running one as if it had run on meanwhile."""
    mode = cast(ClockMode, doc["mode"])
    speed, reading = float(doc["speed"]), float(doc["reading"])
    if mode != "manual":
        reading += max(0.0, wall_time() - float(doc["wall"])) * speed
    emulator.clock.restore(mode, speed, reading)


def _accounts(db: sqlite3.Connection, store: SqliteStore) -> None:
    """Each key with its totals and its newest entries (as many as a ledger keeps)."""
    accounts: dict[str, Account] = {}
    for key, revoked, granted, held, spent, pinned in db.execute(
        "SELECT key, revoked, granted, held, spent, pinned FROM accounts ORDER BY rowid"
    ):
        ledger = Ledger(granted=granted, held=held, spent=spent)
        accounts[key] = Account(key, ledger, bool(revoked), bool(pinned))
    last: dict[str, tuple[Entry, int]] = {}
    for key, seq, at, kind, amount, task_id in db.execute(
        "SELECT key, seq, at, kind, amount, task_id FROM entries ORDER BY key, seq"
    ):
        if key in accounts:
            entry = Entry(at, kind, amount, task_id)
            accounts[key].ledger.entries.append(entry)  # a bounded deque: the newest stay
            last[key] = (entry, seq)
    for account in accounts.values():
        store.save_account(account)
    for key, (entry, seq) in last.items():
        store.remember_entries(key, entry, seq)


def _tasks(db: sqlite3.Connection, emulator: Emulator, store: SqliteStore) -> dict[str, int]:
    """Every task back in its order, each adopted by the emulator (the live ones scheduled on,
    the finished ones queued for eviction in the order they ended). Returns running tasks per
    key."""
    tasks = [codec.task_from(task_id, doc) for task_id, doc in db.execute(
        "SELECT id, doc FROM tasks ORDER BY rowid"
    )]  # fmt: skip
    running: Counter[str] = Counter(task.key for task in tasks if not task.terminal)
    for task in tasks:
        store.save_task(task)
    ended = sorted(
        (task for task in tasks if task.terminal),
        key=lambda task: task.completed_at or task.updated_at,
    )
    for task in [*ended, *(task for task in tasks if not task.terminal)]:
        emulator.adopt(task)
    return dict(running)
