"""Each shipped profile through a real server: a task's life, its result, and every error
answer in the profile's dialect, each answer checked against the profile's own schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.profiles import SHIPPED
from tests.http.profile_support import (
    EDIT,
    MODEL,
    PROMPT,
    advance,
    create,
    read,
    refused,
    shipped,
)

Serve = Callable[..., tuple[MockServer, Client]]
URL = "http://127.0.0.1:9/in.png"


@pytest.mark.parametrize("name", SHIPPED)
def test_a_task_moves_through_the_profiles_status_names_to_its_result(
    serve: Serve, name: str
) -> None:
    profile = shipped(name)
    _, api = serve(profile=name)
    task_id = create(api, profile, quality="high")
    pending = read(api, profile, task_id)
    assert pending.status_name == profile.statuses["pending"]  # strict: IN_PROGRESS for both
    assert pending.task_id == task_id
    advance(api, 1.5)
    assert read(api, profile, task_id).status_name == profile.statuses["processing"]
    advance(api, 60)
    done = read(api, profile, task_id)
    assert (done.status, done.status_name) == ("completed", profile.statuses["completed"])
    assert done.get("credits_consumed") == 12
    (url,) = done.result_urls
    image = api.request("GET", url, auth=False)
    assert (image.status, image.headers["content-type"]) == (200, "image/png")


@pytest.mark.parametrize("name", SHIPPED)
def test_a_failed_task_says_why_in_the_profiles_failure_shape(serve: Serve, name: str) -> None:
    profile = shipped(name)
    _, api = serve(profile=name)
    task_id = create(api, profile)
    api.request(
        "POST",
        f"/_mock/tasks/{task_id}/fail",
        json_body={"code": "content_policy_violation", "message": "Refused by policy."},
    ).expect_json(200)
    failed = read(api, profile, task_id)
    assert (failed.status, failed.status_name) == ("failed", profile.statuses["failed"])
    assert failed.get("error.message") == "Refused by policy."
    assert failed.get("credits_consumed", 0) == 0
    assert failed.result_urls == []


@pytest.mark.parametrize("name", SHIPPED)
def test_errors_carry_the_profiles_status_and_type_per_kind(serve: Serve, name: str) -> None:
    profile = shipped(name)
    _, api = serve(profile=name)
    refused(
        api.with_key(None).create({"model": MODEL, "prompt": PROMPT}), profile, "authentication"
    )
    refused(api.task("n30_no_such_task_seed"), profile, "not_found")
    empty_prompt = api.create({"model": MODEL, "prompt": ""})
    assert "prompt" in refused(empty_prompt, profile, "validation")["message"]
    not_json = api.request(
        "POST",
        "/api/v1/images/generations",
        data=b"{nope",
        headers={"Content-Type": "application/json"},
    )
    assert "not valid JSON" in refused(not_json, profile, "invalid_request")["message"]
    wrong_method = api.request("GET", "/api/v1/images/generations")
    refused(wrong_method, profile, "method_not_allowed")
    assert wrong_method.headers["allow"] == "OPTIONS, POST"
    huge = api.create({"model": MODEL, "prompt": PROMPT, "pad": "x" * 300_000})
    refused(huge, profile, "too_large")
    refused(api.request("GET", "/api/v1/nowhere"), profile, "not_found")


@pytest.mark.parametrize("name", SHIPPED)
def test_credits_and_rate_limits_are_refused_in_the_profiles_words(serve: Serve, name: str) -> None:
    profile = shipped(name)
    _, api = serve(profile=name, keys={"aio_poor": 5}, rate_limit_rps=0.001, rate_limit_burst=1)
    refused(
        api.with_key("aio_poor").create({"model": MODEL, "prompt": PROMPT}),
        profile,
        "insufficient_credits",
    )
    limited = api.create({"model": MODEL, "prompt": PROMPT})
    if limited.status == 200:  # the burst's one request: the next is over the limit
        limited = api.create({"model": MODEL, "prompt": PROMPT})
    refused(limited, profile, "rate_limit")
    assert limited.headers["retry-after"]


@pytest.mark.parametrize("name", SHIPPED)
def test_an_expired_result_file_is_refused_as_the_profile_says(serve: Serve, name: str) -> None:
    profile = shipped(name)
    _, api = serve(profile=name, image_lifetime_seconds=60)
    task_id = create(api, profile)
    advance(api, 30)
    (url,) = read(api, profile, task_id).result_urls
    advance(api, 120)
    refused(api.request("GET", url, auth=False), profile, "expired")


def test_a_fault_rules_status_means_its_kind_in_the_active_dialect(serve: Serve) -> None:
    """kie answers unavailability 455: a rule's 503 (the default's upstream status) becomes it;
    a 502 was chosen for itself and stays, with the dialect's words."""
    kie = shipped("kie")
    _, api = serve(profile="kie")
    for status, answered in ((503, 455), (502, 502)):
        rule = {"name": f"r{status}", "action": {"type": "http_error", "status": status}}
        api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
        reply = api.create({"model": MODEL, "prompt": PROMPT})
        assert reply.status == answered
        assert kie.read_error(reply.json()).status == answered
        assert set(reply.json()) == {"code", "msg", "data"}
        api.request("DELETE", f"/_mock/faults/r{status}").expect_json(200)


def test_the_default_profile_keeps_a_fault_rules_status_and_type(serve: Serve) -> None:
    _, api = serve()
    rule = {"name": "gw", "action": {"type": "http_error", "status": 504}}
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    reply = api.create({"prompt": PROMPT})
    assert reply.status == 504
    assert reply.json()["error"]["type"] == "upstream_error"


@pytest.mark.parametrize(
    ("name", "body", "param", "words"),
    [
        ("strict", {"prompt": PROMPT}, "model", "has no default model"),
        ("kie", {"prompt": PROMPT}, "model", "has no default model"),
        ("strict", {"model": MODEL, "prompt": "ab"}, "prompt", "at least 3 characters"),
        (
            "strict",
            {"model": EDIT, "prompt": PROMPT, "image_urls": [URL] * 11},
            "image_urls",
            "at most 10 are allowed",
        ),
        ("strict", {"model": MODEL, "prompt": PROMPT, "seed": 7}, "seed", "refuses unknown fields"),
        ("strict", {"model": MODEL, "prompt": PROMPT, "quality": None}, "quality", "refuses null"),
    ],
)
def test_the_profiles_input_rules_refuse_with_its_validation_status(
    serve: Serve, name: str, body: dict[str, Any], param: str, words: str
) -> None:
    profile = shipped(name)
    _, api = serve(profile=name)
    reply = api.create(body)
    assert reply.status == 422  # both dialects answer a field error 422 (the default: 400)
    message = refused(reply, profile, "validation")["message"]
    assert words in message
    assert param in message
    assert f"'{name}'" in message


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": PROMPT},
        {"model": MODEL, "prompt": "ab"},
        {"model": EDIT, "prompt": PROMPT, "image_urls": [URL] * 11},
        {"model": MODEL, "prompt": PROMPT, "seed": 7},
        {"model": MODEL, "prompt": PROMPT, "quality": None},
    ],
)
def test_the_default_profile_accepts_what_strict_refuses(
    serve: Serve, body: dict[str, Any]
) -> None:
    _, api = serve()
    assert api.create(body).status == 200


def test_the_default_profile_names_the_field_in_param_with_400(serve: Serve) -> None:
    profile = shipped("default")
    _, api = serve()
    body = {"model": EDIT, "prompt": PROMPT, "image_urls": [URL] * 15}
    found = refused(api.create(body), profile, "validation")
    assert found["param"] == "image_urls"
    assert "at most 14 are allowed" in found["message"]
