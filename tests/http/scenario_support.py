"""What the scenario tests share: a fresh server's client and the calls they make on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.client import Client, Reply

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "fixtures" / "scenarios"
KEY = "aio_your_api_key"


@contextmanager
def fresh_client() -> Iterator[Client]:
    """A client of a fresh server on a loopback port, manual clock, fixed seed."""
    server = MockServer(Settings(port=0, clock="manual", seed=3)).start()
    client = Client(server.base_url, KEY, timeout=10)
    try:
        yield client
    finally:
        client.close()
        server.stop()


def load(api: Client, name: str) -> dict[str, Any]:
    reply = api.request("POST", "/_mock/scenarios", json_body={"name": name})
    data: dict[str, Any] = reply.expect_json(200)["data"]
    assert data["loaded"] == name
    return data


def get(api: Client, path: str) -> Any:
    return api.request("GET", path).expect_json(200)["data"]


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def submit(api: Client, prompt: str = "a fox", **extra: Any) -> str:
    reply = api.create({"prompt": prompt, **extra})
    task_id: str = reply.expect(200, "create_response")["data"]["task_id"]
    return task_id


def task(api: Client, task_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.task(task_id).expect(200, "task")["data"]
    return found


def error_of(reply: Reply, status: int) -> dict[str, Any]:
    found: dict[str, Any] = reply.expect(status, "error")["error"]
    return found


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
