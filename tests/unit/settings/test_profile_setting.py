"""The `profile` setting: from every source, refused with the shipped names when unusable, and
the timing it gives when the timing flags are unset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mock_server.core.tasks import TimelineSpec
from mock_server.settings.config import Settings, load_settings
from mock_server.settings.profiles import active_profile, default_timeline
from mock_server.settings.values import ConfigError
from seedream_contracts.profiles import load_profile


def test_the_default_profile_is_default_and_timing_is_left_to_it() -> None:
    settings = load_settings(env={})
    assert settings.profile == "default"
    assert (settings.pending_seconds, settings.processing_seconds) == (None, None)
    assert settings.max_prompt_chars is None


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SEEDREAM_MOCK_PROFILE": "kie"}, "kie"),
        ({"MOCK_PROFILE": "strict"}, "strict"),
        ({"MOCK_PROFILE": "strict", "SEEDREAM_MOCK_PROFILE": "kie"}, "kie"),
    ],
)
def test_the_profile_comes_from_the_environment(env: dict[str, str], expected: str) -> None:
    assert load_settings(env=env).profile == expected


def test_the_profile_comes_from_the_config_file_and_the_flag_wins(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('profile = "strict"\n', "utf-8")
    assert load_settings(config, env={}).profile == "strict"
    assert load_settings(config, env={}, overrides={"profile": "kie"}).profile == "kie"


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ("{", "not readable JSON"),
        ("[]", "must be a JSON object"),
        (json.dumps({"name": "x"}), "is a required property"),
        (json.dumps({"name": "x", "extends": "lenient"}), "a profile can extend default, kie"),
        (
            json.dumps(
                {
                    "name": "x",
                    "extends": "default",
                    "answers": {"create": {}, "task": {"s": {"$value": "nope"}}, "error": {}},
                }
            ),
            "unknown value 'nope'",
        ),
    ],
)
def test_an_unusable_profile_file_is_refused_naming_the_flag_and_the_shipped_ones(
    tmp_path: Path, document: str, words: str
) -> None:
    path = tmp_path / "p.json"
    path.write_text(document, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(env={}, overrides={"profile": str(path)})
    message = str(caught.value)
    assert message.startswith(f"--profile {path}: ")
    assert words in message
    assert "default, kie, strict" in message


def test_an_unknown_name_is_refused_where_it_was_written() -> None:
    with pytest.raises(ConfigError, match=r"^SEEDREAM_MOCK_PROFILE=kei: no profile 'kei'"):
        load_settings(env={"SEEDREAM_MOCK_PROFILE": "kei"})
    with pytest.raises(ConfigError, match=r"^profile='kei': no profile"):
        Settings(profile="kei")


def test_timing_flags_win_over_the_profiles_timing_one_by_one(tmp_path: Path) -> None:
    path = tmp_path / "slow.json"
    path.write_text(
        json.dumps(
            {
                "name": "slow",
                "extends": "default",
                "timing": {"pending_seconds": 30, "processing_seconds": [60, 90]},
            }
        ),
        "utf-8",
    )
    slow = active_profile(str(path))
    assert default_timeline(None, None, slow) == TimelineSpec(30.0, (60.0, 90.0))
    assert default_timeline(2.0, None, slow) == TimelineSpec(2.0, (60.0, 90.0))
    assert default_timeline(None, (1.0, 1.0), slow) == TimelineSpec(30.0, (1.0, 1.0))


def test_shipped_profiles_are_loaded_once() -> None:
    assert active_profile("kie") is active_profile("kie")
    assert active_profile("kie").document == load_profile("kie").document
