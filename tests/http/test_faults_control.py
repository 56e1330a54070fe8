"""Rate limits, timelines and task listing through the control API; its errors; a reset clears
the rules."""

from __future__ import annotations

from typing import Any

import pytest
from fault_support import (  # tests/http is on sys.path (rootdir mode)
    Serve,
    add_rule,
    advance,
    task_of,
)

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
