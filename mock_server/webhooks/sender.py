"""One webhook attempt over real HTTP: bounded in time and in bytes read; never follows redirects.

Runs on a worker thread, outside every lock, so a slow receiver never holds up the API. The
timeout is a deadline for the whole attempt, name resolution included (`sockets.py`).
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from mock_server.core.clock import monotonic, wall_time
from mock_server.webhooks.sockets import Connection, new_connection, target

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
    connection: Connection | None = None
    try:
        origin, path = target(url)
        connection = new_connection(origin, deadline)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return _result(response, _read_capped(response), started)
    except TimeoutError:
        return _failed(started, f"timed out after {timeout:g} s")
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return _failed(started, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # e.g. a URL no validation foresaw: still an attempt, failed
        return _failed(started, f"{type(exc).__name__}: {exc}")
    finally:
        if connection is not None:
            connection.close()


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
    received = b""
    while len(received) < READ_LIMIT:
        chunk = response.read1(READ_LIMIT - len(received))
        if not chunk:
            break
        received += chunk
    return received[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _failed(started: float, error: str) -> AttemptResult:
    return AttemptResult(None, error, (monotonic() - started) * 1000)
