"""The inspector over plain HTTP: who may open it, which posts it takes, paging, the event
stream's bounds, and that stopping the server never waits for an open page."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from mock_server.inspector.access import COOKIE, cookie_value
from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
BODY = {"model": "seedream/4.5-text-to-image", "prompt": "a fox", "aspect_ratio": "1:1"}


def _call(
    server: MockServer, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    netloc = urlsplit(server.base_url).netloc
    connection = http.client.HTTPConnection(netloc, timeout=20)
    body = "next=/_mock/ui" if method == "POST" else None
    sent = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    connection.request(method, path, body=body, headers=sent | (headers or {}))
    answer = connection.getresponse()
    text = answer.read().decode("utf-8", "replace")
    connection.close()
    return answer.status, dict(answer.getheaders()), text


def test_a_form_post_from_another_origin_is_refused(serve: Serve) -> None:
    server, _ = serve()
    own = server.base_url
    assert _call(server, "POST", "/_mock/ui/reset")[0] == 403
    assert _call(server, "POST", "/_mock/ui/reset", {"Origin": "http://evil.test"})[0] == 403
    assert _call(server, "POST", "/_mock/ui/reset", {"Referer": "http://evil.test/x"})[0] == 403
    status, headers, _ = _call(server, "POST", "/_mock/ui/reset", {"Origin": own})
    assert (status, headers["Location"]) == (303, "/_mock/ui")


def test_the_token_sets_a_strict_cookie_that_only_the_inspector_takes(serve: Serve) -> None:
    server, _ = serve(control_token="tok")
    assert _call(server, "GET", "/_mock/ui/")[0] == 401
    status, headers, _ = _call(server, "GET", "/_mock/ui/keys?token=tok&limit=5")
    assert (status, headers["Location"]) == (303, "/_mock/ui/keys?limit=5")
    cookie = headers["Set-Cookie"]
    assert f"{COOKIE}={cookie_value('tok')}" in cookie
    assert "tok;" not in cookie
    assert all(part in cookie for part in ("HttpOnly", "SameSite=Strict", "Path=/_mock/ui"))
    sent = {"Cookie": f"{COOKIE}={cookie_value('tok')}"}
    assert _call(server, "GET", "/_mock/ui/keys", sent)[0] == 200
    assert _call(server, "GET", "/_mock/clock", sent)[0] == 401  # the JSON API: header only
    assert _call(server, "GET", "/_mock/ui/keys", {"X-Mock-Token": "tok"})[0] == 200
    posted = sent | {"Origin": server.base_url}
    assert _call(server, "POST", "/_mock/ui/reset", posted)[0] == 303


def test_without_the_control_api_there_is_no_inspector(serve: Serve) -> None:
    server, _ = serve(control=False)
    assert _call(server, "GET", "/_mock/ui")[0] == 404


def test_the_task_table_is_paged(serve: Serve) -> None:
    server, client = serve()
    for _ in range(60):
        assert client.create(BODY).status == 200
    status, _, page = _call(server, "GET", "/_mock/ui")
    assert status == 200
    assert page.count("<tr data-task=") == 50
    assert 'rel="next"' in page
    assert ">60</span> kept" in page
    older = page.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    assert _call(server, "GET", older)[2].count("<tr data-task=") == 10


def test_every_page_answers(serve: Serve) -> None:
    server, client = serve()
    task_id = client.create(BODY).json()["data"]["task_id"]
    server.control.advance_clock(600)
    for path in ("keys", "faults", "requests?status=2xx", f"tasks/{task_id}", "static/app.css"):
        status = _call(server, "GET", f"/_mock/ui/{path}")[0]
        assert status == (404 if path.endswith("app.css") else 200), path
    status, headers, _ = _call(server, "GET", f"/_mock/ui/tasks/{task_id}/thumb.png")
    assert (status, headers["Content-Type"]) == (200, "image/png")
    assert _call(server, "GET", "/_mock/ui/tasks/nope")[0] == 404


def test_stopping_the_server_ends_a_waiting_event_stream(serve: Serve) -> None:
    server, _ = serve()
    answers: list[Any] = []
    seq = server.app.extensions["seedream_mock.inspector.feed"].touch()
    waiting = threading.Thread(
        target=lambda: answers.append(
            _call(server, "GET", "/_mock/ui/events", {"Last-Event-ID": str(seq)})
        )
    )
    waiting.start()
    time.sleep(0.3)
    began = time.monotonic()
    server.stop()
    waiting.join(5)
    assert time.monotonic() - began < 2
    assert answers
    assert answers[0][0] == 200


def test_an_event_stream_answers_a_change_with_its_rows(serve: Serve) -> None:
    server, client = serve()
    seq = server.app.extensions["seedream_mock.inspector.feed"].touch()
    answers: list[Any] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            _call(server, "GET", "/_mock/ui/events", {"Last-Event-ID": str(seq)})
        )
    )
    waiting.start()
    time.sleep(0.2)
    task_id = client.create(BODY).json()["data"]["task_id"]
    waiting.join(5)
    status, headers, text = answers[0]
    assert (status, headers["Content-Type"]) == (200, "text/event-stream; charset=utf-8")
    assert text.startswith("retry: 250\nid: ")
    assert "event: change" in text
    assert task_id in text


@pytest.mark.parametrize("seq", ["0", "junk"])
def test_a_first_connection_is_answered_at_once(serve: Serve, seq: str) -> None:
    server, _ = serve()
    began = time.monotonic()
    status, _, text = _call(server, "GET", f"/_mock/ui/events?after={seq}")
    assert status == 200
    assert "id: 0" in text
    assert time.monotonic() - began < 1
