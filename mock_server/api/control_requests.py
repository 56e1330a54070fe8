"""The control API for the request journal: what clients sent to the public routes and what
they got, filtered and paged; and a way to forget it between the steps of a test."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_server.api._http import guard_control, mock_control, page_args, paged
from mock_server.core import documents
from mock_server.core.errors import InvalidRequestError
from mock_server.journal.query import FILTERS, parse

control_requests = Blueprint("control_requests", __name__, url_prefix="/_mock")
control_requests.before_request(guard_control)
PARAMETERS = (*FILTERS, "limit", "before")


@control_requests.get("/requests")
def list_requests() -> Response:
    unknown = next((name for name in request.args if name not in PARAMETERS), None)
    if unknown is not None:  # a misspelt filter would silently match everything
        raise InvalidRequestError(
            f"{unknown} is not a filter of /_mock/requests; use {', '.join(PARAMETERS)}.", unknown
        )
    query = parse(request.args.to_dict())
    limit, before = page_args(100, 10_000)
    return paged(mock_control().journal.find(query, limit + 1, before), limit, "seq")


@control_requests.delete("/requests")
def clear_requests() -> Response:
    return jsonify(documents.success({"cleared": mock_control().journal.clear()}))
