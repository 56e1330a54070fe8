"""Turning setting values as written — TOML, environment variables, flags — into typed values.

Text from the environment and TOML values differ (`"1,2,4"` or `[1, 2, 4]`); every setting goes
through `coerce`, which names the setting in its error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mock_server.core.clock import parse_iso

# Delays after the first attempt. "default" is Evolink's published policy [P]; the other is the
# Standard Webhooks (Svix) schedule, best run on a scaled clock.
WEBHOOK_SCHEDULES: dict[str, tuple[float, ...]] = {
    "default": (1.0, 2.0, 4.0),
    "standard-webhooks": (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0),
    "none": (),
}


class ConfigError(ValueError):
    """A setting has a value the server cannot run with. The message names the setting and the
    value; `setting` and `problem` let `load_settings` name, instead, where the user wrote it
    (flag, variable, or file and key), since that is what the user has to go and change."""

    def __init__(self, problem: str, setting: str | None = None, value: Any = None) -> None:
        super().__init__(f"{setting}={value!r}: {problem}" if setting else problem)
        self.problem, self.setting = problem, setting


def parse_key_spec(spec: str, default_credits: int) -> tuple[str, int]:
    """`aio_abc` or `aio_abc:500` → (key, credits)."""
    key, _, credits = spec.strip().partition(":")
    try:
        amount = int(credits) if credits else default_credits
    except ValueError:
        raise ConfigError(f"key spec {spec!r}: credits after ':' must be an integer") from None
    return key, amount


def parse_range(text: str) -> tuple[float, float]:
    """`5` → (5, 5); `2-9` → (2, 9)."""
    low, _, high = text.partition("-")
    try:
        return float(low), float(high or low)
    except ValueError:
        raise ConfigError("not a number or a MIN-MAX range of seconds") from None


def _prices(value: Any) -> dict[str, int]:
    """A TOML table, or `model[:quality]=credits,…` from the environment."""
    if isinstance(value, str):
        pairs = [item.rpartition("=") for item in value.split(",") if item.strip()]
        if any(not sep for _, sep, _ in pairs):
            raise ValueError("expected MODEL[:QUALITY]=CREDITS, comma-separated")
        return {name.strip(): int(credits) for name, _, credits in pairs}
    return {str(k): int(v) for k, v in dict(value).items()}


def _schedule(value: Any) -> tuple[float, ...]:
    """A preset name (default, standard-webhooks, none) or delays in seconds: `1,2,4`."""
    if isinstance(value, str):
        if value.strip() in WEBHOOK_SCHEDULES:
            return WEBHOOK_SCHEDULES[value.strip()]
        value = [v for v in value.split(",") if v.strip()]
    try:
        return tuple(float(v) for v in value)
    except (TypeError, ValueError):
        presets = ", ".join(WEBHOOK_SCHEDULES)
        raise ValueError(f"not a preset ({presets}) or delays in seconds like 1,5,30") from None


def _moment(value: Any) -> float:
    """Seconds since the epoch from a number, an ISO-8601 string or a TOML datetime."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value)
    return parse_iso(str(value))


def _integer(value: Any) -> int:
    """An integer, written as one: `8080` or `"8080"`, not `80.5` or `true`."""
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise ValueError("not an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError("not an integer") from None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError("not a number") from None


_CONVERTERS: dict[str, Any] = {
    "port": _integer,
    "max_connections": _integer,
    "head_timeout": _number,
    "speed": _number,
    "seed": _integer,
    "default_credits": _integer,
    "price": _integer,
    "pending_seconds": _number,
    "max_prompt_chars": _integer,
    "max_body_bytes": _integer,
    "image_lifetime_seconds": _number,
    "image_cache_bytes": _integer,
    "max_tasks": _integer,
    "max_open_keys": _integer,
    "webhook_timeout": _number,
    "rate_limit_rps": _number,
    "rate_limit_burst": _integer,
    "webhook_workers": _integer,
    "webhook_log_limit": _integer,
    "journal_size": _integer,
}


def coerce(name: str, value: Any, default_credits: int) -> Any:
    """One setting's value, from TOML, an environment variable or a flag, as `Settings` holds it."""
    try:
        if name == "keys":
            if isinstance(value, Mapping):
                return {str(k): int(v) for k, v in value.items()}
            specs = value.split(",") if isinstance(value, str) else value
            return dict(parse_key_spec(s, default_credits) for s in specs if s.strip())
        if name == "processing_seconds":
            if isinstance(value, list | tuple):
                return (float(value[0]), float(value[-1]))
            return parse_range(str(value))
        if name == "webhook_schedule":
            return _schedule(value)
        if name == "webhook_secrets":
            items = value.split(",") if isinstance(value, str) else value
            return tuple(s.strip() for s in items if s.strip())
        if name == "callback_hosts":
            items = value.split(",") if isinstance(value, str) else value
            return tuple(h.strip() for h in items if h.strip())
        if name in ("control", "insecure_control"):
            if isinstance(value, str):
                return value.strip().lower() not in ("0", "false", "no", "off")
            return bool(value)
        if name == "prices":
            return _prices(value)
        if name == "clock_start":
            return _moment(value)
        return _CONVERTERS.get(name, str)(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc) or "not valid", name, value) from None


@dataclass(frozen=True)
class RateLimit:
    """`rps` requests per second on average, bursts of up to `burst`."""

    rps: float
    burst: int


# A Standard Webhooks secret: base64, after an optional prefix.
PREFIX = "whsec_"


def standard_key(secret: str) -> bytes:
    """The HMAC key of a Standard Webhooks secret: base64 after an optional `whsec_` prefix
    (exactly how the `standardwebhooks` package reads it)."""
    encoded = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    try:
        key = base64.b64decode(encoded + "==", validate=False)
    except (binascii.Error, ValueError):
        raise ConfigError(f"webhook secret {secret[:10]}…: not base64 after 'whsec_'") from None
    if not key:
        raise ConfigError("a webhook secret must not be empty")
    return key
