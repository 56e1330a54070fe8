"""The CLI's other commands and its request log: version, scenario validate/list, openapi,
SEEDREAM_MOCK_* settings, one log line per request."""

from __future__ import annotations

import json
import os
import select
import time
import urllib.request
from pathlib import Path

from cli_support import _run, _serving  # tests/ is on sys.path (rootdir import mode)


def _log_lines(served: object, count: int, timeout: float = 10.0) -> list[str]:
    """Read `count` request-log lines from the server's stdout (bounded in time)."""
    proc = served.proc  # type: ignore[attr-defined]
    fd, data = proc.stdout.fileno(), b""
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    while len(lines) < count and time.monotonic() < deadline:
        readable, _, _ = select.select([fd], [], [], 0.2)
        if readable:
            data += os.read(fd, 65536)
        # the banner's last newline may arrive with the first log line
        lines = [line for line in data.decode().splitlines() if line.strip()]
    return lines


def _post(url: str, key: str = "aio_your_api_key") -> dict[str, object]:
    request = urllib.request.Request(
        f"{url}/api/v1/images/generations",
        data=b'{"prompt": "a fox"}',
        method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        body: dict[str, object] = json.loads(answer.read())
        return body


def test_version_command() -> None:
    result = _run("version")
    assert result.returncode == 0
    assert result.stdout.startswith("seedream-mock 0.")


def test_scenario_validate_accepts_a_shipped_one_and_names_a_broken_field(tmp_path: Path) -> None:
    ok = _run("scenario", "validate", "flaky-5xx")
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"name": "x", "description": "d", "faults": [{"name": "f", '
        '"action": {"type": "http_error", "status": 99}}]}'
    )
    bad = _run("scenario", "validate", str(broken))
    assert bad.returncode == 2
    assert "faults[0].action.status" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_scenario_list_names_every_shipped_scenario() -> None:
    listed = _run("scenario", "list")
    assert listed.returncode == 0
    names = {line.split()[0] for line in listed.stdout.splitlines()}
    assert {"happy-path", "chaos", "webhook-outage"} <= names


def test_openapi_command_prints_the_document() -> None:
    printed = _run("openapi", "--server-url", "http://127.0.0.1:9999")
    assert json.loads(printed.stdout)["servers"] == [{"url": "http://127.0.0.1:9999"}]


def test_serve_logs_one_text_line_per_request() -> None:
    with _serving("--port", "0", "--log-requests", "text") as served:
        created = _post(served.url)
        task_id = created["data"]["task_id"]  # type: ignore[index]
        (line,) = _log_lines(served, 1)
    head, _, risks = line.partition(" portability: ")
    assert risks == "model-missing"  # the body sent no model: the line names the risk
    method, path, status, ms, logged_id = head.split()
    assert (method, path, status, logged_id) == (
        "POST",
        "/api/v1/images/generations",
        "200",
        task_id,
    )
    assert ms.endswith("ms")


def test_serve_logs_json_lines_when_asked_and_nothing_when_off() -> None:
    with _serving("--port", "0", "--log-requests", "json") as served:
        _post(served.url)
        (line,) = _log_lines(served, 1)
    record = json.loads(line)
    assert record["method"] == "POST"
    assert record["status"] == 200
    assert record["task_id"].startswith("n30")
    with _serving("--port", "0", "--log-requests", "off") as quiet:
        _post(quiet.url)
        assert _log_lines(quiet, 1, timeout=1.0) == []


def test_seedream_mock_env_wins_over_the_short_prefix() -> None:
    env = {"SEEDREAM_MOCK_KEY_MODE": "strict", "MOCK_KEY_MODE": "open"}
    with _serving("--port", "0", env=env) as served:
        assert "keys strict" in served.banner


def test_serve_does_not_log_requests_into_a_pipe_unless_asked() -> None:
    with _serving("--port", "0") as served:
        _post(served.url)
        assert _log_lines(served, 1, timeout=1.0) == []


def test_verify_names_a_bad_variable_and_its_value() -> None:
    result = _run("verify", env={"SEEDREAM_MOCK_MAX_CREDITS": "lots"})
    assert result.returncode == 2, result.stderr
    assert (
        result.stderr == "seedream-mock: error: SEEDREAM_MOCK_MAX_CREDITS=lots: not a whole "
        "number of credits\n"
    )
