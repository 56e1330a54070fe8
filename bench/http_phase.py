"""The two public routes at 16 and 64 connections: seedream-mock (in memory and with --state)
against Prism on our OpenAPI document ("project spec") and on bench/specs/lean-openapi.yaml
("lean spec"), in interleaved rounds; each figure is min/median/max over the rounds."""

from __future__ import annotations

import contextlib
import statistics
import sys
from dataclasses import dataclass, field
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
)
from loadgen import PhaseResult, run_phase
from machine import background_cores
from servers import STARTUP_LIMIT_S, MockProcess, PrismProcess, _Child
from wrk import LoadResult, run_wrk, write_script

CONNECTIONS = (16, 64)
ENDPOINTS = ("POST", "GET")
ROUTES = {"POST": f"POST {GENERATIONS}", "GET": f"GET {TASKS}{{id}}"}
MOCKS = ("ours", "state")
ONCE: tuple[str, ...] = ()  # servers measured in the first round only: none (every figure,
# the --state ones too, is a median over the rounds: one run could be 5 % off either way)


@dataclass
class HttpPlan:
    seconds: float  # per measured cell (wrk -d)
    warmup_s: float  # wrk warm-up before a server's first round of a cell; 0: Python requests
    fallback_requests: int  # per cell when wrk is missing (time-bound by `seconds` too)
    prism: bool  # measure Prism too (both specs)
    wrk: str | None  # path to wrk, or None for the Python load generator
    rounds: int = 3  # interleaved rounds per cell: A,B,C then C,B,A, …


@dataclass
class Run:
    result: LoadResult
    background_cores: float | None  # other work on the machine just before (machine.py)


@dataclass
class Cell:
    endpoint: str  # "POST" or "GET"
    route: str
    connections: int
    runs: dict[str, list[Run]] = field(default_factory=dict)  # per server, in round order
    stats: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # min/median/max
    ratio: float | None = None  # median ours req/s / median Prism (project spec) req/s
    lean_ratio: float | None = None  # … / median Prism (lean spec) req/s


@dataclass
class HttpResult:
    tool: str  # "wrk -t2" or "python"
    seconds: float
    warmup_s: float  # 0: a 20-request Python warm-up instead
    max_requests: int | None  # the Python generator's cap per cell; None with wrk
    rounds: int
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
    """Runs one cell (warm-up if asked, then measure) against one server, wrk or Python."""

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
        path = GENERATIONS if endpoint == "POST" else f"{TASKS}{self.task_id}"
        body = GENERATION_BODY if endpoint == "POST" else None

        def make(_: int) -> tuple[str, str, str | None]:
            return endpoint, path, body

        phase, _ = run_phase(port, ROUTES[endpoint], make, total, connections, limit_s=limit_s)
        return _from_phase(phase, connections)

    def run(self, port: int, endpoint: str, connections: int, warm: bool) -> LoadResult:
        plan = self.plan
        path = GENERATIONS if endpoint == "POST" else f"{TASKS}{self.task_id}"
        url = f"http://{HOST}:{port}{path}"
        if warm and plan.wrk is not None and plan.warmup_s > 0:
            run_wrk(plan.wrk, url, self.scripts[endpoint], connections, plan.warmup_s)
        elif warm:
            self._python(port, endpoint, min(connections, 8), 20, 10.0)
        if plan.wrk is not None:
            return run_wrk(plan.wrk, url, self.scripts[endpoint], connections, plan.seconds)
        return self._python(port, endpoint, connections, plan.fallback_requests, plan.seconds)


def _spread(values: list[float]) -> list[float]:
    return [min(values), statistics.median(values), max(values)]


def _summarise(cell: Cell) -> None:
    for name, runs in cell.runs.items():
        results = [r.result for r in runs]
        cell.stats[name] = {
            "rps": _spread([r.rps for r in results]),
            "p99_ms": _spread([r.p99_ms for r in results if r.p99_ms is not None] or [0.0]),
            "background_cores": [max((r.background_cores or 0.0) for r in runs)],
        }
    ours = cell.stats.get("ours", {}).get("rps")
    for name, attr in (("prism", "ratio"), ("lean", "lean_ratio")):
        theirs = cell.stats.get(name, {}).get("rps")
        if ours and theirs and theirs[1] > 0:
            setattr(cell, attr, round(ours[1] / theirs[1], 2))


def _measure(
    cells: _Cells, targets: list[tuple[str, _Child]], endpoint: str, connections: int, rounds: int
) -> Cell:
    cell = Cell(endpoint, ROUTES[endpoint], connections)
    for round_ in range(rounds):
        order = targets if round_ % 2 == 0 else targets[::-1]
        for name, server in order:
            if name in ONCE and round_ > 0:
                continue
            say(f"{name}: {cell.route} at {connections} connections, round {round_ + 1} …")
            if name in MOCKS:  # every run starts from an empty mock: order-free
                control(server.port, "/_mock/reset", {})
                cells.task_id = create_task(server.port)
            busy = background_cores([s.proc.pid for _, s in targets if s.proc is not None])
            found = cells.run(server.port, endpoint, connections, warm=round_ == 0)
            cell.runs.setdefault(name, []).append(Run(found, busy))
    _summarise(cell)
    return cell


def say(line: str) -> None:
    print(f"[bench]   {line}", flush=True, file=sys.stderr)


def _prisms(stack: contextlib.ExitStack, workdir: Path, errors: list[str]) -> list[Any]:
    started: list[tuple[str, _Child]] = []
    for name, lean in (("prism", False), ("lean", True)):
        prism = stack.enter_context(PrismProcess(workdir, lean=lean))
        try:
            prism.ready()
            started.append((name, prism))
        except BenchError as exc:
            errors.append(f"http: Prism ({'lean' if lean else 'project'} spec): {exc}")
    return started


def bench_http(plan: HttpPlan, workdir: Path, errors: list[str]) -> HttpResult:
    """Every server up at once (idle while another is driven); within a cell the servers take
    turns round by round, the order reversed each round, so drift on the machine hits all."""
    with contextlib.ExitStack() as stack:
        mock = stack.enter_context(MockProcess(MOCK_ARGS)).ready()
        mock.wait_ready(STARTUP_LIMIT_S)
        task_id = create_task(mock.port)
        durable = stack.enter_context(
            MockProcess([*MOCK_ARGS, "--state", str(workdir / "bench-state.db")])
        ).ready()
        durable.wait_ready(STARTUP_LIMIT_S)
        targets: list[tuple[str, _Child]] = [("ours", mock), ("state", durable)]
        prism_state = "measured"
        if plan.prism:
            targets += _prisms(stack, workdir, errors)
        else:
            prism_state = "skipped: Prism is not installed (make .tools/node_modules/.bin/prism)"
        result = HttpResult(
            tool="wrk -t2" if plan.wrk else "python",
            seconds=plan.seconds,
            warmup_s=plan.warmup_s if plan.wrk else 0.0,
            max_requests=None if plan.wrk else plan.fallback_requests,
            rounds=plan.rounds,
            task_id=task_id,
            prism=prism_state,
        )
        result.memory_kib = {name: {"start": s.memory_kib()} for name, s in targets}
        cells = _Cells(plan, workdir, task_id)
        for endpoint in ENDPOINTS:
            for connections in CONNECTIONS:
                result.cells.append(_measure(cells, targets, endpoint, connections, plan.rounds))
        for name, server in targets:
            result.memory_kib[name]["after"] = server.memory_kib()
        result.prism_log_tail = " | ".join(
            s.why_dead() for _, s in targets if isinstance(s, PrismProcess)
        )
    result.mock_stdout_lines = mock.stdout_count  # counted once the pipe closed
    result.mock_stderr_lines = mock.stderr_count
    result.mock_stderr_sample = mock.unusual_stderr()[:10]
    return result
