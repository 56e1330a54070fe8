"""Each shipped scenario provokes what its description promises, over real sockets: slow
queues, 5xx and 429 answers, refused credits, failed and stuck tasks, duplicated and retried
webhooks."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from scenario_support import (  # tests/http is on sys.path (rootdir mode)
    KEY,
    advance,
    error_of,
    fresh_client,
    get,
    load,
    seconds_between,
    submit,
    task,
)

from mock_server.settings.values import WEBHOOK_SCHEDULES
from seedream_contracts.client import Client
from seedream_contracts.receiver import WebhookReceiver


@pytest.fixture
def api() -> Iterator[Client]:
    with fresh_client() as client:
        yield client


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


# ---------------------------------------------------------- each provokes what it describes


def test_happy_path_finishes_tasks_within_a_second(api: Client) -> None:
    load(api, "happy-path")
    assert get(api, "/_mock/clock")["speed"] == 10
    started = time.monotonic()
    ids = [submit(api, f"fox {n}") for n in range(3)]
    finished = [api.wait(task_id, timeout=5).expect(200, "task")["data"] for task_id in ids]
    assert time.monotonic() - started < 3.0  # nominally under 0.9 s; slack for slow machines
    for data in finished:
        assert data["status"] == "completed"
        assert data["output"]["image_urls"]
        assert 3.0 <= seconds_between(data["created_at"], data["completed_at"]) <= 9.0


def test_slow_queue_keeps_tasks_waiting_twenty_to_sixty_seconds(api: Client) -> None:
    load(api, "slow-queue")
    task_id = submit(api)
    advance(api, 14.9)
    assert task(api, task_id)["status"] == "pending"
    advance(api, 0.1)
    assert task(api, task_id)["status"] == "processing"
    advance(api, 45)
    data = task(api, task_id)
    assert data["status"] == "completed"
    assert 20.0 <= seconds_between(data["created_at"], data["completed_at"]) <= 60.0


def _flaky_run(api: Client, count: int) -> list[int]:
    statuses = []
    for n in range(count):
        reply = api.create({"prompt": f"fox {n}"})
        statuses.append(reply.status)
        if reply.status == 503:
            assert reply.headers["retry-after"] == "2"
            assert error_of(reply, 503)["type"] == "upstream_error"
        elif reply.status == 500:
            assert error_of(reply, 500)["type"] == "api_error"
        else:
            reply.expect(200, "create_response")
    return statuses


def test_flaky_5xx_fails_a_seeded_share_of_submissions(api: Client) -> None:
    load(api, "flaky-5xx")
    api.request("POST", f"/_mock/keys/{KEY}/credits", json_body={"amount": 1200}).expect_json(200)
    statuses = _flaky_run(api, 150)
    assert 20 <= statuses.count(503) <= 70  # 30 % of 150, drawn from the seeded generator
    assert statuses.count(500) >= 1
    assert set(statuses) <= {200, 500, 503}
    made = get(api, "/_mock/tasks?limit=1000")
    assert len(made) == statuses.count(200) + statuses.count(500)  # the 500 came after creating

    load(api, "flaky-5xx")  # a reload restarts the seeded draws: the same run again
    api.request("POST", f"/_mock/keys/{KEY}/credits", json_body={"amount": 1200}).expect_json(200)
    assert _flaky_run(api, 150) == statuses


def test_rate_limited_answers_429_after_the_burst(api: Client) -> None:
    load(api, "rate-limited")
    ids = [submit(api, f"fox {n}") for n in range(3)]
    refused = api.create({"prompt": "one too many"})
    assert error_of(refused, 429)["type"] == "rate_limit_error"
    assert refused.headers["retry-after"] == "1"
    assert api.task(ids[0]).status == 429  # polls share the bucket
    assert len(get(api, "/_mock/tasks")) == 3  # the refused submission made no task
    submit(api.with_key("aio_someone_else"), "another key has its own bucket")
    advance(api, 1)  # one token back
    assert task(api, ids[0])["task_id"] == ids[0]
    assert api.task(ids[0]).status == 429


def test_out_of_credits_refuses_the_third_image(api: Client) -> None:
    load(api, "out-of-credits")
    submit(api, "first")
    submit(api, "second")
    third = error_of(api.create({"prompt": "third"}), 402)
    assert third["type"] == "insufficient_credits"
    broke = api.with_key("aio_broke").create({"prompt": "anything"})
    assert error_of(broke, 402)["type"] == "insufficient_credits"
    stranger = api.with_key("aio_not_configured").create({"prompt": "anything"})
    assert error_of(stranger, 401)["type"] == "authentication_error"  # strict keys
    ledger = get(api, f"/_mock/keys/{KEY}")
    assert (ledger["granted"], ledger["held"], ledger["available"]) == (24, 24, 0)


def test_content_policy_fails_forbidden_prompts_and_some_others(api: Client) -> None:
    load(api, "content-policy")
    flagged = submit(api, "a forbidden fox")
    others = [submit(api, f"a fox {n}") for n in range(60)]
    advance(api, 1)  # the end of pending
    data = task(api, flagged)
    assert data["status"] == "failed"
    assert data["progress"] == 0  # it never processed
    assert data["error"]["code"] == "content_policy_violation"
    assert data["credits_consumed"] == 0
    advance(api, 60)
    failed = [task(api, t) for t in others if task(api, t)["status"] == "failed"]
    assert 1 <= len(failed) <= 20  # 10 % of 60, seeded
    for data in failed:
        assert data["error"]["code"] == "generation_failed"
        assert seconds_between(data["created_at"], data["completed_at"]) > 1.0  # in processing
    assert get(api, f"/_mock/keys/{KEY}")["held"] == 0  # failures release their hold


def test_stuck_task_stays_processing_until_forced(api: Client) -> None:
    load(api, "stuck-task")
    done, dead = submit(api, "finish me"), submit(api, "fail me")
    advance(api, 3600)
    for task_id in (done, dead):
        assert task(api, task_id)["status"] == "processing"
    api.request("POST", f"/_mock/tasks/{done}/complete").expect_json(200)
    finished = task(api, done)
    assert finished["status"] == "completed"
    assert finished["output"]["image_urls"]
    failure = {"code": "timeout", "message": "gave up waiting"}
    api.request("POST", f"/_mock/tasks/{dead}/fail", json_body=failure).expect_json(200)
    assert task(api, dead)["error"] == failure


def test_webhook_duplicates_sends_each_callback_twice(api: Client, hooks: WebhookReceiver) -> None:
    load(api, "webhook-duplicates")
    task_id = submit(api, callback_url=hooks.url)
    advance(api, 60)  # returns once every due attempt (and its copy) is made
    first, copy = hooks.received
    assert first.headers["webhook-id"] == copy.headers["webhook-id"]
    assert first.body == copy.body
    assert first.json()["data"]["task_id"] == task_id
    assert [first.headers["x-seedream-attempt"], copy.headers["x-seedream-attempt"]] == ["1", "2"]


def test_webhook_outage_retries_on_the_long_schedule(api: Client, hooks: WebhookReceiver) -> None:
    load(api, "webhook-outage")
    assert get(api, "/_mock/clock")["speed"] == 1000
    api.request("POST", "/_mock/clock", json_body={"mode": "manual"}).expect_json(200)
    hooks.respond_by_default(500)  # the receiver is down for the whole schedule
    task_id = submit(api, callback_url=hooks.url)
    advance(api, 100_000)
    schedule = WEBHOOK_SCHEDULES["standard-webhooks"]
    received = hooks.received
    assert len(received) == len(schedule) + 1
    assert {r.headers["webhook-id"] for r in received} == {received[0].headers["webhook-id"]}
    (summary,) = get(api, f"/_mock/webhooks/deliveries?task_id={task_id}")
    delivery = get(api, f"/_mock/webhooks/deliveries/{summary['event_id']}")
    assert delivery["state"] == "exhausted"
    times = [a["at"] for a in delivery["attempts"]]
    gaps = [round(seconds_between(a, b), 3) for a, b in zip(times, times[1:], strict=False)]
    assert gaps == list(schedule)
