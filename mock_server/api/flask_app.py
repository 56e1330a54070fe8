"""ApiFlask: Flask, with the API's answer to `OPTIONS`, and without the per-request work Flask
and Werkzeug do for features this app never uses.

Every route is still a Flask route, dispatched by Flask's own `wsgi_app`: routing, hooks,
error handlers and the request and response objects are Flask's. What changes is done through
the hooks Flask documents for it (`response_class`, `session_interface`, overridable methods),
each a saving measured on the two hot routes (bench/README.md, "Where the time goes"):

- `ensure_sync` asks `inspect.iscoroutinefunction` about every hook and view on every request
  (four times per request here); the answer for a function never changes, so it is kept;
- routing: Flask binds Werkzeug's URL map to each request (reading the host twice, decoding
  the path, IDNA-encoding the host) and walks its state machine; here the binding is made
  from the host Flask already read, and a match is remembered per method and path (a client
  polls one task's URL over and over), bounded. Only a successful match is kept, never a
  404, 405 or redirect, so every refusal is Werkzeug's own every time;
- a body our server read whole (a `BytesIO` of exactly `Content-Length` bytes, within the
  limit, `wsgi.input_terminated`) is read as it is, not through Werkzeug's `LimitedStream`,
  which guards against reading past a limit that such a stream cannot pass; a body over the
  limit still gets Werkzeug's own 413;
- the hooks that run for a request (before, after, teardown; app and blueprint) are looked
  up once per blueprint, in Flask's order, once the app serves (Flask refuses new hooks
  after the first request); a URL value preprocessor, which this app never has, sends the
  request through Flask's own lookup;
- no session is ever used, so none is opened: one shared, read-only null session;
- an answer whose body is already one buffered `bytes` (every JSON answer) goes to the server as
  it is, with its length, instead of through Werkzeug's header copy and closing iterator; any
  other answer (a stream, a redirect, 1xx/204/304, HEAD) takes Werkzeug's own path.

The request, response and session objects are in `flask_wrappers.py`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, overload

from flask import Flask, Request, Response, request
from flask.ctx import RequestContext
from flask.globals import request_ctx
from flask.signals import request_tearing_down
from werkzeug.exceptions import HTTPException
from werkzeug.routing import MapAdapter, Rule
from werkzeug.wsgi import get_host

from mock_server.api.flask_wrappers import ApiRequest, ApiResponse, NoSessions

_SYNC_CACHE_LIMIT = 1024  # hooks and views are a few dozen; a per-request closure is not kept
_ROUTES_KEPT = 4096  # (method, path) matches remembered; past it the memo starts again
_HOSTS_KEPT = 64  # Host values and the server name Werkzeug makes of each
_UNSET: Any = object()  # `do_teardown_request()` called without an exception: read it
Hook = Callable[..., Any]


class RouteMemo:
    """Werkzeug's successful matches, by (method, path): the URL map never changes once the
    app serves (Flask refuses new routes after the first request), and without host or
    subdomain matching nothing else of the request takes part in a match."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], tuple[Rule, dict[str, Any]]] = {}

    def match(self, adapter: MapAdapter) -> tuple[Rule, dict[str, Any]]:
        """`adapter.match(return_rule=True)`, remembered; the arguments are a new dict each
        time (a `url_value_preprocessor` may pop from them)."""
        key = (adapter.default_method, adapter.path_info)
        found = self._found.get(key)
        if found is None:
            rule, args = adapter.match(return_rule=True)  # raises for 404, 405, a redirect
            if len(self._found) >= _ROUTES_KEPT:
                self._found.clear()
            found = self._found[key] = (rule, dict(args))
        return found[0], dict(found[1])


class ApiRequestContext(RequestContext):
    """Flask's request context, matching through the app's `RouteMemo`."""

    app: ApiFlask

    def match_request(self) -> None:
        memo = self.app.route_memo
        adapter = self.url_adapter
        if memo is None or adapter is None:
            super().match_request()
            return
        try:
            self.request.url_rule, self.request.view_args = memo.match(adapter)
        except HTTPException as exc:
            self.request.routing_exception = exc


class ApiFlask(Flask):
    """Flask, with the API's answer to `OPTIONS` and the savings above."""

    request_class = ApiRequest
    response_class = ApiResponse
    session_interface = NoSessions()

    def __init__(self, import_name: str) -> None:
        super().__init__(import_name)
        self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}
        self._server_names: dict[tuple[str, str], str] = {}
        self._hooks: dict[tuple[str, str | None], tuple[Hook, ...]] = {}
        self.route_memo: RouteMemo | None = RouteMemo()

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        return ApiRequestContext(self, environ)

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """What Flask and `Map.bind_to_environ` make, from the host read once and a server
        name normalised once per Host value. Any setting that changes how a request binds
        (trusted hosts, SERVER_NAME, host or subdomain matching) or a WebSocket upgrade takes
        Flask's own path, and so does the memo (`route_memo` is None then)."""
        plain = (
            self.config["TRUSTED_HOSTS"] is None
            and self.config["SERVER_NAME"] is None
            and not self.url_map.host_matching
            and not self.subdomain_matching
        )
        if not plain:
            self.route_memo = None
        if request is None or not plain or "HTTP_UPGRADE" in request.environ:
            return super().create_url_adapter(request)
        environ = request.environ
        host = request.host = get_host(environ)  # pyright: ignore
        scheme = environ["wsgi.url_scheme"]
        server_name = self._server_names.get((host, scheme))
        if server_name is None:
            server_name = self.url_map.bind(host.lower(), url_scheme=scheme).server_name
            if len(self._server_names) < _HOSTS_KEPT:
                self._server_names[(host, scheme)] = server_name
        return MapAdapter(
            self.url_map,
            server_name,
            _wsgi_text(environ.get("SCRIPT_NAME"), "/"),
            self.url_map.default_subdomain or "",
            scheme,
            _wsgi_text(environ.get("PATH_INFO"), "/"),
            environ["REQUEST_METHOD"],
            _wsgi_text(environ.get("QUERY_STRING"), None),
        )

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer, asked once per function (it inspects the code object each time)."""
        found = self._synced.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(self._synced) < _SYNC_CACHE_LIMIT:
                self._synced[func] = found
        return found

    def _hooks_for(self, kind: str, asked: Request) -> tuple[Hook, ...]:
        """The `kind` hooks of the request's blueprint, in the order Flask runs them, made
        sync; looked up once per blueprint when the app serves (its hooks are fixed then)."""
        key = (kind, asked.blueprint)
        found = self._hooks.get(key)
        if found is None:
            blueprints = asked.blueprints
            tables: dict[str, dict[str | None, list[Any]]] = {
                "before": self.before_request_funcs,
                "after": self.after_request_funcs,
                "teardown": self.teardown_request_funcs,
            }
            table = tables[kind]
            if kind == "before":  # app first, then outer to inner blueprint, registration order
                found = tuple(
                    self.ensure_sync(f)
                    for name in (None, *reversed(blueprints))
                    for f in table.get(name, ())
                )
            else:  # inner blueprint to outer, then the app, each in reverse registration order
                found = tuple(
                    self.ensure_sync(f)
                    for name in (*blueprints, None)
                    for f in reversed(table.get(name, ()))
                )
            if self._got_first_request:
                self._hooks[key] = found
        return found

    def preprocess_request(self) -> Any:
        if self.url_value_preprocessors:
            return super().preprocess_request()
        for before in self._hooks_for("before", request._get_current_object()):  # type: ignore[attr-defined]
            answer = before()
            if answer is not None:
                return answer
        return None

    def process_response(self, response: Response) -> Response:
        ctx = request_ctx._get_current_object()  # type: ignore[attr-defined]
        for func in ctx._after_request_functions:
            response = self.ensure_sync(func)(response)
        for after in self._hooks_for("after", ctx.request):
            response = after(response)
        if not self.session_interface.is_null_session(ctx._session):
            self.session_interface.save_session(self, ctx._session, response)
        return response

    def do_teardown_request(self, exc: BaseException | None = _UNSET) -> None:
        if exc is _UNSET:
            exc = sys.exc_info()[1]
        for teardown in self._hooks_for("teardown", request._get_current_object()):  # type: ignore[attr-defined]
            teardown(exc)
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def make_default_options_response(self) -> Response:
        """`204 No Content` with `Allow: GET, HEAD, OPTIONS`, where Flask sends a 200 with an
        empty `text/html` body. The answer is its headers: 204 says so, so curl, `requests` and
        `fetch` take it as success and none tries to read (or parse) a body; a CORS preflight
        accepts any 2xx, and 204 is what CORS middleware (Express `cors`, nginx recipes) sends.
        Unknown paths never get here: routing answers them 404 in the error envelope."""
        allowed = super().make_default_options_response().allow
        response = self.response_class(status=204)
        response.headers["Allow"] = ", ".join(sorted(allowed))
        del response.headers["Content-Type"]
        return response


@overload
def _wsgi_text(value: str | None, absent: str) -> str: ...
@overload
def _wsgi_text(value: str | None, absent: None) -> str | None: ...
def _wsgi_text(value: str | None, absent: str | None) -> str | None:
    """A WSGI string (latin-1 code points of the bytes sent) as the text Werkzeug matches, as
    `Map.bind_to_environ` and `Map.bind` make it (`absent` when the environ has none)."""
    if value is None:
        return absent
    if value.isascii():
        return value
    return value.encode("latin-1").decode(errors="replace")
