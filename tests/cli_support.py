"""What the CLI tests share: running `python -m mock_server`, serving, reading the banner,
requests to the served port."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "mock_server"]
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
RUN_TIMEOUT = 15.0
BANNER_END = b"Press Ctrl-C to stop."
URL_LINE = re.compile(
    r"^seedream-mock \S+ serving the Seedream 4\.5 API at (http://127\.0\.0\.1:(\d+))$"
)
DEFAULT_KEY = "aio_your_api_key"
SEED_PROMPT = "A serene mountain lake at sunrise with reflections, photorealistic"
# The request body of the seed page's curl example, byte for byte (its newlines included).
SEED_BODY = (
    "{\n"
    '"model": "seedream/4.5-text-to-image",\n'
    f'"prompt": "{SEED_PROMPT}",\n'
    '"aspect_ratio": "16:9",\n'
    '"quality": "high"\n'
    "}"
)
TASK_ID = re.compile(r"^n30.+_seed$")
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


# ----------------------------------------------------------------------------- helpers


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment without any (SEEDREAM_)MOCK_* setting (so the host's cannot leak
    in)."""
    ours = ("MOCK_", "SEEDREAM_MOCK_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(extra or {})
    return env


def _curl_env(home: Path) -> dict[str, str]:
    """An environment where curl reads no ~/.curlrc and goes through no proxy."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(
        {"HOME": str(home), "CURL_HOME": str(home), "XDG_CONFIG_HOME": str(home)},
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def _run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        cwd=ROOT,
        env=_env(env),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def _free_ports(count: int = 1) -> list[int]:
    """Distinct ports that were free a moment ago on 127.0.0.1."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def _request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    *,
    key: str | None = DEFAULT_KEY,
) -> tuple[int, Any]:
    """One HTTP exchange with 127.0.0.1:port; returns (status, decoded JSON body)."""
    sent = dict(headers or {})
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    payload: bytes | None = None
    if body is not None:
        payload = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        sent["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


@dataclass
class Served:
    """A running `seedream-mock serve` subprocess and what it printed."""

    proc: subprocess.Popen[bytes]
    stderr: IO[bytes]
    banner: str = ""
    url: str = ""
    port: int = 0
    exit_code: int | None = field(default=None)

    def stop(self) -> tuple[int, str]:
        """SIGTERM, wait, and return (exit code, everything printed on stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=STOP_TIMEOUT)
        return code, self.stderr_text()

    def stderr_text(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")


def _read_banner(proc: subprocess.Popen[bytes]) -> str:
    """Stdout up to the banner's last line, or up to exit; bounded by START_TIMEOUT."""
    assert proc.stdout is not None
    fd, data = proc.stdout.fileno(), b""
    deadline = time.monotonic() + START_TIMEOUT
    while BANNER_END not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no banner within {START_TIMEOUT} s; got {data!r}")
        readable, _, _ = select.select([fd], [], [], remaining)
        if readable:
            chunk = os.read(fd, 65536)
            if not chunk:  # the process exited
                break
            data += chunk
    return data.decode("utf-8", "replace")


@contextlib.contextmanager
def _launch(*args: str, env: Mapping[str, str] | None = None) -> Iterator[Served]:
    """Start `serve ARGS`; yields once it printed its banner or exited. Always reaped."""
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            [*CLI, "serve", *args],
            cwd=ROOT,
            env=_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            bufsize=0,
        )
        try:
            served = Served(proc, stderr)
            served.banner = _read_banner(proc)
            first = served.banner.splitlines()[0] if served.banner else ""
            match = URL_LINE.match(first)
            if match:
                served.url, served.port = match.group(1), int(match.group(2))
            else:
                served.exit_code = proc.wait(timeout=STOP_TIMEOUT)
            yield served
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=STOP_TIMEOUT)
            assert proc.stdout is not None
            proc.stdout.close()


@contextlib.contextmanager
def _serving(*args: str, env: Mapping[str, str] | None = None) -> Iterator[Served]:
    """Like _launch, but fails the test with its stderr unless the server came up."""
    with _launch(*args, env=env) as served:
        assert served.port, f"server did not start:\n{served.banner}\n{served.stderr_text()}"
        yield served


def _submit(port: int, key: str = DEFAULT_KEY) -> tuple[int, Any]:
    body = {"model": "seedream/4.5-text-to-image", "prompt": SEED_PROMPT}
    return _request(port, "POST", "/api/v1/images/generations", body, key=key)


def _assert_seed_answer(answer: Any) -> str:
    assert answer["code"] == 200, answer
    assert answer["message"] == "success", answer
    assert TASK_ID.match(answer["data"]["task_id"]), answer
    assert answer["data"]["status"] == "IN_PROGRESS", answer
    task_id: str = answer["data"]["task_id"]
    return task_id


def _assert_error(answer: Any, status: int, kind: str) -> None:
    error = answer["error"]
    assert error["code"] == status, answer
    assert error["type"] == kind, answer
    assert isinstance(error["message"], str), answer
    assert error["message"], answer


def _config_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stdout == "", result.stdout
    return result.stderr


requires_curl = pytest.mark.skipif(
    shutil.which("curl") is None, reason="the curl binary is not installed on this machine"
)
