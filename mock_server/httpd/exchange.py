"""Reading requests off a connection and writing the answers back (on the loop thread only).

Each call is non-blocking: `receive` gives what the socket has to the connection's `Reader`
(llhttp), `process` starts every request it finished — answering it at once when `inline`
allows, else handing it to `spawn` — and `flush` sends what the socket will take. A connection
carries one request at a time, so answers leave in the order the requests came, and a refusal
is sent only after the answers to the requests before it. With durable storage under the app
(`commits`), an answer that must wait for a commit is held meanwhile (`commits.py`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mock_server.httpd.commits import Commits, Held, HeldAnswers
from mock_server.httpd.connection import CONNECTION_KEY, Connection
from mock_server.httpd.journal import ANSWER_KEY, STARTED_KEY, Journal, cut_word
from mock_server.httpd.reader import Reader
from mock_server.httpd.registry import OUTBOX_HIGH, Registry
from mock_server.httpd.requests import Limits, RequestError
from mock_server.httpd.requests import Request as Request  # where server.py finds it
from mock_server.httpd.wsgi import Answer, Date, WsgiApp, encode, refusal, run_app

log = logging.getLogger("mock_server.httpd")
ErrorBody = Callable[[int, str], bytes]
Inline = Callable[[dict[str, Any]], bool]
INTERNAL = "The mock server hit an internal error; see its log."
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


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
    commits: Commits | None = None  # durable storage whose commits answers wait for; or none

    def __post_init__(self) -> None:
        self._date = Date()
        self._processing = False  # `process` is running (so `flush` need not start it)
        self.held = None if self.commits is None else HeldAnswers(self.commits)

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
        if not connection.reading:  # a refusal or an unread body ended this connection
            return
        reader = connection.reader or self._reader(connection)
        reader.feed(data)
        if reader.finished and reader.refused is None:  # a body left unread: nothing follows
            connection.reading = False
        if not reader.in_message:  # HttpServer's head_timeout_s runs from a request's first
            connection.request_began = None  # byte to its last, trickled bytes or not
        elif connection.request_began is None:
            connection.request_began = time.monotonic()
        self.process(connection)

    def _reader(self, connection: Connection) -> Reader:
        """The connection's parser, with the environ every request on it starts from."""
        environ = self.base_environ.copy()
        environ["REMOTE_ADDR"] = str(connection.peer[0])
        environ["REMOTE_PORT"] = str(connection.peer[1])
        environ[CONNECTION_KEY] = connection
        connection.reader = Reader(environ, self.limits)
        return connection.reader

    def process(self, connection: Connection) -> None:
        """Start the requests read whole, in order, until one goes to a thread; then answer a
        refusal that came after them, or tell a client waiting to send a body to go on."""
        reader = connection.reader
        self._processing = True
        try:
            while reader is not None and self._ready_for_more(connection):
                if not reader.ready:
                    self._after_requests(connection, reader)
                    break
                self._start(connection, reader.ready.popleft())
        finally:
            self._processing = False
        if not self.registry.lingering(connection):
            self.registry.watch(connection)

    def _ready_for_more(self, connection: Connection) -> bool:
        return (
            connection in self.registry
            and not (connection.busy or connection.closing or self.stopping.is_set())
            and len(connection.outbox) < OUTBOX_HIGH
        )

    def _start(self, connection: Connection, request: Request) -> None:
        """Answer on the loop, or in a thread of its own. The request log's stopwatch starts
        here: for a pipelined request, once the one before it is answered."""
        if self.journal is not None:
            request.environ[STARTED_KEY] = self.journal.clock()
        if self.inline(request.environ):
            answer = run_app(self.app, request.environ)
            self.settle(connection, request, answer, self.ticket())
        elif self.spawn(connection, request):
            connection.busy = True
        else:
            busy = "The server has no thread free for this request; retry shortly."
            self.refuse(connection, RequestError(503, busy))
            self._tell(request, 503)

    def _after_requests(self, connection: Connection, reader: Reader) -> None:
        if reader.refused is not None:
            self.refuse(connection, reader.refused)
        elif reader.wants_continue and connection.reading:
            reader.wants_continue = False
            # the client waited for this word, not we for its bytes: the clock starts again
            connection.request_began = time.monotonic()
            connection.outbox += CONTINUE
            self.flush(connection)

    # -- waiting for commits ----------------------------------------------------------------------

    def ticket(self) -> int | None:
        """Right after the app answered (on its thread): the commit the answer must wait for."""
        return None if self.commits is None else self.commits.ticket()

    def settle(
        self, connection: Connection, request: Request, answer: Answer | None, ticket: int | None
    ) -> None:
        """Send the answer now, or hold it until its commit has ended (a 500 if that failed)."""
        if ticket is not None and self.held is not None:
            outcome = self.held.outcome(ticket)
            if outcome is None:
                self.held.hold(Held(ticket, connection, request, answer))
                return
            if not outcome:
                answer = None
        self.answer(connection, request, answer)

    def finish(
        self, connection: Connection, request: Request, answer: Answer | None, ticket: int | None
    ) -> None:
        """A request that kept its connection busy (in a thread of its own) has its answer."""
        connection.busy = connection.committing = False
        if connection.request_began is not None:
            # a request pipelined behind this one: nothing was read while the app ran, so that
            # time was the server's, not its client's
            connection.request_began = time.monotonic()
        if connection in self.registry:
            self.settle(connection, request, answer, ticket)
            self.process(connection)

    # -- writing --------------------------------------------------------------------------------

    def answer(self, connection: Connection, request: Request, answer: Answer | None) -> None:
        """Send the app's answer (or carry out its cut, or a 500), saying how the request ended
        just before the client can see it: this is the one place that knows, after every app
        hook and any thread hand-off, and a client that has its answer finds it journaled."""
        if connection.cut is not None:
            self._tell(request, cut_word(connection))
            self.registry.drop(connection)
            return
        data = None if answer is None else self._encode(connection, request, answer)
        if answer is None or data is None:
            self._tell(request, 500)
            self.refuse(connection, RequestError(500, INTERNAL))
            return
        self._tell(request, int(answer.status[:3]), answer)
        connection.outbox += data
        self.flush(connection)

    def _tell(self, request: Request, outcome: int | str, answer: Answer | None = None) -> None:
        if self.journal is None:
            return
        seconds = self.journal.clock() - request.environ[STARTED_KEY]
        if answer is not None:
            request.environ[ANSWER_KEY] = answer
        try:
            self.journal.record(request.environ, outcome, seconds)
        except Exception:  # a broken log costs a line, never the connection
            log.exception("the request log failed on %s", request.environ["PATH_INFO"])

    def _encode(self, connection: Connection, request: Request, answer: Answer) -> bytes | None:
        """The answer's bytes (marking the connection to close after them when it must), or
        None when HTTP cannot carry them (a 500 instead)."""
        keep_alive = request.keep_alive and connection.reading and not self.stopping.is_set()
        try:
            data, keep_alive = encode(
                answer,
                head_only=request.head_only,
                keep_alive=keep_alive,
                http10=request.environ["SERVER_PROTOCOL"] == "HTTP/1.0",
                date=self._date.now(),
                server=self.server_header,
            )
        except (UnicodeEncodeError, ValueError):  # a status or header HTTP cannot carry
            log.exception("the app's answer to %s cannot be sent", request.environ["PATH_INFO"])
            return None
        if not keep_alive:
            connection.reading = False
            connection.closing = True
        return data

    def refuse(self, connection: Connection, refused: RequestError) -> None:
        """Answer a request the app never saw (or could not answer), then close."""
        body = self.error_body(refused.status, refused.message)
        connection.outbox += refusal(
            refused.status, body, date=self._date.now(), server=self.server_header
        )
        connection.reading = False
        connection.closing = True
        connection.reader = None  # what else it read is never answered
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
        if not self._processing and self._held_back(connection):
            self.process(connection)  # it watches the connection when done
            return
        self.registry.watch(connection)

    def _held_back(self, connection: Connection) -> bool:
        """Requests read but not started because the outbox was full, which it no longer is
        (the client may have sent them all and be waiting: no new bytes would start them)."""
        reader = connection.reader
        return (
            reader is not None
            and bool(reader.ready or reader.refused)
            and not (connection.busy or connection.closing)
            and len(connection.outbox) < OUTBOX_HIGH
        )
