"""`seedream-mock state inspect FILE`: what a state file holds, read without starting a server
(and without writing: the file is opened read-only, so a running server may keep it)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from mock_server.state import schema


def summary(path: str | Path) -> str:
    """Tasks by status, keys with balances, deliveries by state, fault rules, schema version;
    a StateFileError for a file that is not a state file this code can read."""
    path = Path(path)
    if not schema.check_file(path):
        raise schema.StateFileError(f"{path}: no state file there (absent or empty)")
    db = schema.read_only(path)
    try:
        schema.verify(db, path, existing=True)
        return "\n".join(_lines(db, path))
    except sqlite3.DatabaseError as exc:
        raise schema.StateFileError(f"{path}: the file is corrupt ({exc})") from None
    finally:
        db.close()


def _lines(db: sqlite3.Connection, path: Path) -> list[str]:
    version = db.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    lines = [f"{path}: seedream-mock state, schema version {version}"]
    meta = dict(db.execute("SELECT name, doc FROM meta").fetchall())
    if "clock" in meta:
        clock = json.loads(meta["clock"])
        lines.append(f"clock: {clock['mode']} x{clock['speed']:g}, reading {clock['reading']:.3f}")
    tasks = db.execute("SELECT status, count(*) FROM tasks GROUP BY status ORDER BY status")
    counted = [f"{status} {count}" for status, count in tasks]
    lines.append("tasks: " + (", ".join(counted) if counted else "none"))
    keys = db.execute(
        "SELECT key, revoked, granted, held, spent FROM accounts ORDER BY key"
    ).fetchall()
    lines.append(f"keys: {len(keys)}")
    for key, revoked, granted, held, spent in keys:
        note = " (revoked)" if revoked else ""
        lines.append(
            f"  {key}{note}: available {granted - held - spent}, held {held}, spent {spent}, "
            f"granted {granted}"
        )
    deliveries = db.execute("SELECT state, count(*) FROM deliveries GROUP BY state ORDER BY state")
    counted = [f"{state} {count}" for state, count in deliveries]
    lines.append("deliveries: " + (", ".join(counted) if counted else "none"))
    runtime = json.loads(meta.get("runtime", "{}"))
    rules = runtime.get("rules", [])
    lines.append(f"fault rules: {len(rules)}")
    for rule in rules:
        lines.append(f"  {rule['name']}: {rule['action']['type']}, fired {rule['fired']}")
    lines.append(f"scenario: {runtime.get('scenario') or 'none'}")
    return lines
