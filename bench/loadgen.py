"""The Python load generator: `clients` threads, each on its own keep-alive connection, send a
fixed number of requests (or stop at a time limit). Used where wrk is missing, and wherever the
benchmark needs every answer (task ids, exact counts)."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from common import HOST, BenchError, call, ms, percentile

PHASE_LIMIT_S = 60.0  # default: a phase stops by then, however many requests are left
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
    limit_s: float = PHASE_LIMIT_S,
) -> tuple[PhaseResult, list[bytes]]:
    """`total` requests from `clients` threads, each on its own keep-alive connection; the
    phase ends when they are all answered or after `limit_s`, whichever comes first.
    `on_ok(sent_at, body)`, called from the client threads for every 200, gets the
    time.monotonic() at which the request was sent."""
    clients = max(1, min(clients, total))
    shares = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    workers = [_Worker(share) for share in shares]
    gate = threading.Barrier(clients + 1)

    def work(index: int, worker: _Worker) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=10)
        try:
            conn.connect()
            gate.wait()
            stop_at = time.perf_counter() + limit_s
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
                if 200 <= status < 300:
                    worker.ok += 1
                    if keep_bodies:
                        worker.bodies.append(raw)
                    if on_ok is not None:
                        on_ok(sent_at, raw)
                else:
                    worker.errors[str(status)] += 1
        except (OSError, threading.BrokenBarrierError) as exc:
            worker.errors[type(exc).__name__] += 1
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
        thread.join(timeout=max(0.0, began + limit_s + 15 - time.perf_counter()))
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
