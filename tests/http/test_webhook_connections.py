"""Callbacks reuse connections: kept alive per receiver, replaced at once when the receiver had
closed one (without making it an attempt), closed when idle, bounded, over TLS too, and never
slowed by the receiver's Nagle delay. Real servers and receivers on 127.0.0.1."""

from __future__ import annotations

import shutil
import ssl
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scripted_receiver import (  # tests/http is on sys.path (rootdir mode)
    ANSWER,
    ANSWER_CLOSE,
    DROP,
    PARTIAL,
    RESET,
    ScriptedReceiver,
    plan_of,
)

from mock_server.server import MockServer
from mock_server.webhooks import sockets
from mock_server.webhooks.connections import KEEPS_ALIVE, Connections
from mock_server.webhooks.sender import post
from mock_server.webhooks.sockets import target
from mock_server.webhooks.wire import Connection
from seedream_contracts.client import Client
from seedream_contracts.receiver import Reply, WebhookReceiver

Serve = Callable[..., tuple[MockServer, Client]]
kept_alive = pytest.mark.skipif(not KEEPS_ALIVE, reason="connections are kept on Linux only")


def submit(api: Client, url: str) -> str:
    created = api.create({"prompt": "a fox", "callback_url": url}).expect(200, "create_response")
    task_id: str = created["data"]["task_id"]
    return task_id


def advance(api: Client, seconds: float = 60) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def statuses(api: Client, task_id: str) -> list[int | None]:
    """The status of each attempt of the task's one delivery, in order."""
    (summary,) = api.request("GET", f"/_mock/webhooks/deliveries?task_id={task_id}").expect_json(
        200
    )["data"]
    delivery: dict[str, Any] = api.request(
        "GET", f"/_mock/webhooks/deliveries/{summary['event_id']}"
    ).expect_json(200)["data"]
    return [attempt["status"] for attempt in delivery["attempts"]]


# -- through the mock ------------------------------------------------------------------------


@kept_alive
def test_callbacks_to_one_receiver_share_connections(serve: Serve) -> None:
    _, api = serve()
    with WebhookReceiver() as hooks:
        tasks = [submit(api, hooks.url) for _ in range(20)]
        advance(api)
        received = hooks.wait(20)
        assert len(received) == 20
        assert {r.json()["data"]["task_id"] for r in received} == set(tasks)
        assert hooks.connections < 20
        assert len({r.connection for r in received}) == hooks.connections


@pytest.mark.parametrize("polite", [True, False], ids=["Connection: close", "closes unannounced"])
def test_a_receiver_that_closes_after_each_answer_gets_each_callback_once(
    serve: Serve, polite: bool
) -> None:
    _, api = serve()
    if polite:
        with WebhookReceiver() as hooks:
            hooks.respond_by_default(Reply(headers={"Connection": "close"}))
            tasks = [submit(api, hooks.url) for _ in range(10)]
            advance(api)
            seen = [(r.connection, r.json()["data"]["task_id"]) for r in hooks.wait(10)]
    else:
        with ScriptedReceiver(plan_of({}, ANSWER_CLOSE)) as receiver:
            tasks = [submit(api, receiver.url) for _ in range(10)]
            advance(api)
            seen = [(connection, "?") for connection, _ in receiver.requests]
            assert all(request == 1 for _, request in receiver.requests)
    assert len(seen) == 10
    assert len({connection for connection, _ in seen}) == 10  # one connection each
    assert all(statuses(api, task_id) == [200] for task_id in tasks)


@kept_alive
@pytest.mark.parametrize(
    ("closed_by", "expected_statuses", "expected_requests"),
    [
        # The receiver closed the kept connection as the request went out: sent again at once
        # on a new connection, within the one attempt.
        (DROP, [200], [(1, 1), (1, 2), (2, 1)]),
        (RESET, [200], [(1, 1), (1, 2), (2, 1)]),
        # Part of an answer came: the receiver saw the request, so it is the attempt's failure,
        # and the retry (1 s later) makes the second attempt.
        (PARTIAL, [None, 200], [(1, 1), (1, 2), (2, 1)]),
    ],
)
def test_a_kept_connection_that_fails_is_retried_at_once_only_if_no_answer_came(
    serve: Serve,
    closed_by: str,
    expected_statuses: list[int | None],
    expected_requests: list[tuple[int, int]],
) -> None:
    _, api = serve()
    with ScriptedReceiver(plan_of({(1, 2): closed_by})) as receiver:
        first = submit(api, receiver.url)
        advance(api)  # delivered over connection 1, which is kept
        second = submit(api, receiver.url)
        advance(api)
        assert statuses(api, first) == [200]
        assert statuses(api, second) == expected_statuses
        assert receiver.requests == expected_requests


def test_a_new_connection_closed_without_an_answer_is_a_failed_attempt(serve: Serve) -> None:
    _, api = serve(webhook_schedule=(100.0,))
    with ScriptedReceiver(plan_of({(1, 1): DROP})) as receiver:
        task_id = submit(api, receiver.url)
        advance(api)  # the first attempt, not yet its retry
        assert statuses(api, task_id) == [None]
        assert receiver.requests == [(1, 1)]
        advance(api, 100)
        assert statuses(api, task_id) == [None, 200]
        assert receiver.requests == [(1, 1), (2, 1)]


def test_a_stopped_receiver_gets_nothing_over_a_kept_connection(serve: Serve) -> None:
    _, api = serve(webhook_schedule=())
    hooks = WebhookReceiver().start()
    port = hooks.port
    try:
        submit(api, hooks.url)
        advance(api)
        hooks.wait(1)
    finally:
        hooks.stop()
    task_id = submit(api, f"http://127.0.0.1:{port}/hook")
    advance(api)
    assert statuses(api, task_id) == [None]  # refused: the kept connection was not used
    assert len(hooks.received) == 1


@kept_alive
def test_stopping_the_server_closes_its_kept_connections(serve: Serve) -> None:
    server, api = serve()
    with ScriptedReceiver() as receiver:
        submit(api, receiver.url)
        advance(api)
        assert receiver.requests == [(1, 1)]
        assert 1 not in receiver.ended
        server.stop()
        receiver.wait_ended(1, timeout=2)


# -- the sender and its pool -----------------------------------------------------------------


@kept_alive
def test_an_idle_connection_is_closed_after_the_idle_time() -> None:
    pool = Connections(per_origin=2, idle_seconds=0.3)
    with ScriptedReceiver() as receiver:
        sent = time.monotonic()
        assert post(receiver.url, b"{}", {}, 5, pool).ok
        assert pool.idle == 1
        ended = receiver.wait_ended(1)
        assert 0.25 < ended - sent < 2.0
        assert pool.idle == 0
        assert post(receiver.url, b"{}", {}, 5, pool).ok
        assert receiver.requests == [(1, 1), (2, 1)]
    pool.close()


def answered_connection(url: str) -> Connection:
    """A connection to `url` that has carried one POST and is open."""
    origin, path = target(url)
    connection = Connection(origin)
    assert connection.exchange(path, {}, b"{}", time.monotonic() + 5).reusable
    return connection


@kept_alive
@pytest.mark.parametrize(("after_answer", "taken"), [(ANSWER, True), (ANSWER_CLOSE, False)])
def test_a_connection_the_receiver_closed_is_not_taken_again(
    after_answer: str, taken: bool
) -> None:
    pool = Connections(per_origin=2)
    with ScriptedReceiver(plan_of({}, after_answer)) as receiver:
        connection = answered_connection(receiver.url)
        pool.give(connection)
        time.sleep(0.2)  # a close by the receiver has arrived
        assert (pool.take(connection.origin) is connection) is taken
        assert (connection.sock is None) is not taken
        assert pool.idle == 0
    connection.close()
    pool.close()


@kept_alive
def test_the_pool_keeps_at_most_its_bounds_closing_the_oldest() -> None:
    pool = Connections(per_origin=2, limit=3)
    with ScriptedReceiver() as first, ScriptedReceiver() as second:
        opened = []
        for receiver in (first, first, first, second, second):
            opened.append(answered_connection(receiver.url))
            pool.give(opened[-1])
        assert pool.idle == 3
        # first's oldest went past per_origin; then first's next oldest past the limit
        assert [c.sock is None for c in opened] == [True, True, False, False, False]
        first.wait_ended(1)
        first.wait_ended(2)
    pool.close()
    assert pool.idle == 0
    assert all(c.sock is None for c in opened)


@kept_alive
def test_a_kept_connection_is_not_stalled_by_the_receivers_nagle_delay() -> None:
    """http.server writes the head and the body in two segments without TCP_NODELAY; without
    quick ACKs each answer on a kept connection would wait ~40 ms for the body."""
    pool = Connections(per_origin=1)
    with WebhookReceiver() as hooks:
        results = [post(hooks.url, b"{}", {}, 5, pool) for _ in range(20)]
        assert all(result.ok for result in results)
        assert hooks.connections == 1
    pool.close()
    assert statistics.median(r.latency_ms for r in results) < 20


def test_without_a_pool_every_attempt_has_its_own_connection() -> None:
    with ScriptedReceiver() as receiver:
        assert all(post(receiver.url, b"{}", {}, 5).ok for _ in range(3))
        assert receiver.requests == [(1, 1), (2, 1), (3, 1)]
        receiver.wait_ended(3)


@pytest.fixture
def certificate(tmp_path: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and its key, in one PEM file."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    pem = tmp_path / "receiver.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(pem), "-out", str(pem)],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return pem


@kept_alive
def test_https_callbacks_reuse_connections_too(
    certificate: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(certificate)
    trusting = ssl.create_default_context(cafile=str(certificate))
    trusting.sslsocket_class = sockets.DeadlineTLSSocket
    monkeypatch.setattr(sockets, "_tls", lambda: trusting)
    pool = Connections(per_origin=2)
    with ScriptedReceiver(context=served) as receiver:
        results = [post(receiver.url, b"{}", {}, 5, pool) for _ in range(3)]
        assert [r.status for r in results] == [200, 200, 200], results
        assert receiver.requests == [(1, 1), (1, 2), (1, 3)]
    pool.close()
