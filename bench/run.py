"""Benchmark seedream-mock: render times, start-up time, requests per second, server memory and
webhook deliveries per second."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import queue
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from contracts.receiver import Received, WebhookReceiver
from mock_server import __version__
from mock_server.images import SIZES, ImageSpec, render

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "bench-results" / "latest.json"
HOST = "127.0.0.1"  # every request of this benchmark goes to the loopback server it started
KEY = "aio_your_api_key"
PROMPT = "A serene mountain lake at sunrise with reflections, photorealistic"
MODEL = "seedream/4.5-text-to-image"
GENERATIONS = "/api/v1/images/generations"
GENERATION_BODY = json.dumps({"prompt": PROMPT, "aspect_ratio": "16:9", "quality": "high"})
API_HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
STARTUP_LIMIT_S = 30.0  # give up on a server that is not answering 200 by then
PHASE_LIMIT_S = 60.0  # every throughput phase stops by then, however many requests are left
STDERR_KEEP = 50
STOPPED_LINE = "seedream-mock stopped."  # the one stderr line of a clean shutdown
WARMUP_REQUESTS = 50  # per endpoint, before the measured requests
CREDIT_GRANT = 10**12  # so the throughput phases never run into 402
WEBHOOK_LIMIT_S = 60.0  # submit + wait for every callback, at most this long
WEBHOOK_GRACE_S = 0.5  # after the last expected callback, watch this long for duplicates
WEBHOOK_SPEED = 1000  # scaled clock: a task ends ~1 ms after submit; retries 1, 2, 4 ms later
WEBHOOK_SERVER_ARGS = (
    "--speed", str(WEBHOOK_SPEED), "--pending-seconds", "0", "--processing-seconds", "0.001",
    "--key", f"{KEY}:{CREDIT_GRANT}",
)  # fmt: skip
BANNER = re.compile(r"^seedream-mock \S+ serving the Seedream 4\.5 API at (?P<url>http://\S+)$")


class BenchError(RuntimeError):
    """A phase could not be measured; the message says why."""


# -- statistics -------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (which must not be empty)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil(n * pct / 100), at least 1
    return ordered[int(rank) - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- the server under test --------------------------------------------------------------------


class ServerProcess:
    """`python -m mock_server serve --port 0` as a child process; `stop()` always ends it."""

    def __init__(self, extra_args: Sequence[str] = ()) -> None:
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0
        self.port = 0
        self.exit_code: int | None = None
        self.shutdown_s: float | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_lines: list[str] = []  # the first STDERR_KEEP lines the server wrote
        self.stderr_count = 0
        self._readers: list[threading.Thread] = []

    def start(self) -> ServerProcess:
        # MOCK_* variables would change the server's settings; leave them out for a fair run.
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOCK_")}
        command = [sys.executable, "-m", "mock_server", "serve", "--host", HOST, "--port", "0"]
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [*command, *self.extra_args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._readers = [
            threading.Thread(target=self._drain_stdout, name="bench-stdout", daemon=True),
            threading.Thread(target=self._drain_stderr, name="bench-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        return self

    def _drain_stdout(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self._lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self._lines.put(None)

    def _drain_stderr(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr_count += 1
            if len(self.stderr_lines) < STDERR_KEEP:
                self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_banner(self, deadline: float) -> int:
        """Read the first stdout line and return the port it names (at most until `deadline`)."""
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.perf_counter()))
        except queue.Empty:
            raise BenchError(f"no banner on stdout within {STARTUP_LIMIT_S:g} s") from None
        if line is None:
            raise BenchError(f"the server exited before its banner: {self.stderr_tail()}")
        match = BANNER.match(line)
        if match is None:
            raise BenchError(f"unexpected first stdout line: {line!r}")
        url = urlsplit(match["url"])
        if url.hostname != HOST or url.port is None:
            raise BenchError(f"the server is not on {HOST}: {match['url']}")
        self.port = url.port
        return self.port

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the server, in KiB, from /proc/<pid>/status."""
        assert self.proc is not None
        found: dict[str, int] = {}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    found[name] = int(value.split()[0])
        return found

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 10 s; records how long it took."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            began = time.perf_counter()
            proc.terminate()
            try:
                proc.wait(timeout=10)
                self.shutdown_s = time.perf_counter() - began
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.exit_code = proc.returncode
        for reader in self._readers:
            reader.join(timeout=2)  # both pipes are at EOF once the process has gone
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    def stderr_tail(self, lines: int = 5) -> str:
        time.sleep(0.1)  # let the reader catch the last words of a server that just died
        return " | ".join(self.stderr_lines[-lines:]) or "(stderr empty)"

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


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


def control(port: int, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to the control API; the `data` of its answer, or BenchError."""
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        status, raw = call(
            conn, "POST", path, json.dumps(body), {"Content-Type": "application/json"}
        )
    finally:
        conn.close()
    if status != 200:
        raise BenchError(f"POST {path} answered {status}: {raw[:200]!r}")
    data: dict[str, Any] = json.loads(raw)["data"]
    return data


# -- 1. render time -----------------------------------------------------------------------


@dataclass
class RenderResult:
    aspect_ratio: str
    quality: str
    width: int
    height: int
    runs: int
    p50_ms: float
    max_ms: float
    png_bytes: int


def bench_render(runs: int) -> list[RenderResult]:
    render(ImageSpec("n30warmup_seed", PROMPT, "1:1", "basic", MODEL, False))  # fonts, codecs
    results = []
    for index, ((ratio, quality), (width, height)) in enumerate(SIZES.items()):
        spec = ImageSpec(f"n30{index:016x}_seed", PROMPT, ratio, quality, MODEL, False)
        times, size = [], 0
        for _ in range(runs):
            began = time.perf_counter()
            size = len(render(spec))
            times.append(time.perf_counter() - began)
        results.append(
            RenderResult(
                ratio,
                quality,
                width,
                height,
                runs,
                ms(statistics.median(times)),
                ms(max(times)),
                size,
            )
        )
    return results


# -- 2. start-up time ---------------------------------------------------------------------


@dataclass
class StartupRun:
    banner_ms: float  # spawn → first stdout line
    ready_ms: float  # spawn → first 200 from POST /api/v1/images/generations
    attempts: int
    shutdown_ms: float | None  # SIGTERM → exit
    exit_code: int | None


def startup_once() -> StartupRun:
    with ServerProcess() as server:
        deadline = server.spawned_at + STARTUP_LIMIT_S
        port = server.wait_banner(deadline)
        banner_s = time.perf_counter() - server.spawned_at
        attempts = 0
        while True:
            if time.perf_counter() > deadline:
                raise BenchError(f"no 200 within {STARTUP_LIMIT_S:g} s")
            if not server.alive():
                raise BenchError(f"the server exited: {server.stderr_tail()}")
            attempts += 1
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            try:
                status, _ = call(conn, "POST", GENERATIONS, GENERATION_BODY)
            except (OSError, http.client.HTTPException):
                status = 0
            finally:
                conn.close()
            if status == 200:
                ready_s = time.perf_counter() - server.spawned_at
                break
            time.sleep(0.005)
    shutdown = ms(server.shutdown_s) if server.shutdown_s is not None else None
    return StartupRun(ms(banner_s), ms(ready_s), attempts, shutdown, server.exit_code)


# -- 3. throughput ------------------------------------------------------------------------

RequestMaker = Callable[[int], tuple[str, str, str | None]]


@dataclass
class PhaseResult:
    endpoint: str
    clients: int
    planned: int
    sent: int
    ok: int
    errors: dict[str, int]
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    stopped_early: bool


@dataclass
class _Worker:
    share: int
    latencies: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    ok: int = 0
    stopped_early: bool = False


def run_phase(
    port: int,
    endpoint: str,
    make: RequestMaker,
    total: int,
    clients: int,
    keep_bodies: bool = False,
    on_ok: Callable[[float, bytes], None] | None = None,
) -> tuple[PhaseResult, list[bytes]]:
    """`total` requests from `clients` threads, each on its own keep-alive connection; the
    phase ends when they are all answered or after PHASE_LIMIT_S, whichever comes first.
    `on_ok(sent_at, body)`, called from the client threads for every 200, gets the
    time.monotonic() at which the request was sent."""
    shares = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    workers = [_Worker(share) for share in shares]
    gate = threading.Barrier(clients + 1)

    def work(index: int, worker: _Worker) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            conn.connect()
            gate.wait()
            stop_at = time.perf_counter() + PHASE_LIMIT_S
            for n in range(worker.share):
                if time.perf_counter() > stop_at:
                    worker.stopped_early = True
                    break
                method, path, body = make(n * clients + index)
                sent_at = time.monotonic()
                began = time.perf_counter()
                try:
                    status, raw = call(conn, method, path, body)
                except (OSError, http.client.HTTPException) as exc:
                    worker.errors[type(exc).__name__] += 1
                    conn.close()  # the next request reconnects
                    continue
                worker.latencies.append(time.perf_counter() - began)
                if status == 200:
                    worker.ok += 1
                    if keep_bodies:
                        worker.bodies.append(raw)
                    if on_ok is not None:
                        on_ok(sent_at, raw)
                else:
                    worker.errors[str(status)] += 1
        finally:
            conn.close()

    threads = [
        threading.Thread(target=work, args=(i, w), name=f"bench-client-{i}", daemon=True)
        for i, w in enumerate(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        gate.wait(timeout=10)
    except threading.BrokenBarrierError:
        raise BenchError(f"{endpoint}: the clients could not connect") from None
    began = time.perf_counter()
    for thread in threads:  # a request in flight at the limit may take its 10 s timeout
        thread.join(timeout=max(0.0, began + PHASE_LIMIT_S + 15 - time.perf_counter()))
    seconds = time.perf_counter() - began
    latencies = [x for w in workers for x in w.latencies]
    errors: Counter[str] = Counter()
    for worker in workers:
        errors.update(worker.errors)
    ok = sum(w.ok for w in workers)
    result = PhaseResult(
        endpoint=endpoint,
        clients=clients,
        planned=total,
        sent=len(latencies) + sum(n for kind, n in errors.items() if not kind.isdigit()),
        ok=ok,
        errors=dict(errors),
        seconds=round(seconds, 3),
        rps=round(ok / seconds, 1) if seconds > 0 else 0.0,
        p50_ms=ms(percentile(latencies, 50)) if latencies else 0.0,
        p99_ms=ms(percentile(latencies, 99)) if latencies else 0.0,
        max_ms=ms(max(latencies)) if latencies else 0.0,
        stopped_early=any(w.stopped_early for w in workers) or any(t.is_alive() for t in threads),
    )
    return result, [b for w in workers for b in w.bodies]


@dataclass
class ThroughputResult:
    phases: list[PhaseResult]
    tasks_created: int
    sample_task_status: str
    memory_after_start_kib: dict[str, int]
    memory_after_throughput_kib: dict[str, int]
    server_stderr_lines: int
    server_stderr_sample: list[str]
    shutdown_ms: float | None
    exit_code: int | None


def bench_throughput(total: int, clients: int) -> ThroughputResult:
    def post(_: int) -> tuple[str, str, str | None]:
        return "POST", GENERATIONS, GENERATION_BODY

    with ServerProcess() as server:
        port = server.wait_banner(server.spawned_at + STARTUP_LIMIT_S)
        clock = control(port, "/_mock/clock", {"mode": "manual"})
        if clock.get("mode") != "manual":
            raise BenchError(f"the clock did not switch to manual: {clock}")
        control(port, f"/_mock/keys/{KEY}/credits", {"amount": CREDIT_GRANT})
        memory_start = server.memory_kib()

        run_phase(port, "warm-up POST", post, WARMUP_REQUESTS, clients)
        posted, bodies = run_phase(port, "POST generations", post, total, clients, True)
        task_ids = [json.loads(raw)["data"]["task_id"] for raw in bodies]
        if not task_ids:
            raise BenchError(f"no task was created: {posted.errors}")

        def get(n: int) -> tuple[str, str, str | None]:
            return "GET", f"/api/v1/tasks/{task_ids[n % len(task_ids)]}", None

        run_phase(port, "warm-up GET", get, WARMUP_REQUESTS, clients)
        got, _ = run_phase(port, "GET tasks", get, total, clients)

        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            _, raw = call(conn, "GET", f"/api/v1/tasks/{task_ids[-1]}")
        finally:
            conn.close()
        sample_status = str(json.loads(raw).get("data", {}).get("status"))
        memory_end = server.memory_kib()
    return ThroughputResult(
        phases=[posted, got],
        tasks_created=len(task_ids),
        sample_task_status=sample_status,
        memory_after_start_kib=memory_start,
        memory_after_throughput_kib=memory_end,
        server_stderr_lines=server.stderr_count,
        server_stderr_sample=server.stderr_lines[:10],
        shutdown_ms=ms(server.shutdown_s) if server.shutdown_s is not None else None,
        exit_code=server.exit_code,
    )


# -- 5. webhook deliveries ----------------------------------------------------------------


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
    with WebhookReceiver(HOST) as hooks, ServerProcess(args) as server:
        port = server.wait_banner(server.spawned_at + STARTUP_LIMIT_S)
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


# -- report -------------------------------------------------------------------------------


def mib(kib: int | None) -> str:
    return f"{kib / 1024:.1f} MiB" if kib is not None else "?"


def print_report(results: dict[str, Any]) -> None:
    meta = results["meta"]
    print(
        f"seedream-mock {meta['version']} benchmark ({meta['mode']}): {meta['cpus']} CPUs, "
        f"Python {meta['python']}, {meta['platform']}"
    )
    renders: list[dict[str, Any]] | None = results.get("render")
    if renders:
        print(f"\n1. Render, in-process ({renders[0]['runs']} runs per size)")
        print(
            f"{'ratio':<6}{'quality':<9}{'size':>11}{'p50 ms':>10}{'max ms':>10}{'PNG bytes':>12}"
        )
        for r in renders:
            size = f"{r['width']}x{r['height']}"
            print(
                f"{r['aspect_ratio']:<6}{r['quality']:<9}{size:>11}"
                f"{r['p50_ms']:>10.1f}{r['max_ms']:>10.1f}{r['png_bytes']:>12,}"
            )
    startup: dict[str, Any] | None = results.get("startup")
    if startup:
        runs = startup["runs"]
        print(f"\n2. Start-up, spawn to first 200 from POST generations ({len(runs)} runs)")
        print(
            f"median {startup['median_ready_ms']:.0f} ms (banner at median "
            f"{startup['median_banner_ms']:.0f} ms); runs: "
            + ", ".join(f"{r['ready_ms']:.0f}" for r in runs)
            + " ms; shutdown after SIGTERM: "
            + ", ".join(f"{r['shutdown_ms']:.0f}" if r["shutdown_ms"] else "?" for r in runs)
            + " ms"
        )
    throughput: dict[str, Any] | None = results.get("throughput")
    if throughput:
        phases = throughput["phases"]
        print(f"\n3. Throughput, {phases[0]['clients']} keep-alive clients, manual clock")
        print(
            f"{'endpoint':<18}{'ok/planned':>15}{'errors':>8}{'seconds':>9}{'req/s':>9}"
            f"{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        )
        for p in phases:
            errors = sum(p["errors"].values())
            note = "  (stopped at the time limit)" if p["stopped_early"] else ""
            print(
                f"{p['endpoint']:<18}{p['ok']:>7}/{p['planned']:<7}{errors:>8}{p['seconds']:>9.2f}"
                f"{p['rps']:>9.1f}{p['p50_ms']:>9.2f}{p['p99_ms']:>9.2f}{p['max_ms']:>9.2f}{note}"
            )
        start, end = throughput["memory_after_start_kib"], throughput["memory_after_throughput_kib"]
        print(
            f"\n4. Server memory: RSS {mib(end.get('VmRSS'))} after throughput "
            f"({throughput['tasks_created']} pending tasks; {mib(start.get('VmRSS'))} "
            f"after start; peak {mib(end.get('VmHWM'))})"
        )
        unusual = [x for x in throughput["server_stderr_sample"] if x != STOPPED_LINE]
        if unusual:
            print(f"   server wrote {throughput['server_stderr_lines']} stderr lines, e.g.:")
            for line in unusual[:3]:
                print(f"     {line}")
        if throughput["sample_task_status"] != "pending":
            print(f"   a task was {throughput['sample_task_status']}, not pending: clock moved?")
    webhooks: dict[str, Any] | None = results.get("webhooks")
    if webhooks:
        print_webhooks(webhooks)
    for error in results["errors"]:
        print(f"\nFAILED {error}")


def print_webhooks(w: dict[str, Any]) -> None:
    print(
        f"\n5. Webhook deliveries to a local receiver: {w['tasks']} tasks per round from "
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


# -- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer iterations: finishes in under 30 s"
    )
    parser.add_argument(
        "--requests", type=int, help="measured requests per endpoint (default 3000; quick 1000)"
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument(
        "--webhooks", type=int, help="tasks with a callback_url (default 1000; quick 300)"
    )
    parser.add_argument(
        "--webhook-workers",
        type=int,
        default=8,
        help="the server's --webhook-workers in phase 5 (default 8, as the server's)",
    )
    parser.add_argument("--renders", type=int, help="renders per size (default 5; quick 2)")
    parser.add_argument("--startups", type=int, help="server start-ups (default 3; quick 2)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results file")
    args = parser.parse_args(argv)
    args.requests = args.requests or (1000 if args.quick else 3000)
    args.renders = args.renders or (2 if args.quick else 5)
    args.startups = args.startups or (2 if args.quick else 3)
    args.webhooks = args.webhooks or (300 if args.quick else 1000)
    for name in ("requests", "clients", "renders", "startups", "webhooks", "webhook_workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    results: dict[str, Any] = {
        "meta": {
            "version": __version__,
            "mode": "quick" if args.quick else "full",
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "requests": args.requests,
            "clients": args.clients,
            "renders": args.renders,
            "startups": args.startups,
            "webhooks": args.webhooks,
            "webhook_workers": args.webhook_workers,
        },
        "errors": [],
    }
    phases: list[tuple[str, Callable[[], Any]]] = [
        ("render", lambda: [asdict(r) for r in bench_render(args.renders)]),
        ("startup", lambda: startup_summary([startup_once() for _ in range(args.startups)])),
        ("throughput", lambda: asdict(bench_throughput(args.requests, args.clients))),
        (
            "webhooks",
            lambda: asdict(bench_webhooks(args.webhooks, args.clients, args.webhook_workers)),
        ),
    ]
    for name, measure in phases:
        print(f"[bench] {name} …", file=sys.stderr, flush=True)
        try:
            results[name] = measure()
        except (BenchError, OSError, ValueError, KeyError) as exc:
            results["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
    results["meta"]["seconds"] = round(time.perf_counter() - began, 1)
    print_report(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\n{results['meta']['seconds']:g} s in all; results in {args.output}")
    return 1 if results["errors"] else 0


def startup_summary(runs: list[StartupRun]) -> dict[str, Any]:
    return {
        "runs": [asdict(r) for r in runs],
        "median_ready_ms": round(statistics.median(r.ready_ms for r in runs), 1),
        "median_banner_ms": round(statistics.median(r.banner_ms for r in runs), 1),
    }


if __name__ == "__main__":
    sys.exit(main())
