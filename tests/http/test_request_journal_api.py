"""`/_mock/requests`: filters, pages, clearing, reset, the journal switched off, the control
guard; and every wrong filter a 400 in the control API's error shape, naming it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest

from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.redact import fingerprint

Serve = Callable[..., tuple[MockServer, Client]]
GENERATIONS = "/api/v1/images/generations"
NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def seqs(api: Client, query: str = "") -> list[int]:
    data = api.request("GET", f"/_mock/requests{query}").expect_json(200)["data"]
    return [entry["seq"] for entry in data]


def traffic(api: Client) -> str:
    """1: POST by aio_your_api_key (200); 2: its poll (200); 3: a 404 poll by aio_other_key_1234;
    4: a POST with no body (400). Returns the task id."""
    task_id: str = api.create({"prompt": "a fox"}).expect_json(200)["data"]["task_id"]
    api.task(task_id).expect_json(200)
    api.with_key("aio_other_key_1234").task("n30nope_seed").expect_json(404)
    api.request("POST", GENERATIONS, data=b"", headers={"Content-Type": "application/json"})
    return task_id


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [4, 3, 2, 1]),
        (f"?route={quote('POST ' + GENERATIONS)}", [4, 1]),
        ("?route=/api/v1/tasks", [3, 2]),
        ("?route=GET", [3, 2]),
        ("?route=/api/v1/task", []),  # a prefix ends at a `/`
        ("?status=404", [3]),
        ("?status=2xx", [2, 1]),
        ("?status=answered", [4, 3, 2, 1]),
        ("?key=aio_other_key_1234", [3]),
        (f"?key={quote(fingerprint('aio_your_api_key'))}", [4, 2, 1]),
        ("?since=2", [4, 3]),
        ("?since=2027-01-15T08:00:00Z", [4, 3, 2, 1]),
        ("?since=2027-01-15T08:00:01Z", []),
        ("?route=POST&status=4xx", [4]),
    ],
)
def test_filters_narrow_the_listing(serve: Serve, query: str, expected: list[int]) -> None:
    _, api = serve()
    traffic(api)
    assert seqs(api, query) == expected


def test_a_task_id_filter_finds_its_submission_and_polls(serve: Serve) -> None:
    _, api = serve()
    task_id = traffic(api)
    assert seqs(api, f"?task_id={task_id}") == [2, 1]


def test_the_listing_comes_in_pages_newest_first(serve: Serve) -> None:
    _, api = serve()
    for n in range(5):
        api.task(f"n30t{n}_seed")
    first = api.request("GET", "/_mock/requests?limit=2&route=GET")
    assert [e["seq"] for e in first.expect_json(200)["data"]] == [5, 4]
    link = NEXT.match(first.headers["link"])
    assert link is not None
    assert "route=GET" in link["url"]
    assert "before=4" in link["url"]
    second = api.request("GET", link["url"])
    assert [e["seq"] for e in second.expect_json(200)["data"]] == [3, 2]
    assert seqs(api, "?limit=2&before=2") == [1]


def test_delete_clears_and_seq_goes_on(serve: Serve) -> None:
    _, api = serve()
    traffic(api)
    cleared = api.request("DELETE", "/_mock/requests").expect_json(200)
    assert cleared["data"] == {"cleared": 4}
    assert seqs(api) == []
    api.task("n30x_seed")
    assert seqs(api) == [5]  # never reused: a `since` taken before still means the same


def test_reset_clears_the_journal(serve: Serve) -> None:
    _, api = serve()
    traffic(api)
    api.request("POST", "/_mock/reset").expect_json(200)
    assert seqs(api) == []


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_a_journal_switched_off_says_so(serve: Serve, method: str) -> None:
    _, api = serve(journal_size=0)
    api.create({"prompt": "a fox"}).expect_json(200)
    error = api.request(method, "/_mock/requests").expect_json(404)["error"]
    assert error["type"] == "not_found_error"
    assert error["param"] == "journal_size"
    assert "--journal-size 0" in error["message"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_the_routes_are_behind_the_control_token(serve: Serve, method: str) -> None:
    _, api = serve(control_token="s3cret")
    assert api.request(method, "/_mock/requests").status == 401
    allowed = api.request(method, "/_mock/requests", headers={"X-Mock-Token": "s3cret"})
    assert allowed.status == 200


def test_the_routes_are_gone_without_the_control_api(serve: Serve) -> None:
    _, api = serve(control=False)
    assert api.request("GET", "/_mock/requests").status == 404


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("?status=abc", "status"),
        ("?status=600", "status"),
        ("?status=6xx", "status"),
        ("?since=yesterday", "since"),
        ("?since=-1", "since"),
        ("?route=api/v1", "route"),
        ("?route=P0ST%20/api", "route"),
        ("?route=", "route"),
        ("?key=", "key"),
        ("?task_id=", "task_id"),
        ("?limit=0", "limit"),
        ("?limit=x", "limit"),
        ("?before=999", "before"),
        ("?stauts=500", "stauts"),
    ],
)
def test_a_wrong_filter_is_a_400_naming_it(serve: Serve, query: str, param: str) -> None:
    _, api = serve()
    traffic(api)
    error: dict[str, Any] = api.request("GET", f"/_mock/requests{query}").expect_json(400)["error"]
    assert (error["type"], error["param"]) == ("invalid_request_error", param)
    assert error["message"]
