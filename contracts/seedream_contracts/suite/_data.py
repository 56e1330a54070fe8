"""Request bodies shared with users: fixtures/requests/{valid,invalid}.json."""

from __future__ import annotations

import json
from typing import Any

from seedream_contracts.loader import fixture


def cases(name: str) -> list[dict[str, Any]]:
    text = fixture("requests", f"{name}.json").read_text("utf-8")
    loaded: list[dict[str, Any]] = json.loads(text)
    return loaded
