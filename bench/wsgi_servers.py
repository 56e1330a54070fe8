"""Which server should `seedream-mock serve` use? The same app under each candidate, same load.

    .venv/bin/pip install waitress gunicorn granian     # the candidates (not dependencies)
    .venv/bin/python bench/wsgi_servers.py [--seconds 5] [--out bench/results/wsgi-servers.md]

State lives in one process, so every candidate runs one process with threads: seedream-mock's
own server (`seedream-mock serve`), waitress (16 threads, its default use here until 0.2),
gunicorn `-w 1 -k gthread --threads 16`, granian WSGI (1 worker, 16 blocking threads). Each
gets wrk on GET of a real task and on POST, at 16 and 64 connections (1 s warm-up, then the
measured run). Candidates that are not installed are listed as such. This is the measurement
behind the choice; it is not part of `make bench`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import GENERATION_BODY, GENERATIONS, HOST, ROOT, BenchError, create_task, free_port
from wrk import run_wrk, write_script

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
KEY = "aio_your_api_key"


def candidates(port: int) -> dict[str, list[str] | None]:
    """Each candidate's command line, or None when it is not installed."""
    seedream = [
        str(BIN / "seedream-mock"),
        "serve",
        "--port",
        str(port),
        "--clock",
        "manual",
        "--key",
        f"{KEY}:1000000000",
        "--log-requests",
        "off",
    ]

    def tool(name: str, *args: str) -> list[str] | None:
        path = BIN / name
        return [str(path), *args] if path.exists() else None

    return {
        "seedream-mock (mock_server.httpd)": seedream,
        "waitress 3, 16 threads": tool(
            "waitress-serve",
            "--threads=16",
            f"--port={port}",
            "--host=127.0.0.1",
            "--call",
            "wsgi_app:make",
        ),
        "gunicorn gthread, 1 worker, 16 threads": tool(
            "gunicorn",
            "-w",
            "1",
            "-k",
            "gthread",
            "--threads",
            "16",
            "-b",
            f"{HOST}:{port}",
            "wsgi_app:make()",
        ),
        "granian WSGI, 1 worker, 16 blocking threads": tool(
            "granian",
            "--interface",
            "wsgi",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--blocking-threads",
            "16",
            "--factory",
            "--log-level",
            "error",
            "wsgi_app:make",
        ),
    }


def wait_up(port: int, proc: subprocess.Popen[bytes], limit_s: float = 30) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"exited with {proc.returncode}")
        try:
            create_task(port)
            return
        except (OSError, BenchError):
            time.sleep(0.05)
    raise BenchError("no 200 within 30 s")


def measure(
    name: str, command: list[str], port: int, wrk: str, seconds: float, work: Path
) -> list[str]:
    env = {"PYTHONPATH": f"{BENCH}:{ROOT}", "PATH": str(BIN) + ":/usr/bin:/bin"}
    proc = subprocess.Popen(
        command, cwd=BENCH, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    rows = []
    try:
        wait_up(port, proc)
        task = create_task(port)
        scripts = {
            "POST": write_script(work / "post.lua", "POST", GENERATION_BODY),
            "GET": write_script(work / "get.lua", "GET", None),
        }
        paths = {"POST": GENERATIONS, "GET": f"/api/v1/tasks/{task}"}
        for method in ("GET", "POST"):
            for connections in (16, 64):
                url = f"http://{HOST}:{port}{paths[method]}"
                run_wrk(wrk, url, scripts[method], connections, 1)
                got = run_wrk(wrk, url, scripts[method], connections, seconds)
                rows.append(
                    f"| {name} | {method} | {connections} | {got.rps:,.0f} | "
                    f"{got.p50_ms} | {got.p99_ms} | {got.errors} |"
                )
                print(rows[-1], flush=True)
    except BenchError as exc:
        rows.append(f"| {name} | — | — | failed: {exc} | | | |")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="each measured cell (5)")
    parser.add_argument("--out", type=Path, help="also write the Markdown table here")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is needed (apt-get install wrk)", file=sys.stderr)
        return 1
    work = Path("/tmp") / f"wsgi-servers-{int(time.time())}"
    work.mkdir(parents=True, exist_ok=True)
    lines = [
        "| server | route | conns | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in candidates(0):
        port = free_port()
        command = candidates(port)[name]
        if command is None:
            lines.append(f"| {name} | — | — | not installed | | | |")
            continue
        lines += measure(name, command, port, wrk, args.seconds, work)
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        args.out.write_text(table, "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
