"""Server settings: defaults, then a TOML file, then SEEDREAM_MOCK_* environment, then flags."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mock_server.core.clock import (
    CLOCK_MODES,
    MAX_SPAN_SECONDS,
    MAX_SPEED,
    ClockMode,
    ClockRangeError,
    check_reading,
)
from mock_server.core.portability import PORTABILITY_MODES
from mock_server.settings.profiles import problem as profile_problem
from mock_server.settings.sources import SECRETS, Written, from_env, from_file, from_flags
from mock_server.settings.values import ConfigError, RateLimit, coerce, standard_key

KEY_PATTERN = re.compile(r"^aio_[A-Za-z0-9_\-]{1,200}$")
DEFAULT_KEY = "aio_your_api_key"  # the key in the seed page's curl example, ready out of the box

LOG_FORMATS = ("off", "text", "json")
SIGNATURE_SCHEMES = ("standard", "kie")


@dataclass(frozen=True)
class Settings:
    """Everything a server instance is configured with. Frozen: change it by building a new one."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    max_connections: int = 1000
    head_timeout: float = 10.0

    clock: ClockMode = "real"
    speed: float = 1.0
    clock_start: float | None = None
    seed: int | None = None

    key_mode: str = "open"
    keys: Mapping[str, int] = field(default_factory=lambda: {DEFAULT_KEY: 1200})
    default_credits: int = 1200
    price: int = 12
    prices: Mapping[str, int] = field(default_factory=dict)

    # The dialect the public API speaks (docs/profiles.md). The three settings below it are
    # None unless set: then the profile's timing and prompt bound apply.
    profile: str = "default"
    # What to do with an accepted request that relies on a point the sources disagree on.
    portability: str = "warn"
    pending_seconds: float | None = None
    processing_seconds: tuple[float, float] | None = None
    max_prompt_chars: int | None = None
    max_body_bytes: int = 256 * 1024
    callback_hosts: tuple[str, ...] = ("loopback",)

    image_lifetime_seconds: float = 24 * 3600.0
    image_cache_bytes: int = 256 * 1024 * 1024
    max_tasks: int = 10_000
    max_open_keys: int = 10_000

    control: bool = True
    control_token: str | None = None
    insecure_control: bool = False
    log_requests: str = "off"
    journal_size: int = 1000  # requests kept for /_mock/requests; 0: none
    state: str | None = None  # the state file (docs/durable-state.md); None: memory only

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
    for name, problem in _problems(s):
        raise ConfigError(problem, name, "…" if name in SECRETS else getattr(s, name))


def _problems(s: Settings) -> Iterator[tuple[str, str]]:
    """Each broken rule as (setting, problem): one setting each, so the message can name where
    that one value was written."""
    if s.clock not in CLOCK_MODES:
        yield "clock", f"must be one of {', '.join(CLOCK_MODES)}"
    if not 0 < s.speed <= MAX_SPEED:
        yield "speed", f"must be greater than 0 and at most {MAX_SPEED:g}"
    if s.clock_start is not None:
        try:
            check_reading(s.clock_start)
        except ClockRangeError as exc:
            yield "clock_start", str(exc)
    if s.key_mode not in ("open", "strict"):
        yield "key_mode", "must be 'open' or 'strict'"
    if not 0 <= s.port <= 65535:
        yield "port", "must be between 0 and 65535"
    for key, credits in s.keys.items():
        if not KEY_PATTERN.match(key):
            yield "keys", f"key {key!r} is not of the form aio_<letters, digits, _ or ->"
        if credits < 0:
            yield "keys", f"key {key} has negative credits ({credits})"
    wrong_profile = profile_problem(s.profile)
    if wrong_profile is not None:
        yield "profile", wrong_profile
    if s.pending_seconds is not None and s.pending_seconds < 0:
        yield "pending_seconds", "must not be negative"
    if s.processing_seconds is not None:
        low, high = s.processing_seconds
        if low < 0 or high < low:
            yield "processing_seconds", "must be MIN-MAX seconds with 0 <= MIN <= MAX"
    if s.max_prompt_chars is not None and s.max_prompt_chars < 1:
        yield "max_prompt_chars", "must be at least 1"
    for name in (
        "max_body_bytes",
        "max_connections",
        "max_tasks",
        "max_open_keys",
    ):
        if getattr(s, name) < 1:
            yield name, "must be at least 1"
    for name in ("price", "default_credits", "image_cache_bytes", "journal_size"):
        if getattr(s, name) < 0:
            yield name, "must not be negative"
    if not s.head_timeout > 0:
        yield "head_timeout", "must be greater than 0"
    if not s.image_lifetime_seconds > 0:
        yield "image_lifetime_seconds", "must be greater than 0"
    yield from _spans(s)
    if any(v < 0 for v in s.prices.values()):
        yield "prices", "must not be negative"
    if not s.webhook_timeout > 0:
        yield "webhook_timeout", "must be greater than 0"
    if any(d < 0 for d in s.webhook_schedule):
        yield "webhook_schedule", "delays must not be negative"
    if s.portability not in PORTABILITY_MODES:
        yield "portability", f"must be one of {', '.join(PORTABILITY_MODES)}"
    if s.log_requests not in LOG_FORMATS:
        yield "log_requests", f"must be one of {', '.join(LOG_FORMATS)}"
    for secret in s.webhook_secrets:
        try:
            standard_key(secret)
        except ConfigError as exc:
            yield "webhook_secrets", exc.problem
    if s.webhook_signature not in SIGNATURE_SCHEMES:
        yield "webhook_signature", f"must be one of {', '.join(SIGNATURE_SCHEMES)}"
    if s.rate_limit_rps is not None and not s.rate_limit_rps > 0:
        yield "rate_limit_rps", "must be greater than 0"
    for name in ("webhook_workers", "webhook_log_limit", "rate_limit_burst"):
        if getattr(s, name) < 1:
            yield name, "must be at least 1"


def _spans(s: Settings) -> Iterator[tuple[str, str]]:
    """Spans of mock time added to readings: bounded, so no sum leaves the clock's range."""
    longest = f"must be at most {MAX_SPAN_SECONDS} seconds (100 years)"
    spans = {
        "pending_seconds": [s.pending_seconds or 0.0],
        "processing_seconds": list(s.processing_seconds or ()),
        "image_lifetime_seconds": [s.image_lifetime_seconds],
        "webhook_schedule": list(s.webhook_schedule),
        "webhook_timeout": [s.webhook_timeout],
    }
    for name, values in spans.items():
        if any(not v <= MAX_SPAN_SECONDS for v in values):
            yield name, longest


FIELD_NAMES = tuple(f.name for f in fields(Settings))


def load_settings(
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the sources, later ones winning: defaults < file (`config_file`, else the one
    SEEDREAM_MOCK_CONFIG names) < environment (SEEDREAM_MOCK_<NAME>, or the short MOCK_<NAME>)
    < overrides (flags). A bad value is reported as written: `SEEDREAM_MOCK_PORT=abc: …`."""
    env = os.environ if env is None else env
    given: dict[str, Written] = {k: (v, f"{k}={v!r}") for k, v in (defaults or {}).items()}
    given.update(from_file(config_file, env, FIELD_NAMES))
    given.update(from_env(env, FIELD_NAMES))
    given.update(from_flags(overrides or {}))
    credits = given["default_credits"][0] if "default_credits" in given else 1200
    try:
        default_credits = coerce("default_credits", credits, 0)
        return Settings(**{k: coerce(k, v, default_credits) for k, (v, _) in given.items()})
    except ConfigError as exc:
        if exc.setting not in given:
            raise
        raise ConfigError(f"{given[exc.setting][1]}: {exc.problem}") from None
