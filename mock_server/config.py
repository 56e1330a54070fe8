"""Server settings: defaults, then a TOML file, then SEEDREAM_MOCK_* environment, then flags."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mock_server.clock import CLOCK_MODES, ClockMode
from mock_server.config_values import (
    ConfigError,
    coerce,
)
from mock_server.ratelimit import RateLimit

KEY_PATTERN = re.compile(r"^aio_[A-Za-z0-9_\-]{1,200}$")
DEFAULT_KEY = "aio_your_api_key"  # the key in the seed page's curl example, ready out of the box


ENV_PREFIXES = ("SEEDREAM_MOCK_", "MOCK_")
LOG_FORMATS = ("off", "text", "json")
SIGNATURE_SCHEMES = ("standard", "kie")


@dataclass(frozen=True)
class Settings:
    """Everything a server instance is configured with. Frozen: change it by building a new one."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    max_connections: int = 1000

    clock: ClockMode = "real"
    speed: float = 1.0
    clock_start: float | None = None
    seed: int | None = None

    key_mode: str = "open"
    keys: Mapping[str, int] = field(default_factory=lambda: {DEFAULT_KEY: 1200})
    default_credits: int = 1200
    price: int = 12
    prices: Mapping[str, int] = field(default_factory=dict)

    pending_seconds: float = 1.0
    processing_seconds: tuple[float, float] = (2.0, 9.0)

    max_prompt_chars: int = 3000
    max_body_bytes: int = 256 * 1024
    callback_hosts: tuple[str, ...] = ("loopback",)

    image_lifetime_seconds: float = 24 * 3600.0
    image_cache_bytes: int = 256 * 1024 * 1024
    max_tasks: int = 10_000

    control: bool = True
    control_token: str | None = None
    log_requests: str = "off"

    rate_limit_rps: float | None = None
    rate_limit_burst: int = 10

    webhook_timeout: float = 10.0
    webhook_schedule: tuple[float, ...] = (1.0, 2.0, 4.0)
    webhook_secrets: tuple[str, ...] = ()
    webhook_signature: str = "standard"
    webhook_workers: int = 8
    webhook_log_limit: int = 1000

    def __post_init__(self) -> None:
        _check(self)

    @property
    def rate_limit(self) -> RateLimit | None:
        if self.rate_limit_rps is None:
            return None
        return RateLimit(self.rate_limit_rps, self.rate_limit_burst)

    def price_for(self, model: str, quality: str) -> int:
        """Credits one image costs: `prices["<model>:<quality>"]`, then `prices["<model>"]`,
        then the flat `price` (12, as published)."""
        return self.prices.get(f"{model}:{quality}", self.prices.get(model, self.price))

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        """A copy with the given fields replaced; values given as None are left alone."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _check(s: Settings) -> None:
    if s.clock not in CLOCK_MODES:
        raise ConfigError(f"clock must be one of {', '.join(CLOCK_MODES)}, not {s.clock!r}")
    if not s.speed > 0:
        raise ConfigError(f"speed must be greater than 0, not {s.speed}")
    if s.key_mode not in ("open", "strict"):
        raise ConfigError(f"key_mode must be 'open' or 'strict', not {s.key_mode!r}")
    if not 0 <= s.port <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, not {s.port}")
    for key, credits in s.keys.items():
        if not KEY_PATTERN.match(key):
            raise ConfigError(f"key {key!r} is not of the form aio_<letters, digits, _ or ->")
        if credits < 0:
            raise ConfigError(f"key {key} has negative credits ({credits})")
    low, high = s.processing_seconds
    if s.pending_seconds < 0 or low < 0 or high < low:
        raise ConfigError("timeline: pending_seconds >= 0 and 0 <= processing min <= max")
    for name in ("max_prompt_chars", "max_body_bytes", "max_connections", "max_tasks"):
        if getattr(s, name) < 1:
            raise ConfigError(f"{name} must be at least 1")
    if s.price < 0 or any(v < 0 for v in s.prices.values()):
        raise ConfigError("prices must not be negative")
    if not s.webhook_timeout > 0 or any(d < 0 for d in s.webhook_schedule):
        raise ConfigError("webhook_timeout must be > 0 and webhook_schedule delays >= 0")
    if s.log_requests not in LOG_FORMATS:
        raise ConfigError(f"log_requests must be one of {', '.join(LOG_FORMATS)}")
    if s.webhook_signature not in SIGNATURE_SCHEMES:
        raise ConfigError(
            f"webhook_signature must be one of {', '.join(SIGNATURE_SCHEMES)}, "
            f"not {s.webhook_signature!r}"
        )
    if s.rate_limit_rps is not None and not s.rate_limit_rps > 0:
        raise ConfigError("rate_limit_rps must be greater than 0")
    for name in ("webhook_workers", "webhook_log_limit", "rate_limit_burst"):
        if getattr(s, name) < 1:
            raise ConfigError(f"{name} must be at least 1")


FIELD_NAMES = tuple(f.name for f in fields(Settings))


def load_settings(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the sources, later ones winning: defaults < file < environment (SEEDREAM_MOCK_<NAME>,
    or the short MOCK_<NAME>) < overrides (flags)."""
    raw: dict[str, Any] = dict(defaults or {})  # a caller's own defaults (the CLI logs requests)
    if config_file is not None:
        try:
            raw.update(tomllib.loads(Path(config_file).read_text("utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config file {config_file}: {exc}") from None
        unknown = sorted(set(raw) - set(FIELD_NAMES))
        if unknown:
            raise ConfigError(f"config file {config_file}: unknown settings {', '.join(unknown)}")
    env = os.environ if env is None else env
    for name in FIELD_NAMES:
        for prefix in ENV_PREFIXES[::-1]:  # the long prefix wins over the short one
            if f"{prefix}{name.upper()}" in env:
                raw[name] = env[f"{prefix}{name.upper()}"]
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    default_credits = coerce("default_credits", raw.get("default_credits", 1200), 0)
    values = {name: coerce(name, value, default_credits) for name, value in raw.items()}
    return Settings(**values)
