"""The served app: key modes, concurrency, the control API's own errors, and no 500 traces."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]


def test_strict_mode_accepts_only_configured_keys(serve: Serve) -> None:
    _, api = serve(key_mode="strict", keys={"aio_team": 600})
    refused = api.with_key("aio_stranger").create({"prompt": "p"}).expect(401, "error")
    assert refused["error"]["message"] == "Invalid API key."
    api.with_key("aio_team").create({"prompt": "p"}).expect(200, "create_response")


def test_concurrent_submits_never_overspend(serve: Serve) -> None:
    server, api = serve(keys={"aio_race": 120})
    racer = api.with_key("aio_race")
    statuses: list[int] = []
    lock = threading.Lock()

    def submit() -> None:
        for _ in range(3):
            status = racer.create({"prompt": "race"}).status
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(set(statuses)) == [200, 402]
    assert statuses.count(200) == 10  # 120 credits / 12 per image
    ledger = api.request("GET", "/_mock/keys/aio_race").expect_json(200)["data"]
    assert (ledger["available"], ledger["held"], ledger["spent"]) == (0, 120, 0)


def test_result_urls_use_the_configured_public_url(serve: Serve) -> None:
    _, api = serve(public_url="https://mock.example.test")
    task_id = api.create({"prompt": "p"}).expect(200, "create_response")["data"]["task_id"]
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": 60}).expect_json(200)
    url = api.task(task_id).expect(200, "task")["data"]["output"]["image_urls"][0]
    assert url == f"https://mock.example.test/files/{task_id}/0.png"


def test_result_urls_follow_the_host_the_client_used(serve: Serve) -> None:
    server, api = serve()
    task_id = api.create({"prompt": "p"}).expect(200, "create_response")["data"]["task_id"]
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": 60}).expect_json(200)
    via_localhost = api.task(task_id, headers={"Host": f"localhost:{server.port}"})
    url = via_localhost.expect(200, "task")["data"]["output"]["image_urls"][0]
    assert url.startswith(f"http://localhost:{server.port}/files/")


def test_unknown_result_file_is_404_in_the_envelope(serve: Serve) -> None:
    _, api = serve()
    api.request("GET", "/files/n30nothing_seed/0.png").expect(404, "error")
    api.request("GET", "/files/n30nothing_seed/zero.png").expect(404, "error")


def test_method_not_allowed_names_the_allowed_methods(serve: Serve) -> None:
    _, api = serve()
    reply = api.request("GET", "/api/v1/images/generations")
    assert "use OPTIONS, POST" in reply.expect(405, "error")["error"]["message"]
    assert reply.headers["allow"] == "OPTIONS, POST"


def test_an_internal_bug_answers_500_in_the_envelope_without_a_trace(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, api = serve()

    def broken(*args: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(server.emulator, "task_for", broken)
    reply = api.task("n30x_seed")
    error = reply.expect(500, "error")["error"]
    assert error["type"] == "api_error"
    assert b"secret internals" not in reply.body
    assert b"Traceback" not in reply.body


def test_control_token_guards_the_control_api(serve: Serve) -> None:
    _, api = serve(control_token="s3cret")
    assert api.request("GET", "/_mock/clock").expect(401, "error")["error"]["param"] is None
    api.request("GET", "/_mock/clock", headers={"X-Mock-Token": "s3cret"}).expect_json(200)
    api.create({"prompt": "public API needs no token"}).expect(200, "create_response")


def test_disabled_control_api_is_not_there(serve: Serve) -> None:
    _, api = serve(control=False)
    api.request("POST", "/_mock/reset").expect(404, "error")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "param"),
    [
        ("POST", "/_mock/clock/advance", {"seconds": -1}, 400, "seconds"),
        ("POST", "/_mock/clock/advance", {"seconds": "ten"}, 400, "seconds"),
        ("POST", "/_mock/clock/advance", {"to": "yesterday-ish"}, 400, "to"),
        ("POST", "/_mock/clock", {"mode": "sundial"}, 400, "mode"),
        ("POST", "/_mock/clock", {"mode": "scaled", "speed": 0}, 400, "speed"),
        ("POST", "/_mock/keys", {"key": "not-a-key"}, 400, "key"),
        ("POST", "/_mock/keys", {"key": "aio_your_api_key"}, 409, "key"),
        ("POST", "/_mock/keys", {"key": "aio_new", "credits": -5}, 400, "credits"),
        ("POST", "/_mock/keys", {"key": "aio_new", "credits": 1.5}, 400, "credits"),
        ("GET", "/_mock/keys/aio_nobody", None, 404, "key"),
        ("POST", "/_mock/keys/aio_nobody/credits", {"amount": 5}, 404, "key"),
        ("POST", "/_mock/keys/aio_your_api_key/credits", {"amount": "many"}, 400, "amount"),
        ("POST", "/_mock/keys/aio_your_api_key/credits", {"amount": -5000}, 409, "amount"),
        ("DELETE", "/_mock/keys/aio_nobody", None, 404, "key"),
    ],
)
def test_control_api_refuses_bad_requests_clearly(
    serve: Serve, method: str, path: str, body: Any, status: int, param: str
) -> None:
    _, api = serve()
    error = api.request(method, path, json_body=body).expect(status, "error")["error"]
    assert error["param"] == param


def test_control_api_refuses_a_body_that_is_not_an_object(serve: Serve) -> None:
    _, api = serve()
    reply = api.request(
        "POST", "/_mock/clock/advance", data=b"[1]", headers={"Content-Type": "application/json"}
    )
    reply.expect(400, "error")
    broken = api.request(
        "POST", "/_mock/clock/advance", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert "not valid JSON" in broken.expect(400, "error")["error"]["message"]


def test_clock_can_switch_mode_and_advance_to_a_moment(serve: Serve) -> None:
    _, api = serve()
    scaled = api.request("POST", "/_mock/clock", json_body={"mode": "scaled", "speed": 10})
    assert scaled.expect_json(200)["data"]["mode"] == "scaled"
    api.request("POST", "/_mock/clock", json_body={"mode": "manual"}).expect_json(200)
    moved = api.request("POST", "/_mock/clock/advance", json_body={"to": "2030-01-01T00:00:00Z"})
    assert moved.expect_json(200)["data"]["now"] == "2030-01-01T00:00:00.000Z"


def test_grant_and_revoke_through_the_control_api(serve: Serve) -> None:
    _, api = serve()
    api.request("POST", "/_mock/keys", json_body={"key": "aio_ops"}).expect_json(200)
    granted = api.request("POST", "/_mock/keys/aio_ops/credits", json_body={"amount": 24})
    assert granted.expect_json(200)["data"]["granted"] == 1224
    listing = api.request("GET", "/_mock/keys").expect_json(200)["data"]
    assert {"aio_your_api_key", "aio_ops"} <= {entry["key"] for entry in listing}
    assert api.request("DELETE", "/_mock/keys/aio_ops").expect_json(200)["data"]["revoked"]


def test_reset_forgets_tasks(serve: Serve) -> None:
    _, api = serve()
    task_id = api.create({"prompt": "p"}).expect(200, "create_response")["data"]["task_id"]
    api.request("POST", "/_mock/reset").expect_json(200)
    api.task(task_id).expect(404, "error")


def test_one_control_per_emulator_is_shared_by_the_server_and_its_apps() -> None:
    from mock_server.app import create_app

    server = MockServer()
    try:
        again = create_app(emulator=server.emulator)
        assert server.control is server.app.extensions["seedream_mock.control"]
        assert again.extensions["seedream_mock.control"] is server.control
        assert create_app().extensions["seedream_mock.control"] is not server.control
    finally:
        server.emulator.stop()
