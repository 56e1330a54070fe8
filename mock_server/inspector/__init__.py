"""The inspector: a live web page at /_mock/ui of everything the mock is doing (docs/inspector.md).

An HTTP-layer peer of api/: it reads through `Control.inspection` and changes state only
through `Control`'s own methods, like the JSON control API.
"""

from __future__ import annotations

from flask import Flask

from mock_server.emulator import Emulator
from mock_server.inspector import actions, stream, views  # noqa: F401  (their routes)
from mock_server.inspector.blueprint import FEED_KEY, inspector
from mock_server.inspector.feed import Feed


def register_inspector(app: Flask, mock: Emulator) -> None:
    """Add the inspector's routes and its feed of changes (idle until a page asks)."""
    app.extensions[FEED_KEY] = Feed(mock.events)
    app.register_blueprint(inspector)


def close_inspector(app: Flask) -> None:
    """End every waiting event stream now (the server is stopping)."""
    found = app.extensions.get(FEED_KEY)
    if isinstance(found, Feed):
        found.close()
