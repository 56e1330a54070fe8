"""fox_client: a small Seedream 4.5 client of the kind an application writes. Standard library only.

    fox = FoxClient("https://apiin.one", "aio_…")          # or the mock: http://127.0.0.1:8080
    fox.generate("a fox in the snow", "fox.png")            # submit, poll with backoff, download

    with CallbackInbox() as inbox:                          # or: wait for the webhook instead
        fox.generate("a fox in the snow", "fox.png", inbox=inbox)

Every non-2xx answer becomes an `APIError` subclass read from the API's error envelope
(`{"error": {"code", "message", "type", "param"}}`); a task that ends `failed` becomes
`GenerationFailed`; waiting too long becomes `GenerationTimeout`.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
USER_AGENT = "fox-client/1.0"
# Statuses worth another try. A submission is retried only on 429 and 503, which say "come back
# later"; a 500 or a cut connection may come *after* the task was made, so retrying it blindly
# could pay for two images (the mock's flaky-5xx scenario shows exactly that).
RETRY_READ = frozenset({429, 500, 502, 503, 504})
RETRY_SUBMIT = frozenset({429, 503})
MAX_RETRY_AFTER = 60.0


# -- errors -----------------------------------------------------------------------------------


class FoxError(Exception):
    """Anything fox_client raises."""


class ConnectionFailed(FoxError):
    """No HTTP answer at all: refused, reset, closed without a reply, or a read timeout."""


class BadResponse(FoxError):
    """An answer that is not the JSON the API promises (cut off, empty, an HTML page)."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status} with an unreadable body: {body[:120]!r}")
        self.status = status
        self.body = body


class APIError(FoxError):
    """A non-2xx answer, as its error envelope describes it."""

    def __init__(
        self,
        status: int,
        message: str,
        type: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        where = f" (param {param})" if param else ""
        super().__init__(f"HTTP {status} {type or 'error'}: {message}{where}")
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.retry_after = retry_after


class InvalidRequest(APIError):
    """400, 405, 413: the request itself is wrong; `param` names the field."""


class AuthenticationFailed(APIError):
    """401: missing, unknown or revoked API key."""


class InsufficientCredits(APIError):
    """402: the key cannot pay for the image."""


class NotFound(APIError):
    """404 (unknown task) or 410 (a result file that has expired)."""


class RateLimited(APIError):
    """429: slow down; `retry_after` says how long."""


class ServerError(APIError):
    """5xx: the service (or a gateway in front of it) failed."""


_BY_STATUS: dict[int, type[APIError]] = {
    401: AuthenticationFailed,
    402: InsufficientCredits,
    404: NotFound,
    410: NotFound,
    429: RateLimited,
}


class GenerationFailed(FoxError):
    """The task ended `failed`; `code` is its `error.code` (e.g. content_policy_violation)."""

    def __init__(self, task: dict[str, Any]) -> None:
        error = task.get("error") or {}
        self.task_id = str(task.get("task_id"))
        self.code = str(error.get("code", "unknown"))
        self.error_message = str(error.get("message", ""))
        self.task = task
        super().__init__(f"task {self.task_id} failed: {self.code}: {self.error_message}")


class GenerationTimeout(FoxError, TimeoutError):
    """The task did not end within the time the caller allowed."""


def error_from(status: int, body: bytes, headers: Any) -> APIError:
    """The exception for a non-2xx answer, from its error envelope when it has one."""
    retry_after = _retry_after(headers.get("Retry-After"))
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else InvalidRequest)
    try:
        error = json.loads(body)["error"]
        message, kind, param = str(error["message"]), error.get("type"), error.get("param")
    except (ValueError, KeyError, TypeError):  # a proxy's HTML page, an empty body, ...
        return cls(status, f"unreadable error body {body[:80]!r}", None, None, retry_after)
    return cls(status, message, kind, param, retry_after)


def _retry_after(value: str | None) -> float | None:
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value else None
    except ValueError:  # an HTTP date: fall back to our own backoff
        return None


# -- the client -------------------------------------------------------------------------------


class FoxClient:
    """Submit Seedream 4.5 generations, wait for them, download the PNGs.

    `sleep` and `monotonic` are the client's sense of time; tests can swap them (for example to
    move a mock's manual clock instead of waiting)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep
        self.monotonic = monotonic

    # one request ------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        """One request to the API; the JSON answer, or the APIError its envelope describes."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.api_key}")
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        status, raw, headers = _fetch(request, self.timeout)
        if status >= 300:
            raise error_from(status, raw, headers)
        try:
            return json.loads(raw)
        except ValueError:
            raise BadResponse(status, raw) from None

    def _with_retries(self, retry_on: frozenset[int], send: Callable[[], Any]) -> Any:
        delay = 0.5
        for attempt in range(self.max_retries + 1):
            try:
                return send()
            except APIError as exc:
                if exc.status not in retry_on or attempt == self.max_retries:
                    raise
                self.sleep(exc.retry_after if exc.retry_after is not None else delay)
            delay *= 2
        raise AssertionError("unreachable")

    # the API ----------------------------------------------------------------------------------

    def submit(self, prompt: str, *, callback_url: str | None = None, **fields: Any) -> str:
        """POST a generation (fields: model, aspect_ratio, quality, image_urls); its task id."""
        body = {"prompt": prompt, **fields}
        if callback_url is not None:
            body["callback_url"] = callback_url
        answer = self._with_retries(
            RETRY_SUBMIT, lambda: self._call("POST", "/api/v1/images/generations", body)
        )
        try:
            return str(answer["data"]["task_id"])
        except (KeyError, TypeError):
            raise BadResponse(200, json.dumps(answer).encode()) from None

    def task(self, task_id: str) -> dict[str, Any]:
        """GET the task (retried on 429/5xx, which are safe to repeat); its `data`."""
        answer = self._with_retries(
            RETRY_READ, lambda: self._call("GET", f"/api/v1/tasks/{task_id}")
        )
        data: dict[str, Any] = answer["data"]
        return data

    def wait(
        self,
        task_id: str,
        *,
        timeout: float = 120.0,
        first_interval: float = 0.5,
        max_interval: float = 5.0,
    ) -> dict[str, Any]:
        """Poll with exponential backoff until the task ends; the completed task's data."""
        deadline = self.monotonic() + timeout
        interval = first_interval
        while True:
            task = self.task(task_id)
            if _ended(task):
                return _checked(task)
            left = deadline - self.monotonic()
            if left <= 0:
                raise GenerationTimeout(
                    f"task {task_id} still {task.get('status')} after {timeout} s"
                )
            self.sleep(min(interval, left))
            interval = min(interval * 2, max_interval)

    def wait_for_callback(
        self, task_id: str, inbox: CallbackInbox, *, timeout: float = 120.0
    ) -> dict[str, Any]:
        """Wait for the task's callback in `inbox`. If none comes in time (callbacks can be
        lost), ask the API once before giving up."""
        try:
            return _checked(inbox.wait(task_id, timeout))
        except GenerationTimeout:
            task = self.task(task_id)
            if _ended(task):
                return _checked(task)
            raise

    def download(self, task: dict[str, Any], path: str | Path) -> Path:
        """Save the completed task's first image to `path` (written whole, or not at all)."""
        url = task["output"]["image_urls"][0]
        # No Authorization header: result links are plain URLs, often on another host.
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        status, raw, headers = _fetch(request, self.timeout)
        if status >= 300:
            raise error_from(status, raw, headers)
        if not raw.startswith(PNG_SIGNATURE):
            raise BadResponse(status, raw)
        target = Path(path)
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(raw)
        partial.replace(target)
        return target

    def generate(
        self,
        prompt: str,
        path: str | Path,
        *,
        inbox: CallbackInbox | None = None,
        timeout: float = 120.0,
        **fields: Any,
    ) -> Path:
        """Submit, wait (for the callback when an inbox is given, else by polling), download."""
        if inbox is None:
            task_id = self.submit(prompt, **fields)
            task = self.wait(task_id, timeout=timeout)
        else:
            task_id = self.submit(prompt, callback_url=inbox.url, **fields)
            task = self.wait_for_callback(task_id, inbox, timeout=timeout)
        return self.download(task, path)


def _fetch(request: urllib.request.Request, timeout: float) -> tuple[int, bytes, Any]:
    """(status, body, headers) for any HTTP answer; ConnectionFailed when there is none."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as exc:
        with exc:  # an HTTPError holds the open response: read it, then close it
            return exc.code, exc.read(), exc.headers
    except OSError as exc:  # URLError, RemoteDisconnected, ConnectionResetError, timeouts
        raise ConnectionFailed(f"{request.get_method()} {request.full_url}: {exc}") from exc


def _ended(task: dict[str, Any]) -> bool:
    return str(task.get("status")).lower() in ("completed", "failed")


def _checked(task: dict[str, Any]) -> dict[str, Any]:
    if str(task.get("status")).lower() == "failed":
        raise GenerationFailed(task)
    return task


# -- webhooks ---------------------------------------------------------------------------------


def parse_callback(body: bytes) -> dict[str, Any]:
    """The task `data` of a callback body (the same document `GET /api/v1/tasks/{id}` returns).
    Call it from your own web framework's webhook route."""
    try:
        data = json.loads(body)["data"]
    except (ValueError, KeyError, TypeError):
        raise BadResponse(200, body) from None
    if not isinstance(data, dict) or "task_id" not in data or "status" not in data:
        raise BadResponse(200, body)
    return data


class CallbackInbox:
    """A loopback webhook endpoint for scripts and tests: give `url` as callback_url, then
    `wait(task_id)`. Deduplicates on the `webhook-id` header (callbacks are at-least-once)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._changed = threading.Condition()
        self._tasks: dict[str, dict[str, Any]] = {}
        self.event_ids: list[str] = []  # every webhook-id accepted, in arrival order
        self.duplicates = 0  # callbacks that repeated an event already seen

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the inbox is not started")
        return f"http://{self._address[0]}:{self._server.server_address[1]}/seedream"

    def __enter__(self) -> CallbackInbox:
        self._server = ThreadingHTTPServer(self._address, self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def accept(self, body: bytes, event_id: str | None) -> bool:
        """Record one callback; False if it repeats an event already recorded."""
        task = parse_callback(body)
        with self._changed:
            if event_id is not None and event_id in self.event_ids:
                self.duplicates += 1
                return False
            if event_id is not None:
                self.event_ids.append(event_id)
            self._tasks[str(task["task_id"])] = task
            self._changed.notify_all()
        return True

    def wait(self, task_id: str, timeout: float) -> dict[str, Any]:
        """The task's data from its callback; GenerationTimeout if none arrives in time."""
        with self._changed:
            if not self._changed.wait_for(lambda: task_id in self._tasks, timeout):
                raise GenerationTimeout(f"no callback for task {task_id} within {timeout} s")
            return self._tasks[task_id]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    inbox.accept(body, self.headers.get("webhook-id"))
                except BadResponse:
                    self.send_response(400)  # not a task callback
                else:
                    self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
