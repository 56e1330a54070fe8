"""The HTTP server's app, loop and threads (mock_server.httpd): failures cost one connection,
slow requests hold up nobody, stopping lets work finish, and socket faults cut the connection."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from httpd_support import (  # tests/http is on sys.path (rootdir mode)
    AUTH,
    Echo,
    Serve,
    answers,
    echo_servers,
    exchange,
    only,
    read_all,
    seen,
)

from mock_server.httpd import Connection
from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.client import Client


@pytest.fixture
def echo() -> Iterator[Echo]:
    yield from echo_servers()


# -- the app, the loop and the threads -----------------------------------------------------------


@pytest.mark.parametrize("path", ["/boom", "/silent", "/snowman"])
def test_an_app_that_fails_gets_a_500_in_the_error_shape(echo: Echo, path: str) -> None:
    server = echo()
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    status, headers, body = only(exchange(server.port, request))
    assert (status, headers["connection"]) == (500, "close")
    assert json.loads(body)["error"]["type"] == "api_error"


def test_a_bug_in_the_server_costs_one_connection_not_the_server(
    echo: Echo, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server = echo()
    real = server._exchange.process
    calls: list[int] = []

    def broken_once(connection: Connection) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug in the loop")
        real(connection)

    monkeypatch.setattr(server._exchange, "process", broken_once)
    first, second = (f"GET /{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for n in ("1st", "2nd"))
    assert exchange(server.port, first) == b""  # dropped, unanswered
    assert seen(only(exchange(server.port, second)))["path"] == "/2nd"
    assert "failed on a connection" in caplog.text


def test_a_bound_server_that_never_served_gives_its_port_back() -> None:
    server = MockServer(Settings(port=0)).bind()
    port = server.port
    server.stop()
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))  # free: the listener was closed


def test_waiting_for_a_hangup_with_bytes_pending_does_not_spin() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        ours.setblocking(False)
        theirs.sendall(b"GET /pipelined HTTP/1.1\r\nHost: x\r\n\r\n")
        began = time.thread_time()
        assert Connection(ours, ("127.0.0.1", 0)).wait_for_hangup(0.5, threading.Event()) is False
        assert time.thread_time() - began < 0.2  # CPU time: it slept, it did not poll


def test_a_slow_request_holds_up_nobody_else(echo: Echo) -> None:
    server = echo()
    slow = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    slow.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    began = time.monotonic()
    for _ in range(20):
        seen(only(exchange(server.port, b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")))
    assert time.monotonic() - began < 0.8
    assert seen(only(read_all(slow)))["path"] == "/slow"
    slow.close()


def test_a_large_answer_reaches_a_slow_reader_whole_while_others_are_served(echo: Echo) -> None:
    server = echo()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as big:
        big.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.2)  # the answer fills the socket buffers and waits for us
        began = time.monotonic()
        seen(only(exchange(server.port, b"GET /meanwhile HTTP/1.1\r\nHost: x\r\n\r\n")))
        assert time.monotonic() - began < 0.5
        status, _, body = only(read_all(big))
    assert status == 200
    assert body == bytes(range(256)) * (5 * 4096)


def test_pipelined_requests_held_back_by_a_full_outbox_are_answered_once_it_drains(
    echo: Echo,
) -> None:
    """Each /big answer (5 MiB) fills the outbox past its mark, so the next request waits;
    the client sent them all and sends nothing more, so the drain itself must start it."""
    server = echo()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        last = b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * 2 + last)
        found = answers(read_all(sock))
    assert [status for status, _, _ in found] == [200, 200, 200]
    assert json.loads(found[2][2])["path"] == "/last"


def test_stopping_lets_a_running_request_finish(echo: Echo) -> None:
    server = echo()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        server.stop_soon()
        status, headers, _ = only(read_all(sock))
    assert (status, headers["connection"]) == (200, "close")


def test_wait_for_hangup_sees_the_client_go() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        connection = Connection(ours, ("127.0.0.1", 0))
        stop = threading.Event()
        assert connection.wait_for_hangup(0.2, stop) is False  # still there
        threading.Timer(0.2, theirs.close).start()
        began = time.monotonic()
        assert connection.wait_for_hangup(10, stop) is True
        assert time.monotonic() - began < 1


@pytest.mark.parametrize(("kind", "error"), [("close", None), ("reset", ConnectionResetError)])
def test_socket_faults_end_with_a_fin_or_an_rst(serve: Serve, kind: str, error: Any) -> None:
    server, api = serve()
    api.request("POST", "/_mock/faults", json_body={"name": "cut", "action": {"type": kind}})
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET /api/v1/tasks/n30x_seed HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n".encode())
        if error is None:
            assert sock.recv(100) == b""  # an orderly close, and not a byte of answer
        else:
            with pytest.raises(error):
                sock.recv(100)


def test_a_hang_ends_when_the_client_hangs_up(serve: Serve) -> None:
    server, api = serve()
    api.request(
        "POST", "/_mock/faults", json_body={"name": "h", "action": {"type": "hang", "seconds": 60}}
    )

    def request_threads() -> set[threading.Thread]:
        return {t for t in threading.enumerate() if t.name == "seedream-http-request"}

    # Other requests' threads (the control call above, other tests' servers) may still be
    # finishing: follow only the one this request gets.
    before = request_threads()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET /api/v1/tasks/n30x_seed HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n".encode())
        deadline = time.monotonic() + 10  # generous: a loaded CI machine starts threads late
        while not request_threads() - before and time.monotonic() < deadline:
            time.sleep(0.02)
        held = request_threads() - before
        assert len(held) == 1, held
    (thread,) = held
    deadline = time.monotonic() + 10
    while True:  # `enumerate` lists a thread still starting, which cannot be joined yet
        try:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
            break
        except RuntimeError:
            assert time.monotonic() < deadline, "the request's thread never started"
            time.sleep(0.01)
    assert not thread.is_alive(), "the hang went on after the client hung up"


def test_socket_faults_under_another_wsgi_server_say_why_they_cannot_cut() -> None:
    """The app can run under any WSGI server (wsgiref here, on a real socket); only ours hands
    it the connection, so a socket fault answers 501 in the error shape instead of a 500."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from mock_server.app import create_app

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

    app = create_app(Settings(clock="manual"))
    with make_server("127.0.0.1", 0, app, handler_class=Quiet) as foreign:
        thread = threading.Thread(target=foreign.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            api = Client(f"http://127.0.0.1:{foreign.server_port}", "aio_your_api_key", timeout=5)
            rule = {"name": "cut", "action": {"type": "reset"}}
            api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
            error = api.task("n30x_seed").expect_json(501)["error"]
            assert "needs seedream-mock's own server" in error["message"]
            api.close()
        finally:
            foreign.shutdown()
            thread.join(5)
