"""`serve --state FILE` killed with SIGKILL in the middle of 64 concurrent submitters and a
webhook retry storm, then started again on the same file: nothing a client was told is lost.

Real processes, real sockets, 127.0.0.1 only; every loop is bounded. The clock is scaled x20
so tasks end and retries fall due within a second or two of wall time.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cli_support import _request, _serving  # tests/ is on sys.path (rootdir import mode)

SUBMITTERS = 64
TASKS_EACH = 40  # 2 entries a task: each ledger stays far inside the 1,000 entries it keeps
KILL_AFTER = 600  # acknowledged tasks before the SIGKILL (or KILL_BY seconds)
KILL_BY = 4.0
SETTLE_LIMIT = 30.0
RANK = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
TASK_ID = re.compile(rb"n30[0-9a-f]{32}_seed")
BODY = {
    "model": "seedream/4.5-text-to-image",
    "prompt": "a lighthouse in a storm",
    "aspect_ratio": "1:1",
    "quality": "basic",
}


class Receiver:
    """A callback receiver that answers 500 while `failing`, 200 after; every POST noted."""

    def __init__(self) -> None:
        self.failing = True
        self.calls: list[tuple[str, str, int]] = []  # (event id, task id, status answered)
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                found = TASK_ID.search(body)
                status = 500 if owner.failing else 200
                with owner.lock:
                    owner.calls.append(
                        (
                            self.headers.get("webhook-id", ""),
                            found.group().decode() if found else "",
                            status,
                        )
                    )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    @contextlib.contextmanager
    def running(self) -> Iterator[Receiver]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()


class Submitters:
    """64 threads, each with its own key and connection: submit, and now and then poll."""

    def __init__(self, port: int, callback_url: str) -> None:
        self.port, self.callback_url = port, callback_url
        self.acked: dict[str, tuple[str, int]] = {}  # task id -> (key, highest rank told)
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(SUBMITTERS)
        ]

    def _run(self, n: int) -> None:
        key = f"aio_kill{n}"
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        body = json.dumps({**BODY, "callback_url": self.callback_url})
        mine: list[str] = []
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        with contextlib.suppress(OSError, http.client.HTTPException):
            for index in range(TASKS_EACH):
                conn.request("POST", "/api/v1/images/generations", body, headers)
                answer = json.loads(conn.getresponse().read())
                task_id = answer["data"]["task_id"]
                mine.append(task_id)
                with self.lock:
                    self.acked[task_id] = (key, 0)
                if index % 3 == 2:  # a poll: the status told is acknowledged too
                    polled = mine[index // 2]
                    conn.request("GET", f"/api/v1/tasks/{polled}", headers=headers)
                    status = json.loads(conn.getresponse().read())["data"]["status"]
                    with self.lock:
                        seen = self.acked[polled][1]
                        self.acked[polled] = (key, max(seen, RANK[status]))
        conn.close()

    def count(self) -> int:
        with self.lock:
            return len(self.acked)


def _settled(port: int, acked: dict[str, tuple[str, int]]) -> bool:
    waiting = 0
    for state in ("pending", "held"):
        _, found = _request(port, "GET", f"/_mock/webhooks/deliveries?state={state}", key=None)
        waiting += len(found["data"])
    if waiting:
        return False
    return all(
        _request(port, "GET", f"/api/v1/tasks/{task_id}", key=key)[1]["data"]["status"]
        in ("completed", "failed")
        for task_id, (key, _) in list(acked.items())[:: max(1, len(acked) // 50)]
    )


def _check_ledger(ledger: dict[str, Any]) -> None:
    """Totals recomputed from the entries, not read from the summary; each task held once and
    settled at most once."""
    sums: Counter[str] = Counter()
    per_task: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in ledger["entries"]:
        sums[entry["kind"]] += entry["amount"]
        if entry["task_id"]:
            per_task[entry["task_id"]][entry["kind"]] += 1
    granted, spent = sums["granted"], sums["captured"]
    held = sums["held"] - sums["captured"] - sums["released"]
    assert (ledger["granted"], ledger["held"], ledger["spent"]) == (granted, held, spent)
    assert granted - held - spent + held + spent == granted
    assert ledger["available"] == granted - held - spent
    assert held == 0, ledger["key"]  # every task has ended
    for task_id, kinds in per_task.items():
        assert kinds["held"] == 1, (task_id, kinds)
        assert kinds["captured"] + kinds["released"] == 1, (task_id, kinds)  # never twice


def test_sigkill_mid_storm_loses_nothing_acknowledged(tmp_path: Path) -> None:
    state = tmp_path / "mock.db"
    receiver = Receiver()
    args = (
        *("--port", "0", "--state", str(state), "--clock", "scaled", "--speed", "20"),
        *("--default-credits", "100000", "--webhook-log-limit", "100000"),
        *("--webhook-schedule", ",".join(["2"] * 60), "--webhook-timeout", "2"),
    )
    with receiver.running():
        with _serving(*args) as first:
            submitters = Submitters(first.port, receiver.url)
            for thread in submitters.threads:
                thread.start()
            deadline = time.monotonic() + KILL_BY
            while submitters.count() < KILL_AFTER and time.monotonic() < deadline:
                time.sleep(0.01)
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(timeout=5)
            for thread in submitters.threads:
                thread.join(timeout=10)
        acked = dict(submitters.acked)
        before = list(receiver.calls)
        assert len(acked) >= 100, len(acked)
        assert before, "no callback was attempted before the kill"
        with _serving(*args) as second:
            time.sleep(0.3)  # a few more failed attempts after the restart, then success
            receiver.failing = False
            deadline = time.monotonic() + SETTLE_LIMIT
            while not _settled(second.port, acked):
                assert time.monotonic() < deadline, "deliveries or tasks never settled"
                time.sleep(0.2)
            for task_id, (key, rank) in acked.items():
                status, answer = _request(second.port, "GET", f"/api/v1/tasks/{task_id}", key=key)
                assert status == 200, (task_id, answer)
                assert RANK[answer["data"]["status"]] >= rank, (task_id, answer, rank)
            keys = {key for key, _ in acked.values()}
            _, found = _request(second.port, "GET", "/_mock/keys?limit=1000", key=None)
            ledgers = {ledger["key"]: ledger for ledger in found["data"]}
            for key in keys:
                _check_ledger(ledgers[key])
    event_ids: dict[str, set[str]] = defaultdict(set)
    delivered: set[str] = set()
    for event_id, task_id, status in receiver.calls:
        event_ids[task_id].add(event_id)
        if status == 200:
            delivered.add(task_id)
    for task_id in {task_id for _, task_id, _ in before}:
        assert event_ids[task_id] == {e for e, t, _ in before if t == task_id}, task_id
    assert set(acked) <= delivered  # every task called back, in the end, with one event id
    assert all(len(ids) == 1 for ids in event_ids.values())
