"""Request helpers shared by the blueprints: the emulator of this app, JSON bodies, base URL."""

from __future__ import annotations

import hmac
import json
from typing import Any
from urllib.parse import urlencode

from flask import Request, Response, current_app, jsonify, request

from mock_server.control import Control
from mock_server.core import documents
from mock_server.core.errors import AuthenticationError, InvalidRequestError, NotFoundError
from mock_server.core.validation import GenerationRequest
from mock_server.emulator import Emulator
from mock_server.httpd.requests import valid_host


def emulator() -> Emulator:
    """The per-app emulator (kept in `app.extensions`, never a module global)."""
    found: Emulator = current_app.extensions["seedream_mock"]
    return found


def mock_control() -> Control:
    """The per-app door to /_mock/ operations (kept beside the emulator in `app.extensions`)."""
    found: Control = current_app.extensions["seedream_mock.control"]
    return found


def json_answer(body: bytes, status: int = 200) -> Response:
    """An answer whose JSON is already bytes (as `documents.to_json_bytes` writes it)."""
    response: Response = current_app.response_class(
        body, status=status, content_type="application/json"
    )
    return response


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def json_body() -> Any:
    """The request body parsed as JSON, or a 400 that says what is wrong with it."""
    # The mimetype is checked before the body is read: a body over the limit raises 413 there.
    asked: Request = request._get_current_object()  # type: ignore[attr-defined]
    check_json_type(asked.mimetype, asked.content_type)
    return parse_json(asked.get_data(cache=True))


def check_json_type(mimetype: str, content_type: str | None) -> None:
    if mimetype != "application/json":
        raise InvalidRequestError(
            f"Content-Type must be application/json; got {content_type or 'none'}."
        )


def parse_json(raw: bytes) -> Any:
    """`raw` parsed as JSON, or a 400 that says what is wrong with it."""
    if not raw.strip():
        raise InvalidRequestError("The request body is empty; send a JSON object.")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise InvalidRequestError("The request body is not valid UTF-8.") from None
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} "
            f"column {exc.colno}."
        ) from None
    except ValueError as exc:
        raise InvalidRequestError(f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise InvalidRequestError("The request body is nested too deeply.") from None


GENERATION_KEY = "seedream_mock.generation"


def generation() -> GenerationRequest:
    """The generation request of this call, validated; validated once, so the fault decision
    (which needed it first) and the route see the same one."""
    found: GenerationRequest | InvalidRequestError | None = request.environ.get(GENERATION_KEY)
    if found is None:
        found = emulator().validator.parse(json_body())
    if isinstance(found, InvalidRequestError):
        raise found
    return found


def base_url() -> str:
    """Scheme and host the client used, so result URLs work from where it called us; the
    server's own address when the Host header is missing, empty or not a valid host. Checked
    here too, not only by our server: under another WSGI server (or an older Werkzeug, which
    passes any Host on) a URL must never carry whatever the client wrote."""
    host = request.host
    if host and valid_host(host):
        return f"{request.scheme}://{host}/"
    return emulator().base_url + "/"


TOKEN_HEADER = "X-Mock-Token"


def guard_control() -> None:
    """The control API's gate: 404 when disabled, 401 without the configured token — saying
    whether the header was missing or wrong (never echoing either token), so a CI script
    with a stale secret is not told to add a header it already sends."""
    settings = emulator().settings
    if not settings.control:
        raise NotFoundError("The control API is disabled on this server (--no-control).")
    token = settings.control_token
    if not token:
        return
    sent = request.headers.get(TOKEN_HEADER)
    if sent is None:
        raise AuthenticationError(f"The control API needs the {TOKEN_HEADER} header.")
    # As bytes: WSGI gives header values decoded as latin-1, and compare_digest refuses
    # non-ASCII text (a 500 instead of a 401).
    if not hmac.compare_digest(sent.encode("latin-1", "replace"), token.encode("utf-8")):
        raise AuthenticationError(
            f"{TOKEN_HEADER} does not match the token this server was started with "
            "(--control-token)."
        )


def page_args(default_limit: int, most: int) -> tuple[int, str | None]:
    """`limit` and `before` from the query string (400 naming the parameter when wrong)."""
    raw = request.args.get("limit")
    limit = default_limit
    if raw is not None:
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= most:
            raise InvalidRequestError(f"limit must be an integer from 1 to {most}.", "limit")
        limit = int(raw)
    return limit, request.args.get("before") or None


def paged(found: list[dict[str, Any]], limit: int, ident: str) -> Response:
    """The first `limit` of `found` (which the caller fetched one longer, to know); when more
    remain, a `Link: <...&before=ID>; rel="next"` header says where the next page starts."""
    shown = found[:limit]
    response = jsonify(documents.success(shown))
    if len(found) > limit:
        query = request.args.to_dict() | {"limit": str(limit), "before": shown[-1][ident]}
        response.headers["Link"] = f'<{request.path}?{urlencode(query)}>; rel="next"'
    return response
