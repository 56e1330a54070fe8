"""The request journal and the portability log in the state file, so a restart keeps what the
inspector and `assert_requested` show (docs/durable-state.md).

Neither is an answer a client was told, so neither holds up an answer: the background thread
writes them every JOURNAL_INTERVAL (0.5 s) in one transaction, outside the state lock; a commit
per request cost a third of GET throughput, a batch every half second a few per cent. The file
mirrors the ring: rows newer than the last written are added, rows older than the ring's oldest
are deleted, so a reset (which empties the ring) empties the table and the file stays as bounded
as memory.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from mock_server.core.portability import RiskLog
from mock_server.journal.records import Recorded
from mock_server.journal.ring import RequestJournal


@dataclass
class JournalBatch:
    """What one journal commit writes: new rows, the oldest seq kept, the portability summary
    (None: unchanged) and the version it is of."""

    rows: list[tuple[int, str, bytes, bytes]]
    oldest: int
    risks: str | None
    risks_version: int


class JournalFile:
    """What of the journal has been written; writes the rest inside the open transaction."""

    def __init__(self) -> None:
        self.written = 0  # the newest seq in the file
        self.kept_from = 0  # rows below this seq are gone from the file
        self.risks_version = -1

    def forget(self) -> None:
        """A failed commit: write the whole ring again next time."""
        self.written, self.kept_from, self.risks_version = 0, 0, -1

    def pending(self, journal: RequestJournal, risks: RiskLog) -> bool:
        newer, oldest = journal.after(self.written)
        return bool(newer) or oldest != self.kept_from or risks.version != self.risks_version

    def prepare(self, journal: RequestJournal, risks: RiskLog) -> JournalBatch:
        """The rows to write, encoded before the transaction: encoding a ring's worth took
        40-60 ms of the flusher's thread (sharing the GIL with the server's loop), and inside
        the transaction it kept the server's commits, and the answers they carry, waiting."""
        newer, oldest = journal.after(self.written)
        rows = [(seq, _doc(entry), entry.body, entry.answer_body) for seq, entry in newer]
        version = risks.version
        summary = None if version == self.risks_version else json.dumps(risks.summary())
        return JournalBatch(rows, oldest, summary, version)

    def write(self, db: sqlite3.Connection, batch: JournalBatch) -> None:
        """Write a prepared batch inside the open transaction."""
        db.executemany("INSERT OR REPLACE INTO journal VALUES (?, ?, ?, ?)", batch.rows)
        if batch.oldest != self.kept_from:
            db.execute("DELETE FROM journal WHERE seq < ?", (batch.oldest,))
            self.kept_from = batch.oldest
        if batch.rows:
            self.written = batch.rows[-1][0]
            # The newest seq, so seq goes on after a restart even when the ring is empty.
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('journal', ?)",
                (json.dumps({"last": self.written}),),
            )
        if batch.risks is not None:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('portability', ?)", (batch.risks,))
            self.risks_version = batch.risks_version

    def load(self, db: sqlite3.Connection, journal: RequestJournal, risks: RiskLog) -> None:
        rows = db.execute("SELECT seq, doc, body, answer FROM journal ORDER BY seq").fetchall()
        entries = [
            (seq, _entry(doc, bytes(body), bytes(answer))) for seq, doc, body, answer in rows
        ]
        row = db.execute("SELECT doc FROM meta WHERE name = 'journal'").fetchone()
        last = max([entries[-1][0] if entries else 0, json.loads(row[0])["last"] if row else 0])
        journal.restore(entries, last)
        self.written = last
        self.kept_from = entries[0][0] if entries else last + 1
        found = db.execute("SELECT doc FROM meta WHERE name = 'portability'").fetchone()
        if found is not None:
            risks.restore(json.loads(found[0]))
        self.risks_version = risks.version


# One compact encoder, and a row's document as a positional array: the flusher encodes up to a
# ring's worth of rows twice a second, and a dict with its keys cost 6 µs a row against 3.8.
_ENCODER = json.JSONEncoder(separators=(",", ":"))
_FIELDS = (
    "at",
    "wall",
    "method",
    "path",
    "query",
    "headers",
    "body_size",
    "outcome",
    "answer_headers",
    "answer_size",
    "task_id",
    "faults",
    "portability",
    "seconds",
)


def _doc(entry: Recorded) -> str:
    return _ENCODER.encode(
        [
            entry.at,
            entry.wall,
            entry.method,
            entry.path,
            entry.query,
            [[n.decode("latin-1"), v.decode("latin-1")] for n, v in entry.headers],
            entry.body_size,
            entry.outcome,
            entry.answer_headers,
            entry.answer_size,
            entry.task_id,
            entry.faults,
            entry.portability,
            entry.seconds,
        ]
    )


def _entry(doc: str, body: bytes, answer: bytes) -> Recorded:
    read: Any = json.loads(doc)
    # an object with the same names: rows written before the array (they read the same)
    found: dict[str, Any] = (
        read if isinstance(read, dict) else dict(zip(_FIELDS, read, strict=True))
    )
    return Recorded(
        found["at"],
        found["wall"],
        found["method"],
        found["path"],
        found["query"],
        [(n.encode("latin-1"), v.encode("latin-1")) for n, v in found["headers"]],
        body,
        found["body_size"],
        found["outcome"],
        [(str(n), str(v)) for n, v in found["answer_headers"]],
        answer,
        found["answer_size"],
        found["task_id"],
        tuple(found["faults"]),
        found["portability"],
        found["seconds"],
    )
