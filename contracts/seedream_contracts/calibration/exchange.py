"""One request and its answer, as calibration records and learns from it, with no secret kept.

The same record is written by the live calibrator (`--record`) and by the recording proxy, and
read back by `calibrate --from`, so a profile learned from recordings is learned from exactly
what a live run saw. The key never reaches a record: `Authorization` keeps only a fingerprint
(`seedream_contracts.redact`, as the mock's request journal shows it), enough to tell "no key",
"this key" and "another key" apart, which is all the learner needs.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from seedream_contracts import redact

BODY_LIMIT = 64 * 1024  # bytes kept of each body: a 5,001-character probe prompt fits
SECRET_QUERY = ("key", "api_key", "apikey", "token", "access_token")


class RecordingError(ValueError):
    """Recordings that cannot be read: one sentence naming the file and line."""


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names in lower case; every secret-bearing one reduced to a fingerprint."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        out[name.lower()] = redact.header(name, value)
    return out


def redact_target(target: str) -> str:
    """A request path whose query holds no key (`?api_key=…` becomes a fingerprint)."""
    path, _, query = target.partition("?")
    if not query:
        return path
    pairs = [
        (k, redact.fingerprint(v) if k.lower() in SECRET_QUERY else v)
        for k, v in parse_qsl(query, keep_blank_values=True)
    ]
    return f"{path}?{urlencode(pairs)}"


def body_record(raw: bytes) -> dict[str, Any]:
    """A body as kept: parsed JSON when it is JSON, else bounded text; its size always."""
    record: dict[str, Any] = {"bytes": len(raw)}
    if raw.strip() and len(raw) <= BODY_LIMIT:
        try:
            record["json"] = json.loads(raw)
            return record
        except ValueError:
            pass
    record["text"] = raw[:BODY_LIMIT].decode("utf-8", "replace")
    if len(raw) > BODY_LIMIT:
        record["truncated"] = True
    return record


@dataclass(frozen=True)
class Exchange:
    """A request and its answer. Bodies are `body_record`s; headers are redacted already."""

    at: float
    method: str
    path: str
    request_headers: dict[str, str]
    request_body: dict[str, Any]
    status: int
    response_headers: dict[str, str]
    response_body: dict[str, Any]
    elapsed_ms: float
    note: str = ""  # what the sender meant by it (a probe's name); the learner ignores it
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        method: str,
        target: str,
        request_headers: Mapping[str, str],
        request_body: bytes,
        status: int,
        response_headers: Mapping[str, str],
        response_body: bytes,
        *,
        started: float,
        elapsed_ms: float,
        note: str = "",
    ) -> Exchange:
        """An exchange from what went over the wire, redacted as it is built."""
        return cls(
            at=round(started, 3),
            method=method.upper(),
            path=redact_target(target),
            request_headers=redact_headers(request_headers),
            request_body=body_record(request_body),
            status=status,
            response_headers=redact_headers(response_headers),
            response_body=body_record(response_body),
            elapsed_ms=round(elapsed_ms, 1),
            note=note,
        )

    @property
    def request_json(self) -> Any:
        return self.request_body.get("json")

    @property
    def response_json(self) -> Any:
        return self.response_body.get("json")

    @property
    def has_key(self) -> bool:
        return "authorization" in self.request_headers

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


class Recorder:
    """Appends exchanges as JSON lines to one new file in a directory; safe across threads."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.path = self.directory / f"exchanges-{stamp}-{os.getpid()}.jsonl"
        self._lock = threading.Lock()
        self.count = 0

    def record(self, exchange: Exchange) -> None:
        line = exchange.to_json() + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line)
            self.count += 1


def read_recordings(directory: str | Path) -> list[Exchange]:
    """Every exchange in the directory's `*.jsonl` files, in the order they happened."""
    folder = Path(directory)
    if not folder.is_dir():
        raise RecordingError(f"{folder}: not a directory of recordings")
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise RecordingError(f"{folder}: no *.jsonl recordings in it")
    found: list[Exchange] = []
    for path in files:
        found.extend(_read_file(path))
    return sorted(found, key=lambda e: e.at)


def _read_file(path: Path) -> Iterable[Exchange]:
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordingError(f"{path}: not readable ({exc})") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield Exchange(**json.loads(line))
        except (ValueError, TypeError) as exc:
            raise RecordingError(f"{path}:{number}: not an exchange record ({exc})") from None
