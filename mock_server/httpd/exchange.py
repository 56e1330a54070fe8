"""Reading requests off a connection and writing the answers back (on the loop thread only).

Each call is non-blocking: `receive` takes what the socket has, `process` starts every request
that is complete — answering it at once when `inline` allows, else handing it to `spawn` — and
`flush` sends what the socket will take. A connection carries one request at a time, so answers
leave in the order the requests came.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_server.httpd.connection import CONNECTION_KEY, Connection
from mock_server.httpd.journal import STARTED_KEY, Journal, cut_word
from mock_server.httpd.registry import OUTBOX_HIGH, Registry
from mock_server.httpd.requests import Head, Limits, RequestError, parse_head, take_body
from mock_server.httpd.wsgi import Answer, Date, WsgiApp, encode, refusal, run_app

log = logging.getLogger("mock_server.httpd")
ErrorBody = Callable[[int, str], bytes]
Inline = Callable[[dict[str, Any]], bool]
INTERNAL = "The mock server hit an internal error; see its log."


@dataclass
class Request:
    """A request read whole: what the app gets, and how its answer is to be framed."""

    environ: dict[str, Any]
    keep_alive: bool
    head_only: bool


@dataclass
class Exchange:
    """The HTTP conversation on every connection of one server."""

    app: WsgiApp
    limits: Limits
    registry: Registry
    base_environ: dict[str, Any]
    error_body: ErrorBody
    server_header: str
    inline: Inline
    spawn: Callable[[Connection, Request], bool]  # run in a thread; False: no thread to be had
    stopping: threading.Event
    journal: Journal | None = None  # told how each request ended (`--log-requests`); or nobody

    def __post_init__(self) -> None:
        self._date = Date()
        self._inbox_cap = 2 * (self.limits.max_head_bytes + self.limits.max_body_bytes)

    # -- reading --------------------------------------------------------------------------------

    def receive(self, connection: Connection) -> None:
        try:
            data = connection.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self.registry.drop(connection)
            return
        if self.registry.lingering(connection):  # discard until the client closes
            if not data:
                self.registry.drop(connection)
            return
        connection.last_active = time.monotonic()
        if not data:  # the client is done sending: answer what is complete, then close
            connection.reading = False
            self.process(connection)
            if not connection.busy and not connection.outbox:
                self.registry.drop(connection)
            else:
                connection.closing = True
                self.registry.watch(connection)
            return
        connection.inbox += data
        if len(connection.inbox) > self._inbox_cap:  # unread bytes past any request's bounds
            self.refuse(connection, RequestError(413, "The request is larger than this server "
                                                      "reads; send a smaller body."))  # fmt: skip
            return
        self.process(connection)

    def process(self, connection: Connection) -> None:
        """Start every complete request in the inbox, in order, until one goes to a thread."""
        while self._ready_for_more(connection):
            try:
                request = self._read_request(connection)
            except RequestError as refused:
                self.refuse(connection, refused)
                return
            if request is None:
                break
            if self.inline(request.environ):
                self.answer(connection, request, run_app(self.app, request.environ))
            elif self.spawn(connection, request):
                connection.busy = True
            else:
                busy = "The server has no thread free for this request; retry shortly."
                self.refuse(connection, RequestError(503, busy))
                self._tell(request, 503)
                return
        if not self.registry.lingering(connection):
            self.registry.watch(connection)

    def _ready_for_more(self, connection: Connection) -> bool:
        return (
            connection in self.registry
            and bool(connection.inbox)
            and not (connection.busy or connection.closing or self.stopping.is_set())
            and len(connection.outbox) < OUTBOX_HIGH
        )

    def _read_request(self, connection: Connection) -> Request | None:
        """The next whole request from the inbox, or None until more bytes arrive."""
        head = connection.head or parse_head(connection.inbox, self.limits, connection.scanned)
        if head is None:
            connection.scanned = len(connection.inbox)
            if connection.head_began is None and connection.inbox:  # HttpServer's head_timeout_s
                connection.head_began = time.monotonic()  # from here, trickled bytes or not
            return None
        connection.head, connection.scanned, connection.head_began = head, 0, None
        if head.expects_continue and not connection.continued:
            connection.continued = True
            connection.outbox += b"HTTP/1.1 100 Continue\r\n\r\n"
            self.flush(connection)
        body = take_body(connection.inbox, head, self.limits)
        if body is None:
            return None
        connection.head, connection.continued = None, False
        return self._request(connection, head, body)

    def _request(self, connection: Connection, head: Head, body: bytes) -> Request:
        environ = self.base_environ.copy()
        environ.update(head.environ)
        environ["REMOTE_ADDR"] = str(connection.peer[0])
        environ["REMOTE_PORT"] = str(connection.peer[1])
        environ["wsgi.input"] = io.BytesIO(body)
        environ[CONNECTION_KEY] = connection
        if self.journal is not None:
            environ[STARTED_KEY] = self.journal.clock()
        if head.too_large:  # the rest of its body is never read: no request can follow it
            connection.reading = False
        keep_alive = head.keep_alive and not head.too_large
        return Request(environ, keep_alive, environ["REQUEST_METHOD"] == "HEAD")

    # -- writing --------------------------------------------------------------------------------

    def answer(self, connection: Connection, request: Request, answer: Answer | None) -> None:
        """Send the app's answer (or carry out its cut), then say how the request ended: this
        is the one place that knows, after every app hook and any thread hand-off."""
        outcome = self._deliver(connection, request, answer)
        self._tell(request, outcome)

    def _tell(self, request: Request, outcome: int | str) -> None:
        if self.journal is None:
            return
        seconds = self.journal.clock() - request.environ[STARTED_KEY]
        try:
            self.journal.record(request.environ, outcome, seconds)
        except Exception:  # a broken log costs a line, never the connection
            log.exception("the request log failed on %s", request.environ["PATH_INFO"])

    def _deliver(self, connection: Connection, request: Request,
                 answer: Answer | None) -> int | str:  # fmt: skip
        """Send the app's answer; or carry out the cut the app asked for; or a 500. Returns the
        status sent, or the word for the cut."""
        if connection.cut is not None:
            self.registry.drop(connection)
            return cut_word(connection)
        if answer is None:
            self.refuse(connection, RequestError(500, INTERNAL))
            return 500
        keep_alive = request.keep_alive and connection.reading and not self.stopping.is_set()
        try:
            data, keep_alive = encode(answer, head_only=request.head_only, keep_alive=keep_alive,
                                      http10=request.environ["SERVER_PROTOCOL"] == "HTTP/1.0",
                                      date=self._date.now(), server=self.server_header)  # fmt: skip
        except (UnicodeEncodeError, ValueError):  # a status or header HTTP cannot carry
            log.exception("the app's answer to %s cannot be sent", request.environ["PATH_INFO"])
            self.refuse(connection, RequestError(500, INTERNAL))
            return 500
        connection.outbox += data
        if not keep_alive:
            connection.reading = False
            connection.closing = True
        self.flush(connection)
        return int(answer.status[:3])

    def refuse(self, connection: Connection, refused: RequestError) -> None:
        """Answer a request the app never saw (or could not answer), then close."""
        body = self.error_body(refused.status, refused.message)
        connection.outbox += refusal(refused.status, body, date=self._date.now(),
                                     server=self.server_header)  # fmt: skip
        connection.reading = False
        connection.closing = True
        connection.head = None
        self.flush(connection)

    def flush(self, connection: Connection) -> None:
        """Send what the socket takes now; the selector says when it takes more."""
        if connection.outbox:
            try:
                sent = connection.sock.send(connection.outbox)
            except BlockingIOError:
                sent = 0
            except OSError:
                self.registry.drop(connection)
                return
            del connection.outbox[:sent]
            connection.last_active = time.monotonic()
        if not connection.outbox and connection.closing and not connection.busy:
            self.registry.close_gently(connection)
            return
        self.registry.watch(connection)
