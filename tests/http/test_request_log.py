"""The request log (`--log-requests`) against what a real client saw, one fault type at a time.

Each test makes one request on its own connection and compares the logged line with the client's
view: the status it read (or how the connection failed), and a duration that is never negative,
covers any injected delay and fits inside the time the client waited.
"""

from __future__ import annotations

import http.client
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from httpd_support import running_servers  # tests/http is on sys.path (rootdir mode)

from mock_server.httpd import HttpServer
from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
GENERATIONS = "/api/v1/images/generations"
STYLES = ["text", "json"]
# The server reads its clock just after the send (or the close): a thread switch in between
# may let the client finish first.
SLACK_MS = 50.0


@dataclass(frozen=True)
class Seen:
    """What the client got: a status, or the way the connection failed; and how long it took."""

    outcome: int | str
    ms: float


@dataclass(frozen=True)
class Logged:
    """One line of the request log for the generations route, whatever its style."""

    outcome: int | str
    ms: float
    task_id: str | None


def post(server: MockServer | HttpServer, timeout: float = 10.0) -> Seen:
    """One POST on a fresh connection, no retries, timed by the client."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    started = time.monotonic()
    try:
        connection.request(
            "POST",
            GENERATIONS,
            body=b'{"prompt": "p"}',
            headers={
                "Authorization": "Bearer aio_your_api_key",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        response.read()
        outcome: int | str = response.status
    except http.client.RemoteDisconnected:
        outcome = "disconnected"
    except ConnectionResetError:
        outcome = "reset"
    finally:
        connection.close()
    return Seen(outcome, (time.monotonic() - started) * 1000)


def parse(line: str, style: str) -> Logged | None:
    """The line as a record, or None when it is about another route."""
    if style == "json":
        record: dict[str, Any] = json.loads(line)
        if record["path"] != GENERATIONS:
            return None
        outcome = record["status"] if record["outcome"] == "answered" else record["outcome"]
        return Logged(outcome, record["ms"], record["task_id"])
    method, path, word, ms, *rest = line.split()
    if path != GENERATIONS:
        return None
    assert ms.endswith("ms"), line
    return Logged(int(word) if word.isdigit() else word, float(ms[:-2]), rest[0] if rest else None)


def records(capfd: pytest.CaptureFixture[str], style: str) -> list[Logged]:
    lines = capfd.readouterr().out.splitlines()
    return [record for line in lines if line.strip() and (record := parse(line, style))]


def logged(capfd: pytest.CaptureFixture[str], style: str, timeout: float = 5.0) -> Logged:
    """The one log line for the generations route (the line may follow the client's answer by
    a moment: it is written once the socket has the answer or the connection is gone)."""
    found: list[Logged] = []
    deadline = time.monotonic() + timeout
    while not found and time.monotonic() < deadline:
        time.sleep(0.02)
        found += records(capfd, style)
    time.sleep(0.05)  # one more look, so a second line for the same request would be seen
    found += records(capfd, style)
    assert len(found) == 1, found
    return found[0]


def start(serve: Serve, style: str, **rule: Any) -> MockServer:
    server, api = serve(log_requests=style)
    if rule:
        api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    return server


def assert_timed(line: Logged, seen: Seen, at_least_ms: float = 0.0) -> None:
    assert math.copysign(1.0, line.ms) > 0  # not even "-0.0"
    assert line.ms >= at_least_ms
    assert line.ms <= seen.ms + SLACK_MS  # measured inside the client's wait


def test_a_plain_request_is_logged_as_answered_with_its_status(
    serve: Serve, capfd: pytest.CaptureFixture[str]
) -> None:
    seen = post(start(serve, "json"))
    line = logged(capfd, "json")
    assert seen.outcome == line.outcome == 200
    assert line.task_id is not None
    assert line.task_id.startswith("n30")
    assert_timed(line, seen)


@pytest.mark.parametrize("style", STYLES)
def test_an_http_error_before_handling_is_logged_with_a_true_duration(
    serve: Serve, style: str, capfd: pytest.CaptureFixture[str]
) -> None:
    server = start(serve, style, name="busy", action={"type": "http_error", "status": 503})
    seen = post(server)
    line = logged(capfd, style)
    assert seen.outcome == line.outcome == 503
    assert line.task_id is None
    assert_timed(line, seen)


@pytest.mark.parametrize("style", STYLES)
def test_an_http_error_after_handling_is_logged_with_the_status_sent(
    serve: Serve, style: str, capfd: pytest.CaptureFixture[str]
) -> None:
    server = start(
        serve, style, name="late", action={"type": "http_error", "status": 500, "when": "after"}
    )
    seen = post(server)
    line = logged(capfd, style)
    assert seen.outcome == line.outcome == 500
    assert line.task_id is not None  # created, though the client never heard of it
    assert_timed(line, seen)


@pytest.mark.parametrize("style", STYLES)
def test_a_closed_connection_is_logged_as_closed(
    serve: Serve, style: str, capfd: pytest.CaptureFixture[str]
) -> None:
    seen = post(start(serve, style, name="cut", action={"type": "close"}))
    line = logged(capfd, style)
    assert (seen.outcome, line.outcome) == ("disconnected", "closed")
    assert_timed(line, seen)


@pytest.mark.parametrize("style", STYLES)
def test_a_reset_connection_is_logged_as_reset(
    serve: Serve, style: str, capfd: pytest.CaptureFixture[str]
) -> None:
    seen = post(start(serve, style, name="rst", action={"type": "reset"}))
    line = logged(capfd, style)
    assert (seen.outcome, line.outcome) == ("reset", "reset")
    assert_timed(line, seen)


@pytest.mark.parametrize("style", STYLES)
def test_a_hang_is_logged_as_hung_for_as_long_as_it_held(
    serve: Serve, style: str, capfd: pytest.CaptureFixture[str]
) -> None:
    seen = post(start(serve, style, name="stuck", action={"type": "hang", "seconds": 0.4}))
    line = logged(capfd, style)
    assert (seen.outcome, line.outcome) == ("disconnected", "hung")
    assert_timed(line, seen, at_least_ms=400)


@pytest.mark.parametrize("style", STYLES)
def test_latency_is_part_of_the_logged_duration(
    serve: Serve, style: str, capfd: pytest.CaptureFixture[str]
) -> None:
    seen = post(start(serve, style, name="slow", action={"type": "latency", "ms": 700}))
    line = logged(capfd, style)
    assert seen.outcome == line.outcome == 200
    assert_timed(line, seen, at_least_ms=700)


# -- the server's side, around a bare WSGI app ------------------------------------------------


class Notes:
    """A journal that keeps what it is told (or fails, to show a broken log costs nothing)."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.lines: list[tuple[int | str, float]] = []

    def clock(self) -> float:
        return time.monotonic()

    def record(self, environ: dict[str, Any], outcome: int | str, seconds: float) -> None:
        if self.broken:
            raise OSError("stdout is gone")
        self.lines.append((outcome, seconds))


def failing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    raise RuntimeError("a bug in the app")


def ok_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture
def bare() -> Iterator[Callable[..., HttpServer]]:
    with running_servers() as start:
        yield lambda app, journal: start(app, journal=journal)


def test_an_app_that_fails_is_logged_as_the_500_the_client_got(
    bare: Callable[..., HttpServer],
) -> None:
    notes = Notes()
    seen = post(bare(failing_app, notes))
    deadline = time.monotonic() + 5
    while not notes.lines and time.monotonic() < deadline:
        time.sleep(0.01)
    ((outcome, seconds),) = notes.lines
    assert seen.outcome == outcome == 500
    assert 0 <= seconds * 1000 <= seen.ms + SLACK_MS


def test_a_broken_log_never_costs_the_client_its_answer(bare: Callable[..., HttpServer]) -> None:
    server = bare(ok_app, Notes(broken=True))
    assert post(server).outcome == 200
    assert post(server).outcome == 200  # and the server still serves
