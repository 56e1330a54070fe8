"""seedream-mock side by side with Prism: requests per second and latency on the two public
routes at 16 and 64 connections, and start-up time to the first 200."""

from __future__ import annotations

import compileall
import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import (
    GENERATION_BODY,
    GENERATIONS,
    HOST,
    MOCK_ARGS,
    TASKS,
    BenchError,
    control,
    create_task,
    ms,
)
from loadgen import PhaseResult, run_phase
from servers import (
    PRISM_STARTUP_LIMIT_S,
    STARTUP_LIMIT_S,
    MockProcess,
    PrismProcess,
    _Child,
)
from wrk import LoadResult, run_wrk, write_script

import mock_server
import seedream_contracts

CONNECTIONS = (16, 64)
ENDPOINTS = ("POST", "GET")
ROUTES = {"POST": f"POST {GENERATIONS}", "GET": f"GET {TASKS}{{id}}"}


@dataclass
class HttpPlan:
    seconds: float  # per measured cell (wrk -d)
    warmup_s: float  # wrk warm-up per cell; 0: a few Python requests instead
    fallback_requests: int  # per cell when wrk is missing (time-bound by `seconds` too)
    prism: bool  # measure Prism too
    wrk: str | None  # path to wrk, or None for the Python load generator


@dataclass
class Cell:
    endpoint: str  # "POST" or "GET"
    route: str
    connections: int
    ours: LoadResult | None = None
    prism: LoadResult | None = None
    ratio: float | None = None  # ours req/s / Prism req/s
    state: LoadResult | None = None  # ours with --state FILE (durable state)


@dataclass
class HttpResult:
    tool: str  # "wrk -t2" or "python"
    seconds: float
    warmup_s: float  # 0: a 20-request Python warm-up instead
    max_requests: int | None  # the Python generator's cap per cell; None with wrk
    task_id: str
    prism: str  # "measured", or why not
    cells: list[Cell] = field(default_factory=list)
    memory_kib: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    mock_stdout_lines: int = 0  # the request log: one line per request (`make run`'s default)
    mock_stderr_lines: int = 0  # the shutdown line; anything more is unusual
    mock_stderr_sample: list[str] = field(default_factory=list)
    prism_log_tail: str = ""


def _from_phase(phase: PhaseResult, connections: int) -> LoadResult:
    non_2xx = sum(n for kind, n in phase.errors.items() if kind.isdigit())
    answered = phase.ok + non_2xx
    return LoadResult(
        tool="python",
        connections=connections,
        seconds=phase.seconds,
        requests=answered,
        rps=round(answered / phase.seconds, 1) if phase.seconds > 0 else 0.0,
        p50_ms=phase.p50_ms,
        p90_ms=None,
        p99_ms=phase.p99_ms,
        max_ms=phase.max_ms,
        non_2xx=non_2xx,
        socket_errors={k: n for k, n in phase.errors.items() if not k.isdigit()},
    )


class _Cells:
    """Runs one cell (warm-up, then measure) against one server with wrk or Python."""

    def __init__(self, plan: HttpPlan, workdir: Path, task_id: str) -> None:
        self.plan = plan
        self.task_id = task_id
        self.scripts = {
            "POST": write_script(workdir / "post.lua", "POST", GENERATION_BODY),
            "GET": write_script(workdir / "get.lua", "GET", None),
        }

    def _python(
        self, port: int, endpoint: str, connections: int, total: int, limit_s: float
    ) -> LoadResult:
        make: Callable[[int], tuple[str, str, str | None]]
        if endpoint == "POST":

            def make(_: int) -> tuple[str, str, str | None]:
                return "POST", GENERATIONS, GENERATION_BODY
        else:
            path = f"{TASKS}{self.task_id}"

            def make(_: int) -> tuple[str, str, str | None]:
                return "GET", path, None

        phase, _ = run_phase(port, ROUTES[endpoint], make, total, connections, limit_s=limit_s)
        return _from_phase(phase, connections)

    def run(self, port: int, endpoint: str, connections: int) -> LoadResult:
        plan = self.plan
        path = GENERATIONS if endpoint == "POST" else f"{TASKS}{self.task_id}"
        url = f"http://{HOST}:{port}{path}"
        if plan.wrk is not None and plan.warmup_s > 0:
            run_wrk(plan.wrk, url, self.scripts[endpoint], connections, plan.warmup_s)
        else:
            self._python(port, endpoint, min(connections, 8), 20, 10.0)
        if plan.wrk is not None:
            return run_wrk(plan.wrk, url, self.scripts[endpoint], connections, plan.seconds)
        return self._python(port, endpoint, connections, plan.fallback_requests, plan.seconds)


def bench_http(plan: HttpPlan, workdir: Path, errors: list[str]) -> HttpResult:
    """Both servers up at once (idle while the other is driven); the cells alternate between
    them so that drift on the machine hits both."""
    with contextlib.ExitStack() as stack:
        mock = stack.enter_context(MockProcess(MOCK_ARGS)).ready()
        mock.wait_ready(STARTUP_LIMIT_S)
        task_id = create_task(mock.port)
        # The same mock writing through to a state file: its rows are judged against "ours".
        durable = stack.enter_context(
            MockProcess([*MOCK_ARGS, "--state", str(workdir / "bench-state.db")])
        ).ready()
        durable.wait_ready(STARTUP_LIMIT_S)
        targets: list[tuple[str, _Child]] = [("ours", mock), ("state", durable)]
        mocks = (mock, durable)
        prism: PrismProcess | None = None
        prism_state = "measured"
        if not plan.prism:
            prism_state = "skipped: Prism is not installed (make .tools/node_modules/.bin/prism)"
        else:
            prism = stack.enter_context(PrismProcess(workdir))
            try:
                prism.ready()
                targets.append(("prism", prism))
            except BenchError as exc:
                prism_state = f"failed: {exc}"
                errors.append(f"http: Prism: {exc}")
        result = HttpResult(
            tool="wrk -t2" if plan.wrk else "python",
            seconds=plan.seconds,
            warmup_s=plan.warmup_s if plan.wrk else 0.0,
            max_requests=None if plan.wrk else plan.fallback_requests,
            task_id=task_id,
            prism=prism_state,
        )
        result.memory_kib = {name: {"start": s.memory_kib()} for name, s in targets}
        cells = _Cells(plan, workdir, task_id)
        for endpoint in ENDPOINTS:
            for connections in CONNECTIONS:
                cell = Cell(endpoint, ROUTES[endpoint], connections)
                for name, server in targets:
                    print(
                        f"[bench]   {name}: {cell.route} at {connections} connections …",
                        flush=True,
                        file=sys.stderr,
                    )
                    if server in mocks:  # every cell starts from an empty mock: order-free
                        control(server.port, "/_mock/reset", {})
                        cells.task_id = create_task(server.port)
                    setattr(cell, name, cells.run(server.port, endpoint, connections))
                if cell.ours and cell.prism and cell.prism.rps > 0:
                    cell.ratio = round(cell.ours.rps / cell.prism.rps, 2)
                result.cells.append(cell)
        for name, server in targets:
            result.memory_kib[name]["after"] = server.memory_kib()
        if prism is not None:
            result.prism_log_tail = prism.why_dead()
    result.mock_stdout_lines = mock.stdout_count  # counted once the pipe closed
    result.mock_stderr_lines = mock.stderr_count
    result.mock_stderr_sample = mock.unusual_stderr()[:10]
    return result


# -- start-up ---------------------------------------------------------------------------------


@dataclass
class StartupRun:
    banner_ms: float | None  # spawn → first stdout line (the mock only)
    ready_ms: float  # spawn → first 200 from POST /api/v1/images/generations
    attempts: int
    shutdown_ms: float | None  # SIGTERM → exit
    exit_code: int | None


def _startup_once(server: MockProcess | PrismProcess) -> StartupRun:
    mock = isinstance(server, MockProcess)
    with server:
        ready_s, attempts = server.wait_ready(STARTUP_LIMIT_S if mock else PRISM_STARTUP_LIMIT_S)
    banner_s = server.banner_s() if isinstance(server, MockProcess) else None
    banner = ms(banner_s) if banner_s is not None else None
    shutdown = ms(server.shutdown_s) if server.shutdown_s is not None else None
    return StartupRun(banner, ms(ready_s), attempts, shutdown, server.exit_code)


def _summary(runs: list[StartupRun]) -> dict[str, Any]:
    return {
        "runs": [asdict(r) for r in runs],
        "median_ready_ms": round(statistics.median(r.ready_ms for r in runs), 1),
    }


def bench_startup(runs: int, prism: bool, workdir: Path) -> dict[str, Any]:
    """`runs` cold starts of each: the mock exactly as `make run` (`seedream-mock serve --port
    P`, default settings) and Prism on our document; spawn → first 200 from POST generations.
    The servers alternate, one at a time.

    The byte code is compiled first: a user's `make run` writes it on the first start, and
    pip writes it when it installs the wheel. Without it (PYTHONDONTWRITEBYTECODE=1 in the
    environment, as on some CI and sandbox shells) every start compiles ~100 modules from
    source, about 70 ms that no user's second start pays."""
    for package in (mock_server, seedream_contracts):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)
    ours: list[StartupRun] = []
    theirs: list[StartupRun] = []
    for _ in range(runs):
        ours.append(_startup_once(MockProcess()))
        if prism:
            theirs.append(_startup_once(PrismProcess(workdir)))
        time.sleep(0.05)
    result: dict[str, Any] = {"ours": _summary(ours), "prism": None}
    if theirs:
        result["prism"] = _summary(theirs)
    return result
