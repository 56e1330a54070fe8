"""The HTTP, socket and latency fault actions, provoked through the real server, as a client sees
them; and which requests a rule matches."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fault_support import (  # tests/http is on sys.path (rootdir mode)
    Serve,
    add_rule,
    advance,
    raw_post,
    task_of,
)

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
