"""The raw-byte battery: how the server frames what arrives, byte for byte, over a real socket.

Each vector is a table row: the bytes a client sends on one connection, and the outcome — the
status of the first answer, how many answers come back, whether the server then closes. The
rule every refusal follows: one answer in the API's error envelope, then a close; nothing
behind a refused message is ever answered (so a request smuggled in a body or a trailer is
never answered either). The app behind the server is a tiny echo, so the battery tests HTTP
and nothing else; the last tests run the real app for what Host does to result URLs.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mock_server.httpd import HttpServer, Limits
from mock_server.server import MockServer, error_body
from mock_server.settings.config import Settings
from seedream_contracts.client import Client
from seedream_contracts.loader import validator

Serve = Callable[..., tuple[MockServer, Client]]

ERROR_SCHEMA = validator("error")
MAX_BODY = 1024
H = b"Host: x\r\n"
GET = b"GET / HTTP/1.1\r\n" + H + b"\r\n"
POST = b"POST / HTTP/1.1\r\n" + H
CHUNKED = POST + b"Transfer-Encoding: chunked\r\n\r\n"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\n" + H + b"\r\n"


@dataclass(frozen=True)
class Vector:
    name: str
    data: bytes
    status: int  # of the first answer
    answers: int = 1
    closes: bool = True
    bodiless: tuple[int, ...] = ()  # answers to HEAD: a Content-Length but no body


def ok(name: str, data: bytes, answers: int = 1, **more: Any) -> Vector:
    """A vector answered 200 on a connection that stays open."""
    return Vector(name, data, 200, answers, closes=False, **more)


def refused(name: str, data: bytes, status: int = 400) -> Vector:
    return Vector(name, data, status)


BATTERY = [
    # -- keep-alive and pipelining ---------------------------------------------------------
    ok("get", GET),
    Vector("get-connection-close", b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200),
    ok("three-pipelined", GET * 3, answers=3),
    Vector(
        "pipelined-close-ends-it",
        GET + b"GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + GET,
        200,
        answers=2,
    ),
    ok("blank-lines-between-requests", GET + b"\r\n\r\n" + GET, answers=2),
    ok("post-then-get", POST + b"Content-Length: 5\r\n\r\nhello" + GET, answers=2),
    Vector("get-then-garbage", GET + b"GARBAGE\r\n\r\n" + GET, 200, answers=2),
    refused("garbage-then-get", b"GARBAGE\r\n\r\n" + GET),
    # -- Connection is a list of tokens ------------------------------------------------------
    ok(
        "connection-keep-alive-x-close",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, x-close\r\n\r\n" + GET,
        answers=2,
    ),
    ok(
        "connection-closed-is-not-close", b"GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n"
    ),
    Vector(
        "connection-close-in-a-list",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n" + GET,
        200,
    ),
    Vector(
        "connection-close-any-case",
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: CLOSE\r\n\r\n" + GET,
        200,
    ),
    Vector("http10-closes", b"GET / HTTP/1.0\r\n\r\n" + GET, 200),
    ok("http10-keep-alive", b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
    Vector(
        "http10-keep-alive-then-default",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n" + GET,
        200,
        answers=2,
    ),
    # -- Host (RFC 9112 section 3.2) --------------------------------------------------------
    refused("http11-without-host", b"GET / HTTP/1.1\r\n\r\n"),
    refused("two-hosts", b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"),
    refused("host-with-a-path", b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n"),
    refused("host-with-userinfo", b"GET / HTTP/1.1\r\nHost: u@x\r\n\r\n"),
    refused("host-port-past-65535", b"GET / HTTP/1.1\r\nHost: x:99999\r\n\r\n"),
    refused("host-with-a-space", b"GET / HTTP/1.1\r\nHost: x y\r\n\r\n"),
    refused("http10-two-hosts", b"GET / HTTP/1.0\r\nHost: x\r\nHost: y\r\n\r\n"),
    ok("host-empty", b"GET / HTTP/1.1\r\nHost:\r\n\r\n"),
    ok("host-ipv6-and-port", b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"),
    ok("absolute-form-target", b"GET http://a.test:81/p?q HTTP/1.1\r\nHost: x\r\n\r\n"),
    refused("absolute-form-userinfo", b"GET http://u@a.test/p HTTP/1.1\r\nHost: x\r\n\r\n"),
    # -- Content-Length and Transfer-Encoding: smuggling -----------------------------------
    refused(
        "cl-and-te",
        POST + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
    ),
    refused(
        "te-and-cl",
        POST + b"Transfer-Encoding: chunked\r\nContent-Length: 30\r\n\r\n0\r\n\r\n" + SMUGGLED,
    ),
    refused("two-cl-differ", POST + b"Content-Length: 1\r\nContent-Length: 2\r\n\r\nxy"),
    refused("two-cl-same", POST + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\nxy"),
    refused("cl-list", POST + b"Content-Length: 2, 2\r\n\r\nxy"),
    refused("cl-plus", POST + b"Content-Length: +2\r\n\r\nxy"),
    refused("cl-negative", POST + b"Content-Length: -1\r\n\r\n"),
    refused("cl-hex", POST + b"Content-Length: 0x2\r\n\r\nxy"),
    ok("cl-with-trailing-space", POST + b"Content-Length: 2 \r\n\r\nxy" + GET, answers=2),
    refused("te-padded-vt", POST + b"Transfer-Encoding: chunked\x0b\r\n\r\n0\r\n\r\n"),
    refused("te-padded-ff", POST + b"Transfer-Encoding: \x0cchunked\r\n\r\n0\r\n\r\n"),
    refused("te-padded-nel", POST + b"Transfer-Encoding: chunked\x85\r\n\r\n0\r\n\r\n"),
    refused("te-padded-nbsp", POST + b"Transfer-Encoding: chunked\xa0\r\n\r\n0\r\n\r\n"),
    refused("te-space-before-colon", POST + b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
    refused(
        "te-twice",
        POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ),
    refused("te-gzip-not-final-chunked", POST + b"Transfer-Encoding: gzip\r\n\r\n"),
    refused(
        "te-gzip-then-chunked", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501
    ),
    refused("te-in-http10", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ok("te-any-case", POST + b"Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n"),
    # -- bare CR and LF, control bytes, malformed lines --------------------------------------
    refused(
        "bare-lf-hides-cl",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\nContent-Length: 36\r\n\r\n" + SMUGGLED,
    ),
    refused(
        "bare-cr-hides-cl",
        b"GET / HTTP/1.1\r\nHost: x\r\nX: a\rContent-Length: 36\r\n\r\n" + SMUGGLED,
    ),
    refused("bare-lf-line-ends", b"GET / HTTP/1.1\nHost: x\n\n"),
    refused("nul-in-a-value", b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n"),
    refused("control-byte-in-a-value", b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x01b\r\n\r\n"),
    refused("space-in-a-name", b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: x\r\n\r\n"),
    refused("no-colon", b"GET / HTTP/1.1\r\nHost: x\r\nNo colon\r\n\r\n"),
    refused("space-before-first-header", b"GET / HTTP/1.1\r\n Host: x\r\n\r\n"),
    refused("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"),
    ok("underscore-name-dropped", b"GET / HTTP/1.1\r\nHost: x\r\nX_Foo: y\r\n\r\n"),
    ok("obs-text-in-a-value", b"GET / HTTP/1.1\r\nHost: x\r\nX: caf\xe9\r\n\r\n"),
    # -- request line ---------------------------------------------------------------------
    refused("space-after-version", b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n"),
    refused("http-2.0", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    refused("http-1.2", b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505),
    refused("http-0.9", b"GET / HTTP/0.9\r\n\r\n", 505),
    refused("h2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    refused("lower-case-method", b"get / HTTP/1.1\r\nHost: x\r\n\r\n"),
    refused("unknown-method", b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n"),
    refused("target-not-a-path", b"GET foo HTTP/1.1\r\nHost: x\r\n\r\n"),
    refused("target-asterisk", b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n"),
    refused("connect-authority-form", b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"),
    refused("nul-in-the-target", b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n"),
    # -- chunk syntax ---------------------------------------------------------------------
    ok("chunked", CHUNKED + b"5\r\nhello\r\n0\r\n\r\n" + GET, answers=2),
    ok("chunk-extension", CHUNKED + b"5;a=b\r\nhello\r\n0\r\n\r\n"),
    ok("chunk-extension-quoted", CHUNKED + b'5;a="b c"\r\nhello\r\n0\r\n\r\n'),
    ok("chunk-size-leading-zeros", CHUNKED + b"0" * 40 + b"5\r\nhello\r\n0\r\n\r\n"),
    refused("chunk-size-leading-space", CHUNKED + b" 5\r\nhello\r\n0\r\n\r\n"),
    refused("chunk-size-leading-vt", CHUNKED + b"\x0b5\r\nhello\r\n0\r\n\r\n"),
    refused("chunk-size-trailing-space", CHUNKED + b"5 \r\nhello\r\n0\r\n\r\n"),
    refused("chunk-size-0x", CHUNKED + b"0x5\r\nhello\r\n0\r\n\r\n"),
    refused("chunk-size-negative", CHUNKED + b"-5\r\nhello\r\n0\r\n\r\n"),
    refused("chunk-extension-bare-lf", CHUNKED + b"5;a\nb\r\nhello\r\n0\r\n\r\n"),
    refused("chunk-extension-control-byte", CHUNKED + b"5;a=\x01\r\nhello\r\n0\r\n\r\n"),
    refused("chunk-longer-than-its-size", CHUNKED + b"2\r\nabc\r\n0\r\n\r\n"),
    refused("chunk-data-bare-lf", CHUNKED + b"5\r\nhello\n0\r\n\r\n"),
    refused("last-chunk-bare-lf", CHUNKED + b"5\r\nhello\r\n0\n\r\n" + SMUGGLED),
    # -- trailers -------------------------------------------------------------------------
    ok("trailer", CHUNKED + b"0\r\nX-T: 1\r\n\r\n" + GET, answers=2),
    refused("trailer-garbage-line", CHUNKED + b"0\r\nGARBAGE LINE\r\n\r\n"),
    refused("trailer-bare-lf-swallows-next", CHUNKED + b"0\r\nX: y\n\r\n" + SMUGGLED),
    refused("trailer-obs-fold", CHUNKED + b"0\r\nX: y\r\n z\r\n\r\n"),
    refused("trailer-control-byte", CHUNKED + b"0\r\nX: \x01\r\n\r\n"),
    # -- huge numbers and limits ----------------------------------------------------------
    refused("cl-4301-digits", POST + b"Content-Length: " + b"9" * 4301 + b"\r\n\r\n", 413),
    refused("cl-20-digits-overflow", POST + b"Content-Length: 99999999999999999999\r\n\r\n", 413),
    ok("cl-5000-leading-zeros", POST + b"Content-Length: " + b"0" * 5000 + b"5\r\n\r\nhello"),
    refused("chunk-size-overflow", CHUNKED + b"F" * 40 + b"\r\n", 413),
    refused("cl-over-the-body-limit", POST + b"Content-Length: 5000\r\n\r\n" + b"x" * 100, 413),
    refused("chunked-over-the-body-limit", CHUNKED + b"800\r\n" + b"x" * 2048 + b"\r\n", 413),
    refused("head-over-the-limit", GET[:-2] + b"X-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    refused("too-many-header-fields", GET[:-2] + b"X-Many: 1\r\n" * 100 + b"\r\n", 431),
    # -- Expect: 100-continue -------------------------------------------------------------
    Vector(
        "expect-100-waits-for-the-body",
        POST + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n",
        100,
        closes=False,
    ),
    ok("expect-100-without-a-body", POST + b"Expect: 100-continue\r\nContent-Length: 0\r\n\r\n"),
    refused("expect-something-else", POST + b"Expect: magic\r\nContent-Length: 1\r\n\r\nx", 417),
    Vector(
        "expect-100-in-http10",
        b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello",
        200,
    ),
    # -- HEAD and Upgrade -----------------------------------------------------------------
    ok(
        "head-has-no-body",
        b"HEAD /text HTTP/1.1\r\nHost: x\r\n\r\n" + GET,
        answers=2,
        bodiless=(0,),
    ),
    ok(
        "upgrade-ignored-reads-on",
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n" + GET,
        answers=2,
    ),
    refused(
        "upgrade-with-a-body",
        POST + b"Upgrade: h2c\r\nConnection: Upgrade\r\nContent-Length: 5\r\n\r\nhello",
        501,
    ),
]


def battery_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answers 200 (a body only for /text), or 413 past MAX_BODY as the real app does."""
    if int(environ.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        body = error_body(413, "too large")
        start_response("413 Request Entity Too Large", [("Content-Type", "application/json")])
        return [body]
    environ["wsgi.input"].read()
    start_response("200 OK", [("X-Path", environ["PATH_INFO"])])
    return [b"hello" if environ["PATH_INFO"] == "/text" else b""]


@pytest.fixture(scope="module")
def server() -> Iterator[HttpServer]:
    served = HttpServer(
        battery_app,
        "127.0.0.1",
        0,
        error_body=error_body,
        limits=Limits(max_body_bytes=MAX_BODY),
        inline=lambda environ: True,
    )
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.stop_soon()
    thread.join(10)


@dataclass
class Outcome:
    statuses: list[int]
    bodies: list[bytes]
    closes: bool


def send(port: int, vector: Vector) -> Outcome:
    """Send the bytes (never a FIN: the server alone decides to close); read answers until the
    server closes, or until the answers expected came and 0.1 s more passed with no byte."""
    received, closes = b"", False
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        with contextlib.suppress(OSError):  # closed on us before all was sent: read on
            sock.sendall(vector.data)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            enough = len(split(received, vector.bodiless)[0]) >= vector.answers
            sock.settimeout(0.1 if enough else max(0.01, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                if enough:
                    break
                continue
            except ConnectionResetError:
                closes = True
                break
            if not chunk:
                closes = True
                break
            received += chunk
    return Outcome(*split(received, vector.bodiless), closes)


def split(data: bytes, bodiless: tuple[int, ...]) -> tuple[list[int], list[bytes]]:
    """Statuses and bodies of the whole answers at the start of `data`."""
    statuses, bodies = [], []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            break
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {k.lower(): v for k, _, v in (line.partition(": ") for line in lines[1:])}
        length = 0 if len(statuses) in bodiless else int(fields.get("content-length", "0"))
        if len(rest) < length:
            break
        statuses.append(status)
        bodies.append(rest[:length])
        data = rest[length:]
    return statuses, bodies


def test_the_battery_is_at_least_sixty_vectors_with_distinct_names() -> None:
    assert len(BATTERY) >= 60
    assert len({vector.name for vector in BATTERY}) == len(BATTERY)


@pytest.mark.parametrize("vector", BATTERY, ids=[vector.name for vector in BATTERY])
def test_framing(server: HttpServer, vector: Vector) -> None:
    got = send(server.port, vector)
    assert (got.statuses[:1], len(got.statuses), got.closes) == (
        [vector.status],
        vector.answers,
        vector.closes,
    ), got.bodies
    if vector.status >= 400:  # one answer, in the API's error envelope
        document = json.loads(got.bodies[0])
        assert not list(ERROR_SCHEMA.iter_errors(document)), document
        assert document["error"]["code"] == vector.status


# -- Host in result URLs ---------------------------------------------------------------------


def completed_task(api: Client) -> str:
    task_id: str = api.create({"prompt": "p"}).expect(200, "create_response")["data"]["task_id"]
    api.request("POST", f"/_mock/tasks/{task_id}/complete").expect_json(200)
    return task_id


def result_url(api: Client, task_id: str, host: str) -> str:
    data = api.task(task_id, headers={"Host": host}).expect_json(200)["data"]
    url: str = data["output"]["image_urls"][0]
    return url


def test_result_urls_name_the_host_the_client_used(serve: Serve) -> None:
    _, api = serve()
    task_id = completed_task(api)
    assert result_url(api, task_id, "example.test:8123").startswith("http://example.test:8123/")


def test_a_malformed_host_is_a_400_before_any_url_is_built(serve: Serve) -> None:
    server, api = serve()
    task_id = completed_task(api)
    request = f"GET /api/v1/tasks/{task_id} HTTP/1.1\r\nHost: x/y\r\n\r\n".encode()
    got = send(server.port, Vector("bad-host", request, 400))
    assert (got.statuses, got.closes) == ([400], True)
    assert b"x/y" in got.bodies[0]
    assert b"/files/" not in got.bodies[0]


@pytest.mark.parametrize("host", ["x/y", "u@x", "x:99999", "x y", ""])
def test_under_another_wsgi_server_a_bad_host_gives_the_servers_own_address(host: str) -> None:
    """wsgiref passes any Host on to the app; the app checks it before building a URL."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from mock_server.app import create_app

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

    settings = Settings(clock="manual", port=8555)
    with make_server("127.0.0.1", 0, create_app(settings), handler_class=Quiet) as foreign:
        thread = threading.Thread(target=foreign.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        try:
            api = Client(f"http://127.0.0.1:{foreign.server_port}", "aio_your_api_key", timeout=5)
            task_id = completed_task(api)
            assert result_url(api, task_id, host).startswith("http://127.0.0.1:8555/files/")
            assert result_url(api, task_id, "good.test:81").startswith("http://good.test:81/")
            api.close()
        finally:
            foreign.shutdown()
            thread.join(5)
