"""One webhook attempt over real HTTP: bounded in time and in bytes read; never follows redirects.

Runs on a worker thread, outside every lock, so a slow receiver never holds up the API.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from mock_server.clock import monotonic, wall_time

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
    """POST `body` to `url`; any exception becomes an error result, never a raise."""
    started = monotonic()
    deadline = started + timeout
    parts = urlsplit(url)
    kind = (
        http.client.HTTPSConnection
        if parts.scheme.lower() == "https"
        else http.client.HTTPConnection
    )
    connection = kind(parts.netloc, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = _read_capped(response, deadline)
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
    finally:
        connection.close()


def _read_capped(response: http.client.HTTPResponse, deadline: float) -> str:
    received = b""
    while len(received) < READ_LIMIT:
        if monotonic() > deadline:
            raise TimeoutError
        chunk = response.read1(READ_LIMIT - len(received))
        if not chunk:
            break
        received += chunk
    return received[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]


def _failed(started: float, error: str) -> AttemptResult:
    return AttemptResult(None, error, (monotonic() - started) * 1000)
