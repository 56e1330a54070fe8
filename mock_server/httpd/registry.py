"""Every open connection: what the selector watches on each, and how each one ends.

When room is needed — a new client at `max_connections`, or `accept()` out of descriptors — the
server closes the most expendable connection rather than turning the newcomer away (a 503 only
when no connection may be closed). The order, most expendable first:

1. connections already answered and closing (lingering): only their leftovers are being read;
2. then the one that has gone longest without giving us a whole request: the time since its
   request began when one is half-read, head or body (trickled bytes do not count as progress),
   else since it was last active (an idle keep-alive connection, or one that never sent a byte).

Never closed: a connection whose request is with the app or whose answer is still being sent,
so shedding loses no work. One order covers both kinds of slowloris, and a normal client is
safe from both: its heads arrive whole in a millisecond and it is idle for moments, while a
trickled request or a silent socket grows stale by the second. Idle keep-alive connections are
not put first: an attacker who reconnects would then close every normal client's connection
between its requests, while the trickled requests it holds were kept.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import struct
import time

from mock_server.httpd.connection import Connection

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
OUTBOX_HIGH = 1024 * 1024  # stop reading new requests while this much is still unsent
LINGER_S = 2.0  # after the last answer, how long unread request bytes are drained
ORDER_S = 0.5  # how long one sorting of the expendable connections is used (one sort a flood)


class Registry:
    """The loop's connections (loop thread only), each mapped to its lingering deadline."""

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self._selector = selector
        self._open: dict[Connection, float | None] = {}
        self._order: list[Connection] = []  # expendable connections, the most expendable last
        self._order_until = 0.0
        self._order_found_none = False

    def __contains__(self, connection: object) -> bool:
        return connection in self._open

    def __len__(self) -> int:
        return len(self._open)

    def all(self) -> list[Connection]:
        return list(self._open)

    def add(self, connection: Connection) -> None:
        self._open[connection] = None

    def lingering(self, connection: Connection) -> bool:
        """Its last answer is sent and its client's leftovers are being drained."""
        return self._open.get(connection) is not None

    def watch(self, connection: Connection) -> None:
        """Point the selector at what this connection waits for now."""
        if connection not in self._open:
            return
        wanted = WRITE if connection.outbox else 0
        idle = not connection.busy or connection.committing
        if self.lingering(connection) or (
            connection.reading and idle and len(connection.outbox) < OUTBOX_HIGH
        ):
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

    def drop(self, connection: Connection) -> None:
        """Forget the connection and close its socket (an RST if the app asked for a reset)."""
        if self._open.pop(connection, False) is False:
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

    def close_gently(self, connection: Connection) -> None:
        """All sent: send FIN, then read and discard what the client still sends for a moment,
        so closing with unread bytes does not turn into an RST that eats our last answer."""
        if connection.busy or self.lingering(connection) or connection not in self._open:
            return
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_WR)
        connection.reader = None  # requests read but never to be answered
        self._open[connection] = time.monotonic() + LINGER_S
        self.watch(connection)

    def reap(self, idle_timeout_s: float) -> None:
        """Close connections idle past the limit, and lingering ones past their deadline."""
        now = time.monotonic()
        for connection, linger_until in list(self._open.items()):
            if connection.busy:
                continue
            lingered = linger_until is not None and now > linger_until
            if lingered or connection.last_active < now - idle_timeout_s:
                self.drop(connection)

    def overdue(self, now: float, timeout_s: float) -> list[Connection]:
        """Connections still reading a request (head or body) that began over `timeout_s` ago."""
        cutoff = now - timeout_s
        return [
            connection
            for connection, linger_until in self._open.items()
            if linger_until is None
            and connection.request_began is not None
            and connection.request_began < cutoff
            and connection.reading
            and not connection.busy
        ]

    def expendable(self) -> Connection | None:
        """The connection to close when room is needed (the order is in the module's
        docstring), or None when every one has a request with the app or an answer unsent.
        One sorting serves for `ORDER_S` or until it is used up, so a flood of newcomers costs
        a sort now and then, not a scan each; one that found nothing is not redone sooner."""
        now = time.monotonic()
        if now >= self._order_until:
            self._order = []
        for fresh in (False, True):
            while self._order:
                connection = self._order.pop()
                if self._closable(connection):
                    return connection
            if fresh or (now < self._order_until and self._order_found_none):
                break
            closable = [c for c in self._open if self._closable(c)]
            self._order = sorted(closable, key=self._expendability)
            self._order_until, self._order_found_none = now + ORDER_S, not closable
        return None

    def _closable(self, connection: Connection) -> bool:
        return connection in self._open and not connection.busy and not connection.outbox

    def _expendability(self, connection: Connection) -> tuple[bool, float]:
        """Sorts ascending: lingering ones last, and among the others the stalest last."""
        began = connection.request_began
        return self.lingering(connection), -(connection.last_active if began is None else began)

    def drop_all(self) -> None:
        for connection in list(self._open):
            self.drop(connection)
