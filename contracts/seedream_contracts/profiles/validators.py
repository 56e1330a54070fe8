"""The answer validators of a profile, compiled once: a run checks hundreds of answers against
the same four schemas, and compiling a task schema (one branch per status) is the slow part."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from seedream_contracts.profiles.profile import Profile
from seedream_contracts.profiles.schemas import ANSWER_SCHEMAS, compile_schema


@lru_cache(maxsize=64)
def answer_schema(profile: Profile, name: str) -> dict[str, Any]:
    """The schema `name` (create_response, task, error, callback) as `profile` makes it.
    Shared: callers must not change it."""
    if name not in ANSWER_SCHEMAS:
        known = ", ".join(ANSWER_SCHEMAS)
        raise KeyError(f"no answer schema named {name!r}; a profile makes {known}")
    return ANSWER_SCHEMAS[name](profile)


@lru_cache(maxsize=64)
def answer_validator(profile: Profile, name: str) -> Draft202012Validator:
    """The compiled validator of `answer_schema(profile, name)`."""
    return compile_schema(answer_schema(profile, name))


def answer_errors(profile: Profile, name: str, document: Any) -> list[str]:
    """Every way `document` breaks the profile's schema `name`, as `path: message` lines."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in answer_validator(profile, name).iter_errors(document)
    ]
