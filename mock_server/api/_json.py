"""JSON answers as a JavaScript server writes them: UTF-8 text, lone surrogates escaped.

A request may carry an unpaired surrogate as a `\\ud83e` escape; it is valid JSON and the real
(Node.js) service would echo it back. Python cannot encode such a character to UTF-8, so it is
written back as the same escape instead of crashing the answer.
"""

from __future__ import annotations

from typing import Any

from flask.json.provider import DefaultJSONProvider

from mock_server.core.documents import escape_lone_surrogates


class ApiJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return escape_lone_surrogates(super().dumps(obj, **kwargs))
