"""Portability warnings over HTTP: the header, the control route, the modes, and odd names."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.redact import fingerprint

Serve = Callable[..., tuple[MockServer, Client]]
HEADER = "seedream-mock-portability"
SAFE = {"prompt": "a red fox", "model": "seedream/4.5-text-to-image"}


def portability(api: Client) -> dict[str, Any]:
    found: dict[str, Any] = api.request("GET", "/_mock/portability").expect_json(200)["data"]
    return found


def test_a_request_every_source_accepts_has_no_warning(serve: Serve) -> None:
    _, api = serve()
    reply = api.create(SAFE)
    reply.expect_json(200)
    assert HEADER not in reply.headers
    assert portability(api) == {"mode": "warn", "counts": {}, "recent": []}


def test_a_risky_request_is_answered_with_the_risks_named(serve: Serve) -> None:
    _, api = serve()
    reply = api.create({"prompt": "ab", "seed": 7, "quality": None})
    task_id = reply.expect_json(200)["data"]["task_id"]
    assert reply.headers[HEADER] == "model-missing, prompt-short, unknown-field:seed, null-field"
    found = portability(api)
    assert found["counts"] == {
        "model-missing": 1,
        "prompt-short": 1,
        "unknown-field": 1,
        "null-field": 1,
    }
    assert {r["task_id"] for r in found["recent"]} == {task_id}
    assert {r["key"] for r in found["recent"]} == {fingerprint("aio_your_api_key")}
    assert [r["param"] for r in found["recent"]] == ["model", "prompt", "seed", "quality"]


def test_reset_and_delete_forget_the_risks(serve: Serve) -> None:
    _, api = serve()
    api.create({"prompt": "a red fox"}).expect_json(200)
    assert portability(api)["counts"] == {"model-missing": 1}
    api.request("POST", "/_mock/reset").expect_json(200)
    assert portability(api)["counts"] == {}
    api.create({"prompt": "a red fox"}).expect_json(200)
    api.request("DELETE", "/_mock/portability").expect_json(200)
    assert portability(api)["recent"] == []


def test_error_mode_refuses_the_first_risk_as_a_validation_error(serve: Serve) -> None:
    _, api = serve(portability="error")
    refused = api.create({"prompt": "a red fox", "seed": 1}).expect_json(400)["error"]
    assert refused["param"] == "model"
    assert refused["type"] == "invalid_request_error"
    assert "--portability error" in refused["message"]
    api.create(SAFE).expect_json(200)  # nothing to refuse


def test_error_mode_answers_in_the_profiles_validation_status(serve: Serve) -> None:
    _, api = serve(portability="error", profile="kie")
    body = {**SAFE, "negative_prompt": "blur"}  # kie ignores unknown fields; strict does not
    refused = api.create(body).expect_json(422)
    assert refused["code"] == 422
    assert "negative_prompt" in refused["msg"]


def test_off_mode_says_nothing(serve: Serve) -> None:
    _, api = serve(portability="off")
    reply = api.create({"prompt": "ab"})
    reply.expect_json(200)
    assert HEADER not in reply.headers
    assert portability(api)["counts"] == {}


def test_the_strict_profile_itself_has_nothing_to_warn_about(serve: Serve) -> None:
    _, api = serve(profile="strict")
    reply = api.create({**SAFE, "prompt": "abc"})
    reply.expect_json(200)
    assert HEADER not in reply.headers


@pytest.mark.parametrize("name", ["se\u00e9d", "\ud9a2x", "a\x02b", "with space"])
def test_an_unknown_field_with_any_name_gets_an_ascii_header_never_a_500(
    serve: Serve, name: str
) -> None:
    _, api = serve()
    reply = api.request("POST", "/api/v1/images/generations", json_body={**SAFE, name: 1})
    reply.expect_json(200)
    assert reply.headers[HEADER].startswith('unknown-field:"')
    assert reply.headers[HEADER].isascii()
    assert portability(api)["recent"][0]["param"] == name


@pytest.mark.parametrize("risky", [True, False])
def test_the_json_request_log_lists_the_risks(
    serve: Serve, capfd: pytest.CaptureFixture[str], risky: bool
) -> None:
    _, api = serve(log_requests="json")
    api.create({"prompt": "a red fox"} if risky else SAFE).expect_json(200)
    lines: list[dict[str, Any]] = []
    deadline = time.monotonic() + 5
    while not lines and time.monotonic() < deadline:  # the line follows the answer by a moment
        time.sleep(0.02)
        lines += [json.loads(x) for x in capfd.readouterr().out.splitlines() if x.startswith("{")]
    (line,) = lines
    assert line["portability"] == (["model-missing"] if risky else [])
