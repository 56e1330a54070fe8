"""The HTTP server's limits (mock_server.httpd): bodies, connections, idle time, and whatever
bytes arrive, over real sockets."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from httpd_support import (  # tests/http is on sys.path (rootdir mode)
    AUTH,
    Echo,
    Serve,
    answers,
    echo_app,
    echo_servers,
    exchange,
    only,
    seen,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.httpd import HttpServer, Limits
from mock_server.server import error_body


@pytest.fixture
def echo() -> Iterator[Echo]:
    yield from echo_servers()


# -- limits --------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_413_unread(serve: Serve) -> None:
    server, _ = serve(max_body_bytes=1000)
    data = exchange(
        server.port,
        f"POST /api/v1/images/generations HTTP/1.1\r\nHost: x\r\n{AUTH}"
        "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n".encode()
        + b"{" * 100,
    )
    status, headers, body = only(data)
    assert (status, headers["connection"]) == (413, "close")
    assert "1000 bytes" in json.loads(body)["error"]["message"]


def test_a_chunked_body_over_the_limit_is_refused_413(serve: Serve) -> None:
    server, _ = serve(max_body_bytes=1000)
    head = (
        f"POST /api/v1/images/generations HTTP/1.1\r\nHost: x\r\n{AUTH}"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    data = exchange(server.port, head.encode() + b"400\r\n" + b" " * 1024 + b"\r\n")
    status, _, body = only(data)
    assert status == 413
    assert json.loads(body)["error"]["type"] == "invalid_request_error"


def test_connections_over_the_limit_get_a_503_when_none_may_be_closed(echo: Echo) -> None:
    """Both held connections have a request with the app (a second each): closing either would
    lose work, so the newcomer is the one turned away (tests/http/test_connections.py: else
    the most expendable connection makes room)."""
    server = echo(max_connections=2)
    held = [socket.create_connection(("127.0.0.1", server.port), timeout=5) for _ in range(2)]
    try:
        for sock in held:
            sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.3)  # both read and with the app (for 1 s)
        status, _, body = only(exchange(server.port, b"GET /third HTTP/1.1\r\nHost: x\r\n\r\n"))
        assert status == 503
        assert "2 connections" in json.loads(body)["error"]["message"]
        for sock in held:  # and the held ones are answered
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()


def test_an_idle_connection_is_closed_after_the_timeout(echo: Echo) -> None:
    server = echo(idle_timeout_s=0.3)
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        began = time.monotonic()
        assert sock.recv(100) == b""  # the server hung up
        assert 0.25 < time.monotonic() - began < 3


def test_a_chunked_body_padded_with_extensions_is_cut_off(echo: Echo) -> None:
    server = echo(max_head_bytes=2048, max_body_bytes=2048)  # reads at most 8 KiB unanswered
    padded = b"".join(b"1;" + b"x" * 900 + b"\r\na\r\n" for _ in range(12))
    head = b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = exchange(server.port, head, padded)
    status, _, body = only(data)
    assert status == 413
    assert "larger than this server reads" in json.loads(body)["error"]["message"]


# -- whatever arrives ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[HttpServer]:
    server = HttpServer(
        echo_app,
        "127.0.0.1",
        0,
        error_body=error_body,
        limits=Limits(max_head_bytes=2048, max_body_bytes=2048),
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stop_soon()
    thread.join(10)


PREFIXES = [
    b"",
    b"GET / HTTP/1.1\r\nHost: x\r\n",
    b"POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n",
    b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(prefix=st.sampled_from(PREFIXES), noise=st.binary(max_size=300))
def test_any_bytes_get_an_answer_or_a_close_and_the_server_lives_on(
    fuzzed: HttpServer, prefix: bytes, noise: bytes
) -> None:
    data = exchange(fuzzed.port, prefix + noise, timeout=5)
    for status, _, body in answers(data):
        assert status < 500 or status == 505, (status, body)
        if status >= 400:
            assert json.loads(body)["error"]["code"] == status
    alive = b"GET /alive HTTP/1.1\r\nHost: x\r\n\r\n"
    assert seen(only(exchange(fuzzed.port, alive)))["path"] == "/alive"
