"""wrk (Debian package `wrk`): find or install it, write its Lua scripts, run it, read its
report. Every run is bounded by `-d` and a subprocess timeout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from common import KEY, BenchError

APT_TIMEOUT_S = 300.0
WRK_TIMEOUT = "10s"  # a request slower than this is a socket timeout error, not a latency


@dataclass
class LoadResult:
    """One measured cell, from wrk or from the Python load generator."""

    tool: str  # "wrk" or "python"
    connections: int
    seconds: float
    requests: int  # answered (any status)
    rps: float  # answered per second
    p50_ms: float | None
    p90_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    non_2xx: int  # wrk: "Non-2xx or 3xx responses" (status > 399)
    socket_errors: dict[str, int] = field(default_factory=dict)  # connect, read, write, timeout

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _apt(args: list[str], prefix: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(
        [*prefix, "apt-get", *args],
        capture_output=True,
        text=True,
        timeout=APT_TIMEOUT_S,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def ensure_wrk(install: bool) -> tuple[str | None, str]:
    """(path to wrk or None, what happened). Installs it with `apt-get install -y wrk` when
    missing, `install` is true and this user can (root, or password-less sudo)."""
    found = shutil.which("wrk")
    if found:
        return found, f"wrk at {found}"
    if not install:
        return None, "wrk is not installed (smoke mode does not install it)"
    if shutil.which("apt-get") is None:
        return None, "wrk is not installed and there is no apt-get to install it"
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and _sudo_works():
        prefix = ["sudo", "-n"]
    else:
        return None, "wrk is not installed and this user cannot apt-get install it"
    _log("wrk is missing: apt-get install -y wrk …")
    try:
        done = _apt(["install", "-y", "wrk"], prefix)
        if done.returncode != 0:  # maybe no package lists yet
            _log("apt-get install failed; apt-get update, then once more …")
            _apt(["update"], prefix)
            done = _apt(["install", "-y", "wrk"], prefix)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"apt-get install -y wrk failed: {exc}"
    found = shutil.which("wrk")
    if done.returncode != 0 or found is None:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, f"apt-get install -y wrk failed ({done.returncode}): {last[0]}"
    return found, f"wrk installed by apt-get at {found}"


def _sudo_works() -> bool:
    try:
        return (
            subprocess.run(
                ["sudo", "-n", "true"], capture_output=True, timeout=10, check=False
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


COUNTING = """
local limit, seen = 0, 0
function init(args) limit = tonumber(args[1]) or 0 end
function response(status, headers, body)
  seen = seen + 1
  if limit > 0 and seen >= limit then wrk.thread:stop() end
end
"""


def write_script(path: Path, method: str, body: str | None, count: bool = False) -> Path:
    """A wrk Lua script for one request shape; with `count`, each thread stops after the
    number of answers given after `--`."""
    lines = [f'wrk.method = "{method}"', f'wrk.headers["Authorization"] = "Bearer {KEY}"']
    if body is not None:
        if "]==]" in body:
            raise ValueError("the body cannot go into a Lua long string")
        lines += [f"wrk.body = [==[{body}]==]", 'wrk.headers["Content-Type"] = "application/json"']
    text = "\n".join(lines) + "\n" + (COUNTING if count else "")
    path.write_text(text, "utf-8")
    return path


def run_wrk(
    wrk: str,
    url: str,
    script: Path,
    connections: int,
    seconds: float,
    threads: int = 2,
    per_thread_limit: int | None = None,
) -> LoadResult:
    """`wrk -t2 -cN -dS --latency -s script url`; BenchError if it fails or overruns."""
    threads = max(1, min(threads, connections))
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        WRK_TIMEOUT,
        "-s",
        str(script),
        url,
    ]
    if per_thread_limit is not None:
        command += ["--", str(per_thread_limit)]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {seconds + 30:g} s") from None
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:300]}")
    return parse_report(done.stdout, connections)


_DURATION = re.compile(r"^([\d.]+)(us|ms|s|m|h)$")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _seconds(text: str) -> float | None:
    found = _DURATION.match(text.strip())
    return float(found[1]) * _UNITS[found[2]] if found else None


def _ms(text: str) -> float | None:
    seconds = _seconds(text)
    return round(seconds * 1000, 2) if seconds is not None else None


def parse_report(text: str, connections: int) -> LoadResult:
    """Read wrk's report (with --latency)."""
    total = re.search(r"(\d+) requests in (\S+),", text)
    if total is None:
        raise BenchError(f"wrk's report has no request count: {text.strip()[:300]!r}")
    requests, seconds = int(total[1]), _seconds(total[2]) or 0.0
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    pcts = {m[1]: _ms(m[2]) for m in re.finditer(r"^\s*(50|75|90|99)%\s+(\S+)", text, re.M)}
    latency = re.search(r"^\s*Latency\s+\S+\s+\S+\s+(\S+)", text, re.M)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return LoadResult(
        tool="wrk",
        connections=connections,
        seconds=round(seconds, 3),
        requests=requests,
        rps=round(float(rps[1]), 1) if rps else 0.0,
        p50_ms=pcts.get("50"),
        p90_ms=pcts.get("90"),
        p99_ms=pcts.get("99"),
        max_ms=_ms(latency[1]) if latency else None,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=(
            dict(
                zip(("connect", "read", "write", "timeout"), map(int, socket.groups()), strict=True)
            )
            if socket
            else {}
        ),
    )
