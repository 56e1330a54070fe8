"""Settings: defaults < TOML file < SEEDREAM_MOCK_* (or MOCK_*) env < flags; a bad value is
reported as the user wrote it: the flag, the variable, or the file and key, with the value."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from mock_server.cli.parser import build_parser
from mock_server.settings.config import FIELD_NAMES, Settings, load_settings
from mock_server.settings.sources import SERVE_VARIABLES, from_flags, unknown_variables
from mock_server.settings.values import ConfigError, parse_key_spec, parse_range


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings(env={})
    assert (settings.host, settings.port, settings.clock) == ("127.0.0.1", 8080, "real")
    assert settings.keys == {"aio_your_api_key": 1200}
    assert settings.price_for("seedream/4.5-edit", "high") == 12


def test_later_sources_win(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('port = 9001\nclock = "manual"\nkeys = { aio_file = 50 }\n')
    assert load_settings(config, env={}).port == 9001
    from_env = load_settings(config, env={"MOCK_PORT": "9002", "MOCK_KEYS": "aio_a:5,aio_b"})
    assert from_env.port == 9002
    assert from_env.clock == "manual"
    assert from_env.keys == {"aio_a": 5, "aio_b": 1200}
    assert load_settings(config, env={"MOCK_PORT": "9002"}, overrides={"port": 9003}).port == 9003


def test_prices_can_differ_by_model_and_quality() -> None:
    settings = Settings(prices={"seedream/4.5-edit": 20, "seedream/4.5-edit:high": 30})
    assert settings.price_for("seedream/4.5-edit", "basic") == 20
    assert settings.price_for("seedream/4.5-edit", "high") == 30
    assert settings.price_for("seedream/4.5-text-to-image", "high") == 12


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MOCK_PORT": "eighty"}, "MOCK_PORT=eighty: not an integer"),
        ({"SEEDREAM_MOCK_PORT": "abc"}, "SEEDREAM_MOCK_PORT=abc: not an integer"),
        ({"MOCK_CLOCK": "sundial"}, "MOCK_CLOCK=sundial: must be one of real, scaled, manual"),
        ({"MOCK_KEYS": "sk-nope"}, "MOCK_KEYS=sk-nope: key 'sk-nope' is not of the form aio_"),
        ({"MOCK_SPEED": "0"}, "MOCK_SPEED=0: must be greater than 0"),
        ({"MOCK_PROCESSING_SECONDS": "9-2"}, "MOCK_PROCESSING_SECONDS=9-2: must be MIN-MAX"),
        ({"MOCK_KEY_MODE": "closed"}, "MOCK_KEY_MODE=closed: must be 'open' or 'strict'"),
        (
            {"SEEDREAM_MOCK_PORTABILITY": "loud"},
            "SEEDREAM_MOCK_PORTABILITY=loud: must be one of warn, error, off",
        ),
    ],
)
def test_a_bad_variable_is_named_with_its_value(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env=env)
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"processing_seconds": "9-2"}, "--processing-seconds 9-2: must be MIN-MAX"),
        ({"port": 70000}, "--port 70000: must be between 0 and 65535"),
        ({"keys": ["aio_a:1", "aio_b:lots"]}, "--key aio_a:1 --key aio_b:lots: "),
        ({"webhook_timeout": 0}, "--webhook-timeout 0: must be greater than 0"),
        ({"image_lifetime_seconds": -1}, "--image-lifetime -1: must be greater than 0"),
        ({"image_cache_bytes": -5}, "--image-cache-bytes -5: must not be negative"),
        ({"default_credits": -12}, "--default-credits -12: must not be negative"),
        ({"image_lifetime_seconds": 1e300}, "--image-lifetime 1e+300: must be at most "),
        ({"processing_seconds": "1-1e300"}, "--processing-seconds 1-1e300: must be at most "),
    ],
)
def test_a_bad_flag_is_named_with_its_value(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env={"SEEDREAM_MOCK_PORT": "1"}, overrides=overrides)
    assert str(raised.value).startswith(message)


def test_a_bad_value_in_the_file_names_the_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('clock = "manual"\nport = "abc"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(config, env={})
    assert str(raised.value) == f"config file {config}: port = 'abc': not an integer"


def test_a_secret_is_named_but_never_shown() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(env={"SEEDREAM_MOCK_WEBHOOK_SECRETS": "whsec_"})
    assert str(raised.value) == "SEEDREAM_MOCK_WEBHOOK_SECRETS: a webhook secret must not be empty"


def test_unknown_setting_in_file_is_refused_with_the_closest_name(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text("colour = 'blue'\nclokc = 'manual'\n")
    with pytest.raises(ConfigError) as raised:
        load_settings(config, env={})
    assert str(raised.value) == (
        f"config file {config}: unknown setting colour, clokc (did you mean clock?)"
    )


def test_unreadable_file_is_a_config_error_naming_the_flag_or_variable(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(ConfigError, match=f"^--config {missing}: cannot read the file"):
        load_settings(missing, env={})
    env = {"SEEDREAM_MOCK_CONFIG": str(missing)}
    with pytest.raises(ConfigError, match=f"^SEEDREAM_MOCK_CONFIG={missing}: cannot read"):
        load_settings(env=env)


def test_the_config_file_can_come_from_the_environment_and_the_flag_wins(tmp_path: Path) -> None:
    from_env, from_flag = tmp_path / "env.toml", tmp_path / "flag.toml"
    from_env.write_text("port = 9001\n")
    from_flag.write_text("port = 9002\n")
    for name in ("SEEDREAM_MOCK_CONFIG", "MOCK_CONFIG"):
        assert load_settings(env={name: str(from_env)}).port == 9001
        assert load_settings(from_flag, env={name: str(from_env)}).port == 9002


def _serve_flags() -> dict[str, str]:
    """`serve`'s options: dest -> the flag's long name."""
    parser = build_parser()
    (commands,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    serve = commands.choices["serve"]
    return {a.dest: a.option_strings[-1] for a in serve._actions if a.dest != "help"}


def test_every_serve_flag_has_a_variable_and_errors_name_the_flag_itself() -> None:
    flags = _serve_flags()
    assert set(flags) <= set(FIELD_NAMES) | set(SERVE_VARIABLES)
    settings_flags = {dest: flag for dest, flag in flags.items() if dest in FIELD_NAMES}
    for dest, flag in settings_flags.items():
        (label,) = (where for _, where in from_flags({dest: "x"}).values())
        assert label.split()[0] == flag, dest


def test_unknown_long_prefix_variables_are_warned_about_with_the_closest_name() -> None:
    env = {
        "SEEDREAM_MOCK_CLOK": "manual",
        "SEEDREAM_MOCK_ZZZ": "1",
        "SEEDREAM_MOCK_CLOCK": "manual",  # known: a setting
        "SEEDREAM_MOCK_SCENARIO": "chaos",  # known: read by serve
        "SEEDREAM_MOCK_TARGET": "http://x",  # known: read by verify
        "MOCK_CLOK": "manual",  # the short prefix is other tools' too: not ours to judge
        "PATH": "/bin",
    }
    assert unknown_variables(env, FIELD_NAMES) == [
        "unknown variable SEEDREAM_MOCK_CLOK (did you mean SEEDREAM_MOCK_CLOCK?)",
        "unknown variable SEEDREAM_MOCK_ZZZ",
    ]


def test_key_specs_and_ranges_parse() -> None:
    assert parse_key_spec("aio_x:7", 1) == ("aio_x", 7)
    assert parse_key_spec("aio_x", 99) == ("aio_x", 99)
    assert parse_range("5") == (5.0, 5.0)
    assert parse_range("2-9") == (2.0, 9.0)
    with pytest.raises(ConfigError):
        parse_key_spec("aio_x:lots", 1)
    with pytest.raises(ConfigError):
        parse_range("soon")


def test_prices_and_clock_start_come_from_env_and_toml(tmp_path: Path) -> None:
    env = {"MOCK_PRICES": "seedream/4.5-edit:high=30, seedream/4.5-edit=20"}
    assert load_settings(env=env).prices == {"seedream/4.5-edit:high": 30, "seedream/4.5-edit": 20}
    config = tmp_path / "mock.toml"
    config.write_text("clock_start = 2027-01-15T08:00:00Z\n")
    assert load_settings(config, env={}).clock_start == 1_800_000_000.0
    assert load_settings(env={"MOCK_CLOCK_START": "2027-01-15T08:00:00Z"}).clock_start == 1.8e9


@pytest.mark.parametrize(
    "env",
    [
        {"MOCK_PRICES": "edit-is-cheap"},
        {"MOCK_CLOCK_START": "tomorrow"},
        {"MOCK_DEFAULT_CREDITS": "lots"},
    ],
)
def test_unparseable_env_values_are_config_errors_naming_the_variable(env: dict[str, str]) -> None:
    ((variable, value),) = env.items()
    with pytest.raises(ConfigError, match=f"^{variable}={value}: "):
        load_settings(env=env)
