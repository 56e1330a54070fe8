"""The state file's tables and the checks made before trusting a file: that it is SQLite,
that it is intact, and that its schema version is one this code understands."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mock_server.state.errors import StateFileError as StateFileError  # re-exported

SCHEMA_VERSION = 2  # 2: accounts.pinned, the buckets table
SQLITE_MAGIC = b"SQLite format 3\x00"

TABLES = (
    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
    # Small named documents: the clock, the id streams, the runtime state (rules included).
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, doc TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS tasks (id TEXT PRIMARY KEY, status TEXT NOT NULL,"
    " doc TEXT NOT NULL)",
    # pinned: never forgotten past --max-open-keys (configured, or set up through /_mock/).
    "CREATE TABLE IF NOT EXISTS accounts (key TEXT PRIMARY KEY, revoked INTEGER NOT NULL,"
    " granted INTEGER NOT NULL, held INTEGER NOT NULL, spent INTEGER NOT NULL,"
    " pinned INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE IF NOT EXISTS entries (key TEXT NOT NULL, seq INTEGER NOT NULL,"
    " at REAL NOT NULL, kind TEXT NOT NULL, amount INTEGER NOT NULL, task_id TEXT,"
    " PRIMARY KEY (key, seq))",
    "CREATE TABLE IF NOT EXISTS deliveries (event_id TEXT PRIMARY KEY, state TEXT NOT NULL,"
    " doc TEXT NOT NULL, body BLOB NOT NULL)",
    # The rate limiter's buckets: tokens left and the clock reading they were counted at.
    "CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL,"
    " at REAL NOT NULL)",
    # The request journal's ring (state/journaled.py): the entry, its two bodies.
    "CREATE TABLE IF NOT EXISTS journal (seq INTEGER PRIMARY KEY, doc TEXT NOT NULL,"
    " body BLOB NOT NULL, answer BLOB NOT NULL)",
)
DATA_TABLES = ("tasks", "accounts", "entries", "deliveries", "buckets", "journal")
# What brings a file of version N - 1 to N, run after TABLES has made the tables new in N. A
# version 1 file has no pins: its keys not in the settings are forgettable, as they were then.
UPGRADES: dict[int, tuple[str, ...]] = {
    2: ("ALTER TABLE accounts ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",),
}


def check_file(path: Path) -> bool:
    """True if `path` holds state already, False if it is new (absent or empty). Raises
    StateFileError for anything else, before SQLite opens it for writing: opening a text file
    or a torn header in write mode could turn a user's file into a database."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    if path.is_dir():
        raise StateFileError(f"{path}: is a folder, not a state file")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise StateFileError(f"{path}: not a seedream-mock state file (not SQLite); left as is")
    return True


def connect(path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are ours), WAL, synchronous NORMAL: with
    WAL a commit is in the OS's hands once `COMMIT` returns, so `kill -9` of the process loses
    nothing committed (only a power loss or OS crash can lose the last commits)."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA busy_timeout = 2000")
    return connection


def verify(connection: sqlite3.Connection, path: Path, existing: bool) -> None:
    """Refuse a corrupt file, a foreign database or a newer schema before writing anything."""
    try:
        if existing:
            result = connection.execute("PRAGMA quick_check").fetchone()
            if result is None or result[0] != "ok":
                raise StateFileError(f"{path}: the file is corrupt ({result and result[0]})")
            names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
            if "schema_version" not in names:
                raise StateFileError(
                    f"{path}: an SQLite database, but not a seedream-mock state file; left as is"
                )
            row = connection.execute("SELECT max(version) FROM schema_version").fetchone()
            version = row[0] if row else None
            if version is None or version > SCHEMA_VERSION:
                raise StateFileError(
                    f"{path}: written by a newer seedream-mock (schema version {version}; this "
                    f"one understands up to {SCHEMA_VERSION}); upgrade, or use another file"
                )
    except sqlite3.DatabaseError as exc:
        raise StateFileError(f"{path}: the file is corrupt ({exc})") from None


def read_only(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StateFileError(f"{path}: cannot be opened ({exc})") from None


def check_read_only(path: Path) -> None:
    """`verify` through a read-only connection."""
    connection = read_only(path)
    try:
        verify(connection, path, existing=True)
    finally:
        connection.close()


def create(connection: sqlite3.Connection) -> None:
    """Make the tables (idempotent), bring an older file up to SCHEMA_VERSION and switch to
    WAL; only after `verify` accepted the file."""
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("BEGIN IMMEDIATE")
    for statement in TABLES:
        connection.execute(statement)
    found = connection.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    for version in range((found or SCHEMA_VERSION) + 1, SCHEMA_VERSION + 1):
        for statement in UPGRADES[version]:
            connection.execute(statement)
    if found != SCHEMA_VERSION:
        connection.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
    connection.execute("COMMIT")


def open_file(path: Path) -> tuple[sqlite3.Connection, bool]:
    """The checked connection, and whether the file held state already. The checks read
    through a read-only connection: a refused file is not even checkpointed."""
    existing = check_file(path)
    if existing:
        check_read_only(path)
    try:
        connection = connect(path)
    except sqlite3.Error as exc:
        raise StateFileError(f"{path}: cannot be opened ({exc})") from None
    try:
        create(connection)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise StateFileError(f"{path}: the file is corrupt ({exc})") from None
    except StateFileError:
        connection.close()
        raise
    return connection, existing
