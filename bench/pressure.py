"""The mock under connection pressure: a normal client's GETs while many connections trickle
request heads a byte at a time (slowloris), and the server's CPU while its file descriptors are
exhausted by idle sockets. Both pressures reconnect what the server closes, as an attacker
would, so they last the whole measurement. All traffic goes to 127.0.0.1."""

from __future__ import annotations

import http.client
import os
import resource
import selectors
import socket
import threading
import time
from collections import Counter
from typing import Any

from common import API_HEADERS, HOST, MOCK_ARGS, TASKS, BenchError, create_task, ms, percentile
from servers import STARTUP_LIMIT_S, MockProcess

# what a trickler sends, a byte a turn: a head that never ends (no blank line ever comes)
TRICKLE = b"GET /api/v1/tasks/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trickle: " + b"a" * 4096
CLIENT_PAUSE_S = 0.01  # between the normal client's GETs


def _raise_fd_limit(need: int) -> None:
    """This process opens `need` sockets (and the server inherits the limit): raise the soft
    limit to the hard one if it is lower."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need + 256 and soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < need + 64:
        raise BenchError(f"RLIMIT_NOFILE allows too few descriptors for {need} sockets")


class Pressure:
    """`count` sockets to the server, in a thread: each sends its next byte of `payload` once
    every `interval_s` (none if `payload` is empty) and is opened again at its next turn once
    the server has closed it (what the server said first is counted)."""

    def __init__(self, port: int, count: int, interval_s: float, payload: bytes) -> None:
        self.port, self.count, self.interval_s, self.payload = port, count, interval_s, payload
        self.answers: Counter[str] = Counter()  # "408", "503", "closed" (no answer)
        self.reconnects = 0
        self.connect_errors = 0
        self.opened = 0
        self._socks: list[socket.socket | None] = [None] * count
        self._sent = [0] * count
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-pressure", daemon=True)

    def __enter__(self) -> Pressure:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        for sock in self._socks:
            if sock is not None:
                sock.close()
        self._selector.close()

    def wait_open(self, limit_s: float) -> None:
        deadline = time.monotonic() + limit_s
        while self.opened < self.count and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.opened < self.count:
            raise BenchError(f"only {self.opened} of {self.count} pressure sockets opened")

    def _open(self, i: int) -> None:
        try:
            sock = socket.create_connection((HOST, self.port), timeout=2)
        except OSError:
            self.connect_errors += 1
            return
        sock.setblocking(False)
        self._socks[i], self._sent[i] = sock, 0
        self._selector.register(sock, selectors.EVENT_READ, i)
        self._turn(i)

    def _turn(self, i: int) -> None:
        sock = self._socks[i]
        if sock is None or not self.payload:
            return
        at = self._sent[i] % len(self.payload)
        try:
            self._sent[i] += sock.send(self.payload[at : at + 1])
        except BlockingIOError:
            pass
        except OSError:
            self._closed(i, "closed")

    def _closed(self, i: int, said: str) -> None:
        sock = self._socks[i]
        if sock is None:
            return
        self.answers[said] += 1
        self._selector.unregister(sock)
        sock.close()
        self._socks[i] = None

    def _run(self) -> None:
        for i in range(self.count):  # the ramp: as fast as they connect
            self._open(i)
        self.opened = sum(1 for s in self._socks if s is not None)
        step = self.interval_s / self.count
        due, k = time.monotonic() + step, 0
        while not self._stop.is_set():
            now = time.monotonic()
            while due <= now:  # each socket's turn comes once an interval, spread evenly
                i = k % self.count
                if self._socks[i] is None:
                    self.reconnects += 1
                    self._open(i)
                else:
                    self._turn(i)
                k, due = k + 1, due + step
            for key, _ in self._selector.select(max(0.0, min(0.05, due - time.monotonic()))):
                self._read(key.data)

    def _read(self, i: int) -> None:
        sock = self._socks[i]
        assert sock is not None
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self._closed(i, data[9:12].decode("latin-1") if data.startswith(b"HTTP/1.1 ") else "closed")


def _gets(port: int, task_id: str, seconds: float, fresh: bool = False) -> dict[str, Any]:
    """A normal client: GET the task every CLIENT_PAUSE_S for `seconds` on one keep-alive
    connection (or a fresh connection each, `fresh`); every failure counted, none retried."""
    latencies: list[float] = []
    failures: Counter[str] = Counter()
    conn: http.client.HTTPConnection | None = None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if conn is None:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
        began = time.perf_counter()
        try:
            conn.request("GET", TASKS + task_id, headers=API_HEADERS)
            response = conn.getresponse()
            response.read()
            took = time.perf_counter() - began
            if response.status == 200:
                latencies.append(took)
            else:
                failures[str(response.status)] += 1
        except (OSError, http.client.HTTPException) as exc:
            failures[type(exc).__name__] += 1
            conn.close()
            conn = None
        if fresh and conn is not None:
            conn.close()
            conn = None
        time.sleep(CLIENT_PAUSE_S)
    if conn is not None:
        conn.close()
    return {
        "gets": len(latencies) + sum(failures.values()),
        "ok": len(latencies),
        "failures": dict(failures),
        "p50_ms": ms(percentile(latencies, 50)) if latencies else None,
        "p99_ms": ms(percentile(latencies, 99)) if latencies else None,
        "max_ms": ms(max(latencies)) if latencies else None,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_slowloris(connections: int, interval_s: float, seconds: float) -> dict[str, Any]:
    """A mock with default connection settings; `connections` sockets each trickle a request
    head a byte every `interval_s`; then a normal client GETs a task for `seconds`."""
    _raise_fd_limit(connections + 64)
    with MockProcess(MOCK_ARGS) as mock:
        mock.ready().wait_ready(STARTUP_LIMIT_S)
        task_id = create_task(mock.port)
        assert mock.proc is not None
        with Pressure(mock.port, connections, interval_s, TRICKLE) as trickle:
            trickle.wait_open(30)
            time.sleep(1.0)
            cpu_before = cpu_seconds(mock.proc.pid)
            client = _gets(mock.port, task_id, seconds)
            cpu = cpu_seconds(mock.proc.pid) - cpu_before
        return {
            "connections": connections,
            "interval_s": interval_s,
            "seconds": seconds,
            "client": client,
            "server_cpu_pct": round(100 * cpu / seconds, 1),
            "trickle": {
                "answers": dict(trickle.answers),
                "reconnects": trickle.reconnects,
                "connect_errors": trickle.connect_errors,
            },
            "stderr_sample": mock.unusual_stderr()[:5],
        }


def bench_fd_exhaustion(max_fds: int, sockets: int, seconds: float) -> dict[str, Any]:
    """A mock allowed `max_fds` descriptors; `sockets` idle connections (more than it can hold,
    reconnected when closed) keep `accept()` failing with EMFILE. Its CPU over `seconds`, a
    normal client's GETs (a fresh connection each) meanwhile, and once the sockets are gone."""
    _raise_fd_limit(sockets + 64)
    with MockProcess(MOCK_ARGS, max_fds=max_fds) as mock:
        mock.ready().wait_ready(STARTUP_LIMIT_S)
        task_id = create_task(mock.port)
        assert mock.proc is not None
        with Pressure(mock.port, sockets, 1.0, b"") as flood:
            flood.wait_open(30)
            time.sleep(1.0)
            cpu_before = cpu_seconds(mock.proc.pid)
            time.sleep(seconds)
            cpu = cpu_seconds(mock.proc.pid) - cpu_before
            during = _gets(mock.port, task_id, 2.0, fresh=True)
            shed = dict(flood.answers)
        began = time.perf_counter()
        after = _gets(mock.port, task_id, 1.0, fresh=True)
        return {
            "max_fds": max_fds,
            "sockets": sockets,
            "seconds": seconds,
            "server_cpu_pct": round(100 * cpu / seconds, 1),
            "during": during,
            "after": after,
            "after_s": round(time.perf_counter() - began, 2),
            "pressure": {"answers": shed, "reconnects": flood.reconnects},
            "stderr_sample": mock.unusual_stderr()[:5],
        }
