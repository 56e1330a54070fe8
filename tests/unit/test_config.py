"""Settings: defaults < TOML file < MOCK_* env < flags; bad values name the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server.config import Settings, load_settings
from mock_server.config_values import ConfigError, parse_key_spec, parse_range


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
    ("source", "message"),
    [
        ({"MOCK_PORT": "eighty"}, "port"),
        ({"MOCK_CLOCK": "sundial"}, "clock"),
        ({"MOCK_KEYS": "sk-nope"}, "sk-nope"),
        ({"MOCK_SPEED": "0"}, "speed"),
        ({"MOCK_PROCESSING_SECONDS": "9-2"}, "timeline"),
        ({"MOCK_KEY_MODE": "closed"}, "key_mode"),
    ],
)
def test_bad_values_name_the_setting(source: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=source)


def test_unknown_setting_in_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown settings colour"):
        load_settings(config, env={})


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file"):
        load_settings(tmp_path / "missing.toml", env={})


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
def test_unparseable_env_values_are_config_errors(env: dict[str, str]) -> None:
    name = next(iter(env))[5:].lower()
    with pytest.raises(ConfigError, match=name):
        load_settings(env=env)
