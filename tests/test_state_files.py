"""State files are guarded: a second process, a corrupt, foreign or newer file are refused
with a message naming the file and nothing written, an older one is brought up to date;
`state inspect` summarises one without a
server; `/_mock/reset` empties it; a manual clock resumes at its reading."""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

from cli_support import _launch, _request, _run, _serving, _submit

from mock_server.state.schema import SCHEMA_VERSION


def _count(path: Path, table: str) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def _refused(path: Path, *extra: str) -> str:
    """Start a server on `path`: it must exit 2 before serving; its stderr."""
    with _launch("--port", "0", "--state", str(path), *extra) as served:
        assert served.exit_code == 2, served.banner
        return served.stderr_text()


def test_a_second_process_on_the_same_file_is_refused_naming_the_holder(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    with _serving("--port", "0", "--state", str(state)) as first:
        message = _refused(state)
        assert f"{state}: in use by another seedream-mock (pid {first.proc.pid} on" in message
        assert _request(first.port, "GET", "/_mock/health")[0] == 200


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    state = tmp_path / "notes.txt"
    state.write_bytes(b"my notes, not a database\n")
    message = _refused(state)
    assert f"{state}: not a seedream-mock state file (not SQLite); left as is" in message
    assert state.read_bytes() == b"my notes, not a database\n"


def test_a_corrupt_state_file_is_refused_and_not_overwritten(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    with _serving("--port", "0", "--state", str(state)) as served:
        _submit(served.port)
    broken = bytearray(state.read_bytes())
    broken[100:4096] = b"\xff" * (4096 - 100)  # the header stays; the schema page is garbage
    state.write_bytes(bytes(broken))
    message = _refused(state)
    assert f"{state}: the file is corrupt" in message
    assert state.read_bytes() == bytes(broken)


def test_an_sqlite_file_of_another_program_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "other.db"
    db = sqlite3.connect(state)
    with db:
        db.execute("CREATE TABLE songs (title TEXT)")
    db.close()
    before = state.read_bytes()
    assert "not a seedream-mock state file; left as is" in _refused(state)
    assert state.read_bytes() == before


def test_a_newer_schema_version_is_refused_and_nothing_written(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    with _serving("--port", "0", "--state", str(state)):
        pass
    db = sqlite3.connect(state)
    with db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    db.close()  # the last connection: its change is checkpointed into the file
    before = state.read_bytes()
    message = _refused(state)
    assert f"written by a newer seedream-mock (schema version {SCHEMA_VERSION + 1}" in message
    assert state.read_bytes() == before


def test_a_version_1_file_is_brought_up_to_date_in_place_with_its_records(
    tmp_path: Path,
) -> None:
    state = tmp_path / "mock.db"
    with _serving("--port", "0", "--state", str(state)) as served:
        _submit(served.port, key="aio_alice")
    db = sqlite3.connect(state)
    with db:  # what version 1 wrote: no pins, no buckets
        db.execute("ALTER TABLE accounts DROP COLUMN pinned")
        db.execute("DROP TABLE buckets")
        db.execute("UPDATE schema_version SET version = 1")
    db.close()
    with _serving("--port", "0", "--state", str(state)) as again:
        _, ledger = _request(again.port, "GET", "/_mock/keys/aio_alice", key=None)
        assert (ledger["data"]["held"], ledger["data"]["available"]) == (12, 1188)
    out = _run("state", "inspect", str(state)).stdout
    assert f"schema version {SCHEMA_VERSION}" in out
    assert "aio_alice: available 1188, held 12, spent 0, granted 1200" in out


def test_reset_empties_the_file(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    limit = ("--rate-limit-rps", "1", "--rate-limit-burst", "10")
    with _serving("--port", "0", "--state", str(state), *limit) as served:
        for _ in range(3):
            _submit(served.port, key="aio_someone")
        assert _count(state, "tasks") == 3
        assert _count(state, "buckets") == 1
        assert _request(served.port, "POST", "/_mock/reset", key=None)[0] == 200
        assert _count(state, "tasks") == 0
        assert _count(state, "buckets") == 0
        assert _count(state, "accounts") == 1  # the configured key, granted afresh
        assert _count(state, "entries") == 1


def test_inspect_summarises_a_file_without_a_server(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    with _serving("--port", "0", "--state", str(state), "--clock", "manual") as served:
        _submit(served.port, key="aio_alice")
        rule = {"name": "slow", "action": {"type": "latency", "ms": 1}}
        assert _request(served.port, "POST", "/_mock/faults", rule, key=None)[0] == 200
    result = _run("state", "inspect", str(state))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"schema version {SCHEMA_VERSION}" in out
    assert "tasks: pending 1" in out
    assert "aio_alice: available 1188, held 12, spent 0, granted 1200" in out
    assert "deliveries: none" in out
    assert "fault rules: 1\n  slow: latency, fired 0" in out
    missing = _run("state", "inspect", str(tmp_path / "absent.db"))
    assert missing.returncode == 2
    assert "absent.db: no state file there" in missing.stderr


def test_a_manual_clock_resumes_at_its_reading_with_its_tasks(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    args = ("--port", "0", "--state", str(state), "--clock", "manual")
    with _serving(*args) as served:
        task_id = _submit(served.port)[1]["data"]["task_id"]
        advance = {"seconds": 1.5}
        assert _request(served.port, "POST", "/_mock/clock/advance", advance, key=None)[0] == 200
        _, clock = _request(served.port, "GET", "/_mock/clock", key=None)
    with _serving(*args) as again:
        _, resumed = _request(again.port, "GET", "/_mock/clock", key=None)
        assert resumed["data"]["now"] == clock["data"]["now"]
        _, task = _request(again.port, "GET", f"/api/v1/tasks/{task_id}")
        assert task["data"]["status"] == "processing"
        _, ledger = _request(again.port, "GET", "/_mock/keys/aio_your_api_key", key=None)
        assert (ledger["data"]["held"], ledger["data"]["available"]) == (12, 1188)


def _journal(port: int) -> list[dict[str, object]]:
    status, answer = _request(port, "GET", "/_mock/requests")
    assert status == 200, answer
    entries: list[dict[str, object]] = answer["data"]
    return entries


def test_the_request_journal_and_the_portability_log_survive_a_kill(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    with _serving("--port", "0", "--state", str(state)) as served:
        _submit(served.port)
        body = {"prompt": "no model sent", "seed": 1}
        assert _request(served.port, "POST", "/api/v1/images/generations", body)[0] == 200
        before = _journal(served.port)
        risks = _request(served.port, "GET", "/_mock/portability")[1]["data"]
        deadline = time.monotonic() + 5  # the journal is written by the next commit (≤ 20 ms)
        while _count(state, "journal") < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        served.proc.send_signal(signal.SIGKILL)
        served.proc.wait(timeout=10)
    with _serving("--port", "0", "--state", str(state)) as again:
        after = _journal(again.port)
        assert [(e["seq"], e["path"], e["status"], e["key"]) for e in after] == [
            (e["seq"], e["path"], e["status"], e["key"]) for e in before
        ]
        assert after[0]["body"] == before[0]["body"]
        assert _request(again.port, "GET", "/_mock/portability")[1]["data"] == risks
        _submit(again.port)
        assert _journal(again.port)[0]["seq"] == 3  # seq goes on, never reused
        assert _request(again.port, "POST", "/_mock/reset")[0] == 200
    with _serving("--port", "0", "--state", str(state)) as reset:
        assert _journal(reset.port) == []
        assert _request(reset.port, "GET", "/_mock/portability")[1]["data"]["counts"] == {}
