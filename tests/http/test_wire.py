"""What every answer looks like on the wire: status lines, OPTIONS, the server's own messages."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from http import HTTPStatus

import pytest

from mock_server.httpd.wsgi import status_line
from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.loader import validator

Serve = Callable[..., tuple[MockServer, Client]]
ERROR_SCHEMA = validator("error")
AUTH = b"Authorization: Bearer aio_your_api_key\r\n"


def raw(port: int, request: bytes) -> bytes:
    """Send one request, say we are done, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def first_line(data: bytes) -> bytes:
    return data.partition(b"\r\n")[0]


def parts(data: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {name.lower(): value for name, _, value in (x.partition(": ") for x in lines)}, body


# -- status lines --------------------------------------------------------------------------------

ANSWERS = [
    (b"GET /_mock/clock HTTP/1.1\r\nHost: x\r\n", 200),
    (b"GET /api/v1/tasks/n30x_seed HTTP/1.1\r\nHost: x\r\n", 401),
    (b"GET /api/v1/tasks/n30x_seed HTTP/1.1\r\nHost: x\r\n" + AUTH, 404),
    (b"GET /no/such/route HTTP/1.1\r\nHost: x\r\n", 404),
    (b"GET /api/v1/images/generations HTTP/1.1\r\nHost: x\r\n", 405),
    (
        b"POST /_mock/keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 15\r\n\r\n" + b'{"key": "nope"}',
        400,
    ),
    (b"GET / HTTP/2.0\r\n", 505),
]


@pytest.mark.parametrize(("request_head", "status"), ANSWERS, ids=[str(s) for _, s in ANSWERS])
def test_status_lines_use_the_http_reason_phrases(
    serve: Serve, request_head: bytes, status: int
) -> None:
    server, _ = serve()
    data = raw(server.port, request_head + b"Connection: close\r\n\r\n")
    assert first_line(data) == f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()


def test_a_status_http_does_not_name_keeps_the_apps_words() -> None:
    assert status_line("599 Network Timeout") == "599 Network Timeout"
    assert status_line("404 NOT FOUND") == "404 Not Found"
    assert status_line(431) == "431 Request Header Fields Too Large"


def test_an_injected_error_status_gets_its_phrase(serve: Serve) -> None:
    server, api = serve()
    rule = {"name": "busy", "action": {"type": "http_error", "status": 429}}
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    data = raw(server.port, b"GET /api/v1/tasks/n30x_seed HTTP/1.1\r\nHost: x\r\n" + AUTH + b"\r\n")
    assert first_line(data) == b"HTTP/1.1 429 Too Many Requests"


# -- the server's own messages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_bytes", "message"),
    [
        (b"GET / HTTP/2.0\r\n\r\n", "HTTP/2.0 is not supported; speak HTTP/1.1."),
        (
            b"GET / HTTP/1.1\r\nHost: x/y\r\n\r\n",
            "The Host header 'x/y' is not a valid host[:port].",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: caf\xe9\r\n\r\n",
            "The Host header 'caf\\xe9' is not a valid host[:port].",
        ),
    ],
    ids=["version", "host", "non-ascii"],
)
def test_refusals_quote_what_was_sent_as_text_not_python_bytes(
    serve: Serve, request_bytes: bytes, message: str
) -> None:
    server, _ = serve()
    _, body = parts(raw(server.port, request_bytes))
    error = json.loads(body)["error"]
    assert error["message"] == message
    assert "b'" not in error["message"]


# -- OPTIONS -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/images/generations", "OPTIONS, POST"),
        ("/api/v1/tasks/n30x_seed", "GET, HEAD, OPTIONS"),
        ("/_mock/clock", "GET, HEAD, OPTIONS, POST"),
        ("/_mock/health", "GET, HEAD, OPTIONS"),
    ],
)
def test_options_answers_204_with_allow_and_no_body(serve: Serve, path: str, allowed: str) -> None:
    server, _ = serve()
    request = f"OPTIONS {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data = raw(server.port, request.encode())
    headers, body = parts(data)
    assert first_line(data) == b"HTTP/1.1 204 No Content"
    assert headers["allow"] == allowed
    assert "content-type" not in headers
    assert "content-length" not in headers  # RFC 9110 8.6: never on a 204
    assert body == b""


def test_options_is_never_faulted_nor_spends_a_rule(serve: Serve) -> None:
    server, api = serve()
    rule = {"name": "busy", "action": {"type": "http_error", "status": 503}, "times": 1}
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    data = raw(
        server.port,
        b"OPTIONS /api/v1/images/generations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert first_line(data) == b"HTTP/1.1 204 No Content"
    assert api.request("GET", "/_mock/faults").json()["data"][0]["fired"] == 0


def test_options_keeps_the_connection_for_the_next_request(serve: Serve) -> None:
    server, _ = serve()
    data = raw(
        server.port,
        b"OPTIONS /_mock/health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n"
        b"Connection: close\r\n\r\n",
    )
    assert first_line(data) == b"HTTP/1.1 204 No Content"
    assert b"HTTP/1.1 200 OK" in data


def test_options_on_an_unknown_path_is_a_404_in_the_error_envelope(serve: Serve) -> None:
    server, _ = serve()
    request = b"OPTIONS /no/such/route HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data = raw(server.port, request)
    headers, body = parts(data)
    assert first_line(data) == b"HTTP/1.1 404 Not Found"
    assert headers["content-type"] == "application/json"
    document = json.loads(body)
    assert not list(ERROR_SCHEMA.iter_errors(document)), document
    assert document["error"]["type"] == "not_found_error"


def test_options_on_a_disabled_control_api_is_a_404_but_health_answers(serve: Serve) -> None:
    server, _ = serve(control=False)
    closing = b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    assert first_line(raw(server.port, b"OPTIONS /_mock/clock" + closing)).startswith(
        b"HTTP/1.1 404"
    )
    assert first_line(raw(server.port, b"OPTIONS /_mock/health" + closing)) == (
        b"HTTP/1.1 204 No Content"
    )
