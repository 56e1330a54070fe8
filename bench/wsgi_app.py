"""The mock's WSGI app for other servers to run (bench/wsgi_servers.py): manual clock, credits
that never run out, no request log, start-up objects frozen out of the GC as `serve` does."""

from __future__ import annotations

from flask import Flask

from mock_server.app import create_app
from mock_server.cli.main import tune_gc
from mock_server.emulator import Emulator
from mock_server.settings.config import Settings


def make() -> Flask:
    settings = Settings(
        clock="manual", keys={"aio_your_api_key": 1_000_000_000}, log_requests="off"
    )
    emulator = Emulator(settings)
    emulator.start()
    app = create_app(settings, emulator)
    tune_gc()
    return app
