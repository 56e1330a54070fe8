"""The request, response and session objects of `ApiFlask` (`flask_app.py`): Flask's own,
each without one piece of per-request work this app never needs (why, and how each is held to
Flask's behaviour: flask_app.py and tests/unit/test_flask_app.py)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import IO, Any

from flask import Flask, Request, Response
from flask.sessions import NullSession, SessionInterface, SessionMixin
from werkzeug.utils import cached_property

_BODILESS = frozenset({204, 304})
_REWRITTEN = frozenset({"location", "content-location"})  # Werkzeug rewrites these as URIs


class ApiResponse(Response):
    """Flask's response; buffered answers are handed over without Werkzeug's generic checks."""

    def get_wsgi_response(
        self, environ: dict[str, Any]
    ) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
        body = self.response
        status = self.status_code
        if (
            type(body) is not list
            or len(body) != 1
            or type(body[0]) is not bytes
            or self._on_close
            or status < 200
            or status in _BODILESS
            or environ["REQUEST_METHOD"] == "HEAD"
        ):
            return super().get_wsgi_response(environ)
        headers = self.headers.to_wsgi_list()
        has_length = False
        for name, _ in headers:
            lowered = name.lower()
            if lowered in _REWRITTEN:
                return super().get_wsgi_response(environ)
            has_length = has_length or lowered == "content-length"
        if not has_length:
            headers.append(("Content-Length", str(len(body[0]))))
        return body, self.status, headers


class ApiRequest(Request):
    """Flask's request, reading a body the server buffered straight from its buffer."""

    @cached_property
    def stream(self) -> IO[bytes]:
        environ = self.environ
        body = environ.get("wsgi.input")
        if type(body) is io.BytesIO and environ.get("wsgi.input_terminated") and not self.shallow:
            length, most = self.content_length, self.max_content_length
            within = length is not None and (most is None or length <= most)
            if within and body.getbuffer().nbytes <= (length or 0):
                return body
        return super().stream

    @property
    def blueprints(self) -> list[str]:
        """Flask's answer, kept once the request is routed (hooks ask three times)."""
        found: list[str] | None = self.__dict__.get("_blueprints")
        if found is None:
            found = super().blueprints
            if self.url_rule is not None:
                self.__dict__["_blueprints"] = found
        return found


class NoSessions(SessionInterface):
    """This app has no sessions (the inspector's sign-in is its own cookie): every request
    gets the same read-only null session rather than a new one."""

    _none = NullSession()

    def open_session(self, app: Flask, request: Request) -> SessionMixin:
        return self._none

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None
