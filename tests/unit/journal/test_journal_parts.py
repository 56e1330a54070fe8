"""The journal's parts without sockets: fingerprints, the ring, subset matching."""

from __future__ import annotations

from typing import Any

import pytest

from mock_server.core.errors import NotFoundError
from mock_server.core.events import Event, EventBus
from mock_server.journal.query import Query, from_values
from mock_server.journal.records import Recorded, body
from mock_server.journal.ring import RequestJournal
from mock_server.journal.verify import subset_differences
from seedream_contracts import redact


def entry(path: str = "/api/v1/tasks/x", key: str = "aio_your_api_key") -> Recorded:
    headers = [(b"Authorization", f"Bearer {key}".encode())]
    return Recorded(
        0.0, 0.0, "GET", path, "", headers, b"", 0, 200, [], b"", 0, None, (), [], 0.001
    )


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        ("aio_your_api_key", "aio_…_key#"),  # 16 characters: the tail is shown
        ("aio_short", "aio_…#"),  # the tail would say too much of a short key
        ("sk-live-0123456789abcdef", "…cdef#"),
    ],
)
def test_a_fingerprint_shows_little_and_tells_keys_apart(key: str, shown: str) -> None:
    found = redact.fingerprint(key)
    assert found.startswith(shown)
    assert len(found) == len(shown) + redact.HASH_CHARS
    assert key not in found
    assert found != redact.fingerprint(key + "x")
    assert found == redact.fingerprint(key)


def test_headers_keep_their_scheme_and_lose_their_secret() -> None:
    assert redact.header("Authorization", "Bearer aio_k") == f"Bearer {redact.fingerprint('aio_k')}"
    assert redact.header("authorization", "aio_k") == redact.fingerprint("aio_k")
    assert redact.header("X-Mock-Token", "t") == redact.fingerprint("t")
    assert redact.header("Accept", "application/json") == "application/json"


def test_the_ring_evicts_the_oldest_and_publishes_each_entry() -> None:
    events = EventBus()
    heard: list[Event] = []
    events.subscribe(heard.append)
    journal = RequestJournal(2, events)
    for n in range(3):
        journal.add(entry(f"/api/v1/tasks/{n}"))
    assert [d["path"] for d in journal.find(Query())] == ["/api/v1/tasks/2", "/api/v1/tasks/1"]
    assert [e.data["seq"] for e in heard] == [1, 2, 3]
    assert {e.kind for e in heard} == {"request.recorded"}
    events.publish(Event("state.reset", 0.0))
    assert journal.find(Query()) == []


def test_a_journal_of_size_zero_refuses_to_be_read() -> None:
    journal = RequestJournal(0, EventBus())
    with pytest.raises(NotFoundError, match="--journal-size 0"):
        journal.find(Query())
    with pytest.raises(NotFoundError):
        journal.clear()


def test_a_key_filter_takes_the_key_or_its_fingerprint() -> None:
    journal = RequestJournal(5, EventBus())
    journal.add(entry(key="aio_one_key_long_enough"))
    journal.add(entry(key="aio_two"))
    for wanted in ("aio_one_key_long_enough", redact.fingerprint("aio_one_key_long_enough")):
        (found,) = journal.find(from_values({"key": wanted}))
        assert found["key"] == redact.fingerprint("aio_one_key_long_enough")


@pytest.mark.parametrize(
    ("actual", "expected", "differences"),
    [
        ({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}}, []),
        ({"a": [1, 2]}, {"a": [1, 2]}, []),
        ({"a": [1, 2]}, {"a": [1]}, ["a: expected [1], got [1, 2]"]),
        ({"a": 1}, {"a": True}, ["a: expected true, got 1"]),
        ({"a": 1}, {"a": 1.0}, []),
        ({"a": {"b": 1}}, {"a": {"c": 1}}, ["a.c: expected 1, missing"]),
        ([1], {"a": 1}, ["body: expected an object, got [1]"]),
        ({"a": "x" * 100}, {"a": "y"}, ['a: expected "y", got "' + "x" * 78 + "…"]),
    ],
)
def test_a_subset_is_objects_within_objects_and_everything_else_equal(
    actual: Any, expected: Any, differences: list[str]
) -> None:
    assert subset_differences(actual, expected) == differences


def test_a_body_is_json_text_or_binary() -> None:
    assert body(b"", 0, "", None) is None
    assert body(b'{"a": NaN}', 10, "application/json", None)["text"] == '{"a": NaN}'  # type: ignore[index]
    assert body(b"\x89PNG", 4, "image/png", None) == {
        "size": 4,
        "truncated": False,
        "content_type": "image/png",
        "binary": True,
    }
    secret = (b"aio_k", "aio_…#x")
    assert body(b'{"k": "aio_k"}', 14, "", secret)["json"] == {"k": "aio_…#x"}  # type: ignore[index]
