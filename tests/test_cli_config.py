"""The `seedream-mock` CLI as a real subprocess: configuration errors and where each setting
comes from (flag, variable, config file, default)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from cli_support import (  # tests/ is on sys.path (rootdir import mode)
    DEFAULT_KEY,
    _assert_error,
    _assert_seed_answer,
    _config_error,
    _free_ports,
    _launch,
    _request,
    _run,
    _serving,
    _submit,
)

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
