"""GET /_mock/health: the one readiness probe, answered in every mode.

CI scripts, compose health checks and wait-for tools need one URL that answers 200 as soon as
the server serves, whatever its flags. So this blueprint has no control guard: it answers with
`--no-control` and without `X-Mock-Token`. That is safe only because it tells nothing a client
could use against the server — no key, no token, no state beyond the clock's mode and the
active profile's name (read through `Control`, like every /_mock/ route). The fault
hooks act on the public routes only, so no rule ever delays or breaks it either.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from mock_server import __version__
from mock_server.api._http import mock_control
from mock_server.core import documents
from mock_server.core.clock import monotonic

STARTED_KEY = "seedream_mock.started"

control_health = Blueprint("control_health", __name__, url_prefix="/_mock")


@control_health.get("/health")
def health() -> Response:
    """`ready` is always true: an answer at all means the server is serving (GET and HEAD)."""
    started: float = current_app.extensions[STARTED_KEY]
    return jsonify(
        documents.success(
            {
                "version": __version__,
                "clock": mock_control().clock_mode(),
                "profile": mock_control().profile().name,
                "uptime_seconds": round(monotonic() - started, 3),
                "ready": True,
            }
        )
    )
