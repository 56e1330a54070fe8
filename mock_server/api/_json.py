"""JSON answers as a JavaScript server writes them: UTF-8 text, lone surrogates escaped.

A request may carry an unpaired surrogate as a `\\ud83e` escape; it is valid JSON and the real
(Node.js) service would echo it back. Python cannot encode such a character to UTF-8, so it is
written back as the same escape instead of crashing the answer.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from flask.json.provider import DefaultJSONProvider

from mock_server.core.documents import escape_lone_surrogates

if TYPE_CHECKING:
    from flask import Flask
    from werkzeug.sansio.response import Response
    from werkzeug.wrappers import Response as WsgiResponse


class ApiJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def __init__(self, app: Flask) -> None:
        super().__init__(app)
        # One encoder for every compact answer: json.dumps with any option builds a new
        # JSONEncoder per call, a few µs of each answer on the hot routes.
        self._compact = json.JSONEncoder(
            ensure_ascii=False, separators=(",", ":"), default=self.default
        )

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return escape_lone_surrogates(super().dumps(obj, **kwargs))

    def response(self, *args: Any, **kwargs: Any) -> Response:
        """What Flask's `jsonify` makes (compact unless in debug), with the shared encoder."""
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        text = escape_lone_surrogates(
            self._compact.encode(self._prepare_response_obj(args, kwargs))
        )
        # bytes, and the mimetype as the content type (JSON takes no charset parameter), so
        # Werkzeug neither encodes the text nor builds the header again
        wsgi_response = cast("type[WsgiResponse]", self._app.response_class)
        answer: Response = wsgi_response(f"{text}\n".encode(), content_type=self.mimetype)
        return answer
