"""The commit barrier of the HTTP layer: a WSGI wrapper that commits after the app answered
and before the server sends a byte of it (the server buffers whole answers anyway)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def committed(app: WsgiApp, flush: Callable[[], None]) -> WsgiApp:
    """`app`, whose every answer is sent only once what it reports is in the state file; if
    the file cannot be written the request fails (500) rather than report what is not kept."""

    def answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        result = app(environ, start_response)
        try:
            body = list(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        flush()
        return body

    return answer
