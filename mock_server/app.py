"""create_app(settings): one Flask app around one emulator, with the API's error envelope."""

from __future__ import annotations

from flask import Flask

from mock_server.api._json import ApiJSONProvider
from mock_server.api.control import control
from mock_server.api.control_faults import control_faults
from mock_server.api.control_health import STARTED_KEY, control_health
from mock_server.api.control_requests import control_requests
from mock_server.api.control_webhooks import control_webhooks
from mock_server.api.envelope import register_error_handlers
from mock_server.api.faults import register_fault_hooks
from mock_server.api.files import files
from mock_server.api.flask_app import ApiFlask
from mock_server.api.public import public
from mock_server.api.requestlog import register_request_log
from mock_server.control import Control
from mock_server.core.clock import monotonic
from mock_server.emulator import Emulator
from mock_server.inspector import register_inspector
from mock_server.settings.config import Settings


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
