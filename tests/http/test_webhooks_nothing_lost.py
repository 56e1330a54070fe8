"""Webhooks lose nothing and stick nowhere: every accepted callback_url can be sent, an attempt
that raises is a logged failure, held and pending deliveries outlive the log limit, and the
send timeout bounds a whole attempt, name resolution included. Real servers and receivers on
127.0.0.1."""

from __future__ import annotations

import copy
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mock_server.server import MockServer
from mock_server.webhooks.sender import post
from seedream_contracts.client import Client
from seedream_contracts.receiver import WebhookReceiver

Serve = Callable[..., tuple[MockServer, Client]]


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def submit(api: Client, url: str, prompt: str = "hook me") -> str:
    created = api.create({"prompt": prompt, "callback_url": url}).expect(200, "create_response")
    task_id: str = created["data"]["task_id"]
    return task_id


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def listed(api: Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.request("GET", "/_mock/webhooks/deliveries").expect_json(200)[
        "data"
    ]
    return found


def delivery_of(api: Client, task_id: str) -> dict[str, Any]:
    (summary,) = [d for d in listed(api) if d["task_id"] == task_id]
    found: dict[str, Any] = api.request(
        "GET", f"/_mock/webhooks/deliveries/{summary['event_id']}"
    ).expect_json(200)["data"]
    return found


# -- every accepted callback_url can be sent -----------------------------------------------------


def test_non_ascii_path_and_query_are_sent_percent_encoded(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve()
    task_id = submit(api, hooks.url + "/café?name=Zoë&x=%41")
    advance(api, 60)
    (received,) = hooks.wait(1, timeout=3)
    assert received.path == "/hook/caf%C3%A9?name=Zo%C3%AB&x=%41"  # valid escapes kept
    delivery = delivery_of(api, task_id)
    assert delivery["state"] == "delivered"
    assert delivery["url"].endswith("/hook/caf%C3%A9?name=Zo%C3%AB&x=%41")


def test_a_percent_encoded_host_is_dialled_and_allowed_as_decoded(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve()
    submit(api, f"http://l%6Fcalhost:{hooks.port}/hook")  # "localhost", allowed as loopback
    advance(api, 60)
    assert hooks.wait(1, timeout=3)[0].headers["host"] == f"localhost:{hooks.port}"


def test_the_allow_list_judges_the_idna_form_of_a_host(serve: Serve) -> None:
    _, api = serve(callback_hosts=("xn--bcher-kva.example.test",))
    created = api.create({"prompt": "p", "callback_url": "https://b%C3%BCcher.example.test/x"})
    created.expect(200, "create_response")


@pytest.mark.parametrize(
    "url",
    [
        "http://bücher.localhost/hook",  # the contract's URL rule: hosts are ASCII
        "http://a..b.localhost/hook",  # an empty label: no IDNA form, no DNS name
        "http://x%ff.localhost/hook",  # an escape that is not UTF-8
        "http://127.0.0.1%2f.localhost/hook",  # decodes to a host holding "/"
        "http://127.0.0.1:99999/hook",
        "http://127.0.0.1:0/hook",
    ],
)
def test_a_callback_url_that_cannot_be_sent_is_a_400_naming_it(serve: Serve, url: str) -> None:
    _, api = serve()
    refused = api.create({"prompt": "p", "callback_url": url}).expect(400, "error")
    assert refused["error"]["param"] == "callback_url"


# -- an attempt that raises is a failed attempt ---------------------------------------------------


def _unsendable_url(server: MockServer, task_id: str) -> None:
    with server.emulator.lock:  # as if an older rule had accepted it: the sender cannot encode it
        task = server.emulator.store.task(task_id)
        assert task is not None
        assert task.callback_url is not None
        task.callback_url += "/café"


def _unusable_secret(server: MockServer, task_id: str) -> None:
    settings = copy.copy(server.emulator.webhooks.settings)  # Settings would refuse it: force it
    object.__setattr__(settings, "webhook_secrets", ("whsec_",))  # signing raises on it
    server.emulator.webhooks.settings = settings


@pytest.mark.parametrize(
    ("break_it", "error"),
    [(_unsendable_url, "UnicodeEncodeError"), (_unusable_secret, "ConfigError")],
    ids=["sender", "signing"],
)
def test_an_attempt_that_raises_is_logged_failed_and_the_schedule_runs_out(
    serve: Serve,
    hooks: WebhookReceiver,
    break_it: Callable[[MockServer, str], None],
    error: str,
) -> None:
    server, api = serve()
    task_id = submit(api, hooks.url)
    break_it(server, task_id)
    advance(api, 60)
    delivery = delivery_of(api, task_id)
    assert delivery["state"] == "exhausted"
    assert len(delivery["attempts"]) == 4
    assert all(error in a["error"] and a["status"] is None for a in delivery["attempts"])
    resent = api.request("POST", f"/_mock/webhooks/deliveries/{delivery['event_id']}/resend")
    attempts = resent.expect_json(200)["data"]["attempts"]
    assert (len(attempts), attempts[-1]["kind"]) == (5, "resend")
    assert error in attempts[-1]["error"]
    assert hooks.received == []


# -- the bounded log never drops a delivery still to be sent --------------------------------------


def add_rule(api: Client, **rule: Any) -> None:
    api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)


def test_a_held_delivery_outlives_a_full_log_and_is_still_sent(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    _, api = serve(webhook_log_limit=1, processing_seconds=(4.0, 4.0))
    add_rule(
        api,
        name="swap",
        match={"route": "generations", "prompt_contains": "first"},
        action={"type": "webhook_reorder"},
    )
    first = submit(api, hooks.url, "first")
    advance(api, 10)
    assert [d["state"] for d in listed(api)] == ["held"]
    second = submit(api, hooks.url, "second")
    advance(api, 10)  # the second goes out, then releases the first; the log holds one
    assert [r.json()["data"]["task_id"] for r in hooks.wait(2, timeout=3)] == [second, first]
    assert [(d["task_id"], d["state"]) for d in listed(api)] == [(first, "delivered")]


def test_waiting_deliveries_stay_and_the_earliest_ended_go_first(
    serve: Serve, hooks: WebhookReceiver
) -> None:
    server, api = serve(webhook_log_limit=3, webhook_schedule=(30.0,))
    down = WebhookReceiver().start()
    dead_url = down.url
    down.stop()  # nothing listens there: its delivery waits 30 s for a retry
    hooks.respond(500)  # `slow` fails once, then succeeds at its retry, after `quick`
    waiting = submit(api, dead_url, "waiting")
    advance(api, 10)
    slow = submit(api, hooks.url, "slow")
    advance(api, 10)
    quick = submit(api, hooks.url, "quick")
    advance(api, 10)
    assert {d["task_id"]: d["state"] for d in listed(api)} == {
        waiting: "pending",
        slow: "pending",
        quick: "delivered",
    }
    advance(api, 25)  # both retries are made: `waiting` is exhausted, `slow` delivered
    scanned: list[int] = []
    store = server.emulator.store
    scan = store.deliveries
    store.deliveries = lambda: (scanned.append(1), scan())[1]  # type: ignore[method-assign]
    last = submit(api, hooks.url, "last")
    advance(api, 60)
    store.deliveries = scan  # type: ignore[method-assign]
    assert scanned == []  # eviction pops the earliest ended; it never scans the log
    states = {d["task_id"]: d["state"] for d in listed(api)}
    # `quick` ended first, so it went first; `waiting`, created first, ended later and stays.
    assert states == {waiting: "exhausted", slow: "delivered", last: "delivered"}


# -- the timeout bounds the whole attempt ----------------------------------------------------------


class TricklingReceiver:
    """Reads a request, then answers 200 one byte every `gap` seconds (12 s in all)."""

    ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n" + b"x" * 20

    def __init__(self, gap: float = 0.2) -> None:
        self.gap = gap
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            peer, _ = self.listener.accept()
        except OSError:
            return  # closed before anyone called
        with peer:
            peer.recv(65536)
            try:
                for byte in self.ANSWER[:60]:
                    peer.sendall(bytes([byte]))
                    time.sleep(self.gap)
            except OSError:
                return  # the sender gave up and closed

    def close(self) -> None:
        self.listener.close()
        self.thread.join(15)


def test_a_trickling_receiver_cannot_stretch_an_attempt_past_the_timeout(serve: Serve) -> None:
    _, api = serve(webhook_timeout=1.0, webhook_schedule=())
    receiver = TricklingReceiver()
    try:
        task_id = submit(api, receiver.url)
        began = time.monotonic()
        advance(api, 60)
        took = time.monotonic() - began
        (attempt,) = delivery_of(api, task_id)["attempts"]
    finally:
        receiver.close()
    assert attempt["status"] is None
    assert "timed out after 1 s" in attempt["error"]
    assert 900 <= attempt["latency_ms"] < 1600, attempt
    assert took < 3, took


def test_a_silent_tls_handshake_is_bounded_by_the_same_deadline() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts, never says a word
        began = time.monotonic()
        result = post(f"https://127.0.0.1:{listener.getsockname()[1]}/hook", b"{}", {}, 0.5)
        took = time.monotonic() - began
    assert result.error == "timed out after 0.5 s"
    assert 0.4 < took < 1.5, took


def test_name_resolution_is_bounded_by_the_attempt_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    resolve = socket.getaddrinfo

    def hanging(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "hangs.example.test" and not kwargs.get("flags", 0) & socket.AI_NUMERICHOST:
            release.wait(10)  # a resolver that never answers (a numeric-only lookup fails fast)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    try:
        began = time.monotonic()
        result = post("http://hangs.example.test:9/hook", b"{}", {}, 0.3)
        took = time.monotonic() - began
    finally:
        release.set()
    assert result.error == "timed out after 0.3 s"
    assert took < 1.0, took
