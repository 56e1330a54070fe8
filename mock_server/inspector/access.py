"""Who may open the inspector, and which form posts it accepts.

The JSON control API takes its token in the `X-Mock-Token` header only; a browser cannot add a
header to a link or a form. So the page takes the token once, as `/_mock/ui?token=TOKEN`, and
answers with a redirect to the same address without it (out of the address bar, the history and
any `Referer`) that sets an HttpOnly, SameSite=Strict cookie scoped to `/_mock/ui`. The cookie
holds an HMAC of the token, not the token, and is accepted by the inspector's routes alone:
the JSON API never reads it, so its header rule is unchanged. The header works here too.

A form post changes state, so it must come from the inspector's own pages: its `Origin` (or,
when a browser sends none, its `Referer`) must name the host the request was sent to. With a
token, the SameSite=Strict cookie refuses other sites' posts too; without one (loopback, the
default) the Origin check is what stops a web page from resetting a mock on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlencode, urlsplit

from flask import render_template, request
from werkzeug.wrappers import Response

from mock_server.api._http import TOKEN_HEADER, emulator
from mock_server.core.errors import NotFoundError

PREFIX = "/_mock/ui"
COOKIE = "seedream_mock_ui"
_SALT = b"seedream-mock inspector cookie"


def cookie_value(token: str) -> str:
    """What the cookie holds: derived from the token, so the token never sits in a cookie."""
    return hmac.new(token.encode("utf-8"), _SALT, hashlib.sha256).hexdigest()


def _same(sent: str | None, wanted: str) -> bool:
    if sent is None:
        return False
    return hmac.compare_digest(sent.encode("latin-1", "replace"), wanted.encode("utf-8"))


def guard_inspector() -> Response | None:
    """Before every inspector route: 404 with `--no-control`; with a control token, the header,
    the cookie, or `?token=` (which sets the cookie); a form post from elsewhere is refused."""
    settings = emulator().settings
    if not settings.control:
        raise NotFoundError("The control API is disabled on this server (--no-control).")
    if request.method == "POST" and not _same_origin():
        return _refused(403, "This form was not sent from the inspector's own page.")
    token = settings.control_token
    if not token:
        return None
    if _same(request.headers.get(TOKEN_HEADER), token):
        return None
    if _same(request.cookies.get(COOKIE), cookie_value(token)):
        return None
    given = request.args.get("token")
    if given is not None and request.method == "GET" and _same(given, token):
        rest = {k: v for k, v in request.args.items() if k != "token"}
        target = request.path + (f"?{urlencode(rest)}" if rest else "")
        response = Response(status=303, headers={"Location": target})
        response.set_cookie(
            COOKIE, cookie_value(token), path=PREFIX, httponly=True, samesite="Strict"
        )
        return response
    why = "does not match" if given is not None else "is needed"
    return _refused(401, f"This server has a control token; it {why}.")


def _same_origin() -> bool:
    sent = request.headers.get("Origin") or request.headers.get("Referer")
    if not sent or sent == "null":
        return False
    try:
        return urlsplit(sent).netloc == request.host
    except ValueError:
        return False


def _refused(status: int, why: str) -> Response:
    page = render_template("refused.html", why=why, status=status, prefix=PREFIX)
    response = Response(page, status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
