"""A deliberately different image API, for proving calibration offline.

It keeps API in One's routes but differs from the `default` profile wherever a dialect may:
status names queued/running/succeeded (errored on failure), the result URLs inside a
JSON-encoded `output` string, epoch-millisecond times, a `{"ok": false, "problem": {...}}` error
envelope with 422 `validation_error`, prompts of 5–400 characters and a required model. It bills
12 credits per accepted task (`credits_spent`) and serves a real PNG at each result URL. A bad
key gets 403 where no key gets 401, so authentication is a point its calibration reports as
conflicting.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from PIL import Image

KEY = "aio_fake_live_key_9d3c51e2a7b04f68"
MODELS = ("seedream/4.5-text-to-image", "seedream/4.5-edit")
RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
QUEUED_S, RUNNING_S = 0.3, 0.4


def _png(task_id: str) -> bytes:
    colour = tuple(int(task_id[-6:][i : i + 2], 16) for i in (0, 2, 4))
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


class FakeApi:
    """The fake on 127.0.0.1 (a free port). `drop_after`: requests answered before it starts
    closing connections unanswered (a network failure half-way)."""

    def __init__(self, drop_after: int | None = None) -> None:
        self.credits_spent = 0
        self.requests = 0
        self.drop_after = drop_after
        self.tasks: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeApi:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- the API -------------------------------------------------------------------------------

    def answer(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, Any]:
        if path.startswith("/files/") and method == "GET":
            return 200, _png(path.split("/")[-1].removesuffix(".png"))
        given = headers.get("Authorization")
        if given is None:
            return _problem(401, "unauthorized", "an API key is needed")
        if given != f"Bearer {KEY}":  # another status than for no key: a conflict to report
            return _problem(403, "forbidden", "this API key is not valid")
        if path == "/api/v1/images/generations" and method == "POST":
            return self.create(body)
        if path.startswith("/api/v1/tasks/") and method == "GET":
            task = self.tasks.get(path.rsplit("/", 1)[-1])
            if task is None:
                return _problem(404, "no_such_task", "no task has this id")
            return 200, {"ok": True, "task": self.view(task)}
        return _problem(404, "no_such_route", "no such route")

    def create(self, raw: bytes) -> tuple[int, Any]:
        try:
            body = json.loads(raw)
        except ValueError:
            return _problem(400, "malformed_body", "the body must be JSON")
        if not isinstance(body, dict):
            return _problem(400, "malformed_body", "the body must be a JSON object")
        refused = _validate(body)
        if refused is not None:
            return _problem(422, "validation_error", refused[1], refused[0])
        task_id = "ft_" + secrets.token_hex(6)
        with self.lock:
            self.credits_spent += 12
            self.tasks[task_id] = {"id": task_id, "body": body, "created": time.time()}
        return 200, {"ok": True, "task": {"id": task_id, "state": "queued"}}

    def view(self, task: dict[str, Any]) -> dict[str, Any]:
        age = time.time() - task["created"]
        done = age >= QUEUED_S + RUNNING_S
        state = "succeeded" if done else "running" if age >= QUEUED_S else "queued"
        moved = QUEUED_S + RUNNING_S if done else QUEUED_S if age >= QUEUED_S else 0.0
        changed = task["created"] + moved
        urls = {"urls": [f"{self.url}/files/{task['id']}.png"]}
        body = task["body"]
        return {
            "id": task["id"],
            "state": state,
            "request": {
                "prompt": body["prompt"],
                "model": body["model"],
                "ratio": body.get("aspect_ratio", "1:1"),
            },
            "output": json.dumps(urls) if done else None,
            "credits": 12 if done else 0,
            "created": int(task["created"] * 1000),
            "updated": int(changed * 1000),
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                with fake.lock:
                    fake.requests += 1
                    dropped = fake.drop_after is not None and fake.requests > fake.drop_after
                if dropped:
                    self.close_connection = True
                    self.connection.close()
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, answer = fake.answer(self.command, self.path, self.headers, body)
                payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                kind = "image/png" if isinstance(answer, bytes) else "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

        return Handler


def _problem(status: int, kind: str, detail: str, field: str | None = None) -> tuple[int, Any]:
    problem = {"status": status, "type": kind, "detail": detail, "field": field}
    return status, {"ok": False, "problem": problem}


def _validate(body: dict[str, Any]) -> tuple[str, str] | None:
    """(field, why) of the first rule the body breaks: model first, then prompt, then the rest."""
    if body.get("model") not in MODELS:
        return "model", "model is required and must be a Seedream 4.5 model"
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not 5 <= len(prompt) <= 400:
        return "prompt", "prompt must be a string of 5 to 400 characters"
    if body.get("aspect_ratio", "1:1") not in RATIOS:
        return "aspect_ratio", "aspect_ratio is not a supported ratio"
    if body.get("quality", "basic") not in ("basic", "high"):
        return "quality", "quality must be basic or high"
    urls = body.get("image_urls", [])
    if not isinstance(urls, list) or len(urls) > 14:
        return "image_urls", "image_urls holds at most 14 URLs"
    return None
