"""The `seedream-mock` CLI as a real subprocess: help, banner, curl, signals, config, control."""

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


@pytest.fixture(scope="module")
def default_server() -> Iterator[Served]:
    """One `serve --port 0` with default settings, shared by the read-only banner tests."""
    with _serving("--port", "0") as served:
        yield served


# ----------------------------------------------------------------------------- help, version


def test_top_level_help_exits_zero_and_lists_serve() -> None:
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    assert "usage: seedream-mock" in result.stdout
    assert "serve" in result.stdout
    assert "--version" in result.stdout


def test_serve_help_explains_clock_keys_and_settings_precedence() -> None:
    result = _run("serve", "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    for flag in ("--clock", "--key", "--strict-keys", "--port", "--config", "--no-control"):
        assert flag in text, flag
    for mode in ("real", "scaled", "manual"):
        assert mode in text, mode
    assert DEFAULT_KEY in text  # the ready-made key is documented
    assert "MOCK_<NAME>" in text
    flat = " ".join(text.split())
    assert "in rising order: defaults, --config FILE" in flat
    assert flat.index("--config FILE (TOML") < flat.index("MOCK_<NAME>") < flat.index("the flags")


def test_serve_help_names_every_variable_by_its_long_prefix() -> None:
    text = _run("serve", "--help").stdout
    for variable in ("SEEDREAM_MOCK_CONFIG=", "SEEDREAM_MOCK_SCENARIO=", "SEEDREAM_MOCK_KEYS="):
        assert variable in text, variable
    assert re.findall(r"(?<![A-Z_])MOCK_\S*", text) == ["MOCK_<NAME>"]  # the short form, once


def _readme_configuration_rows() -> dict[str, str]:
    """The README's configuration table: flag -> env cell."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    lines = [line.replace("\\|", "/") for line in section.splitlines()]  # `FILE\|NAME`
    rows = [line.split("|")[1:3] for line in lines if line.startswith("| `--")]
    return {flag.strip().strip("`").split()[0]: env.strip() for flag, env in rows}


def test_readme_configuration_table_lists_every_serve_flag_and_its_variable() -> None:
    help_text = _run("serve", "--help").stdout
    flags = set(re.findall(r"^  (--[a-z-]+)", help_text, re.MULTILINE)) - {"--help"}
    rows = _readme_configuration_rows()
    assert set(rows) == flags
    for flag, env in rows.items():
        assert env.startswith("`SEEDREAM_MOCK_"), (flag, env)
    assert rows["--scenario"] == "`SEEDREAM_MOCK_SCENARIO`"
    assert rows["--config"] == "`SEEDREAM_MOCK_CONFIG`"


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["serve", "--prot"], "usage: seedream-mock serve "),
        (["verify", "--prot"], "usage: seedream-mock verify "),
        (
            ["scenario", "validate", "happy-path", "--prot"],
            "usage: seedream-mock scenario validate",
        ),
        (["openapi", "--prot"], "usage: seedream-mock openapi "),
    ],
)
def test_an_unknown_option_shows_its_commands_usage(
    argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mock_server.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    stderr = capsys.readouterr().err
    assert stderr.startswith(usage), stderr
    assert stderr.rstrip().endswith("error: unrecognized arguments: --prot"), stderr


def test_version_flag_prints_program_name_and_version() -> None:
    result = _run("--version")
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"seedream-mock \d+\.\d+\.\d+\S*\n", result.stdout), result.stdout


def test_no_command_says_a_command_is_required_and_exits_two() -> None:
    result = _run()
    assert result.returncode == 2
    assert "usage: seedream-mock" in result.stderr
    assert "a command is required (try: seedream-mock serve)" in result.stderr


# ----------------------------------------------------------------------------- banner and curl


def test_serve_banner_shows_url_default_key_and_a_curl_line(default_server: Served) -> None:
    lines = default_server.banner.splitlines()
    assert URL_LINE.match(lines[0]), lines[0]
    assert default_server.port > 0
    assert DEFAULT_KEY in default_server.banner
    assert any(line.strip().startswith(f"curl -X POST {default_server.url}/") for line in lines)
    assert f"Authorization: Bearer {DEFAULT_KEY}" in default_server.banner
    assert f"{default_server.url}/_mock/" in default_server.banner


@requires_curl
def test_seed_page_curl_example_works_verbatim_with_only_the_host_changed(
    default_server: Served, tmp_path: Path
) -> None:
    argv = [
        "curl",
        "-X",
        "POST",
        f"{default_server.url}/api/v1/images/generations",
        "-H",
        f"Authorization: Bearer {DEFAULT_KEY}",
        "-H",
        "Content-Type: application/json",
        "--data-raw",
        SEED_BODY,
    ]
    result = subprocess.run(
        argv, env=_curl_env(tmp_path), capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert result.returncode == 0, result.stderr
    _assert_seed_answer(json.loads(result.stdout))


def test_seed_page_request_body_is_accepted_over_http_client(default_server: Served) -> None:
    status, answer = _request(default_server.port, "POST", "/api/v1/images/generations", SEED_BODY)
    assert status == 200, answer
    task_id = _assert_seed_answer(answer)
    status, task = _request(default_server.port, "GET", f"/api/v1/tasks/{task_id}")
    assert status == 200, task
    assert task["data"]["task_id"] == task_id
    assert task["data"]["input"]["aspect_ratio"] == "16:9"
    assert task["data"]["input"]["quality"] == "high"


@requires_curl
def test_banner_curl_lines_work_when_pasted_into_bash(
    default_server: Served, tmp_path: Path
) -> None:
    lines = default_server.banner.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("curl -X POST"))
    end = next(i for i in range(start, len(lines)) if not lines[i].endswith("\\"))
    command = "\n".join(lines[start : end + 1])
    env = _curl_env(tmp_path)
    result = subprocess.run(
        ["bash", "-c", command], env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert result.returncode == 0, (command, result.stderr)
    task_id = _assert_seed_answer(json.loads(result.stdout))

    poll = next(line for line in lines if "<task_id>" in line).replace("<task_id>", task_id)
    result = subprocess.run(
        ["bash", "-c", poll], env=env, capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert result.returncode == 0, (poll, result.stderr)
    assert json.loads(result.stdout)["data"]["task_id"] == task_id


# ----------------------------------------------------------------------------- stopping


def test_sigterm_stops_the_server_promptly_with_exit_zero() -> None:
    with _serving("--port", "0") as served:
        status, _ = _submit(served.port)  # a live emulator with a scheduled task
        assert status == 200
        started = time.monotonic()
        code, stderr = served.stop()
        elapsed = time.monotonic() - started
    assert code == 0, stderr
    assert "stopped" in stderr
    assert "Traceback" not in stderr, stderr
    assert elapsed < STOP_TIMEOUT


# ----------------------------------------------------------------------------- config errors


def test_unknown_clock_mode_is_an_argparse_error() -> None:
    stderr = _config_error(_run("serve", "--clock", "weird"))
    assert "--clock" in stderr
    assert "weird" in stderr
    assert "usage: seedream-mock serve" in stderr


def test_malformed_key_exits_two_naming_the_key() -> None:
    stderr = _config_error(_run("serve", "--key", "not_a_key"))
    assert stderr.startswith("seedream-mock: ")
    assert "not_a_key" in stderr


def test_unknown_setting_in_config_file_exits_two_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('port = 0\nclokc = "manual"\n', encoding="utf-8")
    stderr = _config_error(_run("serve", "--config", str(config)))
    assert stderr.startswith("seedream-mock: ")
    assert "clokc" in stderr


def test_missing_config_file_exits_two_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "absent.toml"
    stderr = _config_error(_run("serve", "--config", str(missing)))
    assert str(missing) in stderr


def test_non_numeric_port_in_environment_exits_two_naming_the_variable() -> None:
    stderr = _config_error(_run("serve", env={"MOCK_PORT": "notanumber"}))
    assert stderr.startswith("seedream-mock: ")
    assert "MOCK_PORT=notanumber" in stderr


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        ((), {"SEEDREAM_MOCK_PORT": "abc"}, "SEEDREAM_MOCK_PORT=abc: not an integer"),
        (("--processing-seconds", "9-2"), {}, "--processing-seconds 9-2: must be MIN-MAX"),
        (("--scenario", "no-such"), {}, "--scenario no-such: cannot read scenario no-such"),
        ((), {"SEEDREAM_MOCK_SCENARIO": "no-such"}, "SEEDREAM_MOCK_SCENARIO=no-such: cannot read"),
    ],
)
def test_config_error_is_one_line_naming_the_flag_or_variable_and_value(
    args: tuple[str, ...], env: dict[str, str], line: str
) -> None:
    stderr = _config_error(_run("serve", *args, env=env))
    assert stderr.startswith(f"seedream-mock: error: {line}"), stderr
    assert stderr.count("\n") == 1, stderr


def test_bad_value_in_config_file_names_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('port = 0\nspeed = "fast"\n', encoding="utf-8")
    stderr = _config_error(_run("serve", env={"SEEDREAM_MOCK_CONFIG": str(config)}))
    assert stderr == f"seedream-mock: error: config file {config}: speed = 'fast': not a number\n"


def test_port_already_in_use_exits_one_naming_the_address() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("serve", "--port", str(port))
    assert result.returncode == 1, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr
    assert result.stderr.startswith("seedream-mock: ")
    assert "Traceback" not in result.stderr


def test_port_in_use_set_through_environment_names_the_real_address() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run("serve", env={"MOCK_PORT": str(port)})
    assert result.returncode == 1, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr


def test_malformed_clock_start_flag_is_a_config_error() -> None:
    stderr = _config_error(_run("serve", "--clock-start", "nope"))
    assert "clock" in stderr


def test_non_numeric_default_credits_in_environment_is_a_config_error() -> None:
    stderr = _config_error(_run("serve", "--port", "0", env={"MOCK_DEFAULT_CREDITS": "abc"}))
    assert "MOCK_DEFAULT_CREDITS=abc" in stderr


def test_clock_start_from_environment_is_parsed_or_rejected_cleanly() -> None:
    with _launch("--port", "0", env={"MOCK_CLOCK_START": "2025-01-01T00:00:00Z"}) as served:
        if served.port:
            status, clock = _request(served.port, "GET", "/_mock/clock", key=None)
            assert status == 200, clock
            assert clock["data"]["now"].startswith("2025-01-01T00:0"), clock
        else:
            stderr = served.stderr_text()
            assert served.exit_code == 2, stderr
            assert "MOCK_CLOCK_START=" in stderr, stderr
            assert "Traceback" not in stderr, stderr


# ----------------------------------------------------------------------------- precedence


@pytest.mark.parametrize(
    ("use_env", "use_flag", "winner"),
    [
        pytest.param(True, True, "flag", id="flag-beats-env-and-file"),
        pytest.param(True, False, "env", id="env-beats-file"),
        pytest.param(False, False, "file", id="file-beats-default"),
    ],
)
def test_port_comes_from_flag_then_env_then_config_file(
    tmp_path: Path, use_env: bool, use_flag: bool, winner: str
) -> None:
    ports = dict(zip(("file", "env", "flag"), _free_ports(3), strict=True))
    config = tmp_path / "mock.toml"
    config.write_text(f"port = {ports['file']}\n", encoding="utf-8")
    args = ["--config", str(config)] + (["--port", str(ports["flag"])] if use_flag else [])
    env = {"MOCK_PORT": str(ports["env"])} if use_env else None
    with _serving(*args, env=env) as served:
        assert served.port == ports[winner], (ports, served.banner)
        status, _ = _request(served.port, "GET", "/_mock/clock", key=None)
        assert status == 200


def test_scenario_and_config_file_come_from_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('key_mode = "strict"\nkeys = { aio_from_file = 5 }\n', encoding="utf-8")
    env = {"SEEDREAM_MOCK_CONFIG": str(config), "SEEDREAM_MOCK_SCENARIO": "happy-path"}
    with _serving("--port", "0", env=env) as served:
        assert "aio_from_file (5 credits; keys strict)" in served.banner
        assert "scenario:    happy-path" in served.banner
        code, stderr = served.stop()
    assert code == 0
    assert "warning" not in stderr, stderr


def test_scenario_and_config_flags_beat_their_variables(tmp_path: Path) -> None:
    ignored, chosen = tmp_path / "ignored.toml", tmp_path / "chosen.toml"
    ignored.write_text("keys = { aio_from_env = 5 }\n", encoding="utf-8")
    chosen.write_text("keys = { aio_from_flag = 7 }\n", encoding="utf-8")
    env = {"SEEDREAM_MOCK_CONFIG": str(ignored), "SEEDREAM_MOCK_SCENARIO": "no-such"}
    with _serving(
        "--port", "0", "--config", str(chosen), "--scenario", "happy-path", env=env
    ) as served:
        assert "aio_from_flag (7 credits" in served.banner
        assert "scenario:    happy-path" in served.banner


def test_unknown_variable_is_a_startup_warning_naming_the_closest_one() -> None:
    env = {"SEEDREAM_MOCK_CLOK": "manual", "MOCK_SOMETHING_ELSE": "theirs"}
    with _serving("--port", "0", env=env) as served:
        code, stderr = served.stop()
    assert code == 0
    warnings = [line for line in stderr.splitlines() if "warning" in line]
    assert warnings == [
        "seedream-mock: warning: unknown variable SEEDREAM_MOCK_CLOK "
        "(did you mean SEEDREAM_MOCK_CLOCK?)"
    ]


def test_strict_keys_accept_only_the_configured_key() -> None:
    with _serving("--port", "0", "--strict-keys", "--key", "aio_team:600") as served:
        assert "aio_team (600 credits; keys strict)" in served.banner
        status, answer = _submit(served.port, key="aio_stranger_key")
        assert status == 401, answer
        _assert_error(answer, 401, "authentication_error")
        status, answer = _submit(served.port, key=DEFAULT_KEY)  # replaced by --key
        assert status == 401, answer
        status, answer = _submit(served.port, key="aio_team")
        assert status == 200, answer
        _assert_seed_answer(answer)


# ----------------------------------------------------------------------------- clock, control


def test_manual_clock_holds_tasks_until_advanced() -> None:
    with _serving("--port", "0", "--clock", "manual") as served:
        assert "clock:       manual" in served.banner
        status, answer = _submit(served.port)
        assert status == 200, answer
        task_id = _assert_seed_answer(answer)
        time.sleep(1.3)  # longer than the default 1 s pending phase on a real clock
        status, task = _request(served.port, "GET", f"/api/v1/tasks/{task_id}")
        assert status == 200, task
        assert task["data"]["status"] == "pending", task

        status, clock = _request(served.port, "POST", "/_mock/clock/advance", {"seconds": 30})
        assert status == 200, clock
        status, task = _request(served.port, "GET", f"/api/v1/tasks/{task_id}")
        assert status == 200, task
        assert task["data"]["status"] == "completed", task
        assert task["data"]["progress"] == 100
        assert task["data"]["credits_consumed"] == 12


def test_no_control_hides_the_control_api_behind_a_404_envelope() -> None:
    with _serving("--port", "0", "--no-control") as served:
        assert "control API: disabled" in served.banner
        status, answer = _request(served.port, "GET", "/_mock/clock", key=None)
        assert status == 404, answer
        _assert_error(answer, 404, "not_found_error")
        status, answer = _submit(served.port)  # the public API is unaffected
        assert status == 200, answer


def test_control_token_is_required_on_control_calls() -> None:
    with _serving("--port", "0", "--control-token", "s3cret") as served:
        status, answer = _request(served.port, "GET", "/_mock/clock", key=None)
        assert status == 401, answer
        _assert_error(answer, 401, "authentication_error")
        wrong = {"X-Mock-Token": "guess"}
        status, answer = _request(served.port, "GET", "/_mock/clock", headers=wrong, key=None)
        assert status == 401, answer
        right = {"X-Mock-Token": "s3cret"}
        status, answer = _request(served.port, "GET", "/_mock/clock", headers=right, key=None)
        assert status == 200, answer
        assert answer["data"]["mode"] == "real"
