"""The filters of `/_mock/requests` (and of the pytest handle's `requests`): parsed once from
their text, each wrong value a 400 naming its parameter, then matched against raw entries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mock_server.core.clock import parse_iso
from mock_server.core.errors import InvalidRequestError
from mock_server.journal.records import ANSWERED, Recorded
from seedream_contracts import redact

FILTERS = ("route", "method", "path", "key", "status", "task_id", "since")
OUTCOMES = (ANSWERED, "closed", "reset", "hung")
_METHOD = re.compile(r"^[A-Za-z]+$")
_CLASS = re.compile(r"^[1-5]xx$")


@dataclass(frozen=True)
class Query:
    """Every filter given must match; none given matches every entry."""

    method: str | None = None
    path: str | None = None  # the whole path
    prefix: str | None = None  # the path, or a leading part of it up to a `/`
    key: str | None = None  # the key as sent, or its fingerprint
    status: int | None = None
    status_class: int | None = None  # 4 for `4xx`
    outcome: str | None = None
    task_id: str | None = None
    since_seq: int | None = None  # entries recorded after this one
    since_at: float | None = None  # entries at or after this moment of the mock's clock

    def matches(self, seq: int, entry: Recorded) -> bool:
        return (
            (self.since_seq is None or seq > self.since_seq)
            and (self.since_at is None or entry.at >= self.since_at)
            and (self.method is None or entry.method == self.method)
            and (self.path is None or entry.text_path == self.path)
            and (self.prefix is None or _under(entry.text_path, self.prefix))
            and (self.status is None or entry.outcome == self.status)
            and (self.status_class is None or _in_class(entry.outcome, self.status_class))
            and (self.outcome is None or _outcome(entry) == self.outcome)
            and (self.task_id is None or entry.task_id == self.task_id)
            and (self.key is None or _same_key(entry.key, self.key))
        )


def parse(args: Mapping[str, str]) -> Query:
    """A Query from filter texts (unknown names are not filters: the caller keeps them)."""
    found: dict[str, object] = {}
    route = args.get("route")
    if route is not None:
        found.update(_route(route))
    if "method" in args:
        found["method"] = _method(args["method"], "method")
    if "path" in args:
        found["path"] = _path(args["path"], "path")
    if "status" in args:
        found.update(_status(args["status"]))
    if "since" in args:
        found.update(_since(args["since"]))
    for name in ("key", "task_id"):
        if name in args:
            if not args[name]:
                raise InvalidRequestError(f"{name} must not be empty.", name)
            found[name] = args[name]
    return Query(**found)  # type: ignore[arg-type]


def from_values(values: Mapping[str, object]) -> Query:
    """A Query from Python values (the pytest handle): `status=503`, `since=12`; None is no
    filter; an unknown name is a TypeError, as for any function."""
    unknown = sorted(set(values) - set(FILTERS))
    if unknown:
        raise TypeError(
            f"unknown filter {', '.join(unknown)}; the filters are {', '.join(FILTERS)}"
        )
    return parse({name: str(value) for name, value in values.items() if value is not None})


def _route(text: str) -> dict[str, object]:
    """`POST /api/v1/images/generations`, `GET /api/v1/tasks` or `/files`: an optional method,
    then a path matched whole or as a leading part up to a `/`."""
    method, space, path = text.strip().partition(" ")
    if not space:
        method, path = ("", method) if method.startswith("/") else (method, "")
    shown: dict[str, object] = {}
    if method:
        shown["method"] = _method(method, "route")
    if path or not method:
        shown["prefix"] = _path(path.strip(), "route")
    return shown


def _method(text: str, param: str) -> str:
    if not _METHOD.match(text):
        raise InvalidRequestError(
            f"{param} must name an HTTP method like POST; got {text!r}.", param
        )
    return text.upper()


def _path(text: str, param: str) -> str:
    if not text.startswith("/"):
        raise InvalidRequestError(f"{param}'s path must start with '/'; got {text!r}.", param)
    return text


def _status(text: str) -> dict[str, object]:
    if text.isascii() and text.isdigit() and 100 <= int(text) <= 599:
        return {"status": int(text)}
    if _CLASS.match(text):
        return {"status_class": int(text[0])}
    if text in OUTCOMES:
        return {"outcome": text}
    raise InvalidRequestError(
        f"status must be a status code (100-599), a class like 4xx, or one of "
        f"{', '.join(OUTCOMES)}; got {text!r}.",
        "status",
    )


def _since(text: str) -> dict[str, object]:
    if text.isascii() and text.isdigit():
        return {"since_seq": int(text)}
    try:
        return {"since_at": parse_iso(text)}
    except (ValueError, OverflowError):
        raise InvalidRequestError(
            f"since must be an entry's seq or an ISO-8601 time; got {text!r}.", "since"
        ) from None


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix if prefix.endswith("/") else prefix + "/")


def _in_class(outcome: int | str, wanted: int) -> bool:
    return isinstance(outcome, int) and outcome // 100 == wanted


def _outcome(entry: Recorded) -> str:
    return entry.outcome if isinstance(entry.outcome, str) else ANSWERED


def _same_key(sent: str | None, wanted: str) -> bool:
    return sent is not None and (sent == wanted or redact.fingerprint(sent) == wanted)
