"""Webhooks over real sockets: one callback per finished task, retries on the mock's clock,
signatures a third-party verifier accepts, an attempt log, resend, limits and shutdown."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from mock_server.core.clock import parse_iso
from mock_server.server import MockServer
from seedream_contracts.client import Client
from seedream_contracts.loader import validator
from seedream_contracts.receiver import Reply, WebhookReceiver

Serve = Callable[..., tuple[MockServer, Client]]
SECRET = "whsec_" + base64.b64encode(b"the-current-secret-32-bytes-long").decode()
OLD_SECRET = "whsec_" + base64.b64encode(b"the-previous-secret-32-bytes-lon").decode()


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def submit(api: Client, url: str, **extra: Any) -> str:
    body = {"prompt": "hook me", "callback_url": url, **extra}
    task_id: str = api.create(body).expect(200, "create_response")["data"]["task_id"]
    return task_id


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def deliveries(api: Client, **filters: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    found: list[dict[str, Any]] = api.request(
        "GET", f"/_mock/webhooks/deliveries?{query}"
    ).expect_json(200)["data"]
    return found


def only_delivery(api: Client, task_id: str) -> dict[str, Any]:
    (summary,) = deliveries(api, task_id=task_id)
    found: dict[str, Any] = api.request(
        "GET", f"/_mock/webhooks/deliveries/{summary['event_id']}"
    ).expect_json(200)["data"]
    return found


def test_completed_task_calls_back_once_with_the_task_document(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve()
    task_id = submit(api, hooks.url)
    advance(api, 60)
    (received,) = hooks.wait(1)
    assert not list(validator("callback").iter_errors(received.json()))
    assert received.json() == api.task(task_id).expect(200, "task")
    assert received.headers["content-type"] == "application/json"
    assert received.headers["user-agent"].startswith("seedream-mock/")
    assert received.headers["webhook-id"].startswith("evt_")
    advance(api, 3600)
    assert len(hooks.received) == 1


def test_failed_task_calls_back_with_its_error(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve()
    task_id = submit(api, hooks.url)
    failed = api.request(
        "POST", f"/_mock/tasks/{task_id}/fail", json_body={"code": "content_policy_violation"}
    )
    failed.expect_json(200)
    (received,) = hooks.wait(1)
    data = received.json()["data"]
    assert not list(validator("callback").iter_errors(received.json()))
    assert (data["status"], data["error"]["code"]) == ("failed", "content_policy_violation")
    assert data["credits_consumed"] == 0


def test_task_without_callback_url_sends_nothing(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve()
    api.create({"prompt": "quiet"}).expect(200, "create_response")
    advance(api, 60)
    assert deliveries(api) == []
    assert hooks.received == []


def test_two_failures_then_success_follow_the_schedule(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve()
    hooks.respond(500, 500)
    task_id = submit(api, hooks.url)
    advance(api, 60)
    delivery = only_delivery(api, task_id)
    assert delivery["state"] == "delivered"
    times = [parse_iso(a["at"]) for a in delivery["attempts"]]
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 200]
    assert [round(t - times[0], 3) for t in times] == [0, 1, 3]  # 1 s, then 2 s
    assert times[0] == parse_iso(api.task(task_id).json()["data"]["completed_at"])
    assert len({r.headers["webhook-id"] for r in hooks.received}) == 1


def test_receiver_down_exhausts_the_schedule_then_resend_delivers(serve: Serve) -> None:
    receiver = WebhookReceiver().start()
    url, port = receiver.url, receiver.port
    receiver.stop()  # nothing listens there now: every attempt is refused
    _, api = serve()
    task_id = submit(api, url)
    advance(api, 60)
    delivery = only_delivery(api, task_id)
    assert delivery["state"] == "exhausted"
    assert len(delivery["attempts"]) == 4
    assert all(a["status"] is None and a["error"] for a in delivery["attempts"])
    with WebhookReceiver(port=port) as back:
        resent = api.request(
            "POST", f"/_mock/webhooks/deliveries/{delivery['event_id']}/resend"
        ).expect_json(200)["data"]
        assert resent["state"] == "delivered"
        assert resent["attempts"][-1]["kind"] == "resend"
        assert back.wait(1)[0].headers["webhook-id"] == delivery["event_id"]


def test_slow_receiver_times_out_while_the_api_stays_responsive(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve(webhook_timeout=1.0, webhook_schedule=())
    hooks.respond(Reply(delay=3.0))
    task_id = submit(api, hooks.url)
    advancing = threading.Thread(target=advance, args=(api.with_key("aio_other"), 60))
    advancing.start()
    hooks.wait(1)
    began = time.monotonic()
    api.task(task_id).expect(200, "task")
    answered_in = time.monotonic() - began
    advancing.join(10)
    assert answered_in < 0.5, answered_in
    attempt = only_delivery(api, task_id)["attempts"][0]
    assert attempt["status"] is None
    assert "timed out" in attempt["error"]
    assert 900 <= attempt["latency_ms"] < 2500


def test_retry_after_on_429_overrides_the_schedule(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve()
    hooks.respond(Reply(429, headers={"Retry-After": "30"}))
    task_id = submit(api, hooks.url)
    advance(api, 20)
    assert len(hooks.received) == 1
    advance(api, 60)
    attempts = only_delivery(api, task_id)["attempts"]
    gap = parse_iso(attempts[1]["at"]) - parse_iso(attempts[0]["at"])
    assert [a["status"] for a in attempts] == [429, 200]
    assert gap == 30


def test_redirect_is_not_followed(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve(webhook_schedule=())
    hooks.respond(Reply(302, headers={"Location": "http://192.0.2.1/elsewhere"}))
    task_id = submit(api, hooks.url)
    advance(api, 60)
    delivery = only_delivery(api, task_id)
    assert delivery["state"] == "exhausted"
    assert "not followed" in delivery["attempts"][0]["error"]


def test_concurrent_submissions_get_exactly_one_delivery_each(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve(clock="scaled", speed=1000, keys={"aio_load": 100_000})
    loaded = api.with_key("aio_load")
    task_ids: list[str] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(200 // 16 + 1):
            with lock:
                if len(task_ids) >= 200:
                    return
                task_ids.append("")
            created = submit(loaded, hooks.url)
            with lock:
                task_ids[task_ids.index("")] = created

    threads = [threading.Thread(target=client) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    received = hooks.wait(200, timeout=60)
    time.sleep(0.2)  # anything extra would show up now
    called_back = [r.json()["data"]["task_id"] for r in hooks.received]
    assert len(called_back) == 200
    assert sorted(called_back) == sorted(task_ids)
    assert len({r.headers["webhook-id"] for r in received}) == 200


def test_disallowed_callback_host_is_refused_at_submission(serve: Serve) -> None:
    _, api = serve()
    error = api.create({"prompt": "p", "callback_url": "https://hooks.example.com/x"})
    assert error.expect(400, "error")["error"]["param"] == "callback_url"


def test_callback_hosts_setting_can_widen_the_allow_list(serve: Serve) -> None:
    _, api = serve(callback_hosts=("loopback", "*.example.test"))
    api.create({"prompt": "p", "callback_url": "https://hooks.example.test/x"}).expect(
        200, "create_response"
    )


def test_signature_verifies_with_standardwebhooks_and_fails_when_tampered(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve(webhook_secrets=(SECRET, OLD_SECRET))
    submit(api, hooks.url)
    advance(api, 60)
    (received,) = hooks.wait(1)
    for secret in (SECRET, OLD_SECRET):  # a receiver on either side of a rotation verifies
        Webhook(secret).verify(received.body, received.headers)
    tampered = received.body.replace(b'"completed"', b'"failed"')
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, received.headers)
    stranger = "whsec_" + base64.b64encode(b"somebody-elses-secret-32-bytes!!").decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(received.body, received.headers)


def test_unsigned_by_default(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve()
    submit(api, hooks.url)
    advance(api, 60)
    (received,) = hooks.wait(1)
    assert "webhook-signature" not in received.headers


def test_kie_style_signature(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve(webhook_secrets=("kie-hmac-key",), webhook_signature="kie")
    task_id = submit(api, hooks.url)
    advance(api, 60)
    headers = hooks.wait(1)[0].headers
    stamp = headers["x-webhook-timestamp"]
    digest = hmac.new(b"kie-hmac-key", f"{task_id}.{stamp}".encode(), hashlib.sha256).digest()
    assert headers["x-webhook-signature"] == base64.b64encode(digest).decode()
    assert abs(int(stamp) - time.time()) < 60  # wall time: receivers check their own clock


def test_standard_webhooks_schedule_passes_in_seconds_on_a_scaled_clock(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve(clock="scaled", speed=20_000, webhook_schedule=(5, 300, 1800, 7200))
    hooks.respond(503, 503, 503)
    task_id = submit(api, hooks.url)
    hooks.wait(4, timeout=10)  # 2105 s of schedule, about 0.1 s of wall time
    deadline = time.monotonic() + 5
    while only_delivery(api, task_id)["state"] != "delivered" and time.monotonic() < deadline:
        time.sleep(0.01)
    attempts = only_delivery(api, task_id)["attempts"]
    times = [parse_iso(a["at"]) for a in attempts]
    gaps = [later - earlier for earlier, later in zip(times, times[1:], strict=False)]
    assert [a["status"] for a in attempts] == [503, 503, 503, 200]
    assert [g >= d for g, d in zip(gaps, (5, 300, 1800), strict=True)] == [True, True, True]


def test_delivery_log_is_bounded(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve(webhook_log_limit=3)
    for _ in range(5):
        submit(api, hooks.url)
        advance(api, 60)
    assert len(hooks.wait(5)) == 5
    assert len(deliveries(api)) == 3


def test_deliveries_filter_by_state_key_and_task(serve: Serve, hooks: WebhookReceiver) -> None:
    _, api = serve(webhook_schedule=())
    hooks.respond(500)
    first = submit(api, hooks.url)
    advance(api, 60)
    second = submit(api.with_key("aio_another"), hooks.url)
    advance(api, 60)
    assert [d["task_id"] for d in deliveries(api, state="exhausted")] == [first]
    assert [d["task_id"] for d in deliveries(api, state="delivered")] == [second]
    assert [d["task_id"] for d in deliveries(api, key="aio_another")] == [second]
    assert [d["task_id"] for d in deliveries(api)] == [second, first]  # newest first


@pytest.mark.parametrize(
    ("method", "path", "status", "param"),
    [
        ("GET", "/_mock/webhooks/deliveries?state=lost", 400, "state"),
        ("GET", "/_mock/webhooks/deliveries/evt_nothing", 404, "event_id"),
        ("POST", "/_mock/webhooks/deliveries/evt_nothing/resend", 404, "event_id"),
        ("POST", "/_mock/tasks/n30nothing_seed/complete", 404, "task_id"),
        ("POST", "/_mock/tasks/n30nothing_seed/fail", 404, "task_id"),
    ],
)
def test_webhook_control_errors(
    serve: Serve, method: str, path: str, status: int, param: str
) -> None:
    _, api = serve()
    assert api.request(method, path).expect(status, "error")["error"]["param"] == param


def test_forcing_an_ended_task_is_a_conflict(serve: Serve) -> None:
    _, api = serve()
    task_id = api.create({"prompt": "p"}).expect(200, "create_response")["data"]["task_id"]
    api.request("POST", f"/_mock/tasks/{task_id}/complete").expect_json(200)
    api.request("POST", f"/_mock/tasks/{task_id}/fail").expect(409, "error")
    bad = api.request("POST", f"/_mock/tasks/{task_id}/fail", json_body={"code": 5})
    assert bad.expect(400, "error")["error"]["param"] == "code"


def test_shutdown_reports_undelivered_callbacks(
    serve: Serve, hooks: WebhookReceiver, capfd: pytest.CaptureFixture[str]
) -> None:
    server, api = serve()
    hooks.respond(500)
    task_id = submit(api, hooks.url)
    api.request("POST", f"/_mock/tasks/{task_id}/complete").expect_json(200)
    hooks.wait(1)
    deadline = time.monotonic() + 5
    while not only_delivery(api, task_id)["attempts"] and time.monotonic() < deadline:
        time.sleep(0.01)
    server.stop()
    (delivery,) = server.control.deliveries(task_id, None, None)
    assert delivery["state"] == "abandoned"
    assert "NOT delivered" in capfd.readouterr().err
