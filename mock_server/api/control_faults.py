"""The control API for failure: fault rules, rate limits, timelines, every task, scenarios."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_server.api._http import guard_control, json_body, mock_control, page_args, paged
from mock_server.core import documents
from mock_server.core.errors import InvalidRequestError
from mock_server.core.tasks import Status
from mock_server.faults import scenarios

control_faults = Blueprint("control_faults", __name__, url_prefix="/_mock")
control_faults.before_request(guard_control)


def _ok(data: object) -> Response:
    return jsonify(documents.success(data))


@control_faults.get("/faults")
def list_faults() -> Response:
    limit, before = page_args(100, 1000)
    return paged(mock_control().faults(limit + 1, before), limit, "name")


@control_faults.post("/faults")
def add_fault() -> Response:
    return _ok(mock_control().add_fault(json_body()))


@control_faults.delete("/faults/<name>")
def remove_fault(name: str) -> Response:
    mock_control().remove_fault(name)
    return _ok({"removed": name})


@control_faults.delete("/faults")
def clear_faults() -> Response:
    mock_control().clear_faults()
    return _ok({"removed": "all"})


@control_faults.get("/rate-limit")
def read_rate_limit() -> Response:
    return _ok(mock_control().rate_limit())


@control_faults.put("/rate-limit")
def set_rate_limit() -> Response:
    return _ok(mock_control().set_rate_limit(json_body()))


@control_faults.get("/timelines")
def list_timelines() -> Response:
    return _ok(mock_control().timelines())


@control_faults.put("/timelines")
def set_timeline() -> Response:
    return _ok(mock_control().set_timeline(json_body()))


@control_faults.delete("/timelines")
def clear_timelines() -> Response:
    mock_control().clear_timelines()
    return _ok([])


@control_faults.get("/tasks")
def list_tasks() -> Response:
    args = request.args
    status = args.get("status")
    if status is not None and status not in set(Status):
        raise InvalidRequestError(f"status must be one of {', '.join(Status)}.", "status")
    limit, before = page_args(100, 10_000)
    found = mock_control().tasks(args.get("key"), status, args.get("model"), limit + 1, before)
    return paged(found, limit, "task_id")


@control_faults.get("/scenarios")
def list_scenarios() -> Response:
    return _ok(mock_control().scenarios())


@control_faults.post("/scenarios")
def load_scenario() -> Response:
    body = json_body()
    if isinstance(body, dict) and set(body) == {"name"}:  # {"name": "flaky-5xx"}: the library
        body = scenarios.read_library(body["name"])
    return _ok(mock_control().load_scenario(body))
