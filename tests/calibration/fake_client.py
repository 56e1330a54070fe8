"""A client written for the fake API, knowing nothing of profiles: the kind of code a user has.

It submits, polls until the fake's `succeeded`, reads the URLs out of the JSON-encoded
`output`, downloads the PNG, and turns the fake's 422 envelope into `FakeValidationError`. The
same code must work unchanged against the mock serving the profile calibrated from the fake.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any


class FakeValidationError(Exception):
    def __init__(self, field: str | None, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class FakeClient:
    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.key = key

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def submit(self, prompt: str, model: str = "seedream/4.5-text-to-image") -> str:
        body = {"model": model, "prompt": prompt}
        status, answer = self._call("POST", "/api/v1/images/generations", body)
        if status == 422 and answer["problem"]["type"] == "validation_error":
            raise FakeValidationError(answer["problem"]["field"], answer["problem"]["detail"])
        assert status == 200, (status, answer)
        assert answer["ok"] is True, answer
        assert answer["task"]["state"] == "queued", answer
        task_id: str = answer["task"]["id"]
        return task_id

    def wait(self, task_id: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, answer = self._call("GET", f"/api/v1/tasks/{task_id}")
            assert status == 200, (status, answer)
            task: dict[str, Any] = answer["task"]
            assert task["state"] in ("queued", "running", "succeeded"), task
            if task["state"] == "succeeded":
                return task
            time.sleep(0.1)
        raise TimeoutError(task_id)

    @staticmethod
    def image_urls(task: dict[str, Any]) -> list[str]:
        urls: list[str] = json.loads(task["output"])["urls"]
        return urls

    @staticmethod
    def download(url: str) -> bytes:
        with urllib.request.urlopen(url, timeout=10) as answer:
            data: bytes = answer.read()
        assert data.startswith(b"\x89PNG\r\n\x1a\n"), data[:16]
        return data

    def generate(self, prompt: str) -> bytes:
        """The whole flow: submit, wait, download the first image."""
        task = self.wait(self.submit(prompt))
        assert isinstance(task["created"], int), task
        assert task["created"] > 10**12, task  # epoch milliseconds
        return self.download(self.image_urls(task)[0])
