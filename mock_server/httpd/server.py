"""The event loop: one thread reads every connection, and runs the app there for fast requests.

Why this shape (measured, bench/README.md): with a thread per request — waitress, or a thread
per connection — a Python server spends more CPU handing requests and the GIL between threads
than running the app, and under 64 busy connections the GIL's unfairness leaves some requests
waiting for hundreds of milliseconds. Here the loop answers fast requests (`inline` says which)
itself, in arrival order, with no hand-off. Anything that may block — a delay or hang injected on
purpose, a PNG render, a control call that waits for the clock — runs in a thread of its own, so
it never holds up anyone else, and hands its answer back to the loop to write.

No client may hold a connection for nothing: a request must arrive whole — its head, and its
body if it has one — within `head_timeout_s` of its first byte however its bytes trickle in,
else a 408 and a close (the name is the option's, `--head-timeout`, kept from when only heads
were timed; a client that waits for "100 Continue" is given the time again from then); a
newcomer past `max_connections`, or past the last file descriptor, makes room by closing the
most expendable connection (the order is in `registry.py`); and when descriptors run out the
listener backs off rather than spinning (`listener.py`).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from mock_server.httpd.commits import Commits
from mock_server.httpd.connection import Connection
from mock_server.httpd.exchange import ErrorBody, Exchange, Inline, Request
from mock_server.httpd.journal import Journal
from mock_server.httpd.listener import Listener
from mock_server.httpd.registry import READ, WRITE, Registry
from mock_server.httpd.requests import Limits, RequestError
from mock_server.httpd.wsgi import Answer, WsgiApp, run_app

log = logging.getLogger("mock_server.httpd")
_LISTENER, _WAKE = object(), object()
# connections closed each time accept() runs out of descriptors: a few, so that newcomers
# queued in the backlog get in a few pauses apart rather than one a pause
ROOM_AT_EMFILE = 8


def _never(environ: dict[str, Any]) -> bool:
    return False


class HttpServer:
    """Serves `app` on `host:port` (port 0: a free one) until `stop_soon()`."""

    def __init__(
        self,
        app: WsgiApp,
        host: str,
        port: int,
        *,
        error_body: ErrorBody,
        limits: Limits | None = None,
        inline: Inline = _never,
        server_header: str = "seedream-mock",
        journal: Journal | None = None,
        head_timeout_s: float = 10.0,
        commits: Commits | None = None,
    ) -> None:
        self.app = app
        self.limits = limits or Limits()
        self._listener = Listener(host, port)
        self.port: int = self._listener.port
        self.head_timeout_s = head_timeout_s
        # the request deadline is checked when connections are reaped: often enough to keep it
        self._reap_every_s = min(1.0, head_timeout_s / 4)
        self._stopping = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)
        self._wake_r.setblocking(False)
        self._commit_ended = False  # a commit ended since the held answers were looked at
        # answers made in threads of their own, each with the commit it waits for (or None)
        self._finished: collections.deque[tuple[Connection, Request, Answer | None, int | None]] = (
            collections.deque()
        )
        self._selector = selectors.DefaultSelector()
        self._serving = False
        self._registry = Registry(self._selector)
        base_environ = {
            "SCRIPT_NAME": "",
            "SERVER_NAME": host,
            "SERVER_PORT": str(self.port),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        self._exchange = Exchange(
            app,
            self.limits,
            self._registry,
            base_environ,
            error_body,
            server_header,
            inline,
            self._spawn,
            self._stopping,
            journal,
            commits,
        )
        if commits is not None:
            commits.on_commit(self._on_commit)

    def serve_forever(self, grace_s: float = 5.0) -> None:
        """Serve until `stop_soon()`; then finish running requests (up to `grace_s`) and close."""
        self._serving = True
        self._listener.watch(self._selector, _LISTENER)
        self._selector.register(self._wake_r, READ, _WAKE)
        try:
            next_reap = time.monotonic() + self._reap_every_s
            while not self._stopping.is_set():
                wake_at = min(next_reap, self._listener.resume_at)
                self._tick(max(0.0, wake_at - time.monotonic()))
                now = time.monotonic()
                self._listener.resume(now)
                if now >= next_reap:
                    self._reap(now)
                    next_reap = now + self._reap_every_s
            self._drain(grace_s)
        finally:
            self._registry.drop_all()
            self._close_sockets()

    def close(self) -> None:
        """Release the sockets of a server that was bound but never served (serving closes
        them itself when it ends)."""
        if not self._serving:
            self._close_sockets()

    def _close_sockets(self) -> None:
        self._listener.close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

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
                if self._commit_ended:  # by another thread: a round may take a while
                    self._send_committed()
        while self._finished:
            self._guarded(self._exchange.finish, *self._finished.popleft())
        self._commit_held()

    def _commit_held(self) -> None:
        """One commit for every answer held (unless another thread's commit carried them
        already), then send them. Once a round, when every request that was ready is served:
        committing sooner for the first answers of a long round (64 requests ready take 20 ms)
        was measured, and made more commits, fewer answers a second and p99 no better (after
        2 ms: 2,440 req/s, p99 61 ms; after 10 ms: 2,830 and 55; at the round's end: 2,840
        and 51; after every request: 1,600 and 66)."""
        self._send_committed()
        held = self._exchange.held
        if held:
            try:
                held.commits.commit()
            except Exception:  # it must not raise; if it does, the answers wait for another
                log.exception("seedream-mock's commit for the answers it holds failed")
            self._send_committed()

    def _send_committed(self) -> None:
        """Send the held answers whose commit has ended (a 500 for those whose failed)."""
        self._commit_ended = False  # first: a commit ending during the look sets it again
        holder = self._exchange.held
        if not holder:
            return
        for held, committed in holder.due():
            answer = held.answer if committed else None  # not kept: a 500 instead
            self._guarded(self._exchange.finish, held.connection, held.request, answer, None)

    def _guarded(self, step: Callable[..., None], connection: Connection, *args: Any) -> None:
        """One connection's step; a bug in it costs that connection, never the loop."""
        try:
            step(connection, *args)
        except Exception:
            log.exception("seedream-mock's HTTP server failed on a connection; closing it")
            self._registry.drop(connection)

    def _on_ready(self, connection: Connection, mask: int) -> None:
        if mask & WRITE:
            self._exchange.flush(connection)
        if mask & READ and connection.committing:  # bytes while its answer waits for a commit:
            connection.committing = False  # they wait too, unread, and are not watched meanwhile
            self._registry.watch(connection)
        elif mask & READ and connection in self._registry:
            self._exchange.receive(connection)

    def _on_commit(self) -> None:
        """A commit ended (called on the committing thread): the loop looks at its held
        answers between two connections, or now if it waits in `select`. No race: the loop
        holds an answer before it looks at the outcomes, and a commit that ends after that
        look finds the answer held and the loop told."""
        self._commit_ended = True
        if self._exchange.held:
            self._wake()

    def _drain(self, grace_s: float) -> None:
        """Stop accepting; close idle connections; let requests in flight finish and be sent."""
        self._listener.close()
        for connection in self._registry.all():
            connection.reading = False
            if not connection.busy and not connection.outbox:
                self._registry.drop(connection)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(c.busy or c.outbox for c in self._registry.all()):
            self._tick(0.05)

    def _reap(self, now: float) -> None:
        """Close idle and lingering connections; answer 408 to requests past their deadline."""
        self._registry.reap(self.limits.idle_timeout_s)
        for connection in self._registry.overdue(now, self.head_timeout_s):
            part = "head" if connection.reader is not None and connection.reader.in_head else "body"
            late = f"The request {part} did not arrive whole within {self.head_timeout_s:g} s."
            self._exchange.refuse(connection, RequestError(408, late))

    def _accept(self) -> None:
        for sock, peer in self._listener.accept(time.monotonic()):
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            full = len(self._registry) >= self.limits.max_connections and not self._make_room()
            connection = Connection(sock, peer)
            self._registry.add(connection)
            if full:
                busy = (
                    f"The server holds {self.limits.max_connections} connections, each with "
                    "a request under way; retry shortly."
                )
                self._exchange.refuse(connection, RequestError(503, busy))
            else:
                self._registry.watch(connection)
        if self._listener.starved:  # out of descriptors: free some for when it tries again
            for _ in range(ROOM_AT_EMFILE):
                if not self._make_room():
                    break

    def _make_room(self) -> bool:
        """Close the most expendable connection (see `registry.py`); False if none may be.
        One caught half-way through a request is told why first, as well as it can be."""
        victim = self._registry.expendable()
        if victim is None:
            return False
        if victim.request_began is not None and not self._registry.lingering(victim):
            shed = (
                "The server is full and closed this connection, the slowest to send its "
                "request; retry."
            )
            self._exchange.refuse(victim, RequestError(503, shed))
        self._registry.drop(victim)
        return True

    def _spawn(self, connection: Connection, request: Request) -> bool:
        """Run the app for this request in a thread of its own; False if none can be had."""
        worker = threading.Thread(
            target=self._work, args=(connection, request), name="seedream-http-request", daemon=True
        )
        try:
            worker.start()
        except RuntimeError:  # the system has no thread left to give
            return False
        return True

    def _work(self, connection: Connection, request: Request) -> None:
        answer = run_app(self.app, request.environ)
        self._finished.append((connection, request, answer, self._exchange.ticket()))
        self._wake()
