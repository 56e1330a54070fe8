"""Webhook delivery throughput: callbacks from the mock to a
`seedream_contracts.receiver.WebhookReceiver` in this process, streamed (scaled clock from the
start) and burst (manual clock, then released)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    CREDIT_GRANT,
    GENERATIONS,
    HOST,
    KEY,
    PROMPT,
    BenchError,
    call,
    control,
    ms,
    percentile,
)
from loadgen import PhaseResult, run_phase
from servers import STOPPED_LINE, MockProcess

from seedream_contracts.receiver import Received, WebhookReceiver

WEBHOOK_LIMIT_S = 60.0  # submit + wait for every callback, at most this long
WEBHOOK_GRACE_S = 0.5  # after the last expected callback, watch this long for duplicates
WEBHOOK_SPEED = 1000  # scaled clock: a task ends ~1 ms after submit; retries 1, 2, 4 ms later
WEBHOOK_SERVER_ARGS = (
    "--speed",
    str(WEBHOOK_SPEED),
    "--pending-seconds",
    "0",
    "--processing-seconds",
    "0.001",
    "--key",
    f"{KEY}:{CREDIT_GRANT}",
)


@dataclass
class WebhookRound:
    mode: str  # "streamed" or "burst"
    submit: PhaseResult  # POST generations with a callback_url
    received: int  # POSTs that reached the receiver
    delivered: int  # distinct submitted tasks among them
    duplicates: int  # further POSTs for a task already received
    missing: int  # submitted tasks with no callback within the limit
    unknown: int  # POSTs whose body names no task this round submitted
    retried: int  # POSTs with X-Seedream-Attempt > 1
    seconds: float  # first callback → last callback
    deliveries_per_s: float  # (delivered - 1) / seconds
    deliveries_per_s_99: float  # the same up to the 99th-percentile callback: without stragglers
    latency_from: str  # "submit" (the task's POST was sent) or "release" (the clock started)
    latency_p50_ms: float  # from then to the task's first callback
    latency_p99_ms: float
    latency_max_ms: float
    latency_min_ms: float  # for burst: how long until the first callback left
    attempt_p50_ms: float  # the mock's own timing of its POSTs (attempts[].latency_ms)
    attempt_p99_ms: float
    attempt_max_ms: float
    slow_attempts: int  # POSTs that took the mock over 500 ms (a dropped TCP handshake: ~1 s)
    failed_attempts: dict[str, int]  # error (its first word) or status → count
    listen_overflows: int | None  # TcpExt ListenOverflows during the round (machine-wide)
    logged_delivered: int  # GET /_mock/webhooks/deliveries?state=delivered
    logged_states: dict[str, int]  # every logged delivery, by state
    logged_attempts: int
    timed_out: bool
    memory_after_kib: dict[str, int]
    server_stderr_lines: int
    server_stderr_sample: list[str]
    shutdown_ms: float | None
    exit_code: int | None


@dataclass
class WebhookResult:
    tasks: int
    clients: int
    webhook_workers: int
    rounds: list[WebhookRound]


def logged_deliveries(port: int, state: str | None = None) -> list[dict[str, Any]]:
    """The mock's delivery log (newest first), all of it or in one state."""
    path = "/_mock/webhooks/deliveries" + (f"?state={state}" if state else "")
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        status, raw = call(conn, "GET", path, headers={"Accept": "application/json"})
    finally:
        conn.close()
    if status != 200:
        raise BenchError(f"GET {path} answered {status}: {raw[:200]!r}")
    found: list[dict[str, Any]] = json.loads(raw)["data"]
    return found


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped because a listen queue was full (Linux)."""
    try:
        lines = Path("/proc/net/netstat").read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            found = dict(zip(names.split(), values.split(), strict=False))
            return int(found["ListenOverflows"]) if "ListenOverflows" in found else None
    return None


def callback_task_id(received: Received) -> str | None:
    try:
        task_id = received.json()["data"]["task_id"]
    except (ValueError, KeyError, TypeError):
        return None
    return task_id if isinstance(task_id, str) else None


def webhook_round(mode: str, total: int, clients: int, workers: int) -> WebhookRound:
    """One server, one receiver in this process, `total` tasks with a callback_url to it.

    streamed: the clock runs from the start (x1000, so a task ends about 1 ms after its
    submit) and callbacks go out while tasks are still being submitted; the rate is bounded by
    the submit rate. burst: the clock stands still while every task is submitted, then runs
    x1000: all tasks end at once and the rate is the delivery path's own.
    """
    args = [
        *WEBHOOK_SERVER_ARGS,
        *("--webhook-workers", str(workers), "--webhook-log-limit", str(total + 100)),
        *("--clock", "scaled" if mode == "streamed" else "manual"),
    ]
    submitted: dict[str, float] = {}  # task id → time.monotonic() its POST was sent
    submitted_lock = threading.Lock()

    def remember(sent_at: float, raw: bytes) -> None:
        task_id = json.loads(raw)["data"]["task_id"]
        with submitted_lock:
            submitted[task_id] = sent_at

    overflows_before = listen_overflows()
    with WebhookReceiver(HOST) as hooks, MockProcess(args) as server:
        port = server.ready().port
        body = json.dumps(
            {"prompt": PROMPT, "aspect_ratio": "16:9", "quality": "high", "callback_url": hooks.url}
        )

        def post(_: int) -> tuple[str, str, str | None]:
            return "POST", GENERATIONS, body

        began = time.monotonic()
        posted, _ = run_phase(port, f"POST ({mode})", post, total, clients, on_ok=remember)
        if not submitted:
            raise BenchError(f"{mode}: no task was created: {posted.errors}")
        starts = dict(submitted)
        if mode == "burst":
            if hooks.received:
                raise BenchError(f"burst: {len(hooks.received)} callbacks before the release")
            released = time.monotonic()
            clock = control(port, "/_mock/clock", {"mode": "scaled", "speed": WEBHOOK_SPEED})
            if clock.get("mode") != "scaled":
                raise BenchError(f"burst: the clock did not switch to scaled: {clock}")
            starts = dict.fromkeys(submitted, released)
        timed_out = False
        try:
            hooks.wait(len(starts), max(0.0, began + WEBHOOK_LIMIT_S - time.monotonic()))
        except TimeoutError:
            timed_out = True
        time.sleep(WEBHOOK_GRACE_S)  # a duplicate would come now
        overflows_after = listen_overflows()
        received = hooks.received
        logged = logged_deliveries(port)
        logged_delivered = len(logged_deliveries(port, "delivered"))
        memory = server.memory_kib()

    first_seen: dict[str, float] = {}
    duplicates = unknown = retried = 0
    for hook in received:
        task_id = callback_task_id(hook)
        if hook.headers.get("x-seedream-attempt", "1") != "1":
            retried += 1
        if task_id is None or task_id not in starts:
            unknown += 1
        elif task_id in first_seen:
            duplicates += 1
        else:
            first_seen[task_id] = hook.at
    latencies = [at - starts[task_id] for task_id, at in first_seen.items()]
    arrivals = sorted(first_seen.values())
    seconds = arrivals[-1] - arrivals[0] if arrivals else 0.0
    rank_99 = int(max(1, -(-len(arrivals) * 99 // 100)))  # as in percentile()
    seconds_99 = arrivals[rank_99 - 1] - arrivals[0] if arrivals else 0.0
    attempts = [a for d in logged for a in d["attempts"]]
    attempt_ms = [float(a["latency_ms"]) for a in attempts]
    return WebhookRound(
        mode=mode,
        submit=posted,
        received=len(received),
        delivered=len(first_seen),
        duplicates=duplicates,
        missing=len(starts) - len(first_seen),
        unknown=unknown,
        retried=retried,
        seconds=round(seconds, 3),
        deliveries_per_s=round((len(first_seen) - 1) / seconds, 1) if seconds > 0 else 0.0,
        deliveries_per_s_99=round((rank_99 - 1) / seconds_99, 1) if seconds_99 > 0 else 0.0,
        latency_from="submit" if mode == "streamed" else "release",
        latency_p50_ms=ms(percentile(latencies, 50)) if latencies else 0.0,
        latency_p99_ms=ms(percentile(latencies, 99)) if latencies else 0.0,
        latency_max_ms=ms(max(latencies)) if latencies else 0.0,
        latency_min_ms=ms(min(latencies)) if latencies else 0.0,
        attempt_p50_ms=round(percentile(attempt_ms, 50), 2) if attempt_ms else 0.0,
        attempt_p99_ms=round(percentile(attempt_ms, 99), 2) if attempt_ms else 0.0,
        attempt_max_ms=round(max(attempt_ms), 2) if attempt_ms else 0.0,
        slow_attempts=sum(1 for x in attempt_ms if x > 500),
        failed_attempts=dict(
            Counter(
                str(a["error"] or "").split(":")[0].split(" ")[0] or str(a["status"])
                for a in attempts
                if not (isinstance(a["status"], int) and 200 <= a["status"] < 300)
            )
        ),
        listen_overflows=(
            overflows_after - overflows_before
            if overflows_after is not None and overflows_before is not None
            else None
        ),
        logged_delivered=logged_delivered,
        logged_states=dict(Counter(str(d["state"]) for d in logged)),
        logged_attempts=len(attempts),
        timed_out=timed_out,
        memory_after_kib=memory,
        server_stderr_lines=server.stderr_count,
        server_stderr_sample=server.stderr_lines[:10],
        shutdown_ms=ms(server.shutdown_s) if server.shutdown_s is not None else None,
        exit_code=server.exit_code,
    )


def bench_webhooks(total: int, clients: int, workers: int) -> WebhookResult:
    rounds = [webhook_round(mode, total, clients, workers) for mode in ("streamed", "burst")]
    return WebhookResult(total, clients, workers, rounds)


def print_webhooks(w: dict[str, Any]) -> None:
    print(
        f"\nWebhook deliveries to a local receiver: {w['tasks']} tasks per round from "
        f"{w['clients']} clients, {w['webhook_workers']} delivery workers, clock x{WEBHOOK_SPEED}"
    )
    print(
        f"{'round':<9}{'submit/s':>9}{'delivered':>11}{'dup':>4}{'miss':>5}{'seconds':>8}"
        f"{'deliv/s':>8}{'99%/s':>8}  {'from':<8}{'p50 ms':>7}{'p99 ms':>8}{'max ms':>8}"
        f"{'logged':>7}"
    )
    for r in w["rounds"]:
        delivered = f"{r['delivered']}/{r['submit']['ok']}"
        print(
            f"{r['mode']:<9}{r['submit']['rps']:>9.1f}{delivered:>11}{r['duplicates']:>4}"
            f"{r['missing']:>5}{r['seconds']:>8.2f}{r['deliveries_per_s']:>8.1f}"
            f"{r['deliveries_per_s_99']:>8.1f}  {r['latency_from']:<8}{r['latency_p50_ms']:>7.1f}"
            f"{r['latency_p99_ms']:>8.1f}{r['latency_max_ms']:>8.1f}{r['logged_delivered']:>7}"
        )
    print(
        "   the mock's own POST time (attempts[].latency_ms), p50/p99/max ms: "
        + "; ".join(
            f"{r['mode']} {r['attempt_p50_ms']:.1f}/{r['attempt_p99_ms']:.1f}/"
            f"{r['attempt_max_ms']:.1f}"
            for r in w["rounds"]
        )
    )
    for r in w["rounds"]:
        problems = []
        if r["timed_out"]:
            problems.append(f"not every callback came within {WEBHOOK_LIMIT_S:g} s")
        if r["submit"]["ok"] != r["submit"]["planned"]:
            problems.append(f"submit errors {r['submit']['errors']}")
        if r["unknown"] or r["retried"]:
            problems.append(f"{r['unknown']} unknown callbacks, {r['retried']} retries")
        if r["slow_attempts"] or r["failed_attempts"]:
            problems.append(
                f"{r['slow_attempts']} POSTs took over 500 ms, failed attempts "
                f"{r['failed_attempts'] or 'none'}; {r['listen_overflows']} TCP listen-queue "
                "overflows (the receiver's backlog)"
            )
        if r["logged_delivered"] != r["submit"]["ok"] or set(r["logged_states"]) - {"delivered"}:
            states = ", ".join(f"{n} {s}" for s, n in sorted(r["logged_states"].items()))
            problems.append(f"the mock's log: {states or 'empty'}")
        unusual = [x for x in r["server_stderr_sample"] if x != STOPPED_LINE]
        if unusual:
            problems.append(f"{r['server_stderr_lines']} stderr lines, e.g. {unusual[0]}")
        for problem in problems:
            print(f"   CHECK {r['mode']}: {problem}")
