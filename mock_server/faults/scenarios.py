"""Scenario files: keys, clock, timelines, fault rules, rate limits and webhook policy, loaded
together. Everything is checked before anything changes, so a bad file leaves the server as it
was; errors name the line (bad JSON) or the field (`faults[2].action.status`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mock_server.core.errors import InvalidRequestError
from mock_server.faults.rules import FaultRule
from seedream_contracts.loader import first_error, fixture

LIBRARY = fixture("scenarios")  # in the installed package, so a wheel ships them


class ScenarioError(InvalidRequestError):
    """A scenario (or fault rule) that cannot be loaded; `param` is the field at fault."""


def library() -> list[dict[str, str]]:
    """The shipped scenarios: name and one-line purpose."""
    found = []
    shipped = (p for p in LIBRARY.iterdir() if p.name.endswith(".json"))
    for path in sorted(shipped, key=lambda p: p.name):
        document = json.loads(path.read_text("utf-8"))
        found.append({"name": document["name"], "description": document["description"]})
    return found


def read_library(name: Any) -> dict[str, Any]:
    """A shipped scenario by name only (the HTTP route must not read arbitrary paths)."""
    known = {s["name"] for s in library()}
    if name not in known:
        raise ScenarioError(
            f"no shipped scenario named {name!r}; shipped: {', '.join(sorted(known))}", "name"
        )
    return parse(LIBRARY.joinpath(f"{name}.json").read_text("utf-8"), f"{name}.json")


def read_file(reference: str) -> dict[str, Any]:
    """A scenario from a path, or by name from the shipped library (`flaky-5xx`)."""
    path = Path(reference)
    if not path.exists() and LIBRARY.joinpath(f"{reference}.json").is_file():
        return read_library(reference)
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        names = ", ".join(s["name"] for s in library())
        raise ScenarioError(
            f"cannot read scenario {reference}: {exc.strerror}; shipped scenarios: {names}"
        ) from None
    return parse(text, str(path))


def parse(text: str, source: str = "scenario") -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError(
            f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    return check(document, source)


def check(document: Any, source: str = "scenario") -> dict[str, Any]:
    """Schema plus the rules a schema cannot say; returns the document if it can be applied."""
    problem = first_error("scenario", document)
    if problem is not None:
        raise ScenarioError(f"{source}: {problem[1]}", problem[0] or None)
    names = [rule["name"] for rule in document.get("faults", [])]
    for index, name in enumerate(names):
        if name in names[:index]:
            raise ScenarioError(
                f"{source}: faults[{index}].name: {name!r} is used twice", f"faults[{index}].name"
            )
    for index, rule in enumerate(document.get("faults", [])):
        check_rule(rule, f"faults[{index}].", f"{source}: ")
    for index, entry in enumerate(document.get("timelines", [])):
        low, high = seconds_range(entry["processing_seconds"])
        if high < low:
            raise ScenarioError(
                f"{source}: timelines[{index}].processing_seconds: min > max",
                f"timelines[{index}].processing_seconds",
            )
    return dict(document)


def check_rule(rule: dict[str, Any], path: str = "", source: str = "") -> None:
    """What the fault rule schema cannot say: a uniform range must not run backwards."""
    action = rule["action"]
    uniform = action["type"] == "latency" and action.get("distribution") == "uniform"
    if uniform and action["max_ms"] < action["min_ms"]:
        where = f"{path}action"
        raise ScenarioError(f"{source}{where}: max_ms is below min_ms", where)


def rule_from(document: dict[str, Any]) -> FaultRule:
    return FaultRule(
        name=document["name"],
        action=dict(document["action"]),
        match=dict(document.get("match", {})),
        times=document.get("times"),
        probability=float(document.get("probability", 1.0)),
        after_seconds=float(document.get("after_seconds", 0.0)),
    )


def seconds_range(value: float | list[float]) -> tuple[float, float]:
    """`[low, high]` or one number for both."""
    return (float(value[0]), float(value[1])) if isinstance(value, list) else (value, value)
