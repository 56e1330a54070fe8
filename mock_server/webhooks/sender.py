"""One webhook attempt over real HTTP: bounded in time and in bytes read; never follows redirects.

Runs on a worker thread, outside every lock, so a slow receiver never holds up the API. The
timeout is a deadline for the whole attempt, name resolution included (`sockets.py`). With a
pool (`connections.py`) an attempt goes over a kept connection when there is one; if that
connection turns out to have been closed by the receiver before any byte of the answer came,
the request is sent once more at once on a new connection, within the same deadline and as
the same attempt (the receiver never saw it); any other failure is the attempt's.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from mock_server.core.clock import monotonic, wall_time
from mock_server.webhooks.connections import Connections
from mock_server.webhooks.sockets import (
    Connection,
    Origin,
    ack_at_once,
    answered,
    new_connection,
    rearm,
    target,
)

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


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    connections: Connections | None = None,
) -> AttemptResult:
    """POST `body` to `url` within `timeout` seconds in all; any exception becomes an error
    result, never a raise (a raise would leave the delivery waiting for an attempt that never
    ran). With `connections`, a kept connection to the receiver is used if there is one, and
    this one is kept after a clean answer."""
    started = monotonic()
    deadline = started + timeout
    try:
        origin, path = target(url)
        request = _Request(origin, path, body, headers, started, deadline)
        kept = connections.take(origin) if connections is not None else None
        if kept is not None:
            try:
                return _exchange(kept, request, connections, reused=True)
            except _Stale:
                pass  # the receiver had closed it and never saw this request: once more, fresh
        return _exchange(new_connection(origin, deadline), request, connections, reused=False)
    except TimeoutError:
        return _failed(started, f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # e.g. a URL no validation foresaw: still an attempt, failed
        return _failed(started, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class _Request:
    origin: Origin
    path: str
    body: bytes
    headers: dict[str, str]
    started: float  # when the attempt began: its latency counts a stale try too
    deadline: float


class _Stale(Exception):
    """A kept connection failed before any byte of the answer: the receiver had closed it."""


def _exchange(
    connection: Connection,
    request: _Request,
    connections: Connections | None,
    *,
    reused: bool,
) -> AttemptResult:
    """One request and its answer on `connection`, which is then kept or closed. A kept
    connection that fails with a closed or reset connection before any byte of the answer
    arrived raises `_Stale` (what HTTP clients retry: the receiver closed an idle connection as
    the request went out); every other failure is the attempt's."""
    rearm(connection, request.deadline)
    try:
        connection.request("POST", request.path, body=request.body, headers=request.headers)
        ack_at_once(connection)
        response = connection.getresponse()
        excerpt = _read_capped(response)
    except Exception as exc:
        stale = reused and _closed_under_us(exc) and not answered(connection)
        connection.close()
        if stale:
            raise _Stale from exc
        raise
    if connections is not None and response.isclosed() and connection.sock is not None:
        connections.give(request.origin, connection)  # read to its end, and not closing
    else:
        connection.close()
    return _result(response, excerpt, request.started)


def _closed_under_us(exc: Exception) -> bool:
    return isinstance(exc, ConnectionError | ssl.SSLEOFError | ssl.SSLZeroReturnError)


def _result(response: http.client.HTTPResponse, excerpt: str, started: float) -> AttemptResult:
    status = response.status
    error = None
    if 300 <= status < 400:
        error = f"redirect to {response.getheader('Location')!r} not followed"
    retry_after = None
    if status in (429, 503):
        retry_after = retry_after_seconds(response.getheader("Retry-After"))
    return AttemptResult(status, error, (monotonic() - started) * 1000, excerpt, retry_after)


def _read_capped(response: http.client.HTTPResponse) -> str:
    """At most READ_LIMIT bytes of the answer; an answer that fits is read to its end, which
    `read` (unlike `read1`) marks by closing the response, so its connection can be kept."""
    received = response.read(READ_LIMIT)
    return received[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _failed(started: float, error: str) -> AttemptResult:
    return AttemptResult(None, error, (monotonic() - started) * 1000)
