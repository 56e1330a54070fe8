"""Sockets to callback receivers, each bound by one attempt's deadline.

The timeout is a deadline for the whole attempt (name resolution, connect, TLS handshake, send,
the answer's head and body), not a bound on each socket call: with a plain socket timeout, a
receiver that trickles a byte just inside it can hold an attempt, and a worker, for as long as
it likes. So every blocking call on the attempt's socket gets only the time left
(`DeadlineSocket`); a kept socket is given the next attempt's deadline before it is used
again (`wire.Connection.exchange`). Name resolution, which no stdlib call can bound, runs on
a helper thread that the attempt stops waiting for when its time is up (`_resolve`).
"""

from __future__ import annotations

import functools
import math
import select
import socket
import ssl
import threading
from typing import Any, NamedTuple, cast
from urllib.parse import urlsplit

from mock_server.core.clock import monotonic

# Linux's switch that makes the kernel acknowledge what arrives at once. Without it a kept
# connection stalls ~40 ms per answer (see `ack_at_once`); where it is missing, connections
# are not kept (`connections.KEEPS_ALIVE`).
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)
LOOKUPS = 8  # name resolutions in flight at once; one that hangs holds its thread till it ends
_lookups = threading.BoundedSemaphore(LOOKUPS)


class Origin(NamedTuple):
    """Where a callback goes: connections are kept per origin."""

    scheme: str
    host: str
    port: int

    @property
    def secure(self) -> bool:
        return self.scheme == "https"


def target(url: str) -> tuple[Origin, str]:
    """The origin of `url` and the request target sent to it (path and query)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    default = 443 if scheme == "https" else 80
    origin = Origin(scheme, parts.hostname or "", parts.port or default)
    return origin, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class DeadlineSocket(socket.socket):
    """A socket whose blocking calls each get only the time left until `deadline` (a kept
    socket is given the next attempt's deadline before it is used again)."""

    deadline: float = math.inf

    def arm(self) -> None:
        if self.deadline == math.inf:
            return  # not yet given one (a TLS socket while it is being built)
        left = self.deadline - monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        self.settimeout(left)

    def connect(self, *args: Any, **kwargs: Any) -> None:
        self.arm()
        super().connect(*args, **kwargs)

    def recv_into(self, *args: Any, **kwargs: Any) -> int:
        self.arm()
        return super().recv_into(*args, **kwargs)

    def recv(self, *args: Any, **kwargs: Any) -> bytes:
        self.arm()
        return super().recv(*args, **kwargs)

    def send(self, *args: Any, **kwargs: Any) -> int:
        self.arm()
        return super().send(*args, **kwargs)

    def sendall(self, *args: Any, **kwargs: Any) -> None:
        self.arm()  # one total bound: CPython's sendall does not restart it per chunk
        super().sendall(*args, **kwargs)


class DeadlineTLSSocket(DeadlineSocket, ssl.SSLSocket):
    """The same over TLS (SSLSocket reads and writes through its own methods, so the
    deadline must sit above them); the handshake is bounded too."""

    def do_handshake(self, *args: Any, **kwargs: Any) -> None:
        self.arm()
        super().do_handshake(*args, **kwargs)


def _left(deadline: float) -> float:
    return max(deadline - monotonic(), 0.0)


def _addresses(host: str, port: int, deadline: float) -> list[Any]:
    try:  # an address literal (the usual loopback callback) needs no resolver
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        return _resolve(host, port, deadline)


def _resolve(host: str, port: int, deadline: float) -> list[Any]:
    """`getaddrinfo` within the deadline: it runs on a daemon thread, and on time-out the attempt
    fails while the lookup finishes (or hangs) on its own; at most LOOKUPS run at once."""
    if not _lookups.acquire(timeout=_left(deadline)):
        raise TimeoutError("timed out")
    outcome: list[Any] = []
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except Exception as exc:  # gaierror, or UnicodeError for a name IDNA refuses
            outcome.append(exc)
        finally:
            _lookups.release()
            done.set()

    threading.Thread(target=lookup, name="seedream-webhook-resolve", daemon=True).start()
    if not done.wait(_left(deadline)):
        raise TimeoutError("timed out")
    if isinstance(outcome[0], Exception):
        raise outcome[0]
    return cast(list[Any], outcome[0])


def _open(address: tuple[str, int], deadline: float) -> DeadlineSocket:
    """`socket.create_connection`, but every address tried shares the one deadline."""
    error: OSError = OSError(f"no address found for {address[0]!r}")
    for family, kind, proto, _, where in _addresses(*address, deadline):
        sock = DeadlineSocket(family, kind, proto)
        sock.deadline = deadline
        try:
            sock.connect(where)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


def connect(origin: Origin, deadline: float) -> DeadlineSocket:
    """A socket connected to `origin`, through the TLS handshake for https, by the deadline."""
    sock = _open((origin.host, origin.port), deadline)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not origin.secure:
            return sock
        # The context's sslsocket_class; wrapping detaches `sock`, closing it then does nothing.
        wrapped = cast(
            DeadlineTLSSocket,
            _tls().wrap_socket(sock, server_hostname=origin.host, do_handshake_on_connect=False),
        )
    except BaseException:
        sock.close()
        raise
    try:
        wrapped.deadline = deadline
        wrapped.do_handshake()
    except BaseException:
        wrapped.close()
        raise
    return wrapped


def ack_at_once(sock: socket.socket) -> None:
    """Acknowledge the answer's segments as they come. Receivers on `http.server` or Werkzeug
    write the head and the body in two small segments without TCP_NODELAY, so Nagle holds the
    body until the head is acknowledged; on a kept connection Linux delays that ACK (it has seen
    request follow answer) by ~40 ms per answer. A fresh connection starts in quick-ACK mode;
    this puts a kept one back in it. Set after the request is sent, as Linux leaves the mode
    again on its own."""
    if QUICKACK is not None:
        sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)


def readable(sock: socket.socket) -> bool:
    """Whether anything waits to be read (bytes, the end of the stream, a reset): on an idle
    connection, a sign that the receiver closed it or sent something nobody asked for."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    try:
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):  # closed under us
        return True


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying context for every attempt (building one loads the CA store each time)."""
    context = ssl.create_default_context()
    context.sslsocket_class = DeadlineTLSSocket
    return context
