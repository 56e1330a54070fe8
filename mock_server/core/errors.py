"""Domain errors, each named after the wire error type it becomes (contracts/README.md)."""

from __future__ import annotations

from functools import cache

from seedream_contracts.profiles import Profile, load_profile


class ApiError(Exception):
    """An error the API reports to the client in the error envelope.

    Each subclass fixes the wire `type`, a default HTTP status and a *kind* (ERROR_KINDS of
    `seedream_contracts.profiles`); a raise site may pick another status and kind of the same
    class (405 and 413 are `invalid_request_error` too, 410 is `not_found_error`). `status` and
    `type` are what the control API answers; on the public routes the active profile decides
    both from `kind`, since 400 or 422, and the `type` strings, are points no source settles.
    A `kind` of None means "no dialect has this error": status and type are written as they are.
    """

    status: int = 500
    type: str = "api_error"
    kind: str | None = "server"

    def __init__(
        self,
        message: str,
        param: str | None = None,
        *,
        status: int | None = None,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if status is not None:
            self.status = status
        if kind is not None:
            self.kind = kind
        self.headers = dict(headers or {})


class InvalidRequestError(ApiError):
    """The body, a field, the content type or the route's method is wrong (400/405/413).

    Kind `invalid_request` (the body, its JSON, its content type); a field that breaks a rule is
    raised as kind `validation`, which some dialects answer 422."""

    status = 400
    type = "invalid_request_error"
    kind = "invalid_request"


class AuthenticationError(ApiError):
    """Missing, malformed, unknown or revoked API key (401)."""

    status = 401
    type = "authentication_error"
    kind = "authentication"


class InsufficientCreditsError(ApiError):
    """Available credits are below the price at submission (402)."""

    status = 402
    type = "insufficient_credits"
    kind = "insufficient_credits"


class NotFoundError(ApiError):
    """Unknown task, another key's task, unknown file or route (404), or an expired file (410)."""

    status = 404
    type = "not_found_error"
    kind = "not_found"


class RateLimitError(ApiError):
    """The key sent more requests than the configured rate limit allows (429)."""

    status = 429
    type = "rate_limit_error"
    kind = "rate_limit"


class ConflictError(ApiError):
    """A control request that cannot apply to the current state (409); control API only."""

    status = 409
    type = "invalid_request_error"
    kind = None


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


def answered(error: ApiError, profile: Profile) -> tuple[int, str]:
    """The status and `type` the public API answers `error` with under `profile`."""
    if error.kind is None:
        return error.status, error.type
    return profile.error_kind(error.kind)


def status_error(
    status: int, message: str, profile: Profile, headers: dict[str, str] | None = None
) -> ApiError:
    """An error known only by its status (a fault rule's `http_error`), in `profile`'s dialect.

    The status names a kind (`kind_for_status`: 503 is `upstream`). When it is the status the
    default profile gives that kind, the rule means the kind, so the active profile's status
    and type answer it (503 under `kie` is KIE's 455). Any other status (502, 504, 418) was
    chosen for itself and stays, with the profile's type for its kind where there is one."""
    error = ApiError(message, status=status, headers=headers)
    error.kind = None  # decided here, once: the envelope writes it as it is
    kind = profile.kind_for_status(status)
    if kind is None:
        error.type = wire_type(status)
        return error
    profile_status, error.type = profile.error_kind(kind)
    if default_profile().error_kind(kind)[0] == status:
        error.status = profile_status
    return error


@cache
def default_profile() -> Profile:
    """The default dialect: the control API's, and the yardstick of a fault rule's status."""
    return load_profile("default")
