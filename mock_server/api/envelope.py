"""Every error answer is built here, in the API's one envelope: never an HTML page or a trace."""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from mock_server.core import documents
from mock_server.core.errors import ApiError, InvalidRequestError, NotFoundError, wire_type

log = logging.getLogger(__name__)

_SENTENCES = {
    404: "No such route: see the API reference for the endpoints this server has.",
    405: "This route does not accept that method.",
}


def error_response(error: ApiError) -> Response:
    """`{"error": {"code", "message", "type", "param"}}` with the status as `code` [A]."""
    response = jsonify(documents.error(error.status, error.message, error.type, error.param))
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _from_http(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    message = _SENTENCES.get(status) or (exc.description or exc.name)
    if status == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        message = f"The request body is larger than the {limit} bytes this server accepts."
    if status == 404:
        return NotFoundError(message)
    if 400 <= status < 500:
        error: ApiError = InvalidRequestError(message, status=status)
    else:
        error = ApiError(message, status=status)
    error.type = wire_type(status)
    return error


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
