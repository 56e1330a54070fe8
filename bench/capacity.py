"""The mock with many tasks: `/_mock/reset` time with N tasks present, RSS idle and with N
tasks, and N tasks with callbacks brought to their end by one manual-clock advance."""

from __future__ import annotations

import contextlib
import http.client
import json
import statistics
import time
from typing import Any

from common import (
    GENERATIONS,
    HOST,
    MOCK_ARGS,
    PROMPT,
    BenchError,
    control,
    ms,
    pending_events,
    timed_post,
)
from loadgen import run_phase
from servers import STARTUP_LIMIT_S, MockProcess

from seedream_contracts.receiver import WebhookReceiver

FILL_CLIENTS = 16  # concurrent keep-alive connections that create the tasks
SETTLE_S = 0.5  # before reading RSS, let the allocator and the threads go quiet


def fill(port: int, count: int, body: str, limit_s: float) -> dict[str, Any]:
    """Create `count` tasks with concurrent keep-alive POSTs (stopping at `limit_s`)."""
    before = pending_events(port)

    def post(_: int) -> tuple[str, str, str | None]:
        return "POST", GENERATIONS, body

    phase, _ = run_phase(port, "fill", post, count, FILL_CLIENTS, limit_s=limit_s)
    created = pending_events(port) - before
    if created < count:
        raise BenchError(
            f"only {created} of {count} tasks created in {phase.seconds:g} s "
            f"(limit {limit_s:g} s): {phase.errors or 'no errors'}"
        )
    return {"tasks": created, "seconds": phase.seconds, "rps": phase.rps}


def _body(callback_url: str | None = None) -> str:
    body: dict[str, Any] = {"prompt": PROMPT, "aspect_ratio": "16:9", "quality": "high"}
    if callback_url is not None:
        body["callback_url"] = callback_url
    return json.dumps(body)


def _mock() -> MockProcess:
    return MockProcess(MOCK_ARGS)


def bench_reset(tasks: int, repeats: int, limit_s: float) -> dict[str, Any]:
    """`repeats` times: fill to `tasks` pending tasks, then time one `POST /_mock/reset` on an
    open keep-alive connection (the round trip the client sees). Also with no task at all."""
    with _mock() as mock:
        mock.ready().wait_ready(STARTUP_LIMIT_S)
        conn = http.client.HTTPConnection(HOST, mock.port, timeout=60)
        try:
            empty = [timed_post(conn, "/_mock/reset", {}) for _ in range(3)]
            runs = []
            for _ in range(repeats):
                filled = fill(mock.port, tasks, _body(), limit_s)
                present = pending_events(mock.port)
                took = timed_post(conn, "/_mock/reset", {})
                runs.append(
                    {
                        "tasks": present,
                        "reset_ms": ms(took),
                        "left_after": pending_events(mock.port),
                        "fill_rps": filled["rps"],
                    }
                )
        finally:
            conn.close()
    return {
        "tasks": tasks,
        "runs": runs,
        "median_ms": round(statistics.median(r["reset_ms"] for r in runs), 2),
        "empty_median_ms": ms(statistics.median(empty)),
        "stderr_sample": mock.unusual_stderr()[:5],
    }


def bench_memory(tasks: int, limit_s: float) -> dict[str, Any]:
    """RSS of a fresh mock: after its banner, after its first request (idle), and with
    `tasks` pending tasks created by concurrent keep-alive POSTs."""
    with _mock() as mock:
        mock.ready()
        time.sleep(SETTLE_S)
        at_banner = mock.memory_kib()
        mock.wait_ready(STARTUP_LIMIT_S)  # one POST: the request path is imported and warm
        time.sleep(SETTLE_S)
        idle = mock.memory_kib()
        filled = fill(mock.port, tasks, _body(), limit_s)
        time.sleep(SETTLE_S)
        loaded = mock.memory_kib()
        present = pending_events(mock.port)
    return {
        "tasks": present,
        "fill": filled,
        "at_banner_kib": at_banner,
        "idle_kib": idle,
        "loaded_kib": loaded,
        "stderr_sample": mock.unusual_stderr()[:5],
    }


def bench_callbacks(tasks: int, limit_s: float) -> dict[str, Any]:
    """`tasks` tasks with a callback_url to a WebhookReceiver in this process, on a manual
    clock (default settings otherwise); then one `POST /_mock/clock/advance {"seconds": 60}`.
    Measures until every task's callback has arrived (at most `limit_s`)."""
    with WebhookReceiver(HOST) as hooks, _mock() as mock:
        mock.ready().wait_ready(STARTUP_LIMIT_S)
        filled = fill(mock.port, tasks, _body(hooks.url), limit_s)
        expected = filled["tasks"]
        began = time.monotonic()
        advance_s: float | None = None
        advance_error = None
        try:
            control(mock.port, "/_mock/clock/advance", {"seconds": 60}, timeout=limit_s)
            advance_s = time.monotonic() - began
        except (OSError, http.client.HTTPException, BenchError) as exc:
            advance_error = f"{type(exc).__name__}: {exc}"
        timed_out = False
        try:
            hooks.wait(expected, max(0.0, began + limit_s - time.monotonic()))
        except TimeoutError:
            timed_out = True
        received = hooks.received
        ids = set()
        for hook in received:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                ids.add(hook.json()["data"]["task_id"])
        last = max((h.at for h in received), default=began)
        left = pending_events(mock.port) if advance_error is None else None
    return {
        "tasks": expected,
        "fill": filled,
        "advance_s": round(advance_s, 3) if advance_s is not None else None,
        "advance_error": advance_error,
        "all_callbacks_s": None if timed_out else round(last - began, 3),
        "received": len(received),
        "distinct_tasks": len(ids),
        "timed_out": timed_out,
        "limit_s": limit_s,
        "pending_events_after": left,
        "deliveries_per_s": round(len(ids) / (last - began), 1) if last > began else 0.0,
        "stderr_sample": mock.unusual_stderr()[:5],
    }
