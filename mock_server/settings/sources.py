"""Where settings are written — a TOML file, the environment, flags — and how errors name it.

Each value is read together with the place it came from (`SEEDREAM_MOCK_PORT=abc`, `--port 9`,
`config file mock.toml: port = 'abc'`), because a message is only useful if it says what the
user has to go and change.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from mock_server.settings.values import ConfigError

ENV_PREFIXES = ("SEEDREAM_MOCK_", "MOCK_")  # the long one wins when both are set
# Read by the commands rather than held by Settings: `serve`'s file and start scenario, and
# what `verify` needs to reach a target.
SERVE_VARIABLES = ("config", "scenario")
VERIFY_VARIABLES = ("target", "api_key", "other_api_key", "max_credits", "report", "callback_url")
# Flags not spelt `--<setting with dashes>`; the ones without a value are switches.
FLAGS = {
    "keys": "--key",
    "image_lifetime_seconds": "--image-lifetime",
    "webhook_secrets": "--webhook-secret",
}
SWITCHES = {
    "key_mode": "--strict-keys",
    "control": "--no-control",
    "insecure_control": "--insecure-control",
}
SECRETS = ("webhook_secrets", "control_token")  # named in errors, never shown

Written = tuple[Any, str]  # a value as written, and where: "SEEDREAM_MOCK_PORT=abc"


def env_entry(name: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, value) for a setting: SEEDREAM_MOCK_<NAME>, else MOCK_<NAME>, else None."""
    for prefix in ENV_PREFIXES:
        variable = prefix + name.upper()
        if variable in env:
            return variable, env[variable]
    return None


def from_env(env: Mapping[str, str], names: Iterable[str]) -> dict[str, Written]:
    found = {}
    for name in names:
        entry = env_entry(name, env)
        if entry is not None:
            variable, value = entry
            found[name] = (value, variable if name in SECRETS else f"{variable}={value}")
    return found


def from_flags(overrides: Mapping[str, Any]) -> dict[str, Written]:
    return {
        name: (value, _flag(name, value)) for name, value in overrides.items() if value is not None
    }


def _flag(name: str, value: Any) -> str:
    if name in SWITCHES:
        return SWITCHES[name]
    flag = FLAGS.get(name, "--" + name.replace("_", "-"))
    if name in SECRETS:
        return flag
    values = value if isinstance(value, list | tuple) else [value]
    return " ".join(f"{flag} {v}" for v in values)  # repeatable flags: `--key a --key b`


def from_file(
    config_file: str | Path | None, env: Mapping[str, str], names: Iterable[str]
) -> dict[str, Written]:
    """The TOML file `--config` names, else the one SEEDREAM_MOCK_CONFIG names, else nothing."""
    where = f"--config {config_file}"
    if config_file is None:
        entry = env_entry("config", env)
        if entry is None:
            return {}
        where, config_file = f"{entry[0]}={entry[1]}", entry[1]
    try:
        table = tomllib.loads(Path(config_file).read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
    known = list(names)
    unknown = [f"{key}{_hint(key, known)}" for key in table if key not in known]
    if unknown:
        raise ConfigError(f"config file {config_file}: unknown setting {', '.join(unknown)}")
    shown = {key: "…" if key in SECRETS else repr(value) for key, value in table.items()}
    return {
        key: (value, f"config file {config_file}: {key} = {shown[key]}")
        for key, value in table.items()
    }


def unknown_variables(env: Mapping[str, str], names: Iterable[str]) -> list[str]:
    """A warning for each SEEDREAM_MOCK_* variable nothing reads, naming the closest known one.
    The short MOCK_ prefix is left alone: other tools use it, so an unknown MOCK_* name is more
    likely theirs than a typo."""
    prefix = ENV_PREFIXES[0]
    known = [n.upper() for n in (*names, *SERVE_VARIABLES, *VERIFY_VARIABLES)]
    return [
        f"unknown variable {variable}{_hint(variable[len(prefix) :], known, prefix)}"
        for variable in sorted(env)
        if variable.startswith(prefix) and variable[len(prefix) :] not in known
    ]


def _hint(name: str, known: list[str], prefix: str = "") -> str:
    """` (did you mean X?)`, or nothing when no known name is close. Names are compared without
    the long common prefix, which would make every pair look alike."""
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean {prefix}{close[0]}?)" if close else ""
