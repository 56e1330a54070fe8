"""`assert_requested`'s judgement, in the spirit of WireMock's verify: which journal entries
match an expectation, and, when too few or too many do, a message a person can act on — the
expectation, then the requests that came closest, each with what differs. Works on entry
documents, so it never sees a key (they are fingerprinted before it gets them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from seedream_contracts import redact

SHOWN = 3  # closest requests a failure message lists
SHORT = 80  # characters of a value shown in a difference


@dataclass(frozen=True)
class Expectation:
    method: str
    path: str
    times: int | None = 1  # None: at least once
    json_contains: Any = None
    headers_contain: dict[str, str] = field(default_factory=dict)

    def differences(self, entry: dict[str, Any]) -> list[str]:
        """What keeps `entry` from matching, one readable line each; [] when it matches."""
        if (entry["method"], entry["path"]) != (self.method, self.path):
            return [f"route: expected {self.method} {self.path}, got {_route(entry)}"]
        found = _header_differences(entry["headers"], self.headers_contain)
        if self.json_contains is not None:
            found += _body_differences(entry["body"], self.json_contains)
        return found

    def describe(self) -> str:
        count = "at least once" if self.times is None else _times(self.times)
        words = f"{self.method} {self.path} requested {count}"
        if self.json_contains is not None:
            words += f" with a JSON body containing {_dump(self.json_contains)}"
        if self.headers_contain:
            headers = {k: redact.header(k, v) for k, v in self.headers_contain.items()}
            words += f"{' and' if self.json_contains is not None else ' with'} headers {headers}"
        return words


def check(
    entries: list[dict[str, Any]], expected: Expectation
) -> tuple[list[dict[str, Any]], str | None]:
    """The matching entries, and a failure message (None when the count is right)."""
    scored = [(entry, expected.differences(entry)) for entry in entries]
    matched = [entry for entry, found in scored if not found]
    count = len(matched)
    if count == expected.times or (expected.times is None and count > 0):
        return matched, None
    lines = [
        f"expected {expected.describe()}; it was requested {_times(count)} that way "
        f"({_times(len(entries), 'request')} in the journal)."
    ]
    if count:  # too many: the ones that matched are what to look at
        lines.append("the requests that matched, newest first:")
        lines += [_line(entry) for entry in matched[: SHOWN * 2]]
    elif entries:
        lines.append("the requests that came closest, most alike first:")
        closest = sorted(scored, key=lambda item: _distance(item, expected))[:SHOWN]
        for entry, found in closest:
            lines.append(_line(entry))
            lines += [f"      {line}" for line in found]
    return matched, "\n".join(lines)


def subset_differences(actual: Any, expected: Any, where: str = "") -> list[str]:
    """Where `actual` does not contain `expected`: objects as subsets (recursively), anything
    else (lists included) equal, `true` never equal to `1`."""
    here = where or "body"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{here}: expected an object, got {_short(actual)}"]
        found: list[str] = []
        for name, value in expected.items():
            inner = f"{where}.{name}" if where else str(name)
            if name not in actual:
                found.append(f"{inner}: expected {_short(value)}, missing")
            else:
                found += subset_differences(actual[name], value, inner)
        return found
    if not _equal(actual, expected):
        return [f"{here}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return bool(type(a) is type(b) or {type(a), type(b)} <= {int, float}) and a == b


def _body_differences(body: dict[str, Any] | None, expected: Any) -> list[str]:
    if body is None:
        return ["body: expected JSON, the request had no body"]
    if "json" not in body:
        shown = "truncated" if body["truncated"] else _short(body.get("text", "binary"))
        return [f"body: expected JSON, got text ({shown})"]
    return subset_differences(body["json"], expected)


def _header_differences(headers: dict[str, str], expected: dict[str, str]) -> list[str]:
    sent = {name.lower(): value for name, value in headers.items()}
    found = []
    for name, value in expected.items():
        wanted = redact.header(name, value)
        got = sent.get(name.lower())
        if got != wanted:
            shown = "missing" if got is None else f"got {got!r}"
            found.append(f"header {name}: expected {wanted!r}, {shown}")
    return found


def _distance(item: tuple[dict[str, Any], list[str]], expected: Expectation) -> tuple[int, int]:
    """Same route first, then same method, then fewest differences (sorted() keeps the newest
    first among equals)."""
    entry, found = item
    if entry["path"] == expected.path and entry["method"] == expected.method:
        return (0, len(found))
    return (1 if entry["method"] == expected.method else 2, 0)


def _line(entry: dict[str, Any]) -> str:
    status = entry["status"] if entry["outcome"] == "answered" else entry["outcome"]
    extra = "".join(
        f", {word} {entry[name]}"
        for name, word in (("task_id", "task"), ("key", "key"))
        if entry.get(name) is not None
    )
    return f"  #{entry['seq']} {_route(entry)} -> {status} at {entry['at']}{extra}"


def _route(entry: dict[str, Any]) -> str:
    return f"{entry['method']} {entry['path']}"


def _times(count: int, word: str = "time") -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _short(value: Any) -> str:
    text = _dump(value)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"
