"""The inspector's pages: tasks, one task, keys and ledgers, fault rules, the request journal."""

from __future__ import annotations

from flask import Response, render_template, request

from mock_server.api._http import base_url, mock_control
from mock_server.core.errors import InvalidRequestError
from mock_server.inspector.blueprint import inspector
from mock_server.journal.query import FILTERS, parse

TASKS_PER_PAGE = 50
KEYS_PER_PAGE = 20
REQUESTS_PER_PAGE = 50
RULES_SHOWN = 100


def _limit(default: int) -> int:
    """`?limit=` from 1 to 4× the default: a page is never unbounded."""
    raw = request.args.get("limit", "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 4 * default:
        raise InvalidRequestError(f"limit must be an integer from 1 to {4 * default}.", "limit")
    return int(raw)


def _before() -> str | None:
    return request.args.get("before") or None


@inspector.get("")
@inspector.get("/")
def tasks() -> str:
    limit, before = _limit(TASKS_PER_PAGE), _before()
    rows = mock_control().inspection.task_rows(limit + 1, before)
    return render_template(
        "tasks.html",
        rows=rows[:limit],
        more=rows[limit - 1]["task_id"] if len(rows) > limit else None,
        count=mock_control().inspection.task_count(),
        live=before is None,
        limit=limit,
    )


@inspector.get("/tasks/<task_id>")
def task(task_id: str) -> str:
    story = mock_control().inspection.task(task_id, base_url())
    return render_template("task.html", story=story, profile=mock_control().profile().name)


@inspector.get("/tasks/<task_id>/thumb.png")
def thumbnail(task_id: str) -> Response:
    response = Response(mock_control().inspection.thumbnail(task_id), mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"  # a task id is never reused
    return response


@inspector.get("/keys")
def keys() -> str:
    limit, before = _limit(KEYS_PER_PAGE), _before()
    ledgers = mock_control().ledgers(limit + 1, before)
    more = ledgers[limit - 1]["key"] if len(ledgers) > limit else None
    return render_template("keys.html", ledgers=ledgers[:limit], more=more, limit=limit)


@inspector.get("/faults")
def faults() -> str:
    door = mock_control()
    rules = door.faults(RULES_SHOWN + 1)
    return render_template(
        "faults.html",
        rules=rules[:RULES_SHOWN],
        cut=len(rules) > RULES_SHOWN,
        scenarios=door.scenarios(),
        rate_limit=door.rate_limit(),
    )


@inspector.get("/requests")
def requests() -> str:
    door = mock_control()
    limit, before = _limit(REQUESTS_PER_PAGE), _before()
    filters = {k: v for k, v in request.args.items() if k in FILTERS and v}
    found = None
    if door.journal.enabled:
        found = door.journal.find(parse(filters), limit + 1, before)
    more = found[limit - 1]["seq"] if found and len(found) > limit else None
    return render_template(
        "requests.html",
        entries=None if found is None else found[:limit],
        more=more,
        filters=filters,
        names=FILTERS,
        limit=limit,
    )
