"""Long control-API listings come in pages: `limit`, a `before` cursor, `Link: rel="next"`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.receiver import WebhookReceiver

Serve = Callable[..., tuple[MockServer, Client]]
NEXT = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def walk(api: Client, url: str, ident: str) -> tuple[list[str], int]:
    """Follow `Link: rel="next"` from `url` to the last page: every id seen, and the pages."""
    seen: list[str] = []
    pages = 0
    next_url: str | None = url
    while next_url is not None:
        reply = api.request("GET", next_url)
        seen += [item[ident] for item in reply.expect_json(200)["data"]]
        pages += 1
        link = reply.headers.get("Link") or reply.headers.get("link")
        next_url = NEXT.match(link)["url"] if link else None  # type: ignore[index]
        assert pages <= 20, "the pages never end"
    return seen, pages


def submit(api: Client, count: int, **fields: Any) -> list[str]:
    return [
        api.create({"prompt": f"fox {n}", **fields}).expect_json(200)["data"]["task_id"]
        for n in range(count)
    ]


def test_tasks_come_in_pages_newest_first(serve: Serve) -> None:
    _, api = serve()
    ids = submit(api, 5)
    seen, pages = walk(api, "/_mock/tasks?limit=2", "task_id")
    assert seen == ids[::-1]
    assert pages == 3


def test_a_cursor_is_not_thrown_off_by_new_tasks(serve: Serve) -> None:
    _, api = serve()
    ids = submit(api, 4)
    first = api.request("GET", "/_mock/tasks?limit=2")
    link = NEXT.match(first.headers.get("Link") or first.headers["link"])
    assert link is not None
    submit(api, 3)  # arrive at the top, ahead of the cursor
    rest = api.request("GET", link["url"]).expect_json(200)["data"]
    assert [t["task_id"] for t in rest] == ids[1::-1]  # the two oldest, nothing twice


def test_the_last_page_has_no_next_link(serve: Serve) -> None:
    _, api = serve()
    submit(api, 2)
    reply = api.request("GET", "/_mock/tasks?limit=2")
    assert len(reply.expect_json(200)["data"]) == 2
    assert "link" not in {name.lower() for name in reply.headers}


def test_deliveries_come_in_pages_with_the_filters_kept(serve: Serve) -> None:
    _, api = serve()
    with WebhookReceiver() as hooks:
        ids = submit(api, 5, callback_url=hooks.url)
        submit(api, 2)  # no callback: no delivery
        api.request("POST", "/_mock/clock/advance", json_body={"seconds": 60}).expect_json(200)
        hooks.wait(5)
    seen, pages = walk(api, "/_mock/webhooks/deliveries?state=delivered&limit=2", "task_id")
    whole = api.request("GET", "/_mock/webhooks/deliveries").expect_json(200)["data"]
    assert seen == [d["task_id"] for d in whole]  # the same order as one long listing
    assert sorted(seen) == sorted(ids)
    assert pages == 3


@pytest.mark.parametrize("path", ["/_mock/tasks", "/_mock/webhooks/deliveries"])
@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("limit=10001", "limit"),
        ("limit=%D9%A3", "limit"),
        ("before=n30nothing_seed", "before"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(
    serve: Serve, path: str, query: str, param: str
) -> None:
    _, api = serve()
    error = api.request("GET", f"{path}?{query}").expect_json(400)["error"]
    assert error["param"] == param
    assert param in error["message"]


def test_keys_come_in_pages_oldest_first_with_a_default_page_size(serve: Serve) -> None:
    """Before: one answer held every key (100k open-mode keys: 38.7 MB, 4.4 s)."""
    _, api = serve()
    made = [f"aio_k{n:03}" for n in range(150)]
    for key in made:
        api.request("POST", "/_mock/keys", json_body={"key": key}).expect_json(200)
    first = api.request("GET", "/_mock/keys")
    assert len(first.expect_json(200)["data"]) == 100
    assert first.headers.get("Link") or first.headers.get("link")
    seen, pages = walk(api, "/_mock/keys?limit=60", "key")
    assert seen == ["aio_your_api_key", *made]
    assert pages == 3


def test_fault_rules_come_in_pages_in_the_order_added(serve: Serve) -> None:
    _, api = serve()
    names = [f"rule-{n}" for n in range(5)]
    for name in names:
        rule = {"name": name, "match": {"route": "tasks"}, "action": {"type": "close"}}
        api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    seen, pages = walk(api, "/_mock/faults?limit=2", "name")
    assert seen == names
    assert pages == 3


@pytest.mark.parametrize(
    ("path", "query", "param"),
    [
        ("/_mock/keys", "limit=1001", "limit"),
        ("/_mock/keys", "before=aio_nobody", "before"),
        ("/_mock/faults", "limit=0", "limit"),
        ("/_mock/faults", "before=nothing", "before"),
    ],
)
def test_bad_paging_of_keys_and_faults_is_a_400_naming_the_parameter(
    serve: Serve, path: str, query: str, param: str
) -> None:
    _, api = serve()
    error = api.request("GET", f"{path}?{query}").expect_json(400)["error"]
    assert error["param"] == param
