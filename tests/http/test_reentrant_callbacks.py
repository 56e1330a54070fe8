"""A webhook receiver that calls the control API back from its handler is served at once: the
advance, forced ending or reset it makes does not wait for the callback waiting for it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
TIMEOUT = 4.0  # the sender's: a stalled call would take this long and fail the attempt
START = 1_800_000_000.0


class CallingReceiver:
    """A real receiver: records each callback's task id; for the tasks in `calls`, it makes
    that control call to the mock before answering 200, and records the call's status."""

    def __init__(self, mock_url: str) -> None:
        self.mock_url = mock_url
        self.calls: dict[str, tuple[str, str, dict[str, Any] | None]] = {}
        self.log: list[str] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                task_id = json.loads(body)["data"]["task_id"]
                receiver.note(f"callback {task_id}")
                call = receiver.calls.get(task_id)
                if call is not None:
                    method, path, payload = call
                    control = Client(receiver.mock_url, None, timeout=30)
                    try:
                        reply = control.request(method, path, json_body=payload)
                    finally:
                        control.close()
                    receiver.note(f"{path} answered {reply.status}")
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def note(self, line: str) -> None:
        with self._lock:
            self.log.append(line)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def mock(serve: Serve) -> Iterator[tuple[Client, CallingReceiver]]:
    server, api = serve(webhook_timeout=TIMEOUT, pending_seconds=1.0, processing_seconds=(4, 4))
    receiver = CallingReceiver(server.base_url)
    yield api, receiver
    receiver.close()


def submit(api: Client, callback_url: str) -> str:
    body = {"prompt": "call me back", "callback_url": callback_url}
    task_id: str = api.create(body).expect(200, "create_response")["data"]["task_id"]
    return task_id


def control(api: Client, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return api.request(method, path, json_body=body).expect_json(200)["data"]


def timed_advance(api: Client, seconds: float) -> float:
    began = time.monotonic()
    control(api, "POST", "/_mock/clock/advance", {"seconds": seconds})
    return time.monotonic() - began


def attempts(api: Client, task_id: str) -> list[Any]:
    (summary,) = control(api, "GET", f"/_mock/webhooks/deliveries?task_id={task_id}")
    found = control(api, "GET", f"/_mock/webhooks/deliveries/{summary['event_id']}")
    assert found["state"] == "delivered", found
    return [a["status"] for a in found["attempts"]]


def test_an_advance_from_the_receiver_is_served_and_makes_its_own_callbacks_first(
    mock: tuple[Client, CallingReceiver],
) -> None:
    api, receiver = mock
    first = submit(api, receiver.url)  # completes at +5
    control(api, "POST", "/_mock/clock/advance", {"seconds": 3})
    second = submit(api, receiver.url)  # completes at +8: inside the nested advance only
    receiver.calls[first] = ("POST", "/_mock/clock/advance", {"seconds": 30})
    assert timed_advance(api, 2) < TIMEOUT / 2
    # The nested advance made the second callback before it answered, and both were delivered.
    assert receiver.log == [
        f"callback {first}",
        f"callback {second}",
        "/_mock/clock/advance answered 200",
    ]
    assert attempts(api, first) == [200]
    assert attempts(api, second) == [200]
    clock = control(api, "GET", "/_mock/clock")
    assert clock["epoch_seconds"] == START + 35
    assert clock["pending_events"] == 0


def test_completing_a_task_from_the_receiver_is_served(
    mock: tuple[Client, CallingReceiver],
) -> None:
    api, receiver = mock
    first = submit(api, receiver.url)
    later = submit(api, receiver.url)
    receiver.calls[first] = ("POST", f"/_mock/tasks/{later}/complete", None)
    control(api, "POST", "/_mock/tasks/" + first + "/complete")
    assert receiver.log == [
        f"callback {first}",
        f"callback {later}",
        f"/_mock/tasks/{later}/complete answered 200",
    ]
    assert attempts(api, first) == [200]
    assert attempts(api, later) == [200]


def test_a_reset_from_the_receiver_is_served_and_forgets_the_delivery(
    mock: tuple[Client, CallingReceiver],
) -> None:
    api, receiver = mock
    first = submit(api, receiver.url)
    receiver.calls[first] = ("POST", "/_mock/reset", None)
    assert timed_advance(api, 10) < TIMEOUT / 2
    assert receiver.log == [f"callback {first}", "/_mock/reset answered 200"]
    assert control(api, "GET", "/_mock/webhooks/deliveries") == []
    assert control(api, "GET", "/_mock/tasks") == []
    # The server goes on normally after it.
    again = submit(api, receiver.url)
    assert timed_advance(api, 10) < TIMEOUT / 2
    assert attempts(api, again) == [200]
