"""The event loop: one thread reads every connection, and runs the app there for fast requests.

Why this shape (measured, bench/README.md): with a thread per request — waitress, or a thread
per connection — a Python server spends more CPU handing requests and the GIL between threads
than running the app, and under 64 busy connections the GIL's unfairness leaves some requests
waiting for hundreds of milliseconds. Here the loop answers fast requests (`inline` says which)
itself, in arrival order, with no hand-off. Anything that may block — a delay or hang injected on
purpose, a PNG render, a control call that waits for the clock — runs in a thread of its own, so
it never holds up anyone else, and hands its answer back to the loop to write.
"""

from __future__ import annotations

import collections
import contextlib
import io
import logging
import selectors
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_server.httpd.connection import CONNECTION_KEY, Connection
from mock_server.httpd.requests import Head, Limits, RequestError, parse_head, take_body
from mock_server.httpd.wsgi import Answer, Date, WsgiApp, encode, refusal, run_app

log = logging.getLogger("mock_server.httpd")
ErrorBody = Callable[[int, str], bytes]
Inline = Callable[[dict[str, Any]], bool]
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
OUTBOX_HIGH = 1024 * 1024  # stop reading new requests while this much is still unsent
LINGER_S = 2.0  # after a refusal, how long unread request bytes are drained before closing
_LISTENER, _WAKE = object(), object()


@dataclass
class _Request:
    environ: dict[str, Any]
    keep_alive: bool
    head_only: bool


def _never(environ: dict[str, Any]) -> bool:
    return False


class HttpServer:
    """Serves `app` on `host:port` (port 0: a free one) until `stop_soon()`."""

    def __init__(self, app: WsgiApp, host: str, port: int, *, error_body: ErrorBody,
                 limits: Limits | None = None, inline: Inline = _never,
                 server_header: str = "seedream-mock") -> None:  # fmt: skip
        self.app = app
        self.limits = limits or Limits()
        self.error_body = error_body
        self.inline = inline
        self.server_header = server_header
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((host, port))
            self._listener.listen(1024)
            self._listener.setblocking(False)
        except OSError:
            self._listener.close()
            raise
        self.port: int = self._listener.getsockname()[1]
        self._base_environ = {
            "SCRIPT_NAME": "", "SERVER_NAME": host, "SERVER_PORT": str(self.port),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }  # fmt: skip
        self._inbox_cap = 2 * (self.limits.max_head_bytes + self.limits.max_body_bytes)
        self._date = Date()
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._wake_r.setblocking(False)
        self._finished: collections.deque[tuple[Connection, _Request, Answer | None]] = (
            collections.deque()
        )
        self._selector = selectors.DefaultSelector()
        self._serving = False
        self._connections: dict[Connection, float | None] = {}  # -> lingering deadline

    # -- the loop -------------------------------------------------------------------------------

    def serve_forever(self, grace_s: float = 5.0) -> None:
        """Serve until `stop_soon()`; then finish running requests (up to `grace_s`) and close."""
        self._serving = True
        self._selector.register(self._listener, READ, _LISTENER)
        self._selector.register(self._wake_r, READ, _WAKE)
        try:
            next_reap = time.monotonic() + 1.0
            while not self._stopping.is_set():
                self._tick(1.0)
                if time.monotonic() >= next_reap:
                    self._reap()
                    next_reap = time.monotonic() + 1.0
            self._drain(grace_s)
        finally:
            for connection in list(self._connections):
                self._drop(connection)
            self._selector.close()
            self._listener.close()
            self._wake_r.close()
            self._wake_w.close()

    def close(self) -> None:
        """Release the sockets of a server that was bound but never served (serving closes
        them itself when it ends)."""
        if not self._serving:
            self._listener.close()
            self._wake_r.close()
            self._wake_w.close()
            self._selector.close()

    def stop_soon(self) -> None:
        """Ask `serve_forever` to return; safe from any thread or a signal handler."""
        self._stopping.set()
        self._wake()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (a wake is pending anyway) or closed
            self._wake_w.send(b"\0")

    def _tick(self, timeout: float) -> None:
        for key, mask in self._selector.select(timeout):
            if key.data is _LISTENER:
                self._accept()
            elif key.data is _WAKE:
                with contextlib.suppress(OSError):
                    self._wake_r.recv(4096)
            else:
                self._guarded(self._on_ready, key.data, mask)
        while self._finished:
            self._guarded(self._on_finished, *self._finished.popleft())

    def _guarded(self, step: Callable[..., None], connection: Connection, *args: Any) -> None:
        """One connection's step; a bug in it costs that connection, never the loop."""
        try:
            step(connection, *args)
        except Exception:
            log.exception("seedream-mock's HTTP server failed on a connection; closing it")
            self._drop(connection)

    def _on_ready(self, connection: Connection, mask: int) -> None:
        if mask & WRITE:
            self._flush(connection)
        if mask & READ and connection in self._connections:
            self._receive(connection)

    def _on_finished(
        self, connection: Connection, request: _Request, answer: Answer | None
    ) -> None:
        connection.busy = False
        if connection in self._connections:
            self._answer(connection, request, answer)
            self._process(connection)

    def _drain(self, grace_s: float) -> None:
        """Stop accepting; close idle connections; let requests in flight finish and be sent."""
        self._selector.unregister(self._listener)
        self._listener.close()
        for connection in list(self._connections):
            connection.reading = False
            if not connection.busy and not connection.outbox:
                self._drop(connection)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(c.busy or c.outbox for c in self._connections):
            self._tick(0.05)

    def _reap(self) -> None:
        """Close connections idle past the limit, and lingering ones past their deadline."""
        now = time.monotonic()
        idle_since = now - self.limits.idle_timeout_s
        for connection, linger_until in list(self._connections.items()):
            if connection.busy:
                continue
            lingered = linger_until is not None and now > linger_until
            if lingered or connection.last_active < idle_since:
                self._drop(connection)

    # -- connections ----------------------------------------------------------------------------

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, peer = self._listener.accept()
            except OSError:  # nothing more to accept (or the client already gave up)
                return
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            connection = Connection(sock, peer)
            self._connections[connection] = None
            if len(self._connections) > self.limits.max_connections:
                busy = f"The server already holds {self.limits.max_connections} connections."
                self._refuse(connection, RequestError(503, busy))
            else:
                self._watch(connection)

    def _watch(self, connection: Connection) -> None:
        """Point the selector at what this connection waits for now."""
        wanted = 0
        if connection.outbox:
            wanted |= WRITE
        lingering = self._connections.get(connection) is not None
        if lingering or (connection.reading and not connection.busy
                         and len(connection.outbox) < OUTBOX_HIGH):  # fmt: skip
            wanted |= READ
        if wanted == connection.events:
            return
        if connection.events == 0:
            self._selector.register(connection.sock, wanted, connection)
        elif wanted == 0:
            self._selector.unregister(connection.sock)
        else:
            self._selector.modify(connection.sock, wanted, connection)
        connection.events = wanted

    def _drop(self, connection: Connection) -> None:
        """Forget the connection and close its socket (an RST if the app asked for a reset)."""
        if self._connections.pop(connection, False) is False:
            return
        if connection.events:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(connection.sock)
            connection.events = 0
        with contextlib.suppress(OSError):
            if connection.cut == "reset":
                linger = struct.pack("ii", 1, 0)
                connection.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            elif connection.cut == "close":
                connection.sock.shutdown(socket.SHUT_RDWR)
        connection.sock.close()

    def _close_gently(self, connection: Connection) -> None:
        """All sent: send FIN, then read and discard what the client still sends for a moment,
        so closing with unread bytes does not turn into an RST that eats our last answer."""
        if connection.busy:
            return
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_WR)
        connection.inbox.clear()
        self._connections[connection] = time.monotonic() + LINGER_S
        self._watch(connection)

    # -- reading --------------------------------------------------------------------------------

    def _receive(self, connection: Connection) -> None:
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self._drop(connection)
            return
        if self._connections[connection] is not None:  # lingering: discard until EOF
            if not data:
                self._drop(connection)
            return
        connection.last_active = time.monotonic()
        if not data:  # the client is done sending: answer what is complete, then close
            connection.reading = False
            self._process(connection)
            if not connection.busy and not connection.outbox:
                self._drop(connection)
            else:
                connection.closing = True
                self._watch(connection)
            return
        connection.inbox += data
        if len(connection.inbox) > self._inbox_cap:  # unread bytes past any request's bounds
            self._refuse(connection, RequestError(413, "The request is larger than this server "
                                                       "reads; send a smaller body."))  # fmt: skip
            return
        self._process(connection)

    def _process(self, connection: Connection) -> None:
        """Start every complete request in the inbox, in order, until one goes to a thread."""
        while self._ready_for_more(connection):
            try:
                head = connection.head or parse_head(
                    connection.inbox, self.limits, connection.scanned
                )
                if head is None:
                    connection.scanned = len(connection.inbox)
                    break
                connection.head, connection.scanned = head, 0
                if head.expects_continue and not connection.continued:
                    connection.continued = True
                    connection.outbox += b"HTTP/1.1 100 Continue\r\n\r\n"
                    self._flush(connection)
                body = take_body(connection.inbox, head, self.limits)
                if body is None:
                    break
            except RequestError as refused:
                self._refuse(connection, refused)
                return
            connection.head, connection.continued = None, False
            request = self._request(connection, head, body)
            if self.inline(request.environ):
                self._answer(connection, request, run_app(self.app, request.environ))
                continue
            worker = threading.Thread(target=self._work, args=(connection, request),
                                      name="seedream-http-request", daemon=True)  # fmt: skip
            try:
                worker.start()
            except RuntimeError:  # the system has no thread left to give
                busy = "The server has no thread free for this request; retry shortly."
                self._refuse(connection, RequestError(503, busy))
                return
            connection.busy = True
        if self._connections.get(connection, 0) is None:
            self._watch(connection)

    def _ready_for_more(self, connection: Connection) -> bool:
        return (
            connection in self._connections
            and bool(connection.inbox)
            and not (connection.busy or connection.closing or self._stopping.is_set())
            and len(connection.outbox) < OUTBOX_HIGH
        )

    def _request(self, connection: Connection, head: Head, body: bytes) -> _Request:
        environ = self._base_environ.copy()
        environ.update(head.environ)
        environ["REMOTE_ADDR"] = str(connection.peer[0])
        environ["REMOTE_PORT"] = str(connection.peer[1])
        environ["wsgi.input"] = io.BytesIO(body)
        environ[CONNECTION_KEY] = connection
        if head.too_large:  # the rest of its body is never read: no request can follow it
            connection.reading = False
        keep_alive = head.keep_alive and not head.too_large
        return _Request(environ, keep_alive, environ["REQUEST_METHOD"] == "HEAD")

    def _work(self, connection: Connection, request: _Request) -> None:
        self._finished.append((connection, request, run_app(self.app, request.environ)))
        self._wake()

    # -- writing --------------------------------------------------------------------------------

    def _answer(self, connection: Connection, request: _Request, answer: Answer | None) -> None:
        if connection.cut is not None:
            self._drop(connection)
            return
        if answer is None:
            self._refuse(connection, RequestError(500, "The mock server hit an internal error."))
            return
        keep_alive = request.keep_alive and connection.reading and not self._stopping.is_set()
        try:
            data, keep_alive = encode(answer, head_only=request.head_only, keep_alive=keep_alive,
                                      http10=request.environ["SERVER_PROTOCOL"] == "HTTP/1.0",
                                      date=self._date.now(), server=self.server_header)  # fmt: skip
        except (UnicodeEncodeError, ValueError):  # a status or header HTTP cannot carry
            log.exception("the app's answer to %s cannot be sent", request.environ["PATH_INFO"])
            self._refuse(connection, RequestError(500, "The mock server hit an internal error."))
            return
        connection.outbox += data
        if not keep_alive:
            connection.reading = False
            connection.closing = True
        self._flush(connection)

    def _refuse(self, connection: Connection, refused: RequestError) -> None:
        """Answer a request the app never saw, then close the connection."""
        body = self.error_body(refused.status, refused.message)
        connection.outbox += refusal(refused.status, body, date=self._date.now(),
                                     server=self.server_header)  # fmt: skip
        connection.reading = False
        connection.closing = True
        connection.head = None
        self._flush(connection)

    def _flush(self, connection: Connection) -> None:
        if connection.outbox:
            try:
                sent = connection.sock.send(connection.outbox)
            except BlockingIOError:
                sent = 0
            except OSError:
                self._drop(connection)
                return
            del connection.outbox[:sent]
            connection.last_active = time.monotonic()
        if not connection.outbox and connection.closing and not connection.busy:
            if self._connections.get(connection, 0) is None:
                self._close_gently(connection)
            return
        if connection in self._connections:
            self._watch(connection)
