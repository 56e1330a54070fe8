"""One webhook attempt over real HTTP: bounded in time and in bytes read; never follows redirects.

Runs on a worker thread, outside every lock, so a slow receiver never holds up the API. The
timeout is a deadline for the whole attempt, name resolution included (`sockets.py`); the
request and its answer are written and read by `wire.py`, as http.client would. With a
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
from mock_server.webhooks.sockets import target
from mock_server.webhooks.wire import Answer, Connection

EXCERPT_CHARS = 500  # of the answer's body (at most wire.READ_LIMIT bytes), the log keeps this
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
        request = _Request(path, body, headers, deadline)
        kept = connections.take(origin) if connections is not None else None
        if kept is not None:
            try:
                answer = _exchange(kept, request, connections, reused=True)
                return _result(answer, started)
            except _Stale:
                pass  # the receiver had closed it and never saw this request: once more, fresh
        answer = _exchange(Connection(origin), request, connections, reused=False)
        return _result(answer, started)
    except TimeoutError:
        return _failed(started, f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # e.g. a URL no validation foresaw: still an attempt, failed
        return _failed(started, f"{type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class _Request:
    path: str
    body: bytes
    headers: dict[str, str]
    deadline: float


class _Stale(Exception):
    """A kept connection failed before any byte of the answer: the receiver had closed it."""


def _exchange(
    connection: Connection,
    request: _Request,
    connections: Connections | None,
    *,
    reused: bool,
) -> Answer:
    """One request and its answer on `connection`, which is then kept or closed. A kept
    connection that fails with a closed or reset connection before any byte of the answer
    arrived raises `_Stale` (what HTTP clients retry: the receiver closed an idle connection as
    the request went out); every other failure is the attempt's."""
    try:
        answer = connection.exchange(request.path, request.headers, request.body, request.deadline)
    except Exception as exc:
        connection.close()
        if reused and _closed_under_us(exc) and not connection.received:
            raise _Stale from exc
        raise
    if connections is not None and answer.reusable:
        connections.give(connection)
    else:
        connection.close()
    return answer


def _closed_under_us(exc: Exception) -> bool:
    return isinstance(exc, ConnectionError | ssl.SSLEOFError | ssl.SSLZeroReturnError)


def _result(answer: Answer, started: float) -> AttemptResult:
    status = answer.status
    error = None
    if 300 <= status < 400:
        error = f"redirect to {answer.header('location')!r} not followed"
    retry_after = None
    if status in (429, 503):
        retry_after = retry_after_seconds(answer.header("retry-after"))
    excerpt = answer.body[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]
    return AttemptResult(status, error, (monotonic() - started) * 1000, excerpt, retry_after)


def _failed(started: float, error: str) -> AttemptResult:
    return AttemptResult(None, error, (monotonic() - started) * 1000)
