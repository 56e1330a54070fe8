"""What the HTTP server tests share: the echo app, a server around it, and raw exchanges.

The echo app says back what the server made of a request, so the tests that use it test HTTP
and nothing else; the answers are split from the raw byte stream, not parsed by a client.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mock_server.httpd import HttpServer, Limits
from mock_server.server import MockServer, error_body
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


@contextmanager
def running_servers(**defaults: Any) -> Iterator[Callable[..., HttpServer]]:
    """Yields a starter of servers on free loopback ports, each in its own thread, built with
    these keyword arguments (the call's own win); stops them all afterwards."""
    started: list[tuple[HttpServer, threading.Thread]] = []

    def start(app: Any, **options: Any) -> HttpServer:
        server = HttpServer(
            app, "127.0.0.1", 0, **{"error_body": error_body, **defaults, **options}
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        started.append((server, thread))
        return server

    try:
        yield start
    finally:
        for server, thread in started:
            server.stop_soon()
            thread.join(10)
    assert all(not thread.is_alive() for _, thread in started), "a server did not stop"


def echo_servers() -> Iterator[Echo]:
    """Yields a starter of echo servers (app and limits as given); stops them all afterwards."""
    with running_servers(inline=lambda environ: environ["PATH_INFO"] != "/slow") as start:
        yield lambda app=echo_app, **limits: start(app, limits=Limits(**limits))


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
