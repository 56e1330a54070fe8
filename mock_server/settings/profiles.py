"""The active profile (`--profile NAME|FILE`): loaded and checked once, and the timing it gives
a server whose own flags leave timing unset."""

from __future__ import annotations

from functools import lru_cache

from mock_server.core.tasks import TimelineSpec
from seedream_contracts.profiles import SHIPPED, Profile, ProfileError, load_profile


def active_profile(spec: str) -> Profile:
    """The profile `spec` names: a shipped one (loaded once per process, they never change) or
    a file (read each time, so a server started again sees the file as it is now)."""
    if spec in SHIPPED:
        return _shipped(spec)
    return load_profile(spec)


@lru_cache(maxsize=len(SHIPPED))
def _shipped(name: str) -> Profile:
    return load_profile(name)


def problem(spec: str) -> str | None:
    """Why `spec` cannot be served, in one sentence that lists the shipped profiles; else None."""
    try:
        active_profile(spec)
    except (ProfileError, ValueError) as exc:  # a TemplateError is a ValueError too
        text = str(exc)
        shipped = ", ".join(SHIPPED)
        return text if shipped in text else f"{text} (shipped profiles: {shipped})"
    return None


def default_timeline(
    pending: float | None, processing: tuple[float, float] | None, profile: Profile
) -> TimelineSpec:
    """The timeline tasks get when no scenario or control call set one: the flags' values where
    given, else the profile's `timing`."""
    timing = profile.timing
    low, high = timing["processing_seconds"]
    return TimelineSpec(
        float(timing["pending_seconds"]) if pending is None else pending,
        (float(low), float(high)) if processing is None else processing,
    )
