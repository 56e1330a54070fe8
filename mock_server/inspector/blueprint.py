"""The inspector's blueprint: its prefix, templates, static files, guard and answer headers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, render_template, request

from mock_server.api._http import mock_control
from mock_server.core.errors import ApiError
from mock_server.inspector.access import PREFIX, guard_inspector
from mock_server.inspector.feed import Feed

FEED_KEY = "seedream_mock.inspector.feed"
# Everything the page loads is its own: no script, style or picture from anywhere else, and
# no other site may frame it (its buttons change the mock's state).
POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

inspector = Blueprint(
    "inspector",
    __name__,
    url_prefix=PREFIX,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
inspector.before_request(guard_inspector)


def feed() -> Feed:
    """This app's feed of changes (made when the blueprint is registered)."""
    found: Feed = current_app.extensions[FEED_KEY]
    return found


@inspector.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@inspector.context_processor
def _everywhere() -> dict[str, Any]:
    """The header of every page: the clock and where the live feed stands."""
    return {"clock": mock_control().clock_document(), "feed_seq": feed().touch()}


@inspector.errorhandler(ApiError)
def _error(error: ApiError) -> Response:
    """A refusal a person reads: the control API's message, a way back."""
    back = request.referrer if request.method == "POST" else None
    page = render_template("error.html", error=error, back=back)
    return Response(page, error.status, mimetype="text/html")
