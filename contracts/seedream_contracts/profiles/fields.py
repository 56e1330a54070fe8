"""The values each answer template may hold, and what a conforming value looks like.

A profile decides *where* a value sits and *what it is called*; what the value is (an id, a
status, a timestamp) is the same in every dialect, so its schema is written here once. The
per-state rules (a completed task has progress 100, a failed one consumed no credits) are the
emulated service's semantics, not a dialect's, and are kept here too.
"""

from __future__ import annotations

from typing import Any

from seedream_contracts.sizes import ASPECT_RATIOS, QUALITIES

MODELS = ("seedream/4.5-text-to-image", "seedream/4.5-edit")
STATES = ("pending", "processing", "completed", "failed")
TERMINAL = ("completed", "failed")
TIMESTAMP = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z(?![\\s\\S])"
TIMES = ("created_at", "updated_at", "completed_at", "result.expires_at")

_TEXT = {"type": "string", "minLength": 1}
_URLS = {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^https?://"}}

# Task answers (GET /api/v1/tasks/{id}, and callbacks by default). `status` is written with the
# profile's names, so its schema is made per profile (see schemas.py).
TASK_FIELDS: dict[str, dict[str, Any]] = {
    "task_id": _TEXT,
    "model": {"enum": list(MODELS)},
    "status": {},
    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
    "input.prompt": _TEXT,
    "input.aspect_ratio": {"enum": list(ASPECT_RATIOS)},
    "input.quality": {"enum": list(QUALITIES)},
    "input.image_urls": {"type": "array", "items": {"type": "string"}},
    "input.model": {"enum": list(MODELS)},
    "result.image_urls": _URLS,
    "result.image_url": {"type": "string", "pattern": "^https?://"},
    "result.width": {"type": "integer", "minimum": 1},
    "result.height": {"type": "integer", "minimum": 1},
    "result.expires_at": {},
    "error.code": _TEXT,
    "error.message": _TEXT,
    "credits_consumed": {"type": "integer", "minimum": 0},
    "created_at": {},
    "updated_at": {},
    "completed_at": {},
}

# The create answer (POST /api/v1/images/generations, 200): `status` is the name on creation.
CREATE_FIELDS: dict[str, dict[str, Any]] = {"task_id": _TEXT, "status": {}}

# Every error answer. `status` is the HTTP status as a number.
ERROR_FIELDS: dict[str, dict[str, Any]] = {
    "status": {"type": "integer", "minimum": 400, "maximum": 599},
    "message": _TEXT,
    "type": {},
    "param": {"type": ["string", "null"]},
}

# What must hold of a value while the task is in a state, whatever the dialect.
STATE_RULES: dict[str, dict[str, dict[str, Any]]] = {
    "pending": {"progress": {"const": 0}, "credits_consumed": {"const": 0}},
    "processing": {"progress": {"maximum": 99}, "credits_consumed": {"const": 0}},
    "completed": {"progress": {"const": 100}},
    "failed": {"progress": {"maximum": 99}, "credits_consumed": {"const": 0}},
}


def time_schema(form: str | None) -> dict[str, Any]:
    """A timestamp as the template writes it: ISO-8601 UTC with a Z, or Unix s/ms."""
    if form in ("epoch_ms", "epoch_s"):
        return {"type": "integer", "minimum": 0}
    return {"type": "string", "pattern": TIMESTAMP}
