"""seedream-mock side by side with Prism: start-up time to the first 200 (the HTTP cells are
http_phase.py's)."""

from __future__ import annotations

import compileall
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from common import ms
from servers import PRISM_STARTUP_LIMIT_S, STARTUP_LIMIT_S, MockProcess, PrismProcess

import mock_server
import seedream_contracts

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
    ready = [r.ready_ms for r in runs]
    return {
        "runs": [asdict(r) for r in runs],
        "median_ready_ms": round(statistics.median(ready), 1),
        "min_ready_ms": round(min(ready), 1),
        "max_ready_ms": round(max(ready), 1),
    }


def bench_startup(runs: int, prism: bool, workdir: Path) -> dict[str, Any]:
    """`runs` cold starts of each: the mock exactly as `make run` (`seedream-mock serve --port
    P`, default settings), Prism on our document and Prism on the lean spec; spawn → first 200
    from POST generations. The servers alternate, one at a time.

    The byte code is compiled first: a user's `make run` writes it on the first start, and
    pip writes it when it installs the wheel. Without it (PYTHONDONTWRITEBYTECODE=1 in the
    environment, as on some CI and sandbox shells) every start compiles ~100 modules from
    source, about 70 ms that no user's second start pays."""
    for package in (mock_server, seedream_contracts):
        compileall.compile_dir(Path(package.__file__).parent, quiet=1)
    ours: list[StartupRun] = []
    theirs: list[StartupRun] = []
    lean: list[StartupRun] = []
    for _ in range(runs):
        ours.append(_startup_once(MockProcess()))
        if prism:
            theirs.append(_startup_once(PrismProcess(workdir)))
            lean.append(_startup_once(PrismProcess(workdir, lean=True)))
        time.sleep(0.05)
    result: dict[str, Any] = {"ours": _summary(ours), "prism": None, "lean": None}
    if theirs:
        result["prism"] = _summary(theirs)
        result["lean"] = _summary(lean)
    return result
