"""Kept-alive connections to callback receivers, per origin, reused by the delivery workers.

A connection goes back to the pool only after a whole answer was read from it and the receiver
did not ask to close it; it waits there at most `idle_seconds` (a reaper thread closes it
then, so a receiver's threads are not held for long), and is checked before it is used again:
one the receiver has closed meanwhile is thrown away unused. The pool holds at most
`per_origin` idle connections to one origin (more are never in use at once than the delivery
workers) and `limit` in all; past either bound the oldest idle one is closed.

Connections are kept only where the kernel can be told to acknowledge answers at once
(`sockets.ack_at_once`, Linux): elsewhere a kept connection would stall each answer by the
receiver's Nagle delay, so every attempt has its own connection there, as before.
"""

from __future__ import annotations

import threading

from mock_server.core.clock import monotonic
from mock_server.webhooks.sockets import QUICKACK, Origin
from mock_server.webhooks.wire import Connection

IDLE_SECONDS = 2.0  # about the shortest keep-alive timeout of common servers (gunicorn's 2 s)
LIMIT = 64
KEEPS_ALIVE = QUICKACK is not None

Idle = tuple[float, Connection]  # since when, the connection


class Connections:
    """`take` an idle connection to an origin (or None), `give` one back after a clean answer."""

    def __init__(
        self,
        per_origin: int,
        idle_seconds: float = IDLE_SECONDS,
        limit: int = LIMIT,
        keep: bool = KEEPS_ALIVE,
    ) -> None:
        self.per_origin, self.idle_seconds, self.limit = per_origin, idle_seconds, limit
        self.keep = keep and per_origin > 0 and limit > 0
        self._cond = threading.Condition()
        self._idle: dict[Origin, list[Idle]] = {}  # per origin, the most recently given last
        self._count = 0
        self._reaper: threading.Thread | None = None
        self._closed = False

    @property
    def idle(self) -> int:
        with self._cond:
            return self._count

    def take(self, origin: Origin) -> Connection | None:
        """The most recently used idle connection to `origin` that is still open, or None."""
        gone: list[Connection] = []
        found = None
        with self._cond:
            kept = self._idle.get(origin)
            while kept and found is None:
                _, connection = kept.pop()
                self._count -= 1
                if connection.dropped():
                    gone.append(connection)
                else:
                    found = connection
            if kept == []:
                del self._idle[origin]
        for connection in gone:
            connection.close()
        return found

    def give(self, connection: Connection) -> None:
        """Keep `connection` for the next attempt to its origin (or close it: pool closed or
        not keeping connections)."""
        origin = connection.origin
        with self._cond:
            if not self.keep or self._closed:
                surplus = [connection]
            else:
                self._idle.setdefault(origin, []).append((monotonic(), connection))
                self._count += 1
                surplus = self._trim(origin)
                if self._reaper is None:
                    self._reaper = threading.Thread(
                        target=self._reap, name="seedream-webhook-idle", daemon=True
                    )
                    self._reaper.start()
        for extra in surplus:
            extra.close()

    def _trim(self, origin: Origin) -> list[Connection]:
        """Take out the oldest idle connections past the bounds (lock held)."""
        surplus = []
        kept = self._idle[origin]
        while len(kept) > self.per_origin:
            surplus.append(kept.pop(0)[1])
            self._count -= 1
        while self._count > self.limit:
            oldest = min(self._idle, key=lambda o: self._idle[o][0][0])
            surplus.append(self._idle[oldest].pop(0)[1])
            self._count -= 1
            if not self._idle[oldest]:
                del self._idle[oldest]
        return surplus

    def _reap(self) -> None:
        """Close each connection once it has been idle `idle_seconds`; end when none is left."""
        with self._cond:
            while self._count and not self._closed:
                now = monotonic()
                for origin in list(self._idle):
                    kept = self._idle[origin]
                    while kept and kept[0][0] + self.idle_seconds <= now:
                        kept.pop(0)[1].close()  # a plain close: quick, fine under the lock
                        self._count -= 1
                    if not kept:
                        del self._idle[origin]
                if self._idle:
                    oldest = min(kept[0][0] for kept in self._idle.values())
                    self._cond.wait(oldest + self.idle_seconds - now)
            self._reaper = None

    def close(self) -> None:
        """Close every idle connection; from now on `give` closes what it is given."""
        with self._cond:
            self._closed = True
            idle, self._idle, self._count = self._idle, {}, 0
            self._cond.notify_all()
        for kept in idle.values():
            for _, connection in kept:
                connection.close()
