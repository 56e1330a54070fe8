"""What a restart on the same state file brings back beside the records: the position of the
generator that draws processing times, the keys pinned by a control call, the rate-limit
buckets; and an in-process control call is in the file by the time it returns.

Real servers (`serve --state`) killed with SIGKILL and started again, 127.0.0.1 only."""

from __future__ import annotations

import json
import signal
import sqlite3
from pathlib import Path

from cli_support import Served, _request, _serving, _submit


def _killed(served: Served) -> None:
    served.proc.send_signal(signal.SIGKILL)
    served.proc.wait(timeout=10)


def _timelines(path: Path) -> list[tuple[str, float]]:
    """Each task in the file, in the order made: its id and the processing seconds drawn."""
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT id, doc FROM tasks ORDER BY rowid").fetchall()
    finally:
        db.close()
    return [(task_id, json.loads(doc)[4][1]) for task_id, doc in rows]


def test_processing_times_go_on_drawing_where_they_were_after_a_kill(tmp_path: Path) -> None:
    args = ("--port", "0", "--clock", "manual", "--seed", "7", "--max-tasks", "100")
    straight, broken = tmp_path / "straight.db", tmp_path / "broken.db"
    with _serving(*args, "--state", str(straight)) as served:
        for _ in range(6):
            assert _submit(served.port)[0] == 200
    with _serving(*args, "--state", str(broken)) as served:
        for _ in range(3):
            assert _submit(served.port)[0] == 200
        _killed(served)
    with _serving(*args, "--state", str(broken)) as served:
        for _ in range(3):
            assert _submit(served.port)[0] == 200
    drawn = _timelines(straight)
    assert len({seconds for _, seconds in drawn}) == 6  # six draws, not one sequence twice
    assert _timelines(broken) == drawn


def _use(port: int, key: str) -> None:
    """A request by `key` (in open mode an unknown key is made on first use)."""
    assert _request(port, "GET", "/api/v1/tasks/none", key=key)[0] == 404


def test_keys_pinned_by_a_control_call_are_not_forgotten_after_a_kill(tmp_path: Path) -> None:
    args = ("--port", "0", "--state", str(tmp_path / "mock.db"), "--max-open-keys", "2")
    with _serving(*args) as served:
        _use(served.port, "aio_granted")
        grant = {"amount": 5}
        assert _request(served.port, "POST", "/_mock/keys/aio_granted/credits", grant)[0] == 200
        made = {"key": "aio_made", "credits": 10}
        assert _request(served.port, "POST", "/_mock/keys", made)[0] == 200
        _use(served.port, "aio_revoked")
        assert _request(served.port, "DELETE", "/_mock/keys/aio_revoked")[0] == 200
        _use(served.port, "aio_idle")  # made on first use and left so: forgettable
        _killed(served)
    with _serving(*args) as again:
        for name in ("a", "b", "c"):
            _use(again.port, f"aio_{name}")
        _, found = _request(again.port, "GET", "/_mock/keys?limit=100")
        ledgers = {ledger["key"]: ledger for ledger in found["data"]}
    pinned = {"aio_granted", "aio_made", "aio_revoked"}
    assert set(ledgers) == {"aio_your_api_key", *pinned, "aio_b", "aio_c"}
    assert ledgers["aio_granted"]["granted"] == 1205
    assert ledgers["aio_revoked"]["revoked"] is True
