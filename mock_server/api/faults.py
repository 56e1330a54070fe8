"""Fault injection and rate limiting at the HTTP layer, around the public routes.

The request's fault decision (`faults/decision.py`) is taken once, by `decision_for`: by our
server before it chooses the thread a request runs on (so a request the decision may hold
never runs on the loop thread), else by the hook before the request is handled. It is kept in
the environ; this module only carries out its latency, socket and HTTP actions: latency is slept
here, socket faults cut the connection, HTTP faults answer instead of the route (or, with
`"when": "after"`, replace its answer — the task was created, the client never learns it). The
task and webhook actions go with the request to `Emulator.submit`.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, Response, current_app, request
from werkzeug.exceptions import HTTPException

from mock_server.api._http import (
    GENERATION_KEY,
    check_json_type,
    emulator,
    mock_control,
    parse_json,
)
from mock_server.api.envelope import error_response
from mock_server.api.requestlog import TASK_KEY
from mock_server.core.errors import ApiError, InvalidRequestError, RateLimitError, status_error
from mock_server.emulator import Emulator
from mock_server.faults.decision import NO_FAULTS, Decision, decide, facts_for
from mock_server.faults.rules import FAULT_HEADER, RequestFacts
from mock_server.httpd import CONNECTION_KEY, Connection

ROUTES = {
    "public.create_generation": "generations",
    "public.get_task": "tasks",
    "files.result_file": "files",
}
HANG_CAP_SECONDS = 120.0
APPLIED_HEADER = "X-Mock-Fault-Applied"
DECISION_KEY = "seedream_mock.faults"


def decision_for(app: Flask, environ: dict[str, Any], asked: Request | None = None) -> Decision:
    """This request's fault decision: taken on the first call, kept in the environ, so every
    later ask (the server's choice of thread, the hooks, the route) gets the same one. `asked`
    is the app's own request, when the app is already handling it."""
    found: Decision | None = environ.get(DECISION_KEY)
    if found is not None:
        return found
    mock: Emulator = app.extensions["seedream_mock"]
    decision = NO_FAULTS
    route = _route(app, environ) if mock.faults.active else None
    if route is not None:
        decision = decide(mock.faults, _facts(app, mock, route, environ, asked))
    environ[DECISION_KEY] = decision
    return decision


def current_faults() -> Decision:
    found: Decision = request.environ.get(DECISION_KEY, NO_FAULTS)
    return found


def _route(app: Flask, environ: dict[str, Any]) -> str | None:
    # OPTIONS is the server describing a route, not a call of the API: a rule's `times` and
    # draws, and the rate limit, are for the calls a client makes.
    if environ["REQUEST_METHOD"] == "OPTIONS":
        return None
    try:
        endpoint, _ = app.url_map.bind_to_environ(environ).match()
    except HTTPException:  # no such route (404, 405, a redirect): the app answers it
        return None
    return ROUTES.get(str(endpoint))


def _facts(
    app: Flask, mock: Emulator, route: str, environ: dict[str, Any], asked: Request | None
) -> RequestFacts:
    """From the validated request, when the body is a valid generation; else the route facts."""
    key = _key(environ)
    header: str | None = environ.get("HTTP_" + FAULT_HEADER.upper().replace("-", "_"))
    if route != "generations":
        return facts_for(route, key, header)
    try:
        raw = _body(app, environ, asked)
    except (InvalidRequestError, HTTPException):  # the route says so, in its turn
        return facts_for(route, key, header)
    try:
        parsed = mock.validator.parse(parse_json(raw))
    except InvalidRequestError as exc:
        environ[GENERATION_KEY] = exc  # raised by the route after authentication, as before
        return facts_for(route, key, header)
    environ[GENERATION_KEY] = parsed
    return facts_for(route, key, header, parsed)


def _key(environ: dict[str, Any]) -> str | None:
    """The bearer token as written, for matching rules and rate limits (not authentication)."""
    auth: str = environ.get("HTTP_AUTHORIZATION") or ""
    return auth.partition(" ")[2].strip() or None


def _body(app: Flask, environ: dict[str, Any], asked: Request | None) -> bytes:
    """The body, read so the route can read it again: cached on the app's request, or, before
    the app has one, read from our server's in-memory input and rewound."""
    if asked is not None:
        check_json_type(asked.mimetype, asked.content_type)
        return asked.get_data(cache=True)
    ahead = app.request_class(environ)
    check_json_type(ahead.mimetype, ahead.content_type)
    stream = environ["wsgi.input"]
    try:
        return ahead.get_data(cache=False)
    finally:
        stream.seek(0)


def _before() -> Response | None:
    asked: Request = request._get_current_object()  # type: ignore[attr-defined]
    route = ROUTES.get(asked.endpoint or "")
    if route is None or asked.method == "OPTIONS":
        return None
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    mock: Emulator = app.extensions["seedream_mock"]
    decision = decision_for(app, asked.environ, asked)
    if decision.actions:
        latency = decision.get("latency")
        if latency is not None:
            mock.stopping.wait(latency["delay_ms"] / 1000)
        for layer in ("socket", "http"):
            action = decision.get(layer)
            if action is not None and action.get("when", "before") == "before":
                return _act(action)
    if route != "files" and mock.rate_limiter.limited:
        key = _key(asked.environ)
        if key is not None:
            wait = mock.rate_limiter.wait_seconds(key, mock.clock.now())
            if wait is not None:
                return _rate_limited(wait)
    return None


def _after(response: Response) -> Response:
    environ = request.environ
    decision: Decision = environ.get(DECISION_KEY, NO_FAULTS)
    if not decision.actions:
        return response
    for layer in ("socket", "http"):
        action = decision.get(layer)
        if action is not None and action.get("when") == "after":
            response = _act(action)
            break
    if decision.answer_actions:
        response.headers[APPLIED_HEADER] = _applied(decision)
    # refused after the decision (the create route names its task only once it made one)
    if decision.task_rules and environ.get(TASK_KEY) is None:
        emulator().faults.give_back(decision.task_rules)
    return response


def _applied(decision: Decision) -> str:
    """`rule=type` per fired rule (latency with its drawn delay), so a client can tell an
    injected failure from a real one."""
    parts = []
    for action in decision.answer_actions:
        part = f"{action['rule']}={action['type']}"
        if "delay_ms" in action:
            part += f";delay_ms={action['delay_ms']:.1f}"
        parts.append(part)
    return ", ".join(parts)


def _rate_limited(wait: int) -> Response:
    limit = mock_control().rate_limit()
    rate = f"{limit['rps']:g} requests/s, bursts of {limit['burst']}" if limit else "the limit"
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
        # In the active profile's dialect: see `status_error` for which status is answered.
        return error_response(
            status_error(
                status,
                action.get("message") or f"Injected fault {action['rule']!r}.",
                emulator().profile,
                dict(action.get("headers", {})),
            )
        )
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
        error = ApiError(
            f"Fault {action['rule']!r} ({action['type']}) needs seedream-mock's own server "
            "(`seedream-mock serve`, MockServer or the pytest plugin) to reach the socket.",
            status=501,
        )
        error.kind = None  # the mock's own limit, in no dialect: 501 as it is
        return error_response(error)
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
