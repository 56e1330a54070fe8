"""The listening socket: takes new connections in batches, and backs off when descriptors run out.

Why the back-off: when the process has no file descriptor left, `accept()` fails with EMFILE
(ENFILE for the whole system) and the connection stays in the kernel's backlog, so the socket
is still readable. A loop that keeps watching it wakes at once, fails again and spins a core
while every client waits (about 63 % of a core, measured, with 1,100 idle sockets against
`ulimit -n 1024`). So, while accepting fails for want of descriptors, the listener leaves the
selector for a pause that doubles from 10 ms to 0.5 s; the first accept that succeeds resets it.
The server frees descriptors meanwhile by closing a few of its most expendable connections
(`Registry.expendable`), so a new client is let in rather than left waiting for an idle
timeout.
"""

from __future__ import annotations

import contextlib
import errno
import math
import selectors
import socket
from typing import Any

BATCH = 64  # connections taken per wake-up, so a flood of them cannot starve the others
FIRST_PAUSE_S = 0.01
LONGEST_PAUSE_S = 0.5
_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_GONE = frozenset({errno.ECONNABORTED, errno.EPROTO, errno.EPERM})  # that one client only


class Listener:
    """A bound, listening, non-blocking socket and whether the selector watches it now."""

    def __init__(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, port))
            self.sock.listen(1024)
            self.sock.setblocking(False)
        except OSError:
            self.sock.close()
            raise
        self.port: int = self.sock.getsockname()[1]
        self.starved = False  # the last `accept` ran out of descriptors
        self.resume_at = math.inf  # when a paused listener is watched again
        self._pause_s = FIRST_PAUSE_S
        self._selector: selectors.BaseSelector | None = None
        self._data: Any = None
        self._watched = False

    def watch(self, selector: selectors.BaseSelector, data: Any) -> None:
        self._selector, self._data = selector, data
        self._set_watched(True)

    def accept(self, now: float) -> list[tuple[socket.socket, Any]]:
        """The connections waiting now (at most `BATCH`). When descriptors run out, the
        listener pauses (see the module's docstring) and `starved` says so."""
        taken: list[tuple[socket.socket, Any]] = []
        self.starved = False
        while len(taken) < BATCH:
            try:
                taken.append(self.sock.accept())
            except BlockingIOError:
                break
            except OSError as failed:
                if failed.errno in _GONE:
                    continue
                if failed.errno in _OUT_OF_DESCRIPTORS:
                    self._pause(now, progress=bool(taken))
                break
        if taken and not self.starved:
            self._pause_s = FIRST_PAUSE_S
        return taken

    def _pause(self, now: float, progress: bool) -> None:
        if progress:  # a descriptor was freed since the last pause: keep the pauses short
            self._pause_s = FIRST_PAUSE_S
        self.starved = True
        self._set_watched(False)
        self.resume_at = now + self._pause_s
        self._pause_s = min(self._pause_s * 2, LONGEST_PAUSE_S)

    def resume(self, now: float) -> None:
        """Watch the socket again once its pause is over."""
        if now >= self.resume_at:
            self.resume_at = math.inf
            self._set_watched(True)

    def _set_watched(self, watched: bool) -> None:
        if self._selector is None or watched == self._watched:
            return
        if watched:
            self._selector.register(self.sock, selectors.EVENT_READ, self._data)
        else:
            self._selector.unregister(self.sock)
        self._watched = watched

    def close(self) -> None:
        """Stop watching and close (the selector may already be closed: then only close)."""
        if self._watched and self._selector is not None:
            with contextlib.suppress(KeyError, ValueError, OSError):
                self._selector.unregister(self.sock)
        self._watched = False
        self.resume_at = math.inf
        self.sock.close()
