"""What a restart on the same state file brings back beside the records: the position of the
generator that draws processing times, the keys pinned by a control call, the rate-limit
buckets; and an in-process control call (the pytest handle) is in the file by the time it
returns.

Real servers (`serve --state`, or a MockServer on a state file) killed with SIGKILL and started
again, 127.0.0.1 only."""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from cli_support import ROOT, RUN_TIMEOUT, Served, _env, _request, _serving, _submit

from mock_server.emulator import Emulator
from mock_server.handle import MockHandle
from mock_server.server import MockServer
from mock_server.settings.config import Settings
from mock_server.state import durable, snapshot


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


def test_past_a_kept_state_the_generator_draws_its_way_back_to_where_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its whole state is kept every CHECKPOINT_DRAWS draws (here 2), its position at every
    commit: a resume takes the state and draws the rest again."""
    monkeypatch.setattr(snapshot, "CHECKPOINT_DRAWS", 2)
    settings = Settings(port=0, clock="manual", seed=3, state=str(tmp_path / "mock.db"))
    straight = Emulator(replace(settings, state=None))
    expected = [_draw(straight) for _ in range(8)]
    with MockServer(settings) as server:
        drawn = [_draw(server.emulator) for _ in range(5)]
    with MockServer(settings) as server:
        drawn += [_draw(server.emulator) for _ in range(3)]
    assert drawn == expected


def _draw(emulator: Emulator) -> float:
    """A task's processing time, committed as an answer would be."""
    task = emulator.submit(emulator.authenticate("Bearer aio_your_api_key"), {"prompt": "p"})
    emulator.store.flush()
    return task.timeline.processing_seconds


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


def _limited(port: int) -> int | None:
    """A request by the default key: None if it went ahead, else the seconds it must wait."""
    status, answer = _request(port, "GET", "/api/v1/tasks/none")
    if status == 404:
        return None
    assert status == 429, answer
    found = re.search(r"retry after (\d+) s", answer["error"]["message"])
    assert found is not None, answer
    return int(found.group(1))


def test_a_spent_bucket_stays_spent_after_a_kill_on_a_manual_clock(tmp_path: Path) -> None:
    args = ("--port", "0", "--state", str(tmp_path / "mock.db"), "--clock", "manual")
    limit = ("--rate-limit-rps", "0.1", "--rate-limit-burst", "2")  # a token every 10 s
    with _serving(*args, *limit) as served:
        assert [_limited(served.port) for _ in range(3)] == [None, None, 10]
        advance = {"seconds": 4}
        assert _request(served.port, "POST", "/_mock/clock/advance", advance)[0] == 200
        assert _limited(served.port) == 6
        _killed(served)
    with _serving(*args, *limit) as again:
        assert _limited(again.port) == 6  # the clock resumed at its reading, the bucket too
        advance = {"seconds": 6}
        assert _request(again.port, "POST", "/_mock/clock/advance", advance)[0] == 200
        assert [_limited(again.port) for _ in range(2)] == [None, 10]


def test_a_spent_bucket_refills_for_the_time_a_scaled_server_was_down(tmp_path: Path) -> None:
    args = ("--port", "0", "--state", str(tmp_path / "mock.db"), "--clock", "scaled")
    # x10 and a token every 100 mock seconds: a token every 10 s of wall time.
    limit = ("--speed", "10", "--rate-limit-rps", "0.01", "--rate-limit-burst", "1")
    with _serving(*args, *limit) as served:
        before_taken = time.monotonic()
        assert _limited(served.port) is None
        taken = time.monotonic()
        assert 99 <= (_limited(served.port) or 0) <= 100
        _killed(served)
    time.sleep(2.0)
    with _serving(*args, *limit) as again:
        asked = time.monotonic()
        wait = _limited(again.port)
        answered = time.monotonic()
    assert wait is not None  # the bucket was kept: a fresh one would have let it through
    # ... and refilled by 10 x 0.01 tokens a second of wall time since the token was taken,
    # the time the server was down included (give or take a second of mock time).
    assert 100 - 10 * (answered - before_taken) - 1 <= wait <= 100 - 10 * (asked - taken) + 1
    assert wait <= 80


def _row(path: Path, sql: str, *params: Any) -> tuple[Any, ...]:
    """One row of the file as another process would read it: only what is committed."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row: tuple[Any, ...] = db.execute(sql, params).fetchone()
        return row
    finally:
        db.close()


def _meta(path: Path, name: str) -> Any:
    return json.loads(_row(path, "SELECT doc FROM meta WHERE name = ?", name)[0])


def test_the_handles_levers_are_in_the_file_when_they_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durable, "FLUSH_INTERVAL", 3600.0)  # no background commit meanwhile
    state = tmp_path / "mock.db"
    with MockServer(Settings(port=0, clock="manual", state=str(state))) as server:
        handle = MockHandle(server)
        task_id = handle.submit("a fox")  # over HTTP: committed before its answer
        handle.credits.create_key("aio_made", 30)
        assert _row(state, "SELECT granted, pinned FROM accounts WHERE key = 'aio_made'") == (30, 1)
        handle.credits.grant(5)
        assert _row(state, "SELECT granted FROM accounts WHERE key = ?", handle.api_key) == (1205,)
        handle.faults.add("slow", {"type": "latency", "ms": 1})
        assert [rule["name"] for rule in _meta(state, "runtime")["rules"]] == ["slow"]
        handle.clock.advance(2.5)
        assert _meta(state, "clock")["reading"] == server.emulator.clock.now()
        handle.tasks.complete(task_id)
        assert _row(state, "SELECT status FROM tasks WHERE id = ?", task_id) == ("completed",)
        handle.faults.load_scenario("stuck-task")
        assert _meta(state, "runtime")["scenario"] == "stuck-task"
        server.control.reset()
        assert _row(state, "SELECT count(*) FROM tasks") == (0,)
        handle.close()


# A test's process with a mock on a state file, killed right after its levers returned.
LEVERS_THEN_KILL = """
import os, signal, sys
from mock_server.emulator import Emulator
from mock_server.handle import MockHandle
from mock_server.server import MockServer
from mock_server.settings.config import Settings
from mock_server.state import durable, snapshot

durable.FLUSH_INTERVAL = 3600.0  # no background commit: only the levers' own
server = MockServer(Settings(port=0, clock="manual", state=sys.argv[1])).start()
handle = MockHandle(server)
task_id = handle.submit("a fox")
handle.credits.grant(5)
handle.tasks.complete(task_id)
print(task_id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_what_the_handle_changed_survives_a_kill_right_after_it_returned(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    killed = subprocess.run(
        [sys.executable, "-c", LEVERS_THEN_KILL, str(state)],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    task_id = killed.stdout.strip()
    with _serving("--port", "0", "--state", str(state), "--clock", "manual") as again:
        _, task = _request(again.port, "GET", f"/api/v1/tasks/{task_id}")
        _, ledger = _request(again.port, "GET", "/_mock/keys/aio_your_api_key")
    assert task["data"]["status"] == "completed"
    assert (ledger["data"]["granted"], ledger["data"]["spent"]) == (1205, 12)
