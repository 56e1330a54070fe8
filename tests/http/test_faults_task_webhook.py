"""Task and webhook fault actions through the real server: how a task and its callback bend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fault_support import (  # tests/http is on sys.path (rootdir mode)
    SECRET,
    Serve,
    add_rule,
    advance,
    task_of,
)
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from seedream_contracts.client import Client
from seedream_contracts.receiver import WebhookReceiver


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


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
