"""The request journal records what a client sent to the public routes and what it got:
every field, the key only as a fingerprint, bodies bounded, the ring bounded, the final outcome."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable
from typing import Any

from mock_server.journal.records import BODY_LIMIT
from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.redact import fingerprint

Serve = Callable[..., tuple[MockServer, Client]]
GENERATIONS = "/api/v1/images/generations"
KEY = "aio_your_api_key"


def journal(api: Client, query: str = "") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.request("GET", f"/_mock/requests{query}").expect_json(200)[
        "data"
    ]
    return found


def raw_post(server: MockServer, body: bytes) -> str:
    """One POST on a fresh connection, no retries: the status, or how the connection ended."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(
            "POST",
            GENERATIONS,
            body=body,
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        )
        return str(connection.getresponse().status)
    except http.client.RemoteDisconnected:
        return "disconnected"
    finally:
        connection.close()


def test_a_generation_is_recorded_with_every_field(serve: Serve) -> None:
    server, api = serve()
    reply = api.request(
        "POST",
        f"{GENERATIONS}?trace=1",
        json_body={"prompt": "a fox", "quality": "high", "model": "seedream/4.5-text-to-image"},
        headers={"X-Request-Id": "abc-1"},
    )
    task_id = reply.expect_json(200)["data"]["task_id"]
    (entry,) = journal(api)
    assert entry["seq"] == 1
    assert entry["at"] == "2027-01-15T08:00:00.000Z"  # the mock's (manual) clock
    assert entry["wall_at"].endswith("Z")
    assert (entry["method"], entry["path"], entry["query"]) == (
        "POST",
        GENERATIONS,
        {"trace": ["1"]},
    )
    assert entry["headers"]["X-Request-Id"] == "abc-1"  # the name as the client wrote it
    assert entry["headers"]["Content-Type"] == "application/json"
    assert entry["headers"]["Authorization"] == f"Bearer {fingerprint(KEY)}"
    assert entry["key"] == fingerprint(KEY)
    assert entry["body"]["json"] == {
        "prompt": "a fox",
        "quality": "high",
        "model": "seedream/4.5-text-to-image",
    }
    assert entry["body"]["truncated"] is False
    assert (entry["outcome"], entry["status"], entry["task_id"]) == ("answered", 200, task_id)
    assert entry["response"]["body"]["json"]["data"]["task_id"] == task_id
    assert entry["response"]["headers"]["Content-Type"] == "application/json"
    assert (entry["faults"], entry["portability"]) == ([], [])
    assert entry["duration_ms"] >= 0


def test_the_key_is_never_in_the_journal(serve: Serve) -> None:
    _, api = serve()
    secret = "aio_a_secret_key_that_is_long_0042"
    client = api.with_key(secret)
    client.create({"prompt": f"repeat {secret}"}).expect_json(200)
    client.task("nope", headers={"X-Mock-Token": "t0ken-s3cret"})
    text = api.request("GET", "/_mock/requests").body.decode()
    assert secret not in text
    assert "t0ken-s3cret" not in text
    assert fingerprint(secret) in text
    assert fingerprint(secret).startswith("aio_…0042#")


def test_a_task_poll_and_a_404_name_their_task(serve: Serve) -> None:
    _, api = serve()
    task_id = api.create({"prompt": "a fox"}).expect_json(200)["data"]["task_id"]
    api.task(task_id).expect_json(200)
    api.task("n30missing_seed").expect_json(404)
    missing, poll, _ = journal(api)
    assert (poll["task_id"], poll["status"], poll["body"]) == (task_id, 200, None)
    assert (missing["task_id"], missing["status"]) == ("n30missing_seed", 404)
    assert missing["response"]["body"]["json"]["error"]["type"] == "not_found_error"


def test_bodies_are_bounded_and_say_so(serve: Serve) -> None:
    _, api = serve(max_prompt_chars=100_000)
    prompt = "x" * (BODY_LIMIT + 500)
    api.create({"prompt": prompt}).expect_json(200)
    (entry,) = journal(api)
    body = entry["body"]
    assert body["truncated"] is True
    assert body["size"] > BODY_LIMIT
    assert "json" not in body
    assert len(body["text"].encode()) == BODY_LIMIT


def test_a_body_that_is_not_json_is_kept_as_text(serve: Serve) -> None:
    _, api = serve()
    api.request("POST", GENERATIONS, data=b"prompt=a fox", headers={"Content-Type": "text/plain"})
    (entry,) = journal(api)
    assert entry["body"]["text"] == "prompt=a fox"
    assert entry["status"] == 400
    assert "json" in entry["response"]["body"]


def test_a_result_image_is_recorded_without_its_bytes(serve: Serve) -> None:
    server, api = serve()
    task_id = api.create({"prompt": "a fox"}).expect_json(200)["data"]["task_id"]
    api.request("POST", f"/_mock/tasks/{task_id}/complete").expect_json(200)
    url = api.task(task_id).expect_json(200)["data"]["output"]["image_urls"][0]
    assert api.request("GET", url).status == 200
    image = journal(api, "?route=/files")[0]
    assert image["response"]["body"]["binary"] is True
    assert image["response"]["body"]["size"] > 0
    assert "text" not in image["response"]["body"]


def test_the_ring_keeps_the_newest_and_forgets_the_oldest(serve: Serve) -> None:
    _, api = serve(journal_size=3)
    for n in range(5):
        api.task(f"n30t{n}_seed")
    kept = journal(api)
    assert [e["task_id"] for e in kept] == ["n30t4_seed", "n30t3_seed", "n30t2_seed"]
    assert [e["seq"] for e in kept] == [5, 4, 3]


def test_control_calls_are_not_recorded(serve: Serve) -> None:
    _, api = serve()
    api.request("GET", "/_mock/clock").expect_json(200)
    api.request("GET", "/_mock/health").expect_json(200)
    assert journal(api) == []


def test_a_closed_connection_is_recorded_as_closed(serve: Serve) -> None:
    server, api = serve()
    rule = {"name": "cut", "times": 1, "action": {"type": "close"}}
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    assert raw_post(server, b'{"prompt": "a fox"}') == "disconnected"
    (entry,) = journal(api)  # there at once: recorded before the connection was cut
    assert (entry["outcome"], entry["status"]) == ("closed", None)
    assert entry["faults"] == ["cut"]
    assert entry["response"]["body"] is None


def test_an_http_fault_after_handling_records_the_answer_sent(serve: Serve) -> None:
    _, api = serve()
    rule = {"name": "late", "action": {"type": "http_error", "status": 502, "when": "after"}}
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    api.create({"prompt": "a fox"}).expect_json(502)
    (entry,) = journal(api)
    assert (entry["status"], entry["faults"]) == (502, ["late"])
    assert entry["task_id"] is not None  # made, though the client never heard of it
    assert entry["response"]["headers"]["X-Mock-Fault-Applied"] == "late=http_error"
    assert json.dumps(entry["response"]["body"]["json"]).find("late") >= 0


def test_the_portability_risks_a_request_relied_on_are_recorded(serve: Serve) -> None:
    _, api = serve()
    api.create({"prompt": "a fox", "seed": 7}).expect_json(200)
    api.create({"prompt": "a fox", "model": "seedream/4.5-text-to-image"}).expect_json(200)
    newest, oldest = journal(api)
    assert [(r["code"], r["param"]) for r in oldest["portability"]] == [
        ("model-missing", "model"),
        ("unknown-field", "seed"),
    ]
    assert all(r["message"] for r in oldest["portability"])
    assert newest["portability"] == []
