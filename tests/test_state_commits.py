"""`--state FILE` and the server together: an answer leaves only once what it reports is
committed, a read while everything is committed waits for no commit, answers finished while
a commit is written share the next one, and a commit that fails is a 500.

In-process servers on 127.0.0.1; a commit is held or broken through the `DurableState` of the
server (its commits, or its connection), never by sleeping in the product code.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from mock_server.state.durable import DurableState

KEY = "aio_your_api_key"
BODY = json.dumps({"prompt": "a lighthouse", "aspect_ratio": "1:1", "quality": "basic"})
QUIET = 0.4  # seconds in which a held answer must not arrive


class HeldCommits:
    """Holds every COMMIT of a DurableState until `release` (a test hook on the instance)."""

    def __init__(self, durable: DurableState) -> None:
        self.durable = durable
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.count = 0
        self._real = durable._end_transaction
        durable._end_transaction = self._held  # type: ignore[method-assign]

    def _held(self) -> None:
        self.count += 1
        self.entered.set()
        assert self.gate.wait(10), "the test never released the commit"
        self._real()

    def release(self) -> None:
        self.gate.set()


class BrokenFile:
    """The durable state's connection, whose COMMIT fails as on a full disk while `broken`."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.broken = True

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if self.broken and sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[MockServer]:
    settings = Settings(port=0, clock="manual", state=str(tmp_path / "state.db"), keys={KEY: 10**6})
    with MockServer(settings) as running:
        yield running


def _call(server: MockServer, method: str, path: str, body: str | None = None) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def _submit(server: MockServer) -> tuple[int, Any]:
    status, answer = _call(server, "POST", "/api/v1/images/generations", BODY)
    return status, answer


def _in_file(server: MockServer, task_id: str) -> bool:
    assert server.durable is not None
    reader = sqlite3.connect(f"file:{server.durable.path}?mode=ro", uri=True)
    try:
        return reader.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is not None
    finally:
        reader.close()


def _task_id(answer: Any) -> str:
    task_id: str = answer["data"]["task_id"]
    return task_id


def test_a_submission_is_answered_only_once_its_task_is_committed(server: MockServer) -> None:
    assert server.durable is not None
    held = HeldCommits(server.durable)
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(_submit, server)
        assert held.entered.wait(5)
        time.sleep(QUIET)
        assert not answer.done()  # the app has answered; its commit has not ended
        held.release()
        status, body = answer.result(10)
    assert status == 200
    assert _in_file(server, _task_id(body))


def test_a_read_while_everything_is_committed_waits_for_no_commit(server: MockServer) -> None:
    """No commit can be made at all here (the committer is stuck), yet a read is answered:
    it neither asked for a commit nor waited for one. A submission still waits."""
    durable = server.durable
    assert durable is not None
    _, created = _submit(server)
    stuck, entered = threading.Event(), threading.Event()
    real = durable._commit

    def no_commits() -> None:
        entered.set()
        assert stuck.wait(10), "the test never let commits go on"
        real()

    durable._commit = no_commits  # type: ignore[method-assign]
    assert entered.wait(5)  # the committer's next round is stuck
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        status, _ = _call(server, "GET", f"/api/v1/tasks/{_task_id(created)}")
        assert status == 200
        assert time.monotonic() - started < QUIET
        submission = pool.submit(_submit, server)
        time.sleep(QUIET)
        assert not submission.done()
        stuck.set()
        assert submission.result(10)[0] == 200


def test_answers_finished_during_a_commit_share_the_next_one(server: MockServer) -> None:
    """Group commit: while one commit is being written, every answer finished meanwhile
    waits, and one commit after it carries them all."""
    assert server.durable is not None
    held = HeldCommits(server.durable)
    with ThreadPoolExecutor(16) as pool:
        first = pool.submit(_submit, server)
        assert held.entered.wait(5)
        others: list[Future[tuple[int, Any]]] = [pool.submit(_submit, server) for _ in range(15)]
        time.sleep(QUIET)  # every submission answered by the app and held
        assert not any(f.done() for f in [first, *others])
        held.release()
        results = [f.result(10) for f in [first, *others]]
    assert all(status == 200 for status, _ in results)
    # the held one, then one for the round that serves the rest (a second, should they come
    # in two rounds; a third, should the 20 ms flusher take some first)
    assert held.count <= 4
    assert all(_in_file(server, _task_id(body)) for _, body in results)


def test_a_commit_that_fails_answers_500_and_a_later_one_keeps_everything(
    server: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    durable = server.durable
    assert durable is not None
    broken = BrokenFile(durable.db)
    durable.db = broken  # type: ignore[assignment]
    status, body = _submit(server)
    assert status == 500
    assert "task_id" not in json.dumps(body)
    assert "cannot write the state file" in caplog.text
    broken.broken = False
    status, body = _submit(server)
    assert status == 200
    assert _in_file(server, _task_id(body))
    status, listed = _call(server, "GET", "/_mock/tasks")
    assert status == 200
    assert len(listed["data"]) == 2
    assert all(_in_file(server, task["task_id"]) for task in listed["data"])


UNCOUNTED = "a change to the state was not counted"
RULE = {"name": "coin", "probability": 0.5, "action": {"type": "http_error", "status": 503}}


def test_every_change_a_commit_writes_moves_the_count(
    server: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Each kind of state the file keeps, changed through the API (records, the clock alone,
    runtime edits, fault draws, rate-limit buckets, keys, a reset), then a commit: one that
    finds something to write though the count said nothing changed would say so. (Id and
    timing draws come with a record each, so they cannot be changed alone from outside.)"""
    assert server.durable is not None
    _, created = _submit(server)
    task = f"/api/v1/tasks/{_task_id(created)}"
    last = _task_id(created)
    for method, path, body in [
        ("POST", "/_mock/clock/advance", {"seconds": 0.001}),  # the clock alone: none due
        ("POST", "/_mock/clock/advance", {"seconds": 5}),
        ("POST", "/_mock/clock", {"mode": "scaled", "speed": 2}),
        ("POST", "/_mock/clock", {"mode": "manual"}),
        ("PUT", "/_mock/rate-limit", {"rps": 100, "burst": 50}),
        ("GET", task, None),
        ("POST", "/_mock/faults", RULE),
        ("GET", task, None),
        ("GET", task, None),
        ("DELETE", "/_mock/faults/coin", None),
        ("PUT", "/_mock/rate-limit", None),
        ("POST", "/_mock/keys", {"key": "aio_another_key"}),
        ("POST", "/_mock/keys/aio_another_key/credits", {"amount": 100}),
        ("DELETE", "/_mock/keys/aio_another_key", None),
        ("POST", "/_mock/tasks/{last}/complete", None),
        ("POST", "/_mock/reset", None),
    ]:
        status, _ = _call(server, method, path.format(last=last), json.dumps(body))
        assert status in (200, 503), (method, path, status)  # 503: the rule's coin
        server.durable._commit()  # finds nothing to write, or the change was counted
        submitted, answer = _submit(server)
        last = _task_id(answer) if submitted == 200 else last  # else the coin said 503
    assert UNCOUNTED not in caplog.text


def test_a_change_the_count_misses_is_said(
    server: MockServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The check above can fail: a clock moved behind its own counter's back is written by
    the next commit, which says it was not counted."""
    assert server.durable is not None
    server.durable.flush()
    clock = server.emulator.clock
    with clock._lock:
        clock._anchor_virtual += 60.0  # what a change would look like that forgot its count
    server.durable._commit()
    assert UNCOUNTED in caplog.text
