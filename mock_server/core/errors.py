"""Domain errors, each named after the wire error type it becomes (contracts/README.md)."""

from __future__ import annotations


class ApiError(Exception):
    """An error the API reports to the client in the error envelope.

    Each subclass fixes the wire `type` and a default HTTP status; a raise site may pick another
    status of the same kind (405 and 413 are `invalid_request_error` too, 410 is `not_found_error`).
    """

    status: int = 500
    type: str = "api_error"

    def __init__(
        self,
        message: str,
        param: str | None = None,
        *,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if status is not None:
            self.status = status
        self.headers = dict(headers or {})


class InvalidRequestError(ApiError):
    """The body, a field, the content type or the route's method is wrong (400/405/413)."""

    status = 400
    type = "invalid_request_error"


class AuthenticationError(ApiError):
    """Missing, malformed, unknown or revoked API key (401)."""

    status = 401
    type = "authentication_error"


class InsufficientCreditsError(ApiError):
    """Available credits are below the price at submission (402)."""

    status = 402
    type = "insufficient_credits"


class NotFoundError(ApiError):
    """Unknown task, another key's task, unknown file or route (404), or an expired file (410)."""

    status = 404
    type = "not_found_error"


class RateLimitError(ApiError):
    """The key sent more requests than the configured rate limit allows (429)."""

    status = 429
    type = "rate_limit_error"


class ConflictError(ApiError):
    """A control request that cannot apply to the current state (409); control API only."""

    status = 409
    type = "invalid_request_error"


_TYPES_BY_STATUS = {
    401: "authentication_error",
    402: "insufficient_credits",
    404: "not_found_error",
    410: "not_found_error",
    429: "rate_limit_error",
    502: "upstream_error",
    503: "upstream_error",
    504: "upstream_error",
}


def wire_type(status: int) -> str:
    """The error `type` the API sends with a status, when no error class says otherwise."""
    return _TYPES_BY_STATUS.get(status, "invalid_request_error" if status < 500 else "api_error")
