"""The HTTP server itself (mock_server.httpd), spoken to byte by byte over real sockets: the
requests it refuses and the requests it reads.

Most tests run it around a tiny echo app (httpd_support.py), so they test HTTP and nothing else;
the ones about the API's answers run the real MockServer. Its limits are in test_httpd_limits.py,
its app, loop and threads in test_httpd_threads.py.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest
from httpd_support import (  # tests/http is on sys.path (rootdir mode)
    ERROR_SCHEMA,
    Echo,
    Serve,
    answers,
    echo_servers,
    exchange,
    only,
    read_all,
    seen,
)


@pytest.fixture
def echo() -> Iterator[Echo]:
    yield from echo_servers()


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
