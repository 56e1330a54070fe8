"""One client connection: its buffers and state in the event loop, and the face it shows the app.

The app reaches its connection as `environ["seedream_mock.connection"]` (a `Connection`) to cut it
on purpose — fault injection's close, reset and hang. Cutting only marks it: the event loop owns
the socket and carries the cut out once the app has returned.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from typing import Any, Literal

from mock_server.httpd.reader import Reader

CONNECTION_KEY = "seedream_mock.connection"
Cut = Literal["close", "reset"]


class Connection:
    """A client connection (the loop's bookkeeping plus the app's handle on it)."""

    def __init__(self, sock: socket.socket, peer: tuple[Any, ...]) -> None:
        self.sock = sock
        self.peer = peer
        self.reader: Reader | None = None  # made on the first bytes (the exchange knows how)
        self.outbox = bytearray()
        self.events = 0  # what the selector watches for now
        self.busy = False  # a request is with a worker thread, or its answer waits for a commit
        # its answer waits for a commit, and no byte came meanwhile: reading stays watched, so
        # a hold of a millisecond costs no selector call (a byte that comes ends that)
        self.committing = False
        self.reading = True  # False once no further request will be read
        self.closing = False  # close as soon as the outbox is sent
        # first byte of a request still being read, head or body (its deadline runs from here)
        self.request_began: float | None = None
        self.last_active = time.monotonic()
        self.cut: Cut | None = None
        self.held = False  # a hang was carried out before the cut (the request log says so)

    def close(self) -> None:
        """End the connection with a FIN and no answer (after the app returns)."""
        self.cut = "close"

    def reset(self) -> None:
        """End the connection with an RST and no answer (after the app returns)."""
        self.cut = "reset"

    def wait_for_hangup(self, seconds: float, stop: threading.Event) -> bool:
        """Hold for up to `seconds` (or until `stop`); True as soon as the client hangs up.
        Called from a worker thread while the loop is not reading this connection."""
        self.held = True
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ)
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                if selector.select(min(left, 0.1)):
                    if self._peer_closed():
                        return True
                    stop.wait(min(left, 0.1))  # bytes waiting (a pipelined request): no spin
        return False

    def _peer_closed(self) -> bool:
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
