"""The sender's own HTTP/1.1 exchange is held to http.client's: the same request bytes, and for
every answer in the table the same status, headers, body (up to the read limit) or error.
No sockets: both read the same bytes from fakes."""

from __future__ import annotations

import http.client
import io
from typing import Any

import pytest

from mock_server.webhooks.sockets import Origin
from mock_server.webhooks.wire import READ_LIMIT, Connection, request_bytes

HEADERS = {
    "Content-Type": "application/json",
    "User-Agent": "seedream-mock/1.0",
    "webhook-id": "evt_414c343c1027c4d1c386bbc4",
    "X-Seedream-Attempt": "2",
    "webhook-signature": "v1,abc= v1,def=",
    "X-Custom": "caf\u00e9",  # a profile header: latin-1, as http.client encodes it
}


class Written:
    """Stands in for a connected socket and keeps what http.client writes."""

    def __init__(self) -> None:
        self.data = b""

    def sendall(self, data: bytes) -> None:
        self.data += data


class Answering:
    """Stands in for a connected socket that has `raw` to read, in pieces of `piece` bytes."""

    def __init__(self, raw: bytes, piece: int = 7) -> None:
        self.stream, self.piece = io.BytesIO(raw), piece

    def recv(self, size: int) -> bytes:
        return self.stream.read(min(size, self.piece))

    def makefile(self, mode: str) -> io.BytesIO:
        return self.stream


@pytest.mark.parametrize(
    "origin",
    [
        Origin("http", "127.0.0.1", 8080),
        Origin("http", "localhost", 80),
        Origin("https", "hooks.example.test", 443),
        Origin("https", "hooks.example.test", 8443),
        Origin("http", "::1", 5000),
    ],
    ids=str,
)
def test_the_request_is_what_http_client_writes(origin: Origin) -> None:
    kind = http.client.HTTPSConnection if origin.secure else http.client.HTTPConnection
    connection = kind(origin.host, origin.port)
    written = Written()
    connection.sock = written  # type: ignore[assignment]
    connection.request("POST", "/hook?x=%C3%A9", body=b'{"code":200}', headers=HEADERS)
    assert request_bytes(origin, "/hook?x=%C3%A9", HEADERS, b'{"code":200}') == written.data


@pytest.mark.parametrize(
    ("headers", "path"),
    [({"X-Bad": "a\r\nInjected: 1"}, "/hook"), ({"Bad:Name": "x"}, "/hook"), ({}, "/a b")],
)
def test_a_request_http_client_refuses_is_refused_alike(headers: dict[str, str], path: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", 8080)
    connection.sock = Written()  # type: ignore[assignment]
    with pytest.raises((ValueError, http.client.InvalidURL)) as theirs:
        connection.request("POST", path, body=b"{}", headers=headers)
    with pytest.raises(type(theirs.value)) as ours:
        request_bytes(Origin("http", "127.0.0.1", 8080), path, headers, b"{}")
    assert str(ours.value) == str(theirs.value)


def ok(head: str, body: bytes = b"") -> bytes:
    return f"HTTP/1.1 {head}\r\n".encode("latin-1") + body


BIG = b"x" * (READ_LIMIT + 100)
CHUNKED = b"Transfer-Encoding: chunked\r\n\r\n"
EMPTY = b"Content-Length: 0\r\n\r\n"
ANSWERS = {
    "length": ok("200 OK", b"Content-Length: 2\r\n\r\nok"),
    "no reason": b"HTTP/1.1 204\r\n\r\n",
    "chunked": ok("200 OK", CHUNKED + b"2\r\nok\r\n3;x=1\r\nabc\r\n0\r\nT: 1\r\n\r\n"),
    "chunked wins over length": ok(
        "200 OK", b"Content-Length: 1\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
    ),
    "chunk size not hex": ok("200 OK", CHUNKED + b"2\r\nok\r\nzz\r\n"),
    "chunk cut short": ok("200 OK", CHUNKED + b"2\r\nok\r\n5\r\nab"),
    "chunk without its CRLF": ok("200 OK", CHUNKED + b"2\r\nok"),
    "chunks past the limit": ok("200 OK", CHUNKED + b"%x\r\n" % len(BIG) + BIG + b"\r\n0\r\n\r\n"),
    "chunks to the limit": ok("200 OK", CHUNKED + b"%x\r\n" % READ_LIMIT + BIG[:READ_LIMIT]),
    "to the end of stream": ok("200 OK", b"\r\nuntil the end"),
    "length past the limit": ok("200 OK", b"Content-Length: %d\r\n\r\n" % len(BIG) + BIG),
    "body shorter than its length": ok("200 OK", b"Content-Length: 10\r\n\r\nabc"),
    "length not a number": ok("200 OK", b"Content-Length: ten\r\n\r\nabc"),
    "negative length": ok("200 OK", b"Content-Length: -1\r\n\r\nabc"),
    "bodyless status with bytes": ok("304 Not Modified", b"Content-Length: 3\r\n\r\nabc"),
    "continue then created": b"HTTP/1.1 100 Continue\r\nX: 1\r\n\r\n" + ok("201 Created", EMPTY),
    "early hints is an answer": ok("103 Early Hints", b"Link: </a>\r\n\r\n"),
    "redirect": ok("302 Found", b"Location: /elsewhere\r\n" + EMPTY),
    "two locations": ok("301 Moved", b"Location: /a\r\nlocation: /b\r\n" + EMPTY),
    "latin-1 location": ok("307 Temporary", "Location: /caf\u00e9\r\n\r\n".encode("latin-1")),
    "folded header": ok("302 Found", b"Location: /a\r\n  /b\r\n" + EMPTY),
    "retry after": ok("429 Too Many Requests", b"Retry-After:   5 \r\n" + EMPTY),
    "name with a space ends the headers": ok(
        "200 OK", b"X: 1\r\nContent-Length : 2\r\nRetry-After: 3\r\n\r\nokay"
    ),
    "99 headers": ok("200 OK", b"X: 1\r\n" * 98 + EMPTY),
    "100 headers": ok("200 OK", b"X: 1\r\n" * 99 + EMPTY),
    "HTTP/1.0": b"HTTP/1.0 200 OK\r\n\r\nold",
    "bare LF": b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
    "nothing": b"",
    "not HTTP": b"hello there\r\n\r\n",
    "status out of range": b"HTTP/1.1 2000 OK\r\n\r\n",
    "status not a number": b"HTTP/1.1 abc OK\r\n\r\n",
    "version only": b"HTTP/1.1\r\n\r\n",
    "HTTP/2": b"HTTP/2.0 200 OK\r\n\r\n",
    "HTTP/2 continue skipped": b"HTTP/2.0 100 Continue\r\n\r\n" + ok("200 OK", EMPTY),
    "status line too long": b"HTTP/1.1 200 " + b"x" * 70000 + b"\r\n\r\n",
    "header line too long": ok("200 OK", b"X: " + b"y" * 70000 + b"\r\n\r\n"),
    "chunk size line too long": ok("200 OK", CHUNKED + b"0" * 70000),
}


def http_client_reading(raw: bytes) -> tuple[Any, ...]:
    response = http.client.HTTPResponse(Answering(raw), method="POST")  # type: ignore[arg-type]
    try:
        response.begin()
        body = response.read(READ_LIMIT)
    except Exception as exc:
        return ("error", f"{type(exc).__name__}: {exc}")
    return response.status, response.getheader("Location"), response.getheader("Retry-After"), body


def our_reading(raw: bytes, piece: int) -> tuple[Any, ...]:
    connection = Connection(Origin("http", "127.0.0.1", 8080))
    connection.sock = Answering(raw, piece)  # type: ignore[assignment]
    try:
        answer = connection.read_answer()
    except Exception as exc:
        return ("error", f"{type(exc).__name__}: {exc}")
    return answer.status, answer.header("location"), answer.header("retry-after"), answer.body


@pytest.mark.parametrize("piece", [1, 7, 65536])
@pytest.mark.parametrize("name", list(ANSWERS))
def test_an_answer_reads_as_http_client_reads_it(name: str, piece: int) -> None:
    raw = ANSWERS[name]
    assert our_reading(raw, piece) == http_client_reading(raw)


@pytest.mark.parametrize(
    ("raw", "reusable"),
    [
        (ANSWERS["length"], True),
        (ANSWERS["chunked"], True),
        (ANSWERS["continue then created"], True),
        (ANSWERS["early hints is an answer"], False),  # the final answer is still to come
        (ANSWERS["to the end of stream"], False),
        (ANSWERS["length past the limit"], False),
        (ANSWERS["chunks past the limit"], False),
        (ANSWERS["body shorter than its length"], False),
        (ANSWERS["HTTP/1.0"], False),
        (ok("200 OK", b"Connection: close\r\nContent-Length: 0\r\n\r\n"), False),
        (ok("200 OK", b"Content-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n"), False),  # more came
    ],
)
def test_only_an_answer_read_to_its_end_on_an_open_connection_is_reusable(
    raw: bytes, reusable: bool
) -> None:
    connection = Connection(Origin("http", "127.0.0.1", 8080))
    connection.sock = Answering(raw, 65536)  # type: ignore[assignment]
    assert connection.read_answer().reusable is reusable
