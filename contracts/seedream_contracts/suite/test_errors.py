"""Every way a request can be wrong gets the dialect's error answer, status and field at fault.

Which status and `type` each kind of error gets (a bad field: 400 or 422) is the profile's;
so is whether the answer names the field (`param`).
"""

from __future__ import annotations

from typing import Any

import pytest

from seedream_contracts.client import Client
from seedream_contracts.profiles import Profile
from seedream_contracts.suite._data import cases, fit, refusing_rule
from seedream_contracts.suite._expect import refused, submit

GENERATIONS = "/api/v1/images/generations"


@pytest.mark.parametrize("case", cases("invalid"), ids=lambda c: c["description"])
def test_invalid_body_is_refused_naming_the_field(
    api: Client, profile: Profile, case: dict[str, Any]
) -> None:
    body = fit(profile, case["body"], at_fault=case["param"])
    error = refused(api.create(body), profile, "validation", case["param"])
    assert case["param"] in error.message


@pytest.mark.costs(12)
@pytest.mark.parametrize("case", cases("valid"), ids=lambda c: c["description"])
def test_valid_body_is_accepted(api: Client, profile: Profile, case: dict[str, Any]) -> None:
    rule = refusing_rule(profile, case["body"])
    if rule is not None:
        pytest.skip(f"{rule} (test_input_rules.py checks the refusal)")
    submit(api, profile, fit(profile, case["body"]))


@pytest.mark.parametrize(
    ("description", "data", "content_type"),
    [
        ("malformed JSON", b'{"prompt": "a cat"', "application/json"),
        ("empty body", b"", "application/json"),
        ("JSON array", b'["a cat"]', "application/json"),
        ("JSON string", b'"a cat"', "application/json"),
        ("JSON null", b"null", "application/json"),
        ("NaN is not JSON", b'{"prompt": NaN}', "application/json"),
        ("not UTF-8", b'{"prompt": "\xff\xfe"}', "application/json"),
        ("form encoded", b"prompt=a+cat", "application/x-www-form-urlencoded"),
        ("text/plain", b'{"prompt": "a cat"}', "text/plain"),
    ],
)
def test_body_that_is_not_a_json_object_is_refused(
    api: Client, profile: Profile, description: str, data: bytes, content_type: str
) -> None:
    reply = api.request("POST", GENERATIONS, data=data, headers={"Content-Type": content_type})
    refused(reply, profile, "invalid_request", None)


def test_missing_content_type_is_refused(api: Client, profile: Profile) -> None:
    reply = api.request("POST", GENERATIONS, data=b'{"prompt": "a cat"}')
    assert "Content-Type" in refused(reply, profile, "invalid_request").message


@pytest.mark.mock_only  # the size limit is the mock's setting; the real one is unknown
def test_oversized_body_is_refused_as_too_large(api: Client, profile: Profile) -> None:
    refused(api.create({"prompt": "a cat", "padding": "x" * (300 * 1024)}), profile, "too_large")


@pytest.mark.parametrize(
    ("description", "headers"),
    [
        ("no header", {}),
        ("not Bearer", {"Authorization": "Basic YWlvOnNlY3JldA=="}),
        ("empty bearer", {"Authorization": "Bearer "}),
        ("not an aio_ key", {"Authorization": "Bearer sk-1234567890"}),
    ],
)
def test_bad_authorization_is_refused(
    api: Client, profile: Profile, description: str, headers: dict[str, str]
) -> None:
    for reply in (
        api.create(fit(profile, {"prompt": "a cat"}), auth=False, headers=headers),
        api.task("n30abc_seed", auth=False, headers=headers),
    ):
        refused(reply, profile, "authentication")


def test_authentication_comes_before_validation(api: Client, profile: Profile) -> None:
    refused(api.create({"no": "prompt"}, auth=False), profile, "authentication")


def test_unknown_task_is_not_found(api: Client, profile: Profile) -> None:
    refused(api.task("n30doesnotexist_seed"), profile, "not_found")


@pytest.mark.costs(12)
def test_another_keys_task_is_invisible(api: Client, other_api: Client, profile: Profile) -> None:
    task_id = submit(api, profile, fit(profile, {"prompt": "mine"}))
    mine = profile.read_task(api.task(task_id).expect(200, "task"))
    theirs = refused(other_api.task(task_id), profile, "not_found")
    assert mine.task_id == task_id
    unknown = refused(other_api.task("n30doesnotexist_seed"), profile, "not_found")
    assert str(theirs.message).replace(task_id, "ID") == str(unknown.message).replace(
        "n30doesnotexist_seed", "ID"
    )  # the same answer as for an id that never existed: nothing leaks


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", GENERATIONS, "method_not_allowed"),
        ("PUT", GENERATIONS, "method_not_allowed"),
        ("DELETE", "/api/v1/tasks/n30abc_seed", "method_not_allowed"),
        ("GET", "/api/v1/nothing-here", "not_found"),
        ("POST", "/api/v2/images/generations", "not_found"),
        ("GET", "/", "not_found"),
    ],
)
def test_wrong_route_or_method_gets_the_error_answer(
    api: Client, profile: Profile, method: str, path: str, kind: str
) -> None:
    reply = api.request(method, path)
    assert reply.headers["content-type"].startswith("application/json")
    refused(reply, profile, kind)
