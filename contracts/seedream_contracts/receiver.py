"""A real webhook receiver for tests: a loopback HTTP server that records every POST and answers
with scripted replies (status, body, headers, delay). Standard library only."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MAX_BODY = 1024 * 1024


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 overflows when a sender bursts from many threads; a refused
    # connection would then look like a receiver failure.
    request_queue_size = 128


@dataclass(frozen=True)
class Reply:
    """How the receiver answers one request."""

    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow receiver)


@dataclass(frozen=True)
class Received:
    """One request the receiver got; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when it arrived
    connection: int = 0  # which connection it came on: 1 for the first the receiver accepted

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """`with WebhookReceiver() as hooks: ... hooks.url ... hooks.wait(1)`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._received: list[Received] = []
        self._script: deque[Reply] = deque()
        self._default = Reply()
        self._closing = threading.Event()
        self._accepted = 0
        self._open: set[socket.socket] = set()  # the connections being served

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the receiver is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The URL to give as callback_url (path /hook)."""
        return f"http://{self._address[0]}:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        self._closing.clear()
        self._server = _Server(self._address, self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close every connection, kept-alive ones included: a stopped
        receiver gets nothing more, as if it were down."""
        self._closing.set()  # cut short any scripted delay
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            still_open = list(self._open)
        for connection in still_open:
            with contextlib.suppress(OSError):  # closed meanwhile
                connection.shutdown(socket.SHUT_RDWR)  # its handler sees the end and returns
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def respond(self, *replies: Reply | int) -> None:
        """Answer the next requests with these replies, in order (an int is a status)."""
        with self._lock:
            self._script.extend(Reply(r) if isinstance(r, int) else r for r in replies)

    def respond_by_default(self, reply: Reply | int) -> None:
        with self._lock:
            self._default = Reply(reply) if isinstance(reply, int) else reply

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
            self._script.clear()
            self._default = Reply()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` requests arrived; TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{len(self._received)} of {count} requests after {timeout} s"
                    )
                self._lock.wait(remaining)
            return list(self._received)

    def _next_reply(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else self._default

    @property
    def connections(self) -> int:
        """How many connections the receiver has accepted."""
        with self._lock:
            return self._accepted

    def _opened(self, connection: socket.socket) -> int:
        with self._lock:
            self._accepted += 1
            self._open.add(connection)
            return self._accepted

    def _closed(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def _record(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            number = 0  # of this connection, from 1

            def setup(self) -> None:
                super().setup()
                self.number = receiver._opened(self.connection)
                if receiver._closing.is_set():  # accepted as `stop` ran: down all the same
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)

            def finish(self) -> None:
                receiver._closed(self.connection)
                super().finish()

            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                at = time.monotonic()
                receiver._record(Received("POST", self.path, headers, body, at, self.number))
                reply = receiver._next_reply()
                if reply.delay and receiver._closing.wait(reply.delay):
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: tests read `received`, not a log

        return Handler
