"""Every fault action, provoked through the real server, as a client sees it."""

from __future__ import annotations

import base64
import http.client
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.receiver import WebhookReceiver

Serve = Callable[..., tuple[MockServer, Client]]
GENERATIONS = "/api/v1/images/generations"
SECRET = "whsec_" + base64.b64encode(b"fault-tests-secret-32-bytes-long").decode()


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def add_rule(api: Client, **rule: Any) -> dict[str, Any]:
    added: dict[str, Any] = api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    return added["data"]


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def raw_post(server: MockServer, timeout: float = 5.0) -> http.client.HTTPResponse:
    """One request on its own connection, no retries: what a plain client sees."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(
            "POST",
            GENERATIONS,
            body=b'{"prompt": "p"}',
            headers={
                "Authorization": "Bearer aio_your_api_key",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def task_of(api: Client, body: dict[str, Any] | None = None) -> str:
    created = api.create(body or {"prompt": "p"}).expect(200, "create_response")
    task_id: str = created["data"]["task_id"]
    return task_id


# -- HTTP layer ---------------------------------------------------------------------------


def test_http_error_answers_the_status_with_headers_in_the_envelope(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api,
        name="busy",
        action={"type": "http_error", "status": 503, "headers": {"Retry-After": "7"}},
    )
    reply = api.create({"prompt": "p"})
    assert reply.expect(503, "error")["error"]["type"] == "upstream_error"
    assert reply.headers["retry-after"] == "7"
    assert reply.headers["x-mock-fault-applied"] == "busy=http_error"
    assert api.request("GET", "/_mock/tasks").expect_json(200)["data"] == []  # nothing created


def test_http_error_after_handling_creates_the_task_the_client_never_hears_of(
    serve: Serve,
) -> None:
    _, api = serve()
    add_rule(
        api,
        name="lost-answer",
        match={"route": "generations"},
        action={"type": "http_error", "status": 500, "when": "after"},
    )
    api.create({"prompt": "p"}).expect(500, "error")
    (task,) = api.request("GET", "/_mock/tasks").expect_json(200)["data"]
    assert task["status"] == "pending"


@pytest.mark.parametrize(
    ("action", "content_type", "body_check"),
    [
        ("malformed_json", "application/json", lambda b: b.startswith(b'{"code": 200')),
        ("empty_body", "application/json", lambda b: b == b""),
        ("wrong_content_type", "text/html; charset=utf-8", lambda b: b"<html>" in b),
    ],
)
def test_body_faults_break_what_the_client_parses(
    serve: Serve, action: str, content_type: str, body_check: Callable[[bytes], bool]
) -> None:
    _, api = serve()
    add_rule(api, name="broken", action={"type": action})
    reply = api.create({"prompt": "p"})
    assert reply.headers["content-type"] == content_type
    assert body_check(reply.body)
    with pytest.raises(ValueError, match="Expecting|Unterminated|delimiter"):
        reply.json()


# -- socket layer -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["close", "reset"])
def test_socket_fault_cuts_the_connection_without_an_answer(serve: Serve, kind: str) -> None:
    server, api = serve()
    add_rule(api, name="cut", action={"type": kind}, times=1)
    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        raw_post(server)
    assert raw_post(server).status == 200  # times=1: the next request is served


def test_hang_holds_until_the_client_gives_up_while_others_are_served(serve: Serve) -> None:
    server, api = serve()
    add_rule(api, name="hang", match={"header": True}, action={"type": "hang", "seconds": 3})
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=0.5)
    began = time.monotonic()
    connection.request(
        "GET", "/api/v1/tasks/n30x_seed", headers={"X-Mock-Fault": "hang", "Authorization": "x"}
    )
    with pytest.raises(TimeoutError):
        connection.getresponse()
    connection.close()
    assert 0.45 < time.monotonic() - began < 2
    quick = time.monotonic()
    api.task("n30x_seed").expect(404, "error")
    assert time.monotonic() - quick < 0.5


# -- latency ------------------------------------------------------------------------------


def test_latency_delays_only_the_matching_request(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api, name="slow-gen", match={"route": "generations"}, action={"type": "latency", "ms": 400}
    )
    durations: dict[str, float] = {}

    def timed(name: str, call: Callable[[], Any]) -> None:
        began = time.monotonic()
        call()
        durations[name] = time.monotonic() - began

    slow = threading.Thread(target=timed, args=("slow", lambda: task_of(api.with_key("aio_a"))))
    slow.start()
    time.sleep(0.05)
    timed("fast", lambda: api.task("n30x_seed"))
    slow.join(5)
    assert durations["slow"] >= 0.4
    assert durations["fast"] < 0.2  # not stuck behind the delayed one


def test_latency_distributions_are_drawn_from_the_seed(serve: Serve) -> None:
    delays = []
    for _ in range(2):
        _, api = serve(seed=99)
        add_rule(
            api,
            name="jitter",
            action={"type": "latency", "distribution": "lognormal", "median_ms": 5, "sigma": 0.5},
        )
        applied = [api.task("n30x_seed").headers["x-mock-fault-applied"] for _ in range(5)]
        delays.append(applied)
    assert delays[0] == delays[1]
    assert len(set(delays[0])) == 5
    assert all(a.startswith("jitter=latency;delay_ms=") for a in delays[0])


# -- matching, times, probability, removal ------------------------------------------------


def test_probability_with_a_seed_repeats_exactly(serve: Serve) -> None:
    outcomes = []
    for _ in range(2):
        _, api = serve(seed=7, keys={"aio_your_api_key": 100_000})
        add_rule(api, name="coin", action={"type": "http_error", "status": 503}, probability=0.5)
        outcomes.append([api.create({"prompt": "p"}).status for _ in range(30)])
    assert outcomes[0] == outcomes[1]
    assert set(outcomes[0]) == {200, 503}


def test_times_stops_after_n_and_counts_what_fired(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="twice", action={"type": "http_error", "status": 500}, times=2)
    assert [api.create({"prompt": "p"}).status for _ in range(3)] == [500, 500, 200]
    (rule,) = api.request("GET", "/_mock/faults").expect_json(200)["data"]
    assert rule["fired"] == 2


def test_removing_a_rule_restores_normal_behaviour(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="down", action={"type": "http_error", "status": 503})
    api.create({"prompt": "p"}).expect(503, "error")
    api.request("DELETE", "/_mock/faults/down").expect_json(200)
    api.create({"prompt": "p"}).expect(200, "create_response")


def test_header_rules_fire_only_for_requests_that_name_them(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api, name="on-demand", match={"header": True}, action={"type": "http_error", "status": 429}
    )
    api.create({"prompt": "p"}).expect(200, "create_response")
    api.create({"prompt": "p"}, headers={"X-Mock-Fault": "other"}).expect(200, "create_response")
    api.create({"prompt": "p"}, headers={"X-Mock-Fault": "on-demand"}).expect(429, "error")


@pytest.mark.parametrize(
    ("match", "hit", "miss"),
    [
        ({"prompt_contains": "cat"}, {"prompt": "a cat"}, {"prompt": "a dog"}),
        (
            {"model": "seedream/4.5-edit"},
            {"prompt": "p", "model": "seedream/4.5-edit", "image_urls": ["https://x.test/a.png"]},
            {"prompt": "p"},
        ),
        ({"quality": "high"}, {"prompt": "p", "quality": "high"}, {"prompt": "p"}),
        (
            {"aspect_ratio": ["16:9", "9:16"]},
            {"prompt": "p", "aspect_ratio": "9:16"},
            {"prompt": "p", "aspect_ratio": "1:1"},
        ),
    ],
)
def test_rules_match_on_request_fields(
    serve: Serve, match: dict[str, Any], hit: dict[str, Any], miss: dict[str, Any]
) -> None:
    _, api = serve()
    add_rule(api, name="picky", match=match, action={"type": "http_error", "status": 500})
    api.create(miss).expect(200, "create_response")
    api.create(hit).expect(500, "error")


def test_rules_match_on_key(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api,
        name="one-tenant",
        match={"key": "aio_unlucky"},
        action={"type": "http_error", "status": 500},
    )
    api.create({"prompt": "p"}).expect(200, "create_response")
    api.with_key("aio_unlucky").create({"prompt": "p"}).expect(500, "error")


def test_after_seconds_delays_the_rule_on_the_mock_clock(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="later", action={"type": "http_error", "status": 503}, after_seconds=30)
    api.create({"prompt": "p"}).expect(200, "create_response")
    advance(api, 30)
    api.create({"prompt": "p"}).expect(503, "error")


# -- task layer ---------------------------------------------------------------------------


def test_task_fail_at_pending_never_processes_and_costs_nothing(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api,
        name="policy",
        match={"route": "generations", "prompt_contains": "forbidden"},
        action={
            "type": "task_fail",
            "at": "pending",
            "code": "content_policy_violation",
            "message": "The prompt was refused.",
        },
    )
    task_id = task_of(api, {"prompt": "something forbidden"})
    advance(api, 1)
    data = api.task(task_id).expect(200, "task")["data"]
    assert (data["status"], data["progress"]) == ("failed", 0)
    assert data["error"] == {
        "code": "content_policy_violation",
        "message": "The prompt was refused.",
    }
    ledger = api.request("GET", "/_mock/keys/aio_your_api_key").expect_json(200)["data"]
    assert (ledger["held"], ledger["spent"]) == (0, 0)


def test_task_fail_at_processing_fails_when_processing_ends(serve: Serve) -> None:
    _, api = serve(processing_seconds=(4.0, 4.0))
    add_rule(api, name="gen-fail", match={"route": "generations"}, action={"type": "task_fail"})
    task_id = task_of(api)
    advance(api, 3)
    assert api.task(task_id).json()["data"]["status"] == "processing"
    advance(api, 2)
    data = api.task(task_id).expect(200, "task")["data"]
    assert (data["status"], data["error"]["code"]) == ("failed", "generation_failed")


def test_task_stall_stays_until_forced(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api,
        name="stuck",
        match={"route": "generations"},
        action={"type": "task_stall", "in": "processing"},
    )
    task_id = task_of(api)
    advance(api, 24 * 3600)
    assert api.task(task_id).json()["data"]["status"] == "processing"
    api.request("POST", f"/_mock/tasks/{task_id}/complete").expect_json(200)
    assert api.task(task_id).expect(200, "task")["data"]["status"] == "completed"


def test_task_stall_in_pending(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api,
        name="queued",
        match={"route": "generations"},
        action={"type": "task_stall", "in": "pending"},
    )
    task_id = task_of(api)
    advance(api, 3600)
    assert api.task(task_id).json()["data"]["status"] == "pending"


def test_task_instant_completes_without_any_time_passing(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="fast", match={"route": "generations"}, action={"type": "task_instant"})
    task_id = task_of(api)
    data = api.task(task_id).expect(200, "task")["data"]
    assert data["status"] == "completed"
    assert data["created_at"] == data["completed_at"]


# -- webhook layer ------------------------------------------------------------------------


def only_delivery(api: Client) -> dict[str, Any]:
    (found,) = api.request("GET", "/_mock/webhooks/deliveries").expect_json(200)["data"]
    return dict(found)


def test_webhook_drop_never_sends_and_says_so(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve()
    add_rule(api, name="lost", match={"route": "generations"}, action={"type": "webhook_drop"})
    task_of(api, {"prompt": "p", "callback_url": hooks.url})
    advance(api, 60)
    delivery = only_delivery(api)
    assert delivery["state"] == "dropped"
    assert "lost" in delivery["note"]
    assert hooks.received == []


def test_webhook_delay_sends_late(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve(processing_seconds=(4.0, 4.0))
    add_rule(
        api,
        name="late",
        match={"route": "generations"},
        action={"type": "webhook_delay", "seconds": 120},
    )
    task_of(api, {"prompt": "p", "callback_url": hooks.url})
    advance(api, 60)
    assert hooks.received == []
    advance(api, 70)
    assert len(hooks.wait(1)) == 1


def test_webhook_duplicate_sends_the_same_event_twice(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve()
    add_rule(
        api,
        name="twice",
        match={"route": "generations"},
        action={"type": "webhook_duplicate", "copies": 2},
    )
    task_of(api, {"prompt": "p", "callback_url": hooks.url})
    advance(api, 60)
    first, second = hooks.wait(2)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert [a["kind"] for a in only_delivery(api)["attempts"]] == ["scheduled", "duplicate"]


def test_webhook_reorder_delivers_two_tasks_in_reverse_order(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve(processing_seconds=(4.0, 4.0))
    add_rule(
        api,
        name="swap",
        match={"route": "generations", "prompt_contains": "first"},
        action={"type": "webhook_reorder"},
    )
    first = task_of(api, {"prompt": "first", "callback_url": hooks.url})
    advance(api, 10)  # the first task ends; its callback is held
    assert hooks.received == []
    second = task_of(api, {"prompt": "second", "callback_url": hooks.url})
    advance(api, 10)
    order = [r.json()["data"]["task_id"] for r in hooks.wait(2)]
    assert order == [second, first]


def test_webhook_bad_signature_fails_verification(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve(webhook_secrets=(SECRET,))
    add_rule(
        api,
        name="forged",
        match={"route": "generations", "prompt_contains": "forged"},
        action={"type": "webhook_bad_signature"},
    )
    task_of(api, {"prompt": "honest", "callback_url": hooks.url})
    advance(api, 60)
    task_of(api, {"prompt": "forged", "callback_url": hooks.url})
    advance(api, 60)
    honest, forged = hooks.wait(2)
    Webhook(SECRET).verify(honest.body, honest.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(forged.body, forged.headers)


# -- rate limiting, timelines, task listing -----------------------------------------------


def test_rate_limit_answers_429_with_retry_after_per_key(serve: Serve) -> None:
    _, api = serve(rate_limit_rps=1.0, rate_limit_burst=2)
    statuses = [api.create({"prompt": "p"}).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = api.task("n30x_seed")
    assert limited.expect(429, "error")["error"]["type"] == "rate_limit_error"
    assert limited.headers["retry-after"] == "1"
    api.with_key("aio_someone_else").create({"prompt": "p"}).expect(200, "create_response")
    advance(api, 1)
    api.create({"prompt": "p"}).expect(200, "create_response")


def test_rate_limit_is_set_and_lifted_through_the_control_api(serve: Serve) -> None:
    _, api = serve()
    api.request("PUT", "/_mock/rate-limit", json_body={"rps": 0.5, "burst": 1}).expect_json(200)
    api.create({"prompt": "p"}).expect(200, "create_response")
    assert api.create({"prompt": "p"}).expect(429, "error")
    assert api.create({"prompt": "p"}).headers["retry-after"] == "2"
    api.request(
        "PUT",
        "/_mock/rate-limit",
        json_body=None,
        data=b"null",
        headers={"Content-Type": "application/json"},
    ).expect_json(200)
    api.create({"prompt": "p"}).expect(200, "create_response")


def test_timeline_for_new_tasks_per_model_and_quality(serve: Serve) -> None:
    _, api = serve()
    api.request(
        "PUT",
        "/_mock/timelines",
        json_body={"quality": "high", "pending_seconds": 10, "processing_seconds": 50},
    ).expect_json(200)
    slow = task_of(api, {"prompt": "p", "quality": "high"})
    quick = task_of(api, {"prompt": "p"})
    advance(api, 30)
    assert api.task(quick).json()["data"]["status"] == "completed"
    assert api.task(slow).json()["data"]["status"] == "processing"
    advance(api, 30)
    assert api.task(slow).json()["data"]["status"] == "completed"


def test_all_tasks_across_keys_with_filters(serve: Serve) -> None:
    _, api = serve()
    mine = task_of(api)
    theirs = task_of(api.with_key("aio_theirs"))
    listed = api.request("GET", "/_mock/tasks").expect_json(200)["data"]
    assert [t["task_id"] for t in listed] == [theirs, mine]
    only = api.request("GET", "/_mock/tasks?key=aio_theirs").expect_json(200)["data"]
    assert [t["task_id"] for t in only] == [theirs]
    api.request("POST", f"/_mock/tasks/{mine}/complete").expect_json(200)
    done = api.request("GET", "/_mock/tasks?status=completed").expect_json(200)["data"]
    assert [t["task_id"] for t in done] == [mine]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "param"),
    [
        ("POST", "/_mock/faults", {"name": "x", "action": {"type": "explode"}}, 400, "action.type"),
        (
            "POST",
            "/_mock/faults",
            {"name": "x", "action": {"type": "http_error", "status": 99}},
            400,
            "action.status",
        ),
        (
            "POST",
            "/_mock/faults",
            {
                "name": "x",
                "action": {"type": "latency", "distribution": "uniform", "min_ms": 9, "max_ms": 1},
            },
            400,
            "action",
        ),
        ("POST", "/_mock/faults", {"action": {"type": "close"}}, 400, "name"),  # the missing field
        ("DELETE", "/_mock/faults/nothing", None, 404, "name"),
        ("PUT", "/_mock/rate-limit", {"rps": 0}, 400, "rate_limit.rps"),
        (
            "PUT",
            "/_mock/timelines",
            {"processing_seconds": [9, 1]},
            400,
            "timelines[0].processing_seconds",
        ),
        ("GET", "/_mock/tasks?status=lost", None, 400, "status"),
        ("GET", "/_mock/tasks?limit=0", None, 400, "limit"),
        ("POST", "/_mock/scenarios", {"name": "../../etc/passwd"}, 400, "name"),
        # Spans past 100 years would carry a reading past what a timestamp can be written as.
        (
            "POST",
            "/_mock/faults",
            {"name": "x", "action": {"type": "webhook_delay", "seconds": 1e300}},
            400,
            "action.seconds",
        ),
        (
            "POST",
            "/_mock/faults",
            {"name": "x", "action": {"type": "webhook_reorder", "max_hold_seconds": 1e300}},
            400,
            "action.max_hold_seconds",
        ),
        (
            "POST",
            "/_mock/faults",
            {"name": "x", "action": {"type": "close"}, "after_seconds": 1e300},
            400,
            "after_seconds",
        ),
        (
            "PUT",
            "/_mock/timelines",
            {"pending_seconds": 1e300, "processing_seconds": 1},
            400,
            "timelines[0].pending_seconds",
        ),
    ],
)
def test_fault_control_errors_name_the_field(
    serve: Serve, method: str, path: str, body: Any, status: int, param: str | None
) -> None:
    _, api = serve()
    error = api.request(method, path, json_body=body).expect(status, "error")["error"]
    assert error["param"] == param


def test_duplicate_rule_name_is_a_conflict(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="once", action={"type": "close"})
    again = api.request(
        "POST", "/_mock/faults", json_body={"name": "once", "action": {"type": "close"}}
    )
    assert again.expect(409, "error")["error"]["param"] == "name"


def test_reset_clears_fault_rules(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="down", action={"type": "http_error", "status": 503})
    api.request("POST", "/_mock/reset").expect_json(200)
    assert api.request("GET", "/_mock/faults").expect_json(200)["data"] == []
    api.create({"prompt": "p"}).expect(200, "create_response")
