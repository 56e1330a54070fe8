"""No client holds the server for nothing: a request, head and body, has a deadline however its
bytes trickle in, a newcomer at the connection limit makes room by closing the most expendable
connection, and running out of file descriptors makes the server wait, not spin.

Functional tests with generous bounds; the figures under load (1,000 trickling connections, a
server at its descriptor limit) are measured by `make bench` (bench/pressure.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from typing import Any

import pytest
from httpd_support import running_servers  # tests/http is on sys.path (rootdir mode)

from mock_server.httpd import Limits

GET = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


@pytest.fixture
def serve() -> Iterator[Any]:
    with running_servers(inline=lambda environ: True) as start:
        yield lambda head_timeout_s=10.0, **limits: start(
            app, limits=Limits(**limits), head_timeout_s=head_timeout_s
        )


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def ask(sock: socket.socket) -> bytes:
    """One GET on an open connection; the answer's first bytes."""
    sock.sendall(GET)
    return sock.recv(65536)


def read_to_close(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def status_and_error(data: bytes) -> tuple[int, dict[str, Any]]:
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"\r\nConnection: close\r\n" in head + b"\r\n", head
    return int(head.split(b" ")[1]), json.loads(body)["error"]


def trickle(port: int, start: bytes, byte: bytes, at_most: int) -> tuple[bytes, int, float]:
    """Send `start`, then `byte` every 0.1 s (never idle, never whole: at most `at_most` of
    them, for at most 5 s) until the server answers and closes. What came back, how many bytes
    were trickled, and how long from `start` to the end."""
    with connect(port) as sock:
        began = time.monotonic()
        sock.sendall(start)
        sock.settimeout(0.1)
        data, sent = b"", 0
        while time.monotonic() - began < 5 and sent < at_most:
            try:
                sock.sendall(byte)
                sent += 1
                chunk = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            data += chunk
            if not chunk:
                break
        return data, sent, time.monotonic() - began


# -- the head deadline ---------------------------------------------------------------------------


def test_a_head_trickled_past_its_deadline_gets_a_408_and_a_close(serve: Any) -> None:
    server = serve(head_timeout_s=0.5)
    data, sent, took = trickle(server.port, b"GET /hello HTTP/1.1\r\n", b"X", at_most=10**6)
    status, error = status_and_error(data)
    assert status == 408
    assert error["type"] == "invalid_request_error"
    assert "0.5 s" in error["message"]
    assert sent >= 4  # bytes kept arriving past the deadline
    assert 0.45 < took < 3


def test_a_head_sent_in_pieces_within_its_deadline_is_served(serve: Any) -> None:
    server = serve(head_timeout_s=1.0)
    with connect(server.port) as sock:
        for piece in (b"GET /hello HT", b"TP/1.1\r\nHost:", b" x\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.1)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def test_an_idle_keep_alive_connection_is_not_timed_as_a_head(serve: Any) -> None:
    """Between requests a connection is idle (the idle timeout's business), not reading a head;
    blank lines a client sends after a request do not start the head's clock either."""
    server = serve(head_timeout_s=0.3)
    with connect(server.port) as sock:
        sock.sendall(GET + b"\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        time.sleep(1.2)  # four deadlines
        assert ask(sock).startswith(b"HTTP/1.1 200")


# -- the body is timed too ------------------------------------------------------------------------

POST_HEAD = b"POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"


def test_a_body_trickled_past_the_deadline_gets_a_408_and_a_close(serve: Any) -> None:
    server = serve(head_timeout_s=0.5)
    # a whole head at once; then a body that never ends
    data, sent, took = trickle(server.port, POST_HEAD, b"x", at_most=100)
    status, error = status_and_error(data)
    assert status == 408
    assert error["type"] == "invalid_request_error"
    assert "body" in error["message"]
    assert "0.5 s" in error["message"]
    assert sent >= 4  # bytes kept arriving past the deadline
    assert 0.45 < took < 3


@pytest.mark.parametrize(
    "pieces",
    [
        (POST_HEAD[:20], POST_HEAD[20:], b"x" * 40, b"x" * 30, b"x" * 30),
        (
            b"POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"5\r\nhello\r\n",
            b"6\r\n world\r\n",
            b"0\r\n\r\n",
        ),
    ],
    ids=["content-length", "chunked"],
)
def test_a_body_sent_in_pieces_within_the_deadline_is_served(
    serve: Any, pieces: tuple[bytes, ...]
) -> None:
    server = serve(head_timeout_s=1.0)
    with connect(server.port) as sock:
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.1)
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def test_a_client_waiting_for_100_continue_gets_the_time_again(serve: Any) -> None:
    """The server made it wait: its body is timed from the `100 Continue`, not from the head."""
    server = serve(head_timeout_s=1.0)
    head = b"POST /hello HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
    with connect(server.port) as sock:
        for piece in (head[:30], head[30:]):
            sock.sendall(piece)
            time.sleep(0.3)
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        time.sleep(0.6)  # 1.2 s since the head's first byte, 0.6 s since the 100
        sock.sendall(b"hello")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def test_a_keep_alive_connection_idle_between_bodies_is_not_cut(serve: Any) -> None:
    server = serve(head_timeout_s=0.3)
    with connect(server.port) as sock:
        for _ in range(2):
            sock.sendall(POST_HEAD + b"x" * 100)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
            time.sleep(1.2)  # four deadlines


# -- room for newcomers --------------------------------------------------------------------------


def test_a_newcomer_at_the_limit_closes_the_stalest_head_not_a_served_client(serve: Any) -> None:
    """Four clients hold half-sent heads and keep trickling; four others were served and are
    idle. Four newcomers are served, each closing a trickler (oldest head first, told why with
    a 503): trickled bytes are not progress, and the served clients keep their connections."""
    server = serve(max_connections=8, head_timeout_s=30)
    tricklers = [connect(server.port) for _ in range(4)]
    kept, newcomers = [], []
    try:
        for sock in tricklers:
            sock.sendall(b"GET /hello HTTP/1.1\r\nX-Slow: ")
            time.sleep(0.05)
        kept = [connect(server.port) for _ in range(4)]
        for sock in kept:
            assert ask(sock).startswith(b"HTTP/1.1 200")
        time.sleep(0.1)
        for sock in tricklers:  # fresher bytes than the served clients' last request
            sock.sendall(b"a")
        time.sleep(0.1)
        for _ in range(4):
            newcomers.append(connect(server.port))
            assert ask(newcomers[-1]).startswith(b"HTTP/1.1 200")
        for sock in tricklers:
            status, error = status_and_error(read_to_close(sock))
            assert status == 503
            assert "slowest" in error["message"]
        for sock in kept + newcomers:
            assert ask(sock).startswith(b"HTTP/1.1 200")
    finally:
        for sock in tricklers + kept + newcomers:
            sock.close()


def test_a_normal_client_is_served_while_slow_clients_hold_every_connection(serve: Any) -> None:
    server = serve(max_connections=8, head_timeout_s=0.5)
    slow = [connect(server.port) for _ in range(8)]
    try:
        for sock in slow:
            sock.sendall(b"G")
        for _ in range(10):  # again and again, while the slow ones are reconnected
            with connect(server.port) as sock:
                assert ask(sock).startswith(b"HTTP/1.1 200")
            for i, sock in enumerate(slow):
                sock.settimeout(0)
                try:
                    closed = sock.recv(65536) is not None  # an answer (408, 503) or the close
                except BlockingIOError:
                    closed = False
                except OSError:
                    closed = True
                if closed:
                    sock.close()
                    slow[i] = connect(server.port)
                    slow[i].sendall(b"G")
    finally:
        for sock in slow:
            sock.close()


# -- out of file descriptors ---------------------------------------------------------------------

# A server in a process of its own whose descriptor table is then filled: with files it holds
# (`files`: nothing the server can free) or by the test's idle connections (`sockets`).
SCRIPT = textwrap.dedent("""
    import os, resource, sys, threading
    from mock_server.httpd import HttpServer, Limits
    from mock_server.server import error_body

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    server = HttpServer(app, "127.0.0.1", 0, error_body=error_body, limits=Limits(),
                        inline=lambda environ: True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hogs = []
    while sys.argv[1] == "files":
        try:
            hogs.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            break
    print(server.port, flush=True)
    sys.stdin.readline()  # the test has seen enough: give the descriptors back
    for fd in hogs:
        os.close(fd)
    print("freed", flush=True)
    sys.stdin.readline()
""")


@pytest.fixture
def starved() -> Iterator[Any]:
    started: list[subprocess.Popen[str]] = []

    def start(fill: str) -> tuple[subprocess.Popen[str], int]:
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, fill],
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        started.append(process)
        assert process.stdout is not None
        return process, int(process.stdout.readline())

    yield start
    for process in started:
        process.kill()
        process.communicate(timeout=10)  # and closes its pipes


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_over(pid: int, seconds: float) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_out_of_descriptors_the_server_waits_without_spinning_and_recovers(starved: Any) -> None:
    process, port = starved("files")
    with connect(port) as client:  # in the kernel's backlog: accept() fails with EMFILE
        client.sendall(GET)
        time.sleep(0.3)
        assert cpu_over(process.pid, 1.0) < 0.3  # spinning costs the whole second
        process.stdin.write("\n")
        process.stdin.flush()
        assert process.stdout.readline() == "freed\n"
        assert client.recv(65536).startswith(b"HTTP/1.1 200")  # within the longest pause


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_idle_connections_filling_the_descriptors_make_room_for_a_client(starved: Any) -> None:
    process, port = starved("sockets")
    idle = [connect(port) for _ in range(100)]  # more than the 64 descriptors
    try:
        time.sleep(0.3)
        with connect(port) as client:  # served now, not after the idle ones' 30 s timeout
            assert ask(client).startswith(b"HTTP/1.1 200")
        assert cpu_over(process.pid, 1.0) < 0.3
    finally:
        for sock in idle:
            sock.close()
