"""JSON answers as a JavaScript server writes them: UTF-8 text, lone surrogates escaped.

A request may carry an unpaired surrogate as a `\\ud83e` escape; it is valid JSON and the real
(Node.js) service would echo it back. Python cannot encode such a character to UTF-8, so it is
written back as the same escape instead of crashing the answer.
"""

from __future__ import annotations

import re
from typing import Any

from flask.json.provider import DefaultJSONProvider

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class ApiJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
