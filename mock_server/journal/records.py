"""One journal entry as the server captured it, and its JSON document, made only when read.

Capturing runs on the server's loop thread for every public request, so it only keeps
references and slices (the body and the answer cut to `BODY_LIMIT`); headers are named,
secrets fingerprinted, bodies decoded and parsed when someone reads the entry. The raw key
stays in memory (the filters match on it) and never reaches a document: `Authorization` is
fingerprinted, and the key is replaced by its fingerprint wherever else it appears.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from mock_server.core.clock import iso
from seedream_contracts import redact

BODY_LIMIT = 16 * 1024  # bytes of each body (request and answer) a document shows
ANSWERED = "answered"
BINARY_TYPES = ("image/", "application/octet-stream", "audio/", "video/")


@dataclass(slots=True)
class Recorded:
    """What the server knew when the request ended: raw, cheap to keep."""

    at: float  # the mock's clock
    wall: float  # the system clock, for matching against other logs
    method: str
    path: str  # as WSGI carries it (latin-1 code points)
    query: str
    headers: list[tuple[bytes, bytes]]  # as sent: names in their case, values latin-1
    body: bytes  # the first BODY_LIMIT bytes
    body_size: int
    outcome: int | str  # the status sent, or closed / reset / hung
    answer_headers: list[tuple[str, str]]
    answer_body: bytes  # the first BODY_LIMIT bytes
    answer_size: int
    task_id: str | None
    faults: tuple[str, ...]
    portability: list[dict[str, Any]]
    seconds: float

    @property
    def key(self) -> str | None:
        """The bearer token as sent (never shown: see `fingerprint`)."""
        for name, value in self.headers:
            if name.lower() == b"authorization":
                return value.decode("latin-1").partition(" ")[2].strip() or None
        return None

    @property
    def status(self) -> int | None:
        return self.outcome if isinstance(self.outcome, int) else None

    @property
    def text_path(self) -> str:
        """The path as the client wrote it (WSGI carries it as latin-1 code points)."""
        return self.path.encode("latin-1").decode("utf-8", "replace")


def document(seq: int, entry: Recorded) -> dict[str, Any]:
    """The entry as `/_mock/requests` shows it."""
    key = entry.key
    secret = None if key is None else (key.encode("utf-8", "replace"), redact.fingerprint(key))
    answered = isinstance(entry.outcome, int)
    query = entry.query.encode("latin-1").decode("utf-8", "replace")
    if secret is not None:
        query = query.replace(key or "", secret[1])
    return {
        "seq": seq,
        "at": iso(entry.at),
        "wall_at": iso(entry.wall),
        "method": entry.method,
        "path": entry.text_path,
        "query": parse_qs(query, keep_blank_values=True),
        "key": None if secret is None else secret[1],
        "headers": request_headers(entry.headers),
        "body": body(entry.body, entry.body_size, _content_type(entry.headers), secret),
        "outcome": ANSWERED if answered else entry.outcome,
        "status": entry.status,
        "response": {
            "headers": dict(entry.answer_headers),
            "body": body(
                entry.answer_body,
                entry.answer_size,
                dict(entry.answer_headers).get("Content-Type", ""),
                secret,
            ),
        },
        "task_id": entry.task_id,
        "faults": list(entry.faults),
        "portability": entry.portability,
        "duration_ms": round(entry.seconds * 1000, 3),
    }


def request_headers(headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers as sent, secrets fingerprinted; a repeated one joined with `, `."""
    shown: dict[str, str] = {}
    for raw_name, raw_value in headers:
        name = raw_name.decode("latin-1")
        value = redact.header(name, raw_value.decode("latin-1").strip(" \t"))
        shown[name] = f"{shown[name]}, {value}" if name in shown else value
    return shown


def _content_type(headers: list[tuple[bytes, bytes]]) -> str:
    found = (value for name, value in headers if name.lower() == b"content-type")
    return next(found, b"").decode("latin-1").strip(" \t")


def body(
    raw: bytes, size: int, content_type: str, secret: tuple[bytes, str] | None
) -> dict[str, Any] | None:
    """`{size, truncated, content_type}` and one of `json` (a whole body that parses as JSON),
    `text` (the first BODY_LIMIT bytes, as UTF-8) or `binary: true` (an image: not kept)."""
    if size == 0:
        return None
    shown: dict[str, Any] = {
        "size": size,
        "truncated": size > len(raw),
        "content_type": content_type or None,
    }
    if content_type.startswith(BINARY_TYPES):
        return {**shown, "truncated": False, "binary": True}
    if secret is not None:
        raw = raw.replace(secret[0], secret[1].encode("utf-8"))
    text = raw.decode("utf-8", "replace")
    if not shown["truncated"] and text.lstrip()[:1] in ("{", "["):
        try:
            return {**shown, "json": json.loads(text, parse_constant=_refuse)}
        except (ValueError, RecursionError):  # not JSON after all: shown as the text it is
            pass
    return {**shown, "text": text}


def _refuse(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: not in a JSON document
