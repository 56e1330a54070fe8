"""The proxy's WSGI app: one request forwarded unchanged, its answer relayed unchanged.

Only hop-by-hop headers (RFC 9110 §7.6.1) and `Host` are left out, since they describe this
connection rather than the request. What it adds is on the side: a drift line per mismatch with
the profile, and a record of the exchange (the key reduced to a fingerprint).
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from seedream_contracts.calibration.drift_check import DriftCheck
from seedream_contracts.calibration.exchange import Exchange, Recorder

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
StartResponse = Callable[..., Any]


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {}
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            headers[name[5:].replace("_", "-").title()] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}


class ForwardingApp:
    """Forwards to `target`; `say` gets the drift lines and upstream failures."""

    def __init__(
        self,
        target: str,
        check: DriftCheck | None,
        recorder: Recorder | None,
        say: Callable[[str], None],
        timeout: float = 120.0,
    ) -> None:
        parts = urlsplit(target)
        self.scheme, self.netloc = parts.scheme, parts.netloc
        self.prefix = parts.path.rstrip("/")
        self.check, self.recorder, self.say, self.timeout = check, recorder, say, timeout

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = quote(environ.get("PATH_INFO", "/"), safe="/:@!$&'()*+,;=-._~%")
        target = path + (f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
        headers = _headers(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        started, clock = time.time(), time.perf_counter()
        try:
            status, reason, answer_headers, payload = self._forward(method, target, headers, body)
        except (OSError, http.client.HTTPException) as exc:
            self.say(f"proxy: {method} {path}: the target did not answer ({exc})")
            why = f"proxy: the target did not answer ({exc})"
            data = json.dumps({"error": {"code": 502, "message": why, "type": "upstream_error"}})
            start_response("502 Bad Gateway", [("Content-Type", "application/json")])
            return [data.encode()]
        elapsed = (time.perf_counter() - clock) * 1000
        self._observe(
            method, target, headers, body, status, answer_headers, payload, started, elapsed
        )
        start_response(
            f"{status} {reason}", [*answer_headers, ("Content-Length", str(len(payload)))]
        )
        return [payload]

    def _forward(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, list[tuple[str, str]], bytes]:
        kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        connection = kind(self.netloc, timeout=self.timeout)
        try:
            connection.request(method, self.prefix + target, body=body or None, headers=headers)
            answer = connection.getresponse()
            payload = answer.read()
            kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
            return answer.status, answer.reason, kept, payload
        finally:
            connection.close()

    def _observe(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        status: int,
        answer_headers: list[tuple[str, str]],
        payload: bytes,
        started: float,
        elapsed: float,
    ) -> None:
        if self.check is not None:
            for line in self.check.lines(method, target, status, payload):
                self.say(line)
        if self.recorder is not None:
            self.recorder.record(
                Exchange.of(
                    method,
                    target,
                    headers,
                    body,
                    status,
                    dict(answer_headers),
                    payload,
                    started=started,
                    elapsed_ms=elapsed,
                    note="proxy",
                )
            )
