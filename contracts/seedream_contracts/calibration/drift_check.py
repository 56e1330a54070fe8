"""The recording proxy's live check: each answer of the two public routes against the active
profile's answer schemas, as one console line per mismatch (like Prism's validation proxy)."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import ValidationError
from jsonschema.exceptions import best_match

from seedream_contracts.calibration.runs import CREATE_PATH, TASK_PREFIX
from seedream_contracts.profiles.profile import Profile
from seedream_contracts.profiles.schemas import (
    compile_schema,
    create_schema,
    error_schema,
    task_schema,
)

MAX_LINES = 8  # per answer: the first few say what drifted; the rest repeat it


def json_path(error: ValidationError) -> str:
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in error.absolute_path)


class DriftCheck:
    """The profile's answer schemas, compiled once; `lines()` per answer."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._schemas = {
            "create": compile_schema(create_schema(profile)),
            "task": compile_schema(task_schema(profile)),
            "error": compile_schema(error_schema(profile)),
        }

    @staticmethod
    def route(method: str, path: str) -> str | None:
        path = path.split("?")[0]
        if method == "POST" and path == CREATE_PATH:
            return f"POST {CREATE_PATH}"
        if method == "GET" and path.startswith(TASK_PREFIX) and "/" not in path[len(TASK_PREFIX) :]:
            return f"GET {TASK_PREFIX}{{task_id}}"
        return None

    def lines(self, method: str, path: str, status: int, body: bytes) -> list[str]:
        """One line per way the answer differs from the profile; none for other routes."""
        route = self.route(method, path)
        if route is None:
            return []
        head = f"drift: {route} {status} (profile {self.profile.name!r})"
        if status >= 400:
            schema = "error"
        elif 200 <= status < 300:
            schema = "create" if method == "POST" else "task"
        else:
            return []
        try:
            document: Any = json.loads(body)
        except ValueError:
            return [f"{head} at $: expected a JSON {schema} answer, got {body[:60]!r}"]
        found = []
        for error in sorted(self._schemas[schema].iter_errors(document), key=json_path):
            shown = best_match(error.context) if error.context else error
            message = shown.message if len(shown.message) <= 200 else shown.message[:199] + "…"
            line = f"{head} at {json_path(shown)}: {message}"
            if line not in found:
                found.append(line)
        return found[:MAX_LINES]
