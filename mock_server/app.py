"""create_app(settings): one Flask app around one emulator, with the API's error envelope."""

from __future__ import annotations

from flask import Flask, Response

from mock_server.api._json import ApiJSONProvider
from mock_server.api.control import control
from mock_server.api.control_faults import control_faults
from mock_server.api.control_health import STARTED_KEY, control_health
from mock_server.api.control_requests import control_requests
from mock_server.api.control_webhooks import control_webhooks
from mock_server.api.envelope import register_error_handlers
from mock_server.api.faults import register_fault_hooks
from mock_server.api.files import files
from mock_server.api.public import public
from mock_server.api.requestlog import register_request_log
from mock_server.control import Control
from mock_server.core.clock import monotonic
from mock_server.emulator import Emulator
from mock_server.inspector import register_inspector
from mock_server.settings.config import Settings


class ApiFlask(Flask):
    """Flask, with the API's answer to `OPTIONS`."""

    def make_default_options_response(self) -> Response:
        """`204 No Content` with `Allow: GET, HEAD, OPTIONS`, where Flask sends a 200 with an
        empty `text/html` body. The answer is its headers: 204 says so, so curl, `requests` and
        `fetch` take it as success and none tries to read (or parse) a body; a CORS preflight
        accepts any 2xx, and 204 is what CORS middleware (Express `cors`, nginx recipes) sends.
        Unknown paths never get here: routing answers them 404 in the error envelope."""
        allowed = super().make_default_options_response().allow
        response = self.response_class(status=204)
        response.headers["Allow"] = ", ".join(sorted(allowed))
        del response.headers["Content-Type"]
        return response


def create_app(settings: Settings | None = None, emulator: Emulator | None = None) -> Flask:
    """A fresh app; each has its own emulator in `app.extensions`, so tests never share state."""
    settings = settings or (emulator.settings if emulator else Settings())
    app = ApiFlask("mock_server")
    app.json = ApiJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    emulator = emulator or Emulator(settings)
    app.extensions["seedream_mock"] = emulator
    app.extensions["seedream_mock.control"] = Control.of(emulator)
    app.extensions[STARTED_KEY] = monotonic()
    app.register_blueprint(public)
    app.register_blueprint(files)
    app.register_blueprint(control_health)
    app.register_blueprint(control)
    app.register_blueprint(control_webhooks)
    app.register_blueprint(control_faults)
    app.register_blueprint(control_requests)
    register_inspector(app, emulator)
    register_error_handlers(app)
    register_fault_hooks(app)
    register_request_log(app, settings.log_requests, settings.journal_size)
    return app
