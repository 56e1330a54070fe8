"""`seedream_mock.requests()` and `assert_requested()`: what a test asserts about what its client
sent, and the message it reads when the assertion fails."""

from __future__ import annotations

import pytest

from mock_server.core.errors import InvalidRequestError
from mock_server.handle import MockHandle
from seedream_contracts.redact import fingerprint

GENERATIONS = "/api/v1/images/generations"


def test_requests_lists_newest_first_and_filters(seedream_mock: MockHandle) -> None:
    task_id = seedream_mock.submit("a fox", quality="high")
    seedream_mock.task(task_id)
    poll, post = seedream_mock.requests()
    assert (poll["method"], post["method"]) == ("GET", "POST")
    assert seedream_mock.requests("post", GENERATIONS) == [post]
    assert seedream_mock.requests(path=f"/api/v1/tasks/{task_id}") == [poll]
    assert seedream_mock.requests(status=200, task_id=task_id, since=post["seq"]) == [poll]
    assert seedream_mock.requests(key=seedream_mock.api_key) == [poll, post]
    assert seedream_mock.requests(route="/files") == []


def test_each_test_starts_with_an_empty_journal(seedream_mock: MockHandle) -> None:
    assert seedream_mock.requests() == []


def test_a_wrong_filter_fails_loudly(seedream_mock: MockHandle) -> None:
    with pytest.raises(TypeError, match="unknown filter stauts"):
        seedream_mock.requests(stauts=500)
    with pytest.raises(InvalidRequestError, match="status must be"):
        seedream_mock.requests(status="boom")
    with pytest.raises(ValueError, match="times must be"):
        seedream_mock.assert_requested("GET", "/", times=-1)


def test_assert_requested_passes_and_returns_the_matches(seedream_mock: MockHandle) -> None:
    seedream_mock.submit("a fox", quality="high", aspect_ratio="16:9")
    seedream_mock.submit("a cat")
    (match,) = seedream_mock.assert_requested(
        "POST",
        GENERATIONS,
        json_contains={"quality": "high"},
        headers_contain={"authorization": f"Bearer {seedream_mock.api_key}"},
    )
    assert match["body"]["json"]["prompt"] == "a fox"
    assert len(seedream_mock.assert_requested("POST", GENERATIONS, times=2)) == 2
    seedream_mock.assert_requested("POST", GENERATIONS, times=None)
    seedream_mock.assert_requested("GET", "/api/v1/tasks/x", times=0)


def test_a_nested_subset_matches_and_lists_must_be_equal(seedream_mock: MockHandle) -> None:
    body = {"prompt": "a fox", "input": {"quality": "high", "tags": ["a", "b"]}, "n": 1}
    seedream_mock.client.create(body)  # refused (400), and still requested
    seedream_mock.assert_requested(
        "POST", GENERATIONS, json_contains={"input": {"quality": "high"}}
    )
    seedream_mock.assert_requested(
        "POST", GENERATIONS, json_contains={"input": {"tags": ["a", "b"]}}
    )
    for wrong in ({"input": {"tags": ["a"]}}, {"n": True}, {"n": "1"}):
        with pytest.raises(AssertionError):
            seedream_mock.assert_requested("POST", GENERATIONS, json_contains=wrong)


def test_a_failure_shows_the_closest_requests_with_a_diff(seedream_mock: MockHandle) -> None:
    task_id = seedream_mock.submit("a fox", quality="basic")
    seedream_mock.task(task_id)
    poll, post = (entry["seq"] for entry in seedream_mock.requests())
    with pytest.raises(AssertionError) as failed:
        seedream_mock.assert_requested(
            "POST",
            GENERATIONS,
            json_contains={"quality": "high", "aspect_ratio": "16:9"},
            headers_contain={"Authorization": f"Bearer {seedream_mock.api_key}"},
        )
    message = str(failed.value)
    lines = message.splitlines()
    assert lines[0].startswith(f"expected POST {GENERATIONS} requested 1 time with a JSON body")
    assert '{"aspect_ratio": "16:9", "quality": "high"}' in lines[0]
    assert "it was requested 0 times that way (2 requests in the journal)" in lines[0]
    assert lines[1] == "the requests that came closest, most alike first:"
    assert lines[2].startswith(f"  #{post} POST {GENERATIONS} -> 200 at ")
    assert f"task {task_id}" in lines[2]
    assert lines[3:5] == [
        '      quality: expected "high", got "basic"',
        '      aspect_ratio: expected "16:9", missing',
    ]
    assert lines[5].startswith(f"  #{poll} GET /api/v1/tasks/{task_id} -> 200")
    assert lines[6] == f"      route: expected POST {GENERATIONS}, got GET /api/v1/tasks/{task_id}"
    assert seedream_mock.api_key not in message
    assert fingerprint(seedream_mock.api_key) in message


def test_too_many_requests_show_the_ones_that_matched(seedream_mock: MockHandle) -> None:
    seedream_mock.submit("a fox")
    seedream_mock.submit("a fox")
    with pytest.raises(AssertionError) as failed:
        seedream_mock.assert_requested("POST", GENERATIONS, json_contains={"prompt": "a fox"})
    lines = str(failed.value).splitlines()
    assert "it was requested 2 times that way" in lines[0]
    assert lines[1] == "the requests that matched, newest first:"
    shown = [f"#{entry['seq']}" for entry in seedream_mock.requests()]
    assert [line.split()[0] for line in lines[2:]] == shown


def test_a_body_that_is_not_json_is_said_to_be_so(seedream_mock: MockHandle) -> None:
    seedream_mock.client.request("POST", GENERATIONS, data=b"hello", headers={})
    with pytest.raises(AssertionError, match=r"body: expected JSON, got text \(\"hello\"\)"):
        seedream_mock.assert_requested("POST", GENERATIONS, json_contains={"prompt": "x"})


def test_an_empty_journal_says_so(seedream_mock: MockHandle) -> None:
    with pytest.raises(AssertionError, match=r"requested at least once; .*\(0 requests in"):
        seedream_mock.assert_requested("POST", GENERATIONS, times=None)
