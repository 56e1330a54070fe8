"""Fault injection and rate limiting at the HTTP layer, around the public routes.

Before a public request is handled, the emulator's fault rules decide what (if anything) goes
wrong: latency is slept here, socket faults cut the connection, HTTP faults answer instead of
the route (or, with `"when": "after"`, replace its answer — the task was created, the client
never learns it). Task and webhook faults travel on to `Emulator.submit`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request

from mock_server.api._http import emulator
from mock_server.api.envelope import error_response
from mock_server.core.errors import ApiError, RateLimitError, wire_type
from mock_server.faults.rules import FAULT_HEADER, NO_FAULTS, Decision, RequestFacts
from mock_server.httpd import CONNECTION_KEY, Connection

ROUTES = {
    "public.create_generation": "generations",
    "public.get_task": "tasks",
    "files.result_file": "files",
}
HANG_CAP_SECONDS = 120.0
APPLIED_HEADER = "X-Mock-Fault-Applied"
HTTP_LAYERS = frozenset({"http", "socket", "latency"})


def current_faults() -> Decision:
    found: Decision = g.get("faults", NO_FAULTS)
    return found


def _facts(route: str) -> RequestFacts:
    token = _key_only(route).key
    body: Any = request.get_json(silent=True) if route == "generations" else None
    fields = body if isinstance(body, dict) else {}

    def text(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    return RequestFacts(
        route,
        token,
        text("model") or ("seedream/4.5-text-to-image" if fields else None),
        text("quality") or ("basic" if fields else None),
        text("aspect_ratio") or ("1:1" if fields else None),
        text("prompt"),
        request.headers.get(FAULT_HEADER),
    )


def _key_only(route: str) -> RequestFacts:
    token = (request.headers.get("Authorization") or "").partition(" ")[2].strip() or None
    return RequestFacts(route, token)


def _before() -> Response | None:
    route = ROUTES.get(request.endpoint or "")
    if route is None or request.method == "OPTIONS":
        # OPTIONS is the server describing a route, not a call of the API: a rule's `times` and
        # draws, and the rate limit, are for the calls a client makes.
        return None
    mock = emulator()
    facts = _facts(route) if mock.faults.active else _key_only(route)
    decision = mock.faults.decide(facts, HTTP_LAYERS)
    g.faults = decision
    latency = decision.get("latency")
    if latency is not None:
        mock.stopping.wait(latency["delay_ms"] / 1000)
    for layer in ("socket", "http"):
        action = decision.get(layer)
        if action is not None and action.get("when", "before") == "before":
            return _act(action)
    if facts.key is not None and route != "files":
        wait = mock.rate_limiter.wait_seconds(facts.key, mock.clock.now())
        if wait is not None:
            return _rate_limited(wait)
    return None


def _after(response: Response) -> Response:
    decision = current_faults()
    for layer in ("socket", "http"):
        action = decision.get(layer)
        if action is not None and action.get("when") == "after":
            response = _act(action)
            break
    if decision.actions:
        response.headers[APPLIED_HEADER] = _applied(decision)
    return response


def _applied(decision: Decision) -> str:
    """`rule=type` per fired rule (latency with its drawn delay), so a client can tell an
    injected failure from a real one."""
    parts = []
    for action in decision.actions.values():
        part = f"{action['rule']}={action['type']}"
        if "delay_ms" in action:
            part += f";delay_ms={action['delay_ms']:.1f}"
        parts.append(part)
    return ", ".join(parts)


def _rate_limited(wait: int) -> Response:
    limit = emulator().rate_limiter.limit
    rate = f"{limit.rps:g} requests/s, bursts of {limit.burst}" if limit else "the limit"
    return error_response(
        RateLimitError(
            f"Too many requests for this API key ({rate}); retry after {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    )


def _act(action: dict[str, Any]) -> Response:
    kind = action["type"]
    if kind in ("close", "reset", "hang"):
        return _cut(action)
    default = {"http_error": 500, "wrong_content_type": 502}.get(kind, 200)
    status = int(action.get("status", default))
    if kind == "http_error":
        error = ApiError(
            action.get("message") or f"Injected fault {action['rule']!r}.",
            status=status,
            headers=dict(action.get("headers", {})),
        )
        error.type = wire_type(status)
        return error_response(error)
    if kind == "malformed_json":
        body, mimetype = b'{"code": 200, "message": "success", "data": {"task_id": "n30', "json"
    elif kind == "wrong_content_type":
        body, mimetype = b"<html><body><h1>502 Bad Gateway</h1></body></html>", "html"
    else:
        body, mimetype = b"", "json"
    content_type = "application/json" if mimetype == "json" else "text/html; charset=utf-8"
    response = Response(body, status=status, content_type=content_type)
    response.headers.update(action.get("headers", {}))
    return response


def _cut(action: dict[str, Any]) -> Response:
    """Close (FIN), reset (RST) or hang the connection; nothing the client can read is sent.
    A hang holds only this request's thread, and ends early when the client gives up."""
    connection: Connection | None = request.environ.get(CONNECTION_KEY)
    if connection is None:  # the app runs under another WSGI server: no socket in reach
        return error_response(
            ApiError(
                f"Fault {action['rule']!r} ({action['type']}) needs seedream-mock's own server "
                "(`seedream-mock serve`, MockServer or the pytest plugin) to reach the socket.",
                status=501,
            )
        )
    if action["type"] == "hang":
        seconds = min(float(action.get("seconds", HANG_CAP_SECONDS)), HANG_CAP_SECONDS)
        connection.wait_for_hangup(seconds, emulator().stopping)
    if action["type"] == "reset":
        connection.reset()
    else:
        connection.close()
    return Response(b"", status=200)


def register_fault_hooks(app: Flask) -> None:
    app.before_request(_before)
    app.after_request(_after)
