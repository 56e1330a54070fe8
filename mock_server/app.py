"""create_app(settings): one Flask app around one emulator, with the API's error envelope."""

from __future__ import annotations

from flask import Flask

from mock_server.api._json import ApiJSONProvider
from mock_server.api.control import control
from mock_server.api.control_faults import control_faults
from mock_server.api.control_webhooks import control_webhooks
from mock_server.api.envelope import register_error_handlers
from mock_server.api.faults import register_fault_hooks
from mock_server.api.files import files
from mock_server.api.public import public
from mock_server.api.requestlog import register_request_log
from mock_server.config import Settings
from mock_server.emulator import Emulator


def create_app(settings: Settings | None = None, emulator: Emulator | None = None) -> Flask:
    """A fresh app; each has its own emulator in `app.extensions`, so tests never share state."""
    settings = settings or (emulator.settings if emulator else Settings())
    app = Flask("mock_server")
    app.json = ApiJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["seedream_mock"] = emulator or Emulator(settings)
    app.register_blueprint(public)
    app.register_blueprint(files)
    app.register_blueprint(control)
    app.register_blueprint(control_webhooks)
    app.register_blueprint(control_faults)
    register_error_handlers(app)
    register_fault_hooks(app)
    register_request_log(app, settings.log_requests)
    return app
