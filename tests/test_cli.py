"""The `seedream-mock` CLI as a real subprocess: help, banner, curl, signals, clock, control."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import (  # tests/ is on sys.path (rootdir import mode)
    DEFAULT_KEY,
    ROOT,
    RUN_TIMEOUT,
    SEED_BODY,
    STOP_TIMEOUT,
    URL_LINE,
    Served,
    _assert_error,
    _assert_seed_answer,
    _curl_env,
    _request,
    _run,
    _serving,
    _submit,
    requires_curl,
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
