"""The HTTP server itself (mock_server.httpd), spoken to byte by byte over real sockets.

Most tests run it around a tiny echo app, so they test HTTP and nothing else; the ones about
limits the app enforces (413) or the API's error shape run the real MockServer.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.httpd import Connection, HttpServer, Limits
from mock_server.server import MockServer, error_body
from mock_server.settings.config import Settings
from seedream_contracts.client import Client
from seedream_contracts.loader import validator

Serve = Callable[..., tuple[MockServer, Client]]
Echo = Callable[..., HttpServer]
ERROR_SCHEMA = validator("error")
AUTH = "Authorization: Bearer aio_your_api_key\r\n"


def echo_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Says back what the server made of the request."""
    path = environ["PATH_INFO"]
    if path == "/slow":
        time.sleep(1.0)
    if path == "/boom":
        raise RuntimeError("a bug in the app")
    if path == "/silent":
        return [b"never started"]
    if path == "/snowman":
        start_response("200 OK", [("X-Name", "\u2603")])
        return [b"a header latin-1 cannot carry"]
    if path == "/big":
        body = bytes(range(256)) * (5 * 4096)  # 5 MiB
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [body]
    seen = {
        "method": environ["REQUEST_METHOD"],
        "path": path,
        "query": environ["QUERY_STRING"],
        "protocol": environ["SERVER_PROTOCOL"],
        "body": environ["wsgi.input"].read().decode("latin-1"),
        "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_")},
    }
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


@pytest.fixture
def echo() -> Iterator[Echo]:
    started: list[tuple[HttpServer, threading.Thread]] = []

    def start(app: Any = echo_app, **limits: Any) -> HttpServer:
        server = HttpServer(
            app,
            "127.0.0.1",
            0,
            error_body=error_body,
            limits=Limits(**limits),
            inline=lambda environ: environ["PATH_INFO"] != "/slow",
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    yield start
    for server, thread in started:
        server.stop_soon()
        thread.join(10)
        assert not thread.is_alive(), "the server did not stop"


def exchange(port: int, *parts: bytes, pause: float = 0.0, timeout: float = 5.0) -> bytes:
    """Send the parts (pausing between them), say we are done sending, read until the server
    closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for part in parts:
            sock.sendall(part)
            time.sleep(pause)
        sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


Answer = tuple[int, dict[str, str], bytes]


def answers(data: bytes) -> list[Answer]:
    """Split a byte stream into (status, lower-cased headers, body) answers."""
    found: list[Answer] = []
    while data:
        head, sep, data = data.partition(b"\r\n\r\n")
        assert sep, f"an unfinished answer: {head[:200]!r}"
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {name.lower(): value for name, _, value in (x.partition(": ") for x in lines[1:])}
        length = int(headers.get("content-length", "0"))
        found.append((status, headers, data[:length]))
        data = data[length:]
    return found


def only(data: bytes) -> Answer:
    found = answers(data)
    assert len(found) == 1, found
    return found[0]


def seen(answer: Answer) -> dict[str, Any]:
    status, _, body = answer
    assert status == 200, body
    result: dict[str, Any] = json.loads(body)
    return result


# -- requests it refuses -------------------------------------------------------------------------

GET_H = b"GET / HTTP/1.1\r\nHost: x\r\n"
POST_H = b"POST / HTTP/1.1\r\nHost: x\r\n"
CHUNKED_H = POST_H + b"Transfer-Encoding: chunked\r\n\r\n"
# The words are llhttp's where it refuses the bytes (tests/http/test_framing.py has the rest).
REFUSED = [
    (b"GARBAGE\r\n\r\n", 400, "Invalid method"),
    (b"GET / HTTP/2.0\r\n\r\n", 505, "HTTP/1.1"),
    (b"GET foo HTTP/1.1\r\nHost: x\r\n\r\n", 400, "url"),
    (GET_H + b" folded\r\n\r\n", 400, "whitespace"),
    (GET_H + b"No colon here\r\n\r\n", 400, "header token"),
    (GET_H + b"Bad Name: x\r\n\r\n", 400, "header token"),
    (
        POST_H + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
        "Transfer-Encoding can't be present with Content-Length",
    ),
    (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.1"),
    (POST_H + b"Transfer-Encoding: gzip\r\n\r\n", 400, "'gzip' does not end in chunked"),
    (POST_H + b"Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "'gzip, chunked' is not"),
    (POST_H + b"Content-Length: abc\r\n\r\n", 400, "Content-Length"),
    (POST_H + b"Content-Length: -1\r\n\r\n", 400, "Content-Length"),
    (POST_H + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy", 400, "Duplicate"),
    (POST_H + b"Expect: magic\r\nContent-Length: 1\r\n\r\nx", 417, "magic"),
    (CHUNKED_H + b"zz\r\n", 400, "chunk size"),
    (CHUNKED_H + b"2\r\nabc\r\n0\r\n\r\n", 400, "chunk data"),
    (GET_H + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, "over 65536 bytes"),
    (GET_H + b"X-Many: 1\r\n" * 100 + b"\r\n", 431, "header fields"),
]


@pytest.mark.parametrize(
    ("request_bytes", "status", "words"), REFUSED, ids=[f"{s}-{w}" for _, s, w in REFUSED]
)
def test_unreadable_requests_get_a_4xx_in_the_api_error_shape_and_a_close(
    echo: Echo, request_bytes: bytes, status: int, words: str
) -> None:
    server = echo()
    got_status, headers, body = only(exchange(server.port, request_bytes))
    assert got_status == status
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    document = json.loads(body)
    assert not list(ERROR_SCHEMA.iter_errors(document)), document
    assert document["error"]["code"] == status
    assert words in document["error"]["message"]


def test_a_refusal_ends_the_connection_even_with_more_requests_queued(echo: Echo) -> None:
    server = echo()
    data = exchange(server.port, b"BROKEN\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
    assert [status for status, _, _ in answers(data)] == [400]


# -- requests it reads ---------------------------------------------------------------------------


def test_a_chunked_body_with_extensions_and_trailers_arrives_whole(echo: Echo) -> None:
    server = echo()
    data = exchange(
        server.port,
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        b"5;name=x\r\nhello\r\n",
        b"7\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n",
        pause=0.05,
    )
    assert seen(only(data))["body"] == "hello, world"


def test_a_head_and_body_sent_byte_by_byte_are_put_together(echo: Echo) -> None:
    server = echo()
    request = (
        b"POST /slowly?q=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
        b"Connection: close\r\n\r\nbody"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        for byte in request:
            sock.send(bytes([byte]))
        got = seen(only(read_all(sock)))
    assert (got["path"], got["query"], got["body"]) == ("/slowly", "q=1", "body")


def test_expect_100_continue_is_answered_before_the_body_is_sent(echo: Echo) -> None:
    server = echo()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n\r\n"
        )
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abc")
        assert seen(only(read_all(sock)))["body"] == "abc"


def test_pipelined_requests_are_answered_in_order(echo: Echo) -> None:
    server = echo()
    data = exchange(
        server.port,
        b"".join(f"GET /{n} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for n in range(3))
        + b"\r\nPOST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok",
    )
    got = [seen(answer) for answer in answers(data)]
    assert [g["path"] for g in got] == ["/0", "/1", "/2", "/3"]
    assert got[3]["body"] == "ok"


def test_pipelined_requests_stay_in_order_when_one_goes_to_a_thread(echo: Echo) -> None:
    server = echo()
    data = exchange(
        server.port, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert [seen(answer)["path"] for answer in answers(data)] == ["/slow", "/fast"]


def test_a_refusal_waits_for_the_answers_to_the_requests_before_it(echo: Echo) -> None:
    server = echo()
    slow = b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
    data = exchange(server.port, slow + b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n" + slow)
    assert [status for status, _, _ in answers(data)] == [200, 400]


def test_100_continue_waits_for_the_answer_before_it(echo: Echo) -> None:
    server = echo()
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        expect = b"Expect: 100-continue\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
        sock.sendall(
            b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nPOST /e HTTP/1.1\r\nHost: x\r\n" + expect
        )
        first = b""
        while b"100 Continue" not in first:
            first += sock.recv(65536)
        assert first.index(b"HTTP/1.1 200") < first.index(b"HTTP/1.1 100 Continue")
        sock.sendall(b"abc")
        rest = first.partition(b"HTTP/1.1 100 Continue\r\n\r\n")[2] + read_all(sock)
    assert seen(only(rest))["body"] == "abc"


def test_headers_become_wsgi_variables(echo: Echo) -> None:
    server = echo()
    got = seen(
        only(
            exchange(
                server.port,
                b"GET http://example.test/abs/%41?x=%41 HTTP/1.1\r\n"
                b"Host: x\r\n"
                b"X-Dup: 1\r\nX-Dup: 2\r\nX_Sneaky: y\r\n"
                b"Connection: close\r\n\r\n",
            )
        )
    )
    assert (got["path"], got["query"]) == ("/abs/A", "x=%41")
    assert got["headers"]["HTTP_X_DUP"] == "1, 2"
    assert "HTTP_X_SNEAKY" not in got["headers"]  # underscores never pose as dashes


def test_http_1_0_keeps_the_connection_only_when_asked(echo: Echo) -> None:
    server = echo()
    status, headers, _ = only(exchange(server.port, b"GET /a HTTP/1.0\r\n\r\n"))
    assert (status, headers["connection"]) == (200, "close")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        for path in ("/1", "/2"):
            sock.sendall(f"GET {path} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            head = sock.recv(65536)
            assert b"Connection: keep-alive" in head
            assert seen(only(head))["protocol"] == "HTTP/1.0"


def test_head_answers_headers_only_and_the_connection_goes_on(serve: Serve) -> None:
    server, _ = serve()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("HEAD", "/api/v1/tasks/n30none_seed", headers={"Authorization": "x"})
        head = connection.getresponse()
        assert head.status == 401
        assert int(head.headers["Content-Length"]) > 0
        assert head.read() == b""
        connection.request("GET", "/_mock/clock")
        assert connection.getresponse().status == 200
    finally:
        connection.close()


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


def test_a_chunked_body_padded_with_extensions_is_cut_off(echo: Echo) -> None:
    server = echo(max_head_bytes=2048, max_body_bytes=2048)  # reads at most 8 KiB unanswered
    padded = b"".join(b"1;" + b"x" * 900 + b"\r\na\r\n" for _ in range(12))
    head = b"POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = exchange(server.port, head, padded)
    status, _, body = only(data)
    assert status == 413
    assert "larger than this server reads" in json.loads(body)["error"]["message"]


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

    def hanging() -> int:
        return sum(t.name == "seedream-http-request" for t in threading.enumerate())

    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET /api/v1/tasks/n30x_seed HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n".encode())
        deadline = time.monotonic() + 3
        while not hanging() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert hanging() == 1
    deadline = time.monotonic() + 3
    while hanging() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hanging() == 0


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
