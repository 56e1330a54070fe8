"""The control API for webhook deliveries: list, inspect attempts, resend now."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from mock_server.api._http import guard_control, mock_control, page_args, paged
from mock_server.core import documents
from mock_server.core.errors import InvalidRequestError
from mock_server.webhooks.records import DeliveryState

control_webhooks = Blueprint("control_webhooks", __name__, url_prefix="/_mock/webhooks")
control_webhooks.before_request(guard_control)


@control_webhooks.get("/deliveries")
def list_deliveries() -> Response:
    state = request.args.get("state")
    if state is not None and state not in set(DeliveryState):
        choices = ", ".join(DeliveryState)
        raise InvalidRequestError(f"state must be one of {choices}; got {state!r}.", "state")
    limit, before = page_args(10_000, 10_000)
    found = mock_control().deliveries(
        request.args.get("task_id"),
        request.args.get("key"),
        state,
        limit + 1,
        before,
    )
    return paged(found, limit, "event_id")


@control_webhooks.get("/deliveries/<event_id>")
def read_delivery(event_id: str) -> Response:
    return jsonify(documents.success(mock_control().delivery(event_id)))


@control_webhooks.post("/deliveries/<event_id>/resend")
def resend_delivery(event_id: str) -> Response:
    return jsonify(documents.success(mock_control().resend(event_id)))
