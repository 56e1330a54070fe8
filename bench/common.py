"""What every bench module shares: the request the benchmark sends, small HTTP helpers for the
control API, percentiles. All traffic goes to 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"  # every request of this benchmark goes to a loopback server it started
KEY = "aio_your_api_key"
PROMPT = "A serene mountain lake at sunrise with reflections, photorealistic"
MODEL = "seedream/4.5-text-to-image"
GENERATIONS = "/api/v1/images/generations"
TASKS = "/api/v1/tasks/"
GENERATION_BODY = json.dumps({"prompt": PROMPT, "aspect_ratio": "16:9", "quality": "high"})
API_HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
CREDIT_GRANT = 1_000_000_000  # so no phase runs into 402 (12 credits a task)
MOCK_ARGS = ("--clock", "manual", "--key", f"{KEY}:{CREDIT_GRANT}")  # tasks stay pending


class BenchError(RuntimeError):
    """A phase could not be measured; the message says why."""


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil(n * pct / 100), at least 1
    return ordered[int(rank) - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def free_port() -> int:
    """A loopback port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    conn.request(method, path, body=body, headers=headers or API_HEADERS)
    response = conn.getresponse()
    return response.status, response.read()


def request_json(
    port: int, method: str, path: str, body: Any = None, timeout: float = 10.0
) -> dict[str, Any]:
    """One request to the mock on a fresh connection; the `data` of a 200, else BenchError."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    try:
        status, raw = call(conn, method, path, None if body is None else json.dumps(body), headers)
    finally:
        conn.close()
    if status != 200:
        raise BenchError(f"{method} {path} answered {status}: {raw[:200]!r}")
    data: dict[str, Any] = json.loads(raw)["data"]
    return data


def control(port: int, path: str, body: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """POST to the control API; the `data` of its answer, or BenchError."""
    return request_json(port, "POST", path, body, timeout)


def pending_events(port: int) -> int:
    """Events waiting on the mock's clock: on a manual clock, one per pending task."""
    return int(request_json(port, "GET", "/_mock/clock")["pending_events"])


def create_task(port: int) -> str:
    """Submit one task and return its id."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        status, raw = call(conn, "POST", GENERATIONS, GENERATION_BODY)
    finally:
        conn.close()
    if status != 200:
        raise BenchError(f"POST {GENERATIONS} answered {status}: {raw[:200]!r}")
    return str(json.loads(raw)["data"]["task_id"])


def timed_post(conn: http.client.HTTPConnection, path: str, body: dict[str, Any]) -> float:
    """Seconds for one control POST on an open keep-alive connection (BenchError unless 200)."""
    began = time.perf_counter()
    status, raw = call(conn, "POST", path, json.dumps(body), {"Content-Type": "application/json"})
    took = time.perf_counter() - began
    if status != 200:
        raise BenchError(f"POST {path} answered {status}: {raw[:200]!r}")
    return took
