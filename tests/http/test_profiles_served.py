"""What else follows the active profile: callbacks (body and headers), timing, the prompt cap,
the control routes that name it, the OpenAPI document, scenarios, and a profile file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.profiles import SHIPPED, load_profile, schemas
from seedream_contracts.receiver import WebhookReceiver
from tests.http.httpd_support import exchange, only
from tests.http.profile_support import MODEL, PROMPT, advance, conforming, create, read, shipped

Serve = Callable[..., tuple[MockServer, Client]]


def profile_file(tmp_path: Path, **document: Any) -> str:
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"name": "mine", **document}), "utf-8")
    return str(path)


@pytest.mark.parametrize("name", SHIPPED)
def test_callbacks_arrive_in_the_profiles_callback_shape(serve: Serve, name: str) -> None:
    profile = shipped(name)
    _, api = serve(profile=name)
    with WebhookReceiver() as receiver:
        done = create(api, profile, callback_url=receiver.url)
        failed = create(api, profile, callback_url=receiver.url)
        api.request("POST", f"/_mock/tasks/{failed}/fail", json_body={"code": "x"})
        advance(api, 60)
        bodies = [conforming(profile, "callback", r.json()) for r in receiver.wait(2)]
    views = {profile.read_callback(b).task_id: profile.read_callback(b) for b in bodies}
    assert views[done].status == "completed"
    assert views[done].result_urls
    assert views[failed].status == "failed"


def test_a_profile_file_extends_a_shipped_one_and_adds_callback_headers(
    serve: Serve, tmp_path: Path
) -> None:
    spec = profile_file(
        tmp_path,
        extends="kie",
        callback={"headers": {"X-Dialect": "mine", "User-Agent": "KIE-Callback"}},
        timing={"pending_seconds": 5.0, "processing_seconds": [1.0, 1.0]},
    )
    _, api = serve(profile=spec, webhook_secrets=("whsec_" + "c2VjcmV0" * 4,))
    mine = load_profile(spec)
    served = api.request("GET", "/_mock/profile").expect_json(200)
    assert served == mine.document
    assert served["statuses"] == shipped("kie").statuses  # merged from what it extends
    with WebhookReceiver() as receiver:
        task_id = create(api, mine, callback_url=receiver.url)
        advance(api, 4.9)
        assert read(api, mine, task_id).status == "pending"  # the profile's 5 s pending
        advance(api, 0.2)
        assert read(api, mine, task_id).status_name == "generating"
        advance(api, 1.0)
        (received,) = receiver.wait(1)
    assert received.headers["x-dialect"] == "mine"
    assert received.headers["user-agent"] == "KIE-Callback"
    assert received.headers["webhook-signature"].startswith("v1,")  # never replaced
    assert mine.read_callback(conforming(mine, "callback", received.json())).task_id == task_id


def test_timing_flags_win_over_the_profiles_timing(serve: Serve, tmp_path: Path) -> None:
    spec = profile_file(
        tmp_path, extends="default", timing={"pending_seconds": 50.0, "processing_seconds": [1, 1]}
    )
    _, api = serve(profile=spec, pending_seconds=2.0)
    profile = load_profile(spec)
    task_id = create(api, profile)
    advance(api, 2.5)
    assert read(api, profile, task_id).status == "processing"


def test_max_prompt_chars_wins_over_the_profiles_prompt_max(serve: Serve, tmp_path: Path) -> None:
    spec = profile_file(tmp_path, extends="default", input={"prompt_max": 10})
    _, tight = serve(profile=spec)
    reply = tight.create({"prompt": "x" * 11})
    assert reply.status == 400
    assert "at most 10 characters" in reply.json()["error"]["message"]
    _, loose = serve(profile=spec, max_prompt_chars=20)
    assert loose.create({"prompt": "x" * 11}).status == 200


@pytest.mark.parametrize("name", SHIPPED)
def test_health_and_the_profile_route_name_the_active_profile(serve: Serve, name: str) -> None:
    _, api = serve(profile=name)
    health = api.request("GET", "/_mock/health", auth=False).expect_json(200)
    assert health["data"]["profile"] == name
    served = api.request("GET", "/_mock/profile").expect_json(200)
    assert served == shipped(name).document


def test_the_profile_route_is_behind_the_control_guard(serve: Serve) -> None:
    _, api = serve(profile="kie", control_token="s3cret")
    refused = api.request("GET", "/_mock/profile")
    assert refused.status == 401
    assert refused.json()["error"]["type"] == "authentication_error"  # the default envelope
    ok = api.request("GET", "/_mock/profile", headers={"X-Mock-Token": "s3cret"})
    assert ok.expect_json(200)["name"] == "kie"
    _, closed = serve(profile="kie", control=False)
    assert closed.request("GET", "/_mock/profile").status == 404


def test_the_control_api_keeps_the_default_envelope_under_another_profile(serve: Serve) -> None:
    _, api = serve(profile="kie")
    reply = api.request("POST", "/_mock/clock", json_body={"mode": "sideways"})
    assert reply.status == 400
    assert reply.json()["error"]["param"] == "mode"
    missing = api.request("POST", "/_mock/tasks/n30_none_seed/complete")
    assert (missing.status, missing.json()["error"]["type"]) == (404, "not_found_error")


@pytest.mark.parametrize("name", SHIPPED)
def test_the_served_openapi_document_describes_the_active_profile(serve: Serve, name: str) -> None:
    profile = shipped(name)
    _, api = serve(profile=name)
    document = api.request("GET", "/_mock/openapi.json").expect_json(200)
    validate(document)
    components = document["components"]["schemas"]
    assert components["task"]["title"] == "task"
    task_text = json.dumps(components["task"])
    for state in ("pending", "processing", "completed", "failed"):
        assert json.dumps(profile.wire_status(state)) in task_text
    rules = profile.input_rules
    prompt = components["generation_request"]["properties"]["prompt"]
    assert (prompt["minLength"], prompt["maxLength"]) == (rules["prompt_min"], rules["prompt_max"])
    required = components["generation_request"]["required"]
    assert ("model" in required) == (rules["model"] == "required")


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("scenario", ["content-policy", "out-of-credits", "flaky-5xx"])
def test_shipped_scenarios_answer_in_the_active_dialect(
    serve: Serve, name: str, scenario: str
) -> None:
    profile = shipped(name)
    _, api = serve(profile=name)
    api.request("POST", "/_mock/scenarios", json_body={"name": scenario}).expect_json(200)
    for _ in range(6):
        reply = api.create({"model": MODEL, "prompt": PROMPT})
        if reply.status == 200:
            task_id, _ = profile.read_created(conforming(profile, "create_response", reply.json()))
            assert task_id is not None
            advance(api, 60)
            assert read(api, profile, task_id).ended
        else:
            view = profile.read_error(conforming(profile, "error", reply.json()))
            assert view.status == reply.status


def test_a_request_the_server_refuses_is_answered_in_the_profiles_error_shape(
    serve: Serve,
) -> None:
    server, _ = serve(profile="kie")
    status, _, body = only(exchange(server.port, b"NONSENSE\r\n\r\n"))
    assert status == 400
    answer = json.loads(body)
    assert set(answer) == {"code", "msg", "data"}
    assert answer["code"] == 400
    errors = list(schemas.compile_schema(schemas.error_schema(shipped("kie"))).iter_errors(answer))
    assert errors == []
