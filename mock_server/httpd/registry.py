"""Every open connection: what the selector watches on each, and how each one ends."""

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


class Registry:
    """The loop's connections (loop thread only), each mapped to its lingering deadline."""

    def __init__(self, selector: selectors.BaseSelector) -> None:
        self._selector = selector
        self._open: dict[Connection, float | None] = {}

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
        if self.lingering(connection) or (connection.reading and not connection.busy
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
        connection.inbox.clear()
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

    def drop_all(self) -> None:
        for connection in list(self._open):
            self.drop(connection)
