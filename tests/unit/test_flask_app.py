"""ApiFlask's savings change nothing a client sees: each is held to what Flask and Werkzeug
themselves do, on the same inputs."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask import Blueprint, Flask, Request, Response, request, session
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server.api.flask_app import ApiFlask
from mock_server.api.flask_wrappers import ApiRequest, ApiResponse
from mock_server.app import create_app
from mock_server.settings.config import Settings

HOSTS = st.sampled_from(
    [
        "127.0.0.1:8080",
        "localhost",
        "LOCALHOST:80",
        "example.com:443",
        "Mock.Example:3000",
        "[::1]:9000",
        "b\u00fccher.example",  # IDNA
        "",
        None,
    ]
)
PATHS = st.sampled_from(
    ["/api/v1/tasks/n1", "/", "", "/_mock/ui/", "/caf\u00c3\u00a9", "/a%2Fb", "/api/v1/images"]
)


def _environ(
    host: str | None, scheme: str, script: str | None, path: str | None, query: str | None
) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "wsgi.url_scheme": scheme,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "wsgi.input": io.BytesIO(b""),
    }
    for key, value in (
        ("HTTP_HOST", host),
        ("SCRIPT_NAME", script),
        ("PATH_INFO", path),
        ("QUERY_STRING", query),
    ):
        if value is not None:
            environ[key] = value
    return environ


def _bound(adapter: Any) -> tuple[Any, ...]:
    fields = ("server_name", "script_name", "subdomain", "url_scheme", "path_info")
    return (
        *(getattr(adapter, name) for name in fields),
        adapter.default_method,
        adapter.query_args,
    )


@settings(max_examples=200, deadline=None)
@given(
    host=HOSTS,
    scheme=st.sampled_from(["http", "https"]),
    script=st.sampled_from([None, "", "/mount", "/m\u00c3\u00bcnt"]),
    path=st.one_of(st.none(), PATHS),
    query=st.sampled_from([None, "", "a=1&b=2", "q=\u00c3\u00a9"]),
)
def test_the_url_adapter_is_bound_as_flask_binds_it(
    host: str | None, scheme: str, script: str | None, path: str | None, query: str | None
) -> None:
    app = create_app(Settings())
    assert isinstance(app, ApiFlask)
    ours = app.request_class(_environ(host, scheme, script, path, query))
    theirs = app.request_class(_environ(host, scheme, script, path, query))
    outcomes = []
    for asked, bind in ((ours, app.create_url_adapter), (theirs, _flask_adapter(app))):
        try:
            outcomes.append((_bound(bind(asked)), asked.host))
        except Exception as exc:  # BadHost for a host IDNA cannot encode: both must say so
            outcomes.append((type(exc).__name__, None))
    assert outcomes[0] == outcomes[1]


def _flask_adapter(app: Flask) -> Any:
    return lambda request: Flask.create_url_adapter(app, request)


ROUTED = [
    ("GET", "/api/v1/tasks/n1"),
    ("GET", "/api/v1/tasks/n2"),
    ("POST", "/api/v1/tasks/n1"),  # 405
    ("GET", "/api/v1/nothing"),  # 404
    ("GET", "/_mock/ui"),  # the inspector: a page that names the moment, so status only
    ("GET", "/_mock/ui/static/inspector.css"),
    ("DELETE", "/api/v1/images/generations"),  # 405
    ("GET", "/api/v1/images/generations/"),  # 404: no slash redirect for a POST route
    ("OPTIONS", "/api/v1/tasks/n1"),
]


def test_remembered_routes_answer_exactly_as_fresh_ones() -> None:
    """Every request twice (the second is a memo hit), against the same app with the memo
    off: same status, headers and body, and the memo kept only what matched."""
    remembering, fresh = create_app(Settings()), create_app(Settings())
    assert isinstance(fresh, ApiFlask)
    fresh.route_memo = None
    auth = {"Authorization": "Bearer aio_your_api_key"}
    for method, path in ROUTED * 2:
        answers = [
            app.test_client().open(path, method=method, headers=auth)
            for app in (remembering, fresh)
        ]
        ours, theirs = answers
        assert ours.status_code == theirs.status_code
        if path != "/_mock/ui":
            assert ours.get_data() == theirs.get_data()
            assert sorted(ours.headers.items()) == sorted(theirs.headers.items())
        for answer in answers:
            answer.close()
    assert isinstance(remembering, ApiFlask)
    assert remembering.route_memo is not None
    kept = set(remembering.route_memo._found)
    assert ("GET", "/api/v1/tasks/n1") in kept
    assert ("GET", "/api/v1/nothing") not in kept
    assert ("POST", "/api/v1/tasks/n1") not in kept


def test_a_remembered_match_hands_out_new_arguments_each_time() -> None:
    app = create_app(Settings())
    assert isinstance(app, ApiFlask)
    assert app.route_memo is not None
    seen = []
    for _ in range(2):
        request = app.request_class(_environ("127.0.0.1", "http", "", "/api/v1/tasks/n9", ""))
        adapter = app.create_url_adapter(request)
        assert adapter is not None
        rule, args = app.route_memo.match(adapter)
        assert rule.endpoint == "public.get_task"
        assert args == {"task_id": "n9"}
        seen.append(args)
    seen[0]["task_id"] = "changed"
    assert seen[1] == {"task_id": "n9"}


def test_settings_that_change_binding_take_flasks_own_path() -> None:
    app = create_app(Settings())
    assert isinstance(app, ApiFlask)
    app.config["SERVER_NAME"] = "mock.example:8080"
    answer = app.test_client().get("/api/v1/tasks/n1", base_url="http://mock.example:8080")
    assert answer.status_code == 401  # routed (to the view, which wants a key)
    assert app.route_memo is None


CASES = [
    (200, "GET", [b'{"a":1}\n'], []),
    (404, "GET", [b'{"error":1}'], [("X-Extra", "1")]),
    (200, "HEAD", [b"body"], []),
    (204, "OPTIONS", [], [("Allow", "GET")]),
    (304, "GET", [b""], []),
    (302, "GET", [b""], [("Location", "/caf\u00e9")]),
    (200, "GET", [b"a", b"b"], []),
    (201, "POST", [b"x"], [("Content-Length", "1")]),
    (200, "GET", [b"x"], [("Content-Location", "/\u00e9")]),
    (101, "GET", [b""], []),
]


@pytest.mark.parametrize(("status", "method", "body", "headers"), CASES)
def test_answers_reach_the_server_as_werkzeug_sends_them(
    status: int, method: str, body: list[bytes], headers: list[tuple[str, str]]
) -> None:
    environ = _environ("127.0.0.1", "http", "", "/", "") | {"REQUEST_METHOD": method}
    sent = []
    for kind in (ApiResponse, Response):
        answer = kind(status=status, headers=headers, mimetype="application/json")
        answer.response = list(body)
        iterable, line, fields = answer.get_wsgi_response(environ)
        sent.append((b"".join(iterable), line, sorted(fields)))
    assert sent[0] == sent[1]


def test_a_response_with_close_callbacks_keeps_them() -> None:
    closed: list[bool] = []
    answer = ApiResponse(b"x")
    answer.call_on_close(lambda: closed.append(True))
    iterable, _, _ = answer.get_wsgi_response({"REQUEST_METHOD": "GET"})
    assert b"".join(iterable) == b"x"
    iterable.close()  # type: ignore[attr-defined]
    assert closed == [True]


def test_there_is_no_session_to_write_to() -> None:
    app = create_app(Settings())
    with app.test_request_context("/"):
        assert not session
        with pytest.raises(RuntimeError, match="session is unavailable"):
            session["user"] = "x"


def test_hooks_are_inspected_once_each() -> None:
    app = create_app(Settings())
    assert isinstance(app, ApiFlask)

    def hook() -> None:
        return None

    first = app.ensure_sync(hook)
    assert first is hook
    assert app.ensure_sync(hook) is first
    assert hook in app._synced


@pytest.mark.parametrize(
    ("body", "length", "terminated"),
    [
        (b'{"prompt": "a fox"}', "19", True),
        (b"", "0", True),
        (b"x" * 40, "40", True),  # over the app's limit below: 413
        (b"abcdef", "3", True),  # more bytes than announced: Werkzeug's own stream
        (b"abc", None, True),
        (b"abc", "3", False),
    ],
)
def test_a_buffered_body_reads_as_werkzeug_reads_it(
    body: bytes, length: str | None, terminated: bool
) -> None:
    app = create_app(Settings())
    app.config["MAX_CONTENT_LENGTH"] = 32
    results = []
    for kind in (ApiRequest, Request):
        environ = _environ("127.0.0.1", "http", "", "/", "") | {"REQUEST_METHOD": "POST"}
        environ["wsgi.input"] = io.BytesIO(body)
        if length is not None:
            environ["CONTENT_LENGTH"] = length
        if terminated:
            environ["wsgi.input_terminated"] = True
        with app.app_context():
            try:
                results.append(kind(environ).get_data())
            except Exception as exc:  # RequestEntityTooLarge for the one over the limit
                results.append(type(exc).__name__)
    assert results[0] == results[1]
    assert (results[0] == "RequestEntityTooLarge") == (len(body) > 32)


def _hooked(kind: type[Flask], ran: list[str]) -> Flask:
    """An app with hooks on itself, a blueprint and a blueprint nested in it, each saying
    when it ran; a `before` hook of the inner one answers for `/outer/inner/stop`."""
    app = kind("hooked")
    outer, inner = Blueprint("outer", __name__), Blueprint("inner", __name__)

    def hooks(where: Any, name: str) -> None:
        for number in (1, 2):
            where.before_request(lambda n=number: ran.append(f"before {name} {n}"))
            where.after_request(lambda r, n=number: ran.append(f"after {name} {n}") or r)
            where.teardown_request(
                lambda e, n=number: ran.append(f"teardown {name} {n} {type(e).__name__}")
            )

    @inner.get("/")
    def inner_view() -> str:
        return "inner"

    @inner.get("/stop")
    def never() -> str:
        return "not reached"

    @inner.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    @inner.before_request
    def stop() -> str | None:
        return "stopped" if request.path.endswith("/stop") else None

    @outer.get("/")
    def outer_view() -> str:
        return "outer"

    @app.get("/")
    def app_view() -> str:
        return "app"

    hooks(app, "app")
    hooks(outer, "outer")
    hooks(inner, "inner")
    outer.register_blueprint(inner, url_prefix="/inner")
    app.register_blueprint(outer, url_prefix="/outer")
    return app


def test_hooks_run_as_flask_runs_them() -> None:
    """The same hooks on ApiFlask and on Flask, the same requests twice (the second time
    from the looked-up hooks): the same hooks in the same order with the same exception."""
    logs: list[list[str]] = []
    for kind in (ApiFlask, Flask):
        ran: list[str] = []
        app = _hooked(kind, ran)
        client = app.test_client()
        for path in ["/", "/outer/", "/outer/inner/", "/outer/inner/stop", "/nowhere"] * 2:
            answer = client.get(path)
            ran.append(f"{path} {answer.status_code} {answer.get_data(as_text=True)[:10]}")
        app.config["PROPAGATE_EXCEPTIONS"] = False
        ran.append(str(client.get("/outer/inner/boom").status_code))
        logs.append(ran)
    assert logs[0] == logs[1]
    assert "teardown inner 1 ZeroDivisionError" in logs[0]
