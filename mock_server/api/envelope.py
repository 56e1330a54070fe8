"""Every error answer is built here, in the API's one envelope: never an HTML page or a trace.

Off /_mock/ (the public routes, /files/, an unknown path) the active profile writes it: status
and `type` from the error's kind, the body from the profile's error template. The control API
is the mock's own, so it keeps the default envelope under every profile."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from mock_server.api._http import emulator
from mock_server.core import documents
from mock_server.core.errors import (
    ApiError,
    InvalidRequestError,
    NotFoundError,
    default_profile,
    status_error,
)
from seedream_contracts.profiles import Profile

log = logging.getLogger(__name__)

_SENTENCES = {
    404: "No such route: see the API reference for the endpoints this server has.",
    405: "This route does not accept that method.",
}


CONTROL_PREFIX = "/_mock/"


def error_response(error: ApiError) -> Response:
    """The error answer of this request: the profile's dialect, or on /_mock/ the default
    `{"error": {"code", "message", "type", "param"}}` with the status as `code` [A]."""
    if request.path.startswith(CONTROL_PREFIX):  # as raised: the mock's own API
        status = error.status
        body: Any = documents.error(status, error.message, error.type, error.param)
    else:
        status, body = documents.error_answer(error, emulator().profile)
    response = jsonify(body)
    response.status_code = status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _from_http(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    message = _SENTENCES.get(status) or (exc.description or exc.name)
    if status == 404:
        return NotFoundError(message)
    if status == 405:
        return InvalidRequestError(message, status=405, kind="method_not_allowed")
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        message = f"The request body is larger than the {limit} bytes this server accepts."
        return InvalidRequestError(message, status=413, kind="too_large")
    return status_error(status, message, _dialect())


def _dialect() -> Profile:
    """The profile this request is answered in (the default one on /_mock/)."""
    if request.path.startswith(CONTROL_PREFIX):
        return default_profile()
    return emulator().profile


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        error = _from_http(exc)
        if exc.code == 405 and isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            allowed = ", ".join(sorted(exc.valid_methods))
            error.message = f"{request.method} is not allowed on {request.path}; use {allowed}."
            error.headers["Allow"] = allowed
        return error_response(error)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # A bug in the mock: answer in the envelope and log the trace for the developer.
        log.exception("unhandled error")
        return error_response(ApiError("The mock server hit an internal error; see its log."))
