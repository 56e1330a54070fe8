"""Clock inputs are bounded: a speed, an advance or a moment the clock cannot take is a 400
naming the field, nothing changes, and every route goes on answering."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_server.core.clock import MAX_READING
from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
LAST = "9000-01-01T00:00:00.000Z"


def control(api: Client, method: str, path: str, body: Any = None) -> Any:
    return api.request(method, path, json_body=body)


def still_serving(api: Client) -> dict[str, Any]:
    """Every route the out-of-range clock used to break: the clock, keys, a new task."""
    clock: dict[str, Any] = control(api, "GET", "/_mock/clock").expect_json(200)["data"]
    control(api, "GET", "/_mock/keys").expect_json(200)
    task_id = api.create({"prompt": "p"}).expect(200, "create_response")["data"]["task_id"]
    api.task(task_id).expect(200, "task")
    return clock


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/_mock/clock/advance", {"seconds": 1e300}, "seconds"),
        ("/_mock/clock/advance", {"seconds": 10**400}, "seconds"),
        ("/_mock/clock/advance", {"to": "9999-12-31T23:59:59Z"}, "to"),
        ("/_mock/clock/advance", {"to": "9999-12-31T23:00:00-05:00"}, "to"),
        ("/_mock/clock/advance", {"to": "9000-01-01T00:00:00.001Z"}, "to"),
        ("/_mock/clock", {"mode": "scaled", "speed": 1e300}, "speed"),
        ("/_mock/clock", {"mode": "scaled", "speed": 1000001}, "speed"),
        ("/_mock/clock", {"speed": 10**400}, "speed"),
    ],
)
def test_an_input_the_clock_cannot_take_is_a_400_and_changes_nothing(
    serve: Serve, path: str, body: dict[str, Any], param: str
) -> None:
    _, api = serve()
    before = still_serving(api)
    error = control(api, "POST", path, body).expect(400, "error")["error"]
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"
    after = still_serving(api)
    assert (after["mode"], after["speed"], after["now"]) == (
        before["mode"],
        before["speed"],
        before["now"],
    )


@pytest.mark.parametrize("raw", [b'{"seconds": 1e999}', b'{"speed": 1e999, "mode": "scaled"}'])
def test_infinity_written_as_a_huge_literal_is_refused(serve: Serve, raw: bytes) -> None:
    _, api = serve()
    path = "/_mock/clock/advance" if b"seconds" in raw else "/_mock/clock"
    headers = {"Content-Type": "application/json"}
    reply = api.request("POST", path, data=raw, headers=headers)
    assert reply.expect(400, "error")["error"]["param"] in ("seconds", "speed")
    still_serving(api)


def test_the_clock_can_be_advanced_to_its_last_reading_and_still_serves(serve: Serve) -> None:
    _, api = serve()
    moved = control(api, "POST", "/_mock/clock/advance", {"to": LAST}).expect_json(200)["data"]
    assert moved["now"] == LAST
    assert moved["epoch_seconds"] == MAX_READING
    error = control(api, "POST", "/_mock/clock/advance", {"seconds": 0.001}).expect(400, "error")
    assert error["error"]["param"] == "seconds"
    control(api, "POST", "/_mock/clock/advance", {"seconds": 0}).expect_json(200)
    still_serving(api)
    control(api, "POST", "/_mock/reset").expect_json(200)
    assert still_serving(api)["now"] == LAST  # time never goes back, and all still answers


def test_the_top_speed_is_accepted(serve: Serve) -> None:
    _, api = serve()
    body = {"mode": "scaled", "speed": 1_000_000}
    assert control(api, "POST", "/_mock/clock", body).expect_json(200)["data"]["speed"] == 1e6
    still_serving(api)


def test_a_scenario_with_a_speed_beyond_the_top_is_refused_whole(serve: Serve) -> None:
    _, api = serve()
    scenario = {"name": "fast", "description": "too fast", "clock": {"speed": 1e300}}
    error = control(api, "POST", "/_mock/scenarios", scenario).expect(400, "error")["error"]
    assert "clock" in (error["param"] or "")
    still_serving(api)
