"""One webhook attempt over real HTTP: bounded in time and in bytes read; never follows redirects.

Runs on a worker thread, outside every lock, so a slow receiver never holds up the API.

The timeout is a deadline for the whole attempt (connect, TLS handshake, send, the answer's
head and body), not a bound on each socket call: with a plain socket timeout, a receiver that
trickles a byte just inside it can hold an attempt, and a worker, for as long as it likes. So
every blocking call on the attempt's socket gets only the time left (`_DeadlineSocket`).
Name resolution is the one step no stdlib call can bound; callback hosts are usually loopback.
"""

from __future__ import annotations

import functools
import http.client
import math
import socket
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, cast
from urllib.parse import urlsplit

from mock_server.core.clock import monotonic, wall_time

READ_LIMIT = 64 * 1024  # bytes of a receiver's answer we read at most
EXCERPT_CHARS = 500  # of which the attempt log keeps this much
MAX_RETRY_AFTER = 24 * 3600.0


@dataclass(frozen=True)
class AttemptResult:
    """What one POST produced: a status, or an error, and how long it took."""

    status: int | None
    error: str | None
    latency_ms: float
    excerpt: str = ""
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date from now; None if absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - wall_time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> AttemptResult:
    """POST `body` to `url` within `timeout` seconds in all; any exception becomes an error
    result, never a raise (a raise would leave the delivery waiting for an attempt that never
    ran)."""
    started = monotonic()
    deadline = started + timeout
    connection: http.client.HTTPConnection | None = None
    try:
        parts = urlsplit(url)
        secure = parts.scheme.lower() == "https"
        connection = (_TLSConnection if secure else _Connection)(parts.netloc, deadline)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = _read_capped(response)
        status = response.status
        error = None
        if 300 <= status < 400:
            error = f"redirect to {response.getheader('Location')!r} not followed"
        retry_after = None
        if status in (429, 503):
            retry_after = retry_after_seconds(response.getheader("Retry-After"))
        elapsed = (monotonic() - started) * 1000
        return AttemptResult(status, error, elapsed, excerpt, retry_after)
    except TimeoutError:
        return _failed(started, f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # e.g. a URL no validation foresaw: still an attempt, failed
        return _failed(started, f"{type(exc).__name__}: {exc}")
    finally:
        if connection is not None:
            connection.close()


class _DeadlineSocket(socket.socket):
    """A socket whose blocking calls each get only the time left until `deadline`."""

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

    def send(self, *args: Any, **kwargs: Any) -> int:
        self.arm()
        return super().send(*args, **kwargs)

    def sendall(self, *args: Any, **kwargs: Any) -> None:
        self.arm()  # one total bound: CPython's sendall does not restart it per chunk
        super().sendall(*args, **kwargs)


class _DeadlineTLSSocket(_DeadlineSocket, ssl.SSLSocket):
    """The same over TLS (SSLSocket reads and writes through its own methods, so the
    deadline must sit above them); the handshake is bounded too."""

    def do_handshake(self, *args: Any, **kwargs: Any) -> None:
        self.arm()
        super().do_handshake(*args, **kwargs)


def _open(address: tuple[str, int], deadline: float) -> _DeadlineSocket:
    """`socket.create_connection`, but every address tried shares the one deadline."""
    error: OSError = OSError(f"no address found for {address[0]!r}")
    for family, kind, proto, _, target in socket.getaddrinfo(*address, type=socket.SOCK_STREAM):
        sock = _DeadlineSocket(family, kind, proto)
        sock.deadline = deadline
        try:
            sock.connect(target)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error


class _Connection(http.client.HTTPConnection):
    def __init__(self, netloc: str, deadline: float) -> None:
        super().__init__(netloc, timeout=max(deadline - monotonic(), 0.001))
        self._create_connection = lambda address, *_: _open(address, deadline)
        self.deadline = deadline


class _TLSConnection(http.client.HTTPSConnection):
    def __init__(self, netloc: str, deadline: float) -> None:
        super().__init__(netloc, timeout=max(deadline - monotonic(), 0.001), context=_tls())
        self._create_connection = lambda address, *_: _open(address, deadline)
        self.deadline = deadline

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP only; the handshake follows, bounded
        wrapped = _tls().wrap_socket(
            self.sock, server_hostname=self.host, do_handshake_on_connect=False
        )
        sock = cast(_DeadlineTLSSocket, wrapped)  # the context's sslsocket_class
        sock.deadline = self.deadline
        self.sock = sock
        sock.do_handshake()


@functools.cache
def _tls() -> ssl.SSLContext:
    """One verifying context for every attempt (building one loads the CA store each time)."""
    context = ssl.create_default_context()
    context.sslsocket_class = _DeadlineTLSSocket
    return context


def _read_capped(response: http.client.HTTPResponse) -> str:
    received = b""
    while len(received) < READ_LIMIT:
        chunk = response.read1(READ_LIMIT - len(received))
        if not chunk:
            break
        received += chunk
    return received[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _failed(started: float, error: str) -> AttemptResult:
    return AttemptResult(None, error, (monotonic() - started) * 1000)
