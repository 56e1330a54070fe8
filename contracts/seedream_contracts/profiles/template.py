"""Answer templates: a profile's picture of one JSON answer, with holes where values go.

A template is plain JSON. Three kinds of node are special, each an object with one `$` key:

- `{"$value": "task_id"}` (optionally `"format": "epoch_ms"`): put that value here. The names a
  template may use are the keys of the `FIELDS` table of the answer it describes.
- `{"$when": ["completed"], "then": T}`: this object member exists only while the task is in one
  of those states; with `"else": null` it is `null` otherwise instead of absent.
- `{"$json": T}`: T rendered, then written as a JSON-encoded *string* (KIE's `resultJson`).

Everything else is a literal, written as it is. The same template is read backwards: `locate`
finds where each value sits (its path, through any `$json` string), so a client-side reader and
the mock agree by construction on where `status` or the result URLs are.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

TIME_FORMATS = ("iso", "epoch_ms", "epoch_s")
JSON_STEP = "$json"  # a path step: the string here is JSON; decode it and go on


class TemplateError(ValueError):
    """A template names a value it may not use, or a node is malformed."""


@dataclass(frozen=True)
class Slot:
    """Where one value sits: its path from the document's root, its format, and the states in
    which it is there (None: always)."""

    path: tuple[str | int, ...]
    format: str | None
    states: frozenset[str] | None
    null_otherwise: bool


def is_value(node: Any) -> bool:
    return isinstance(node, dict) and "$value" in node


def is_when(node: Any) -> bool:
    return isinstance(node, dict) and "$when" in node


def is_json(node: Any) -> bool:
    return isinstance(node, dict) and JSON_STEP in node


@lru_cache(maxsize=4096)
def iso(seconds: float) -> str:
    """Seconds since the epoch as the API writes them: UTC, milliseconds, a literal Z. Cached:
    every poll of a task writes its times again, and formatting through datetime was about 5 %
    of a GET; clients poll the same few tasks over and over."""
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(value: Any, form: str | None) -> float | None:
    """A timestamp read back from an answer, in seconds since the epoch (None if unreadable)."""
    if value is None or isinstance(value, bool):
        return None
    if form == "epoch_ms" and isinstance(value, int | float):
        return float(value) / 1000.0
    if form == "epoch_s" and isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None
    return None


def _formatted(value: Any, form: str | None) -> Any:
    if value is None or form is None:
        return value
    if form == "iso":
        return iso(float(value))
    if form == "epoch_ms":
        return int(round(float(value) * 1000))
    return int(float(value))  # epoch_s


Renderer = Callable[[Mapping[str, Any], "str | None"], Any]


def render(template: Any, values: Mapping[str, Any], state: str | None = None) -> Any:
    """The answer `template` describes, filled with `values`, for a task in `state`."""
    return compile_template(template)(values, state)


def compile_template(template: Any) -> Renderer:
    """`render` for one template, with the template's walk done once: every answer the mock
    sends is rendered, so the per-answer work is only filling values in (a profile keeps one
    renderer per answer template)."""
    if is_value(template):
        name, form = template["$value"], template.get("format")
        if form is None:
            return lambda values, state: values.get(name)
        return lambda values, state: _formatted(values.get(name), form)
    if is_json(template):
        inner = compile_template(template[JSON_STEP])
        return lambda values, state: json.dumps(inner(values, state), separators=(",", ":"))
    if isinstance(template, dict):
        return _compile_members(template)
    if isinstance(template, list):
        items = [compile_template(item) for item in template]
        return lambda values, state: [item(values, state) for item in items]
    return lambda values, state: template  # a JSON scalar: immutable


_ABSENT = object()


def _compile_members(template: dict[str, Any]) -> Renderer:
    entries: list[tuple[str, frozenset[str] | None, Renderer, Any]] = []
    for key, node in template.items():
        if is_when(node):
            then = compile_template(node["then"])
            entries.append((key, frozenset(node["$when"]), then, node.get("else", _ABSENT)))
        else:
            entries.append((key, None, compile_template(node), _ABSENT))

    def members(values: Mapping[str, Any], state: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, states, part, otherwise in entries:
            if states is None or state in states:
                found[key] = part(values, state)
            elif otherwise is not _ABSENT:
                found[key] = copy.deepcopy(otherwise)  # a literal: never shared between answers
        return found

    return members


def locate(template: Any) -> dict[str, Slot]:
    """Where each `$value` of the template sits (the first place, if a value appears twice)."""
    found: dict[str, Slot] = {}
    _walk(template, (), None, False, found)
    return found


def _walk(
    node: Any,
    path: tuple[str | int, ...],
    states: frozenset[str] | None,
    null_otherwise: bool,
    found: dict[str, Slot],
) -> None:
    if is_value(node):
        found.setdefault(node["$value"], Slot(path, node.get("format"), states, null_otherwise))
    elif is_json(node):
        _walk(node[JSON_STEP], (*path, JSON_STEP), states, null_otherwise, found)
    elif isinstance(node, dict):
        for key, child in node.items():
            if is_when(child):
                inner = frozenset(child["$when"])
                narrowed = inner if states is None else states & inner
                _walk(child["then"], (*path, key), narrowed, "else" in child, found)
            else:
                _walk(child, (*path, key), states, null_otherwise, found)
    elif isinstance(node, list):
        for index, child in enumerate(node):
            _walk(child, (*path, index), states, null_otherwise, found)


def follow(document: Any, path: tuple[str | int, ...]) -> Any:
    """The value at `path` in an answer; raises KeyError when it is not there."""
    node = document
    for step in path:
        if step == JSON_STEP:
            if not isinstance(node, str):
                raise KeyError(step)
            try:
                node = json.loads(node)
            except ValueError:
                raise KeyError(step) from None
        elif isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise KeyError(step)
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                raise KeyError(step)
            node = node[step]
    return node


def check(template: Any, allowed: Mapping[str, Any], where: str) -> None:
    """Refuse a template that names a value outside `allowed` or has a malformed special node."""
    if is_value(template):
        name = template["$value"]
        if name not in allowed:
            raise TemplateError(
                f"{where}: unknown value {name!r}; this answer can hold {', '.join(allowed)}"
            )
        form = template.get("format")
        if form is not None and form not in TIME_FORMATS:
            raise TemplateError(f"{where}: format must be one of {', '.join(TIME_FORMATS)}")
        return
    if is_json(template):
        check(template[JSON_STEP], allowed, f"{where}.$json")
        return
    if is_when(template):
        raise TemplateError(f"{where}: $when may only be the value of an object member")
    if isinstance(template, dict):
        for key, child in template.items():
            if key.startswith("$"):
                raise TemplateError(f"{where}: unknown special key {key!r}")
            if is_when(child):
                check(child["then"], allowed, f"{where}.{key}")
            else:
                check(child, allowed, f"{where}.{key}")
    elif isinstance(template, list):
        for index, child in enumerate(template):
            check(child, allowed, f"{where}[{index}]")
