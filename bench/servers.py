"""The servers under test as child processes: seedream-mock started as `make run` starts it, and
Stoplight Prism mocking our own OpenAPI document. `stop()` always ends them."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import queue
import re
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self
from urllib.parse import urlsplit

from common import GENERATION_BODY, GENERATIONS, HOST, ROOT, BenchError, call, free_port

from seedream_contracts import openapi

STARTUP_LIMIT_S = 30.0  # give up on a mock that is not answering 200 by then
PRISM_STARTUP_LIMIT_S = 60.0  # node takes a while
STDERR_KEEP = 50
STOPPED_LINE = "seedream-mock stopped."  # the one stderr line of a clean shutdown
BANNER = re.compile(r"^seedream-mock \S+ serving the Seedream 4\.5 API at (?P<url>http://\S+)$")
PRISM = ROOT / ".tools" / "node_modules" / ".bin" / "prism"
LEAN_SPEC = ROOT / "bench" / "specs" / "lean-openapi.yaml"


def mock_command() -> list[str]:
    """`.venv/bin/seedream-mock`, as `make run` calls it (beside the running interpreter)."""
    script = Path(sys.executable).parent / "seedream-mock"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "mock_server"]  # not installed as a script: the same code


def prism_available() -> bool:
    return PRISM.exists()


def prism_version() -> str:
    """The installed prism-cli's version, from its package.json."""
    package = ROOT / ".tools" / "node_modules" / "@stoplight" / "prism-cli" / "package.json"
    try:
        return str(json.loads(package.read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def _clean_env() -> dict[str, str]:
    # MOCK_* variables would change the mock's settings; leave them out for a fair run.
    return {k: v for k, v in os.environ.items() if not k.startswith("MOCK_")}


class _Child:
    """A child process on a loopback port; `stop()` ends it (SIGTERM, then SIGKILL)."""

    name = "child"

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0
        self.port = 0
        self.exit_code: int | None = None
        self.shutdown_s: float | None = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory_kib(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS), in KiB, from /proc/<pid>/status."""
        assert self.proc is not None
        found: dict[str, int] = {}
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    found[name] = int(value.split()[0])
        return found

    def why_dead(self) -> str:
        return "(no output)"

    def wait_ready(self, limit_s: float) -> tuple[float, int]:
        """Poll `POST /api/v1/images/generations` (a fresh connection each time) until it
        answers 200; returns (seconds since the spawn, attempts). BenchError after `limit_s`."""
        deadline = self.spawned_at + limit_s
        attempts = 0
        while True:
            if time.perf_counter() > deadline:
                raise BenchError(f"{self.name}: no 200 within {limit_s:g} s")
            if not self.alive():
                raise BenchError(f"{self.name} exited: {self.why_dead()}")
            attempts += 1
            conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
            try:
                status, _ = call(conn, "POST", GENERATIONS, GENERATION_BODY)
            except (OSError, http.client.HTTPException):
                status = 0
            finally:
                conn.close()
            if status == 200:
                return time.perf_counter() - self.spawned_at, attempts
            time.sleep(0.005)

    def _signal(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within 10 s; records how long it took."""
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            began = time.perf_counter()
            self._signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
                self.shutdown_s = time.perf_counter() - began
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                proc.wait(timeout=10)
        self.exit_code = proc.returncode
        self._after_stop()

    def _after_stop(self) -> None:
        pass

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class MockProcess(_Child):
    """`.venv/bin/seedream-mock serve --port P [args]`, reading its banner and stderr."""

    name = "seedream-mock"

    def __init__(self, extra_args: Sequence[str] = (), max_fds: int | None = None) -> None:
        super().__init__()
        self.extra_args = list(extra_args)
        self.max_fds = max_fds  # RLIMIT_NOFILE of the server process (None: this one's)
        self.command: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stderr_lines: list[str] = []  # the first STDERR_KEEP lines the server wrote
        self.stderr_count = 0
        self.stdout_count = 0  # lines after the banner's first (the request log), at exit
        self.first_line_at: float | None = None  # perf_counter() when the banner came
        self._readers: list[threading.Thread] = []

    def start(self) -> Self:
        self.port = free_port()
        self.command = [*mock_command(), "serve", "--port", str(self.port), *self.extra_args]
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=None if self.max_fds is None else self._limit_fds,
        )
        self._readers = [
            threading.Thread(target=self._drain_stdout, name="bench-stdout", daemon=True),
            threading.Thread(target=self._drain_stderr, name="bench-stderr", daemon=True),
        ]
        for reader in self._readers:
            reader.start()
        return self

    def __enter__(self) -> Self:
        return self.start()

    def _limit_fds(self) -> None:
        """In the child before it runs the server: at most `max_fds` descriptors."""
        assert self.max_fds is not None
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.max_fds, hard))

    def _drain_stdout(self) -> None:
        """Hand the first line (the banner) to wait_banner; count the rest (the request log,
        one line per request by default) in big reads, so the pipe never fills."""
        assert self.proc is not None
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()  # read raw: never through the buffered object
        head = b""
        while b"\n" not in head and (chunk := os.read(fd, 65536)):
            head += chunk
        if self.first_line_at is None and head:
            self.first_line_at = time.perf_counter()
        first, _, rest = head.partition(b"\n")
        if head:
            self._lines.put(first.decode("utf-8", "replace"))
        count = rest.count(b"\n")
        while chunk := os.read(fd, 65536):
            count += chunk.count(b"\n")
        self.stdout_count = count
        self._lines.put(None)

    def _drain_stderr(self) -> None:
        assert self.proc is not None
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self.stderr_count += 1
            if len(self.stderr_lines) < STDERR_KEEP:
                self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_banner(self, limit_s: float = STARTUP_LIMIT_S) -> None:
        """Read the first stdout line and check it names our port on 127.0.0.1."""
        deadline = self.spawned_at + limit_s
        try:
            line = self._lines.get(timeout=max(0.0, deadline - time.perf_counter()))
        except queue.Empty:
            raise BenchError(f"no banner on stdout within {limit_s:g} s") from None
        if line is None:
            raise BenchError(f"the mock exited before its banner: {self.why_dead()}")
        match = BANNER.match(line)
        if match is None:
            raise BenchError(f"unexpected first stdout line: {line!r}")
        url = urlsplit(match["url"])
        if url.hostname != HOST or url.port != self.port:
            raise BenchError(f"the mock is not on {HOST}:{self.port}: {match['url']}")

    def banner_s(self) -> float | None:
        """Seconds from the spawn to the banner on stdout, if it came."""
        return None if self.first_line_at is None else self.first_line_at - self.spawned_at

    def ready(self) -> Self:
        """Wait for the banner (so the port is right); the server then answers at once."""
        self.wait_banner()
        return self

    def why_dead(self) -> str:
        time.sleep(0.1)  # let the reader catch the last words of a server that just died
        return " | ".join(self.stderr_lines[-5:]) or "(stderr empty)"

    def unusual_stderr(self) -> list[str]:
        return [line for line in self.stderr_lines if line != STOPPED_LINE]

    def _after_stop(self) -> None:
        assert self.proc is not None
        for reader in self._readers:
            reader.join(timeout=2)  # both pipes are at EOF once the process has gone
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


class PrismProcess(_Child):
    """`prism mock <document> -v error -h 127.0.0.1 -p P`, output to a log file; it runs in its
    own process group, which `stop()` signals whole (node may fork helpers). The document is
    our own OpenAPI document ("project spec"), or with `lean=True` the hand-written
    bench/specs/lean-openapi.yaml a user comparing tools might write ("lean spec")."""

    name = "Prism"

    def __init__(self, workdir: Path, lean: bool = False) -> None:
        super().__init__()
        self.workdir = workdir
        self.lean = lean
        self.log_path = workdir / ("prism-lean.log" if lean else "prism.log")
        self._log: IO[bytes] | None = None

    def start(self) -> Self:
        self.port = free_port()
        if self.lean:
            document = self.workdir / LEAN_SPEC.name
            document.write_text(LEAN_SPEC.read_text("utf-8"), "utf-8")
        else:
            document = self.workdir / "openapi.json"
            document.write_text(openapi.render(f"http://{HOST}:{self.port}"), "utf-8")
        command = [str(PRISM), "mock", str(document), "-v", "error"]
        self._log = self.log_path.open("ab")
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [*command, "-h", HOST, "-p", str(self.port)],
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def __enter__(self) -> Self:
        return self.start()

    def ready(self) -> Self:
        self.wait_ready(PRISM_STARTUP_LIMIT_S)
        return self

    def _signal(self, signum: int) -> None:
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signum)  # the group this object started, nothing else

    def why_dead(self) -> str:
        """The last lines of Prism's log (it logs every violation: the log grows large)."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - 4096))
                text = log.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-5:]) or "(log empty)"

    def _after_stop(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None
