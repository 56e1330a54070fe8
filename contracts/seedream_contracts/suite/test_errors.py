"""Every way a request can be wrong gets the error envelope, the right status and `param`."""

from __future__ import annotations

from typing import Any

import pytest

from seedream_contracts.client import Client
from seedream_contracts.suite._data import cases

GENERATIONS = "/api/v1/images/generations"


@pytest.mark.parametrize("case", cases("invalid"), ids=lambda c: c["description"])
def test_invalid_body_is_refused_naming_the_field(api: Client, case: dict[str, Any]) -> None:
    error = api.create(case["body"]).expect(400, "error")["error"]
    assert error["code"] == 400
    assert error["type"] == "invalid_request_error"
    assert error["param"] == case["param"]
    assert case["param"] in error["message"]


@pytest.mark.costs(12)
@pytest.mark.parametrize("case", cases("valid"), ids=lambda c: c["description"])
def test_valid_body_is_accepted(api: Client, case: dict[str, Any]) -> None:
    api.create(case["body"]).expect(200, "create_response")


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
def test_body_that_is_not_a_json_object_gets_400(
    api: Client, description: str, data: bytes, content_type: str
) -> None:
    reply = api.request("POST", GENERATIONS, data=data, headers={"Content-Type": content_type})
    error = reply.expect(400, "error")["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] is None


def test_missing_content_type_gets_400(api: Client) -> None:
    reply = api.request("POST", GENERATIONS, data=b'{"prompt": "a cat"}')
    assert "Content-Type" in reply.expect(400, "error")["error"]["message"]


@pytest.mark.mock_only  # the size limit is the mock's setting; the real one is unknown
def test_oversized_body_gets_413(api: Client) -> None:
    reply = api.create({"prompt": "a cat", "padding": "x" * (300 * 1024)})
    assert reply.expect(413, "error")["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("description", "headers"),
    [
        ("no header", {}),
        ("not Bearer", {"Authorization": "Basic YWlvOnNlY3JldA=="}),
        ("empty bearer", {"Authorization": "Bearer "}),
        ("not an aio_ key", {"Authorization": "Bearer sk-1234567890"}),
    ],
)
def test_bad_authorization_gets_401(api: Client, description: str, headers: dict[str, str]) -> None:
    for reply in (
        api.create({"prompt": "a cat"}, auth=False, headers=headers),
        api.task("n30abc_seed", auth=False, headers=headers),
    ):
        assert reply.expect(401, "error")["error"]["type"] == "authentication_error"


def test_authentication_comes_before_validation(api: Client) -> None:
    reply = api.create({"no": "prompt"}, auth=False)
    reply.expect(401, "error")


def test_unknown_task_gets_404(api: Client) -> None:
    error = api.task("n30doesnotexist_seed").expect(404, "error")["error"]
    assert error["type"] == "not_found_error"


@pytest.mark.costs(12)
def test_another_keys_task_is_invisible(api: Client, other_api: Client) -> None:
    task_id = api.create({"prompt": "mine"}).expect(200, "create_response")["data"]["task_id"]
    mine = api.task(task_id).expect(200, "task")
    theirs = other_api.task(task_id).expect(404, "error")
    assert mine["data"]["task_id"] == task_id
    unknown = other_api.task("n30doesnotexist_seed").expect(404, "error")
    assert theirs["error"]["message"].replace(task_id, "ID") == unknown["error"]["message"].replace(
        "n30doesnotexist_seed", "ID"
    )  # the same answer as for an id that never existed: nothing leaks


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", GENERATIONS, 405),
        ("PUT", GENERATIONS, 405),
        ("DELETE", "/api/v1/tasks/n30abc_seed", 405),
        ("GET", "/api/v1/nothing-here", 404),
        ("POST", "/api/v2/images/generations", 404),
        ("GET", "/", 404),
    ],
)
def test_wrong_route_or_method_gets_the_envelope(
    api: Client, method: str, path: str, status: int
) -> None:
    reply = api.request(method, path)
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.expect(status, "error")["error"]["code"] == status
