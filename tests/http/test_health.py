"""GET /_mock/health, the readiness probe, and the control token's two refusals."""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from typing import Any

import pytest

from mock_server import __version__
from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
HEALTH = "/_mock/health"


def health(api: Client) -> dict[str, Any]:
    document: dict[str, Any] = api.request("GET", HEALTH, auth=False).expect_json(200)
    assert (document["code"], document["message"]) == (200, "success")
    return document


def test_health_says_version_clock_profile_uptime_and_ready(serve: Serve) -> None:
    _, api = serve(clock="scaled", speed=5)
    data = health(api)["data"]
    assert set(data) == {"version", "clock", "profile", "uptime_seconds", "ready"}
    assert (data["version"], data["clock"], data["ready"]) == (__version__, "scaled", True)
    assert data["profile"] == "default"
    assert isinstance(data["uptime_seconds"], float)
    assert 0 <= data["uptime_seconds"] < 60


def test_uptime_is_wall_time_even_on_a_manual_clock(serve: Serve) -> None:
    _, api = serve(clock="manual")
    first = health(api)["data"]
    time.sleep(0.05)
    second = health(api)["data"]
    assert first["clock"] == "manual"
    assert second["uptime_seconds"] >= first["uptime_seconds"] + 0.04


def test_health_answers_with_the_control_api_disabled(serve: Serve) -> None:
    _, api = serve(control=False)
    assert health(api)["data"]["ready"] is True
    api.request("GET", "/_mock/clock").expect(404, "error")


def test_health_needs_no_control_token_and_reveals_none(serve: Serve) -> None:
    _, api = serve(control_token="s3cret-token")
    reply = api.request("GET", HEALTH, auth=False)
    assert reply.json()["data"]["ready"] is True
    assert b"s3cret-token" not in reply.body
    assert b"aio_" not in reply.body  # no API key either
    api.request("GET", "/_mock/clock").expect(401, "error")  # the rest stays guarded


def test_head_on_health_answers_headers_only(serve: Serve) -> None:
    server, _ = serve(control=False)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("HEAD", HEALTH)
        answer = connection.getresponse()
        assert answer.status == 200
        assert answer.headers["Content-Type"] == "application/json"
        assert int(answer.headers["Content-Length"]) > 0
        assert answer.read() == b""
    finally:
        connection.close()


@pytest.mark.parametrize(
    "action",
    [{"type": "http_error", "status": 503}, {"type": "latency", "ms": 10}],
    ids=["http_error", "latency"],
)
def test_fault_rules_never_touch_health(serve: Serve, action: dict[str, Any]) -> None:
    _, api = serve()
    rule = {"name": "everything", "action": action}  # no match: every public request
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    for _ in range(3):
        reply = api.request("GET", HEALTH)
        assert reply.status == 200
        assert "x-mock-fault-applied" not in reply.headers
    assert api.request("GET", "/_mock/faults").json()["data"][0]["fired"] == 0
    public = api.task("n30x_seed")  # the rule is live: the public API gets it
    assert public.headers["x-mock-fault-applied"].startswith(f"everything={action['type']}")


# -- the control token ---------------------------------------------------------------------------


def test_a_missing_control_token_is_told_to_send_the_header(serve: Serve) -> None:
    _, api = serve(control_token="s3cret")
    error = api.request("GET", "/_mock/clock").expect(401, "error")["error"]
    assert error["message"] == "The control API needs the X-Mock-Token header."


def test_a_wrong_control_token_is_told_it_does_not_match(serve: Serve) -> None:
    _, api = serve(control_token="s3cret")
    reply = api.request("GET", "/_mock/clock", headers={"X-Mock-Token": "guess-1234"})
    error = reply.expect(401, "error")["error"]
    assert error["message"].startswith("X-Mock-Token does not match")
    assert "needs" not in error["message"]
    assert b"guess-1234" not in reply.body
    assert b"s3cret" not in reply.body


def test_a_control_token_outside_ascii_is_a_401_not_a_500(serve: Serve) -> None:
    _, api = serve(control_token="s3cret")
    reply = api.request("GET", "/_mock/clock", headers={"X-Mock-Token": "gr\u00fc\u00dfe"})
    assert "does not match" in reply.expect(401, "error")["error"]["message"]


def test_a_control_token_outside_ascii_is_accepted_when_it_matches(serve: Serve) -> None:
    _, api = serve(control_token="gr\u00fc\u00dfe")
    utf8_as_sent = "gr\u00fc\u00dfe".encode().decode("latin-1")  # http.client sends latin-1
    api.request("GET", "/_mock/clock", headers={"X-Mock-Token": utf8_as_sent}).expect_json(200)
