"""Answers read through a profile: the values they hold, under their own names.

What the contract suite, `calibrate` and the proxy's drift check get back from
`Profile.read_task` and friends; kept apart from the profile itself, which writes answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from seedream_contracts.profiles import template
from seedream_contracts.profiles.fields import TIMES


@dataclass(frozen=True)
class TaskView:
    """A task answer read through a profile: the values it holds, under their own names."""

    document: Any
    values: dict[str, Any] = field(default_factory=dict)
    status_name: Any = None
    status: str | None = None  # pending/processing/completed/failed; None: an unknown name

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def has(self, name: str) -> bool:
        return name in self.values

    @property
    def task_id(self) -> str | None:
        value = self.values.get("task_id")
        return value if isinstance(value, str) else None

    @property
    def result_urls(self) -> list[str]:
        """The result URLs wherever the dialect puts them (a list or one string)."""
        urls = self.values.get("result.image_urls")
        if isinstance(urls, list):
            return [u for u in urls if isinstance(u, str)]
        one = self.values.get("result.image_url")
        return [one] if isinstance(one, str) else []

    @property
    def ended(self) -> bool:
        return self.status in ("completed", "failed")


@dataclass(frozen=True)
class ErrorView:
    """An error answer read through a profile."""

    document: Any
    status: Any = None
    message: Any = None
    type: Any = None
    param: Any = None
    has_param: bool = False


def value_at(document: Any, slot: template.Slot) -> Any:
    try:
        return template.follow(document, slot.path)
    except KeyError:
        return None


def read_task(
    document: Any, slots: Mapping[str, template.Slot], state_of: Callable[[Any], str | None]
) -> TaskView:
    values: dict[str, Any] = {}
    for name, slot in slots.items():
        try:
            raw = template.follow(document, slot.path)
        except KeyError:
            continue
        if name in TIMES:
            raw = template.parse_time(raw, slot.format) if raw is not None else None
        values[name] = raw
    wire_name = values.get("status")
    state = state_of(wire_name)
    if state is not None:
        values["status"] = state
    return TaskView(document, values, wire_name, state)


# The error kind each status of the default profile stands for.
