"""One fault decision per request: every layer matches the same resolved request.

`seedream-4-5` with `image_urls` is an edit (core/validation.py resolves the alias), so a rule
for `seedream/4.5-edit` must fire for it at the HTTP layer as it does at the task layer."""

from __future__ import annotations

import time
from typing import Any

from fault_support import Serve, add_rule, advance, task_of  # tests/http is on sys.path

EDIT = "seedream/4.5-edit"
ALIAS_EDIT: dict[str, Any] = {
    "prompt": "p",
    "model": "seedream-4-5",
    "image_urls": ["https://x.test/a.png"],
}
ALIAS_TEXT: dict[str, Any] = {"prompt": "p", "model": "seedream-4-5"}


def test_http_error_matches_the_resolved_model_of_an_alias(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api, name="edits-down", match={"model": EDIT}, action={"type": "http_error", "status": 503}
    )
    api.create(ALIAS_TEXT).expect(200, "create_response")  # the alias without images: text
    reply = api.create(ALIAS_EDIT)
    reply.expect(503, "error")
    assert reply.headers["x-mock-fault-applied"] == "edits-down=http_error"


def test_task_fail_matches_the_resolved_model_of_an_alias(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="edits-fail", match={"model": EDIT}, action={"type": "task_fail"})
    text_task, edit_task = task_of(api, ALIAS_TEXT), task_of(api, ALIAS_EDIT)
    advance(api, 3600)
    assert api.task(text_task).expect(200, "task")["data"]["status"] == "completed"
    assert api.task(edit_task).expect(200, "task")["data"]["status"] == "failed"


def test_latency_matches_the_resolved_model_of_an_alias(serve: Serve) -> None:
    _, api = serve()
    add_rule(api, name="slow-edits", match={"model": EDIT}, action={"type": "latency", "ms": 300})
    began = time.monotonic()
    reply = api.create(ALIAS_EDIT)
    assert time.monotonic() - began >= 0.3
    assert reply.headers["x-mock-fault-applied"].startswith("slow-edits=latency;delay_ms=")


def test_a_rule_fires_at_every_layer_for_one_alias_request(serve: Serve) -> None:
    _, api = serve()
    add_rule(
        api,
        name="late",
        match={"model": EDIT},
        action={"type": "http_error", "status": 500, "when": "after"},
    )
    add_rule(api, name="doomed", match={"model": EDIT}, action={"type": "task_fail"})
    api.create(ALIAS_EDIT).expect(500, "error")
    advance(api, 3600)
    (task,) = api.request("GET", "/_mock/tasks").expect_json(200)["data"]
    assert (task["model"], task["status"]) == (EDIT, "failed")
    fired = {r["name"]: r["fired"] for r in api.request("GET", "/_mock/faults").json()["data"]}
    assert fired == {"late": 1, "doomed": 1}


def test_an_invalid_body_still_gets_faults_that_match_on_route_and_key(serve: Serve) -> None:
    _, api = serve()
    # An invalid body has no resolved model: a model rule cannot match it, a route rule can.
    add_rule(api, name="edits", match={"model": EDIT}, action={"type": "http_error", "status": 503})
    add_rule(
        api,
        name="gen-down",
        match={"route": "generations", "key": "aio_your_api_key"},
        action={"type": "http_error", "status": 502},
    )
    reply = api.create({"prompt": "", "model": EDIT})
    reply.expect(502, "error")
    assert reply.headers["x-mock-fault-applied"] == "gen-down=http_error"


def test_a_generation_refused_after_the_decision_uses_no_task_rule(serve: Serve) -> None:
    _, api = serve(keys={"aio_your_api_key": 0}, key_mode="strict")
    add_rule(api, name="once", match={"model": EDIT}, action={"type": "task_fail"}, times=1)
    api.create(ALIAS_EDIT).expect(402, "error")  # no credits: no task, the rule given back
    api.with_key("aio_unknown").create(ALIAS_EDIT).expect(401, "error")
    api.request(
        "POST", "/_mock/keys/aio_your_api_key/credits", json_body={"amount": 100}
    ).expect_json(200)
    task_id = task_of(api, ALIAS_EDIT)
    advance(api, 3600)
    assert api.task(task_id).expect(200, "task")["data"]["status"] == "failed"
    (rule,) = api.request("GET", "/_mock/faults").expect_json(200)["data"]
    assert rule["fired"] == 1


def test_a_hang_added_after_the_thread_was_chosen_never_reaches_that_request() -> None:
    from werkzeug.test import EnvironBuilder

    from mock_server.server import MockServer
    from mock_server.settings.config import Settings

    server = MockServer(Settings(port=0, clock="manual"))
    try:
        environ = EnvironBuilder(path="/api/v1/tasks/n30x_seed", method="GET").get_environ()
        assert server._inline(environ) is True  # the loop thread runs it: decided, no hold
        server.control.add_fault({"name": "hang", "action": {"type": "hang", "seconds": 5}})
        began = time.monotonic()
        status: list[str] = []
        b"".join(server.app(environ, lambda s, h, e=None: status.append(s)))  # type: ignore[arg-type]
        assert time.monotonic() - began < 1
        assert status[0].startswith("401")  # the app's own answer (no key sent)
        (rule,) = server.control.faults()
        assert rule["fired"] == 0
    finally:
        server.emulator.stop()
