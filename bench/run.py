"""Benchmark seedream-mock, side by side with Stoplight Prism mocking our own OpenAPI document:
requests per second and latency (wrk), start-up time, reset time, memory, render times,
webhook throughput and callbacks through the manual clock. Writes latest.md and latest.json."""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from capacity import bench_callbacks, bench_memory, bench_reset
from common import ROOT, BenchError
from compare import bench_startup
from deliveries import bench_webhooks, print_webhooks
from http_phase import HttpPlan, bench_http
from inspector import bench_inspector
from machine import cpu_model, load_average
from pressure import bench_fd_exhaustion, bench_slowloris
from renders import bench_render
from report import markdown, targets
from servers import prism_available, prism_version
from wrk import ensure_wrk

from mock_server import __version__

DEFAULT_OUT = ROOT / "bench" / "results"
PHASES = (
    "render",
    "startup",
    "http",
    "reset",
    "memory",
    "callbacks",
    "webhooks",
    "slowloris",
    "fds",
    "inspector",
)
FULL = {
    "seconds": 5.0,  # per run; 3 interleaved rounds per cell and server
    "warmup": 2.0,
    "rounds": 3,
    "startups": 5,
    "reset_tasks": 10_000,
    "reset_runs": 3,
    "memory_tasks": 100_000,
    "callback_tasks": 10_000,
    "webhooks": 1000,
    "renders": 5,
    "fill_limit": 300.0,
    "callback_limit": 120.0,
    "fallback_requests": 1_000_000,
    "trickle_connections": 1000,
    "trickle_interval": 5.0,
    "trickle_seconds": 20.0,
    "fd_limit": 256,
    "fd_sockets": 400,
    "fd_seconds": 3.0,
    "inspector_seconds": 3.0,  # per round and condition (no page / one page)
    "inspector_rounds": 4,
    "inspector_tasks": 10_000,
}
SMOKE = {
    "seconds": 1.0,
    "warmup": 0.0,
    "rounds": 1,
    "startups": 1,
    "reset_tasks": 200,
    "reset_runs": 1,
    "memory_tasks": 200,
    "callback_tasks": 200,
    "webhooks": 100,
    "renders": 1,
    "fill_limit": 30.0,
    "callback_limit": 30.0,
    "fallback_requests": 100,
    "trickle_connections": 50,
    "trickle_interval": 1.0,
    "trickle_seconds": 2.0,
    "fd_limit": 64,
    "fd_sockets": 100,
    "fd_seconds": 1.0,
    "inspector_seconds": 0.5,
    "inspector_rounds": 1,
    "inspector_tasks": 200,
}
# --quick: every phase and figure of the full run, each smaller (about 3 minutes); the
# targets are judged, but the committed results come from full runs.
QUICK = {
    **FULL,
    "seconds": 3.0,
    "warmup": 1.0,
    "startups": 3,
    "memory_tasks": 20_000,
    "webhooks": 500,
    "renders": 3,
    "trickle_seconds": 5.0,
    "inspector_rounds": 2,
}


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    add = parser.add_argument
    add("--smoke", action="store_true", help="tiny durations and counts: under ~30 s")
    add("--quick", action="store_true", help="shorter cells and fewer tasks: about 3 minutes")
    add("--rounds", type=int, help="interleaved rounds per HTTP cell (default 3; smoke 1)")
    add("--out", type=Path, default=DEFAULT_OUT, help="folder for latest.md and latest.json")
    add("--phases", default=",".join(PHASES), help=f"comma-separated subset of {PHASES}")
    add("--no-prism", action="store_true", help="measure seedream-mock only")
    add("--no-install", action="store_true", help="never apt-get install wrk")
    add("--seconds", type=float, help="wrk -d per HTTP run (default 5; quick 3; smoke 1)")
    add("--warmup", type=float, help="wrk warm-up per cell, seconds (default 2; smoke 0)")
    add("--startups", type=int, help="cold starts of each server (default 5; smoke 1)")
    add("--reset-tasks", type=int, help="tasks present at reset (default 10000; smoke 200)")
    add("--reset-runs", type=int, help="timed resets (default 3; smoke 1)")
    add("--memory-tasks", type=int, help="tasks for the RSS figure (default 100000; smoke 200)")
    add("--callback-tasks", type=int, help="tasks with callbacks (default 10000; smoke 200)")
    add("--webhooks", type=int, help="tasks per webhook round (default 1000; smoke 100)")
    add("--webhook-workers", type=int, default=8, help="the mock's --webhook-workers (8)")
    add("--clients", type=int, default=4, help="submitting clients in the webhook phase (4)")
    add("--renders", type=int, help="renders per size (default 5; smoke 1)")
    add("--trickle-connections", type=int, help="slowloris sockets (default 1000; smoke 50)")
    add("--trickle-interval", type=float, help="seconds between a socket's bytes (5; smoke 1)")
    add("--trickle-seconds", type=float, help="the normal client's GETs, seconds (20; smoke 2)")
    add("--fd-limit", type=int, help="the mock's RLIMIT_NOFILE in fds (default 256; smoke 64)")
    add("--fd-sockets", type=int, help="idle sockets against it (default 400; smoke 100)")
    add("--fd-seconds", type=float, help="seconds its CPU is measured (default 3; smoke 1)")
    args = parser.parse_args(argv)
    for name, value in (SMOKE if args.smoke else QUICK if args.quick else FULL).items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = set(args.phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    for name in (
        "startups",
        "reset_tasks",
        "reset_runs",
        "memory_tasks",
        "callback_tasks",
        "rounds",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    for name in (
        "webhooks",
        "webhook_workers",
        "clients",
        "renders",
        "trickle_connections",
        "fd_limit",
        "fd_sockets",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.seconds < 1:
        parser.error("--seconds must be at least 1")
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `with`: the servers are stopped


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    began = time.perf_counter()
    wrk, wrk_note = None, "not used"
    if "http" in args.phases:
        wrk, wrk_note = ensure_wrk(install=not (args.smoke or args.no_install))
        if wrk is None:
            wrk_note += "; falling back to the Python load generator"
        _log(wrk_note)
    prism = prism_available() and not args.no_prism
    results: dict[str, Any] = {
        "meta": {
            "version": __version__,
            "mode": "smoke" if args.smoke else "quick" if args.quick else "full",
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "cpus": os.cpu_count(),
            "cpu_model": cpu_model(),
            "load_average_start": load_average(),
            "python": platform.python_version(),
            "platform": platform.platform(terse=True),
            "load_tool": "wrk" if wrk else "python",
            "load_note": wrk_note,
            "prism": f"{prism_version()} (.tools/)" if prism else "not measured",
            "settings": {k: getattr(args, k) for k in (*FULL, "webhook_workers", "clients")},
            "phases": args.phases,
        },
        "errors": [],
    }
    results.update(dict.fromkeys(PHASES))
    with tempfile.TemporaryDirectory(prefix="seedream-bench-") as tmp:
        workdir = Path(tmp)
        plan = HttpPlan(args.seconds, args.warmup, args.fallback_requests, prism, wrk, args.rounds)
        phases: dict[str, Callable[[], Any]] = {
            "render": lambda: [asdict(r) for r in bench_render(args.renders)],
            "startup": lambda: bench_startup(args.startups, prism, workdir),
            "http": lambda: asdict(bench_http(plan, workdir, results["errors"])),
            "reset": lambda: bench_reset(args.reset_tasks, args.reset_runs, args.fill_limit),
            "memory": lambda: bench_memory(args.memory_tasks, args.fill_limit),
            "callbacks": lambda: bench_callbacks(args.callback_tasks, args.callback_limit),
            "webhooks": lambda: asdict(
                bench_webhooks(args.webhooks, args.clients, args.webhook_workers)
            ),
            "slowloris": lambda: bench_slowloris(
                args.trickle_connections, args.trickle_interval, args.trickle_seconds
            ),
            "fds": lambda: bench_fd_exhaustion(args.fd_limit, args.fd_sockets, args.fd_seconds),
            "inspector": lambda: bench_inspector(
                args.inspector_seconds, args.inspector_rounds, args.inspector_tasks, args.fill_limit
            ),
        }
        for name in PHASES:
            if name not in args.phases:
                continue
            _log(f"{name} …")
            try:
                results[name] = phases[name]()
            except (BenchError, OSError, ValueError, KeyError, subprocess.SubprocessError) as exc:
                results["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
    results["meta"]["seconds"] = round(time.perf_counter() - began, 1)
    results["meta"]["load_average_end"] = load_average()
    results["targets"] = targets(results)
    text = markdown(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.md").write_text(text, encoding="utf-8")
    (args.out / "latest.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(text)
    if results["webhooks"]:
        print_webhooks(results["webhooks"])
    print(f"\nresults in {args.out / 'latest.md'} and {args.out / 'latest.json'}")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
