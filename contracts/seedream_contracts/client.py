"""A small HTTP client for the contract suite: standard library only, keep-alive, no mock insides.

It speaks to any target (the mock, the real API, anything in between) and returns every answer
as a `Reply`, whatever its status, so tests assert on what a client really sees. Given a profile,
it judges answers by that profile's schemas and reads task states through it; without one, by
the hand-written schemas (the default profile's).
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from seedream_contracts.drift import Observation, endpoint_of
from seedream_contracts.loader import validator
from seedream_contracts.profiles import Profile
from seedream_contracts.profiles.validators import answer_errors

USER_AGENT = "seedream-mock-contracts/0.1"


class TargetUnreachable(ConnectionError):
    """The target did not answer at the network level: not a contract failure."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    profile: Profile | None = field(default=None, repr=False)
    _json: Any = field(default=None, repr=False)

    def json(self) -> Any:
        if self._json is None:
            self._json = json.loads(self.body)
        return self._json

    def expect(self, status: int, schema: str) -> Any:
        """The JSON body, after checking the status and that the body conforms to `schema`."""
        self.expect_json(status)
        errors = self.schema_errors(schema)
        if errors:
            raise AssertionError(f"HTTP {status} body breaks the {schema} schema: {errors}")
        return self.json()

    def expect_json(self, status: int) -> Any:
        """The JSON body after checking the status (for /_mock/ answers, which have no schema)."""
        if self.status != status:
            raise AssertionError(f"expected HTTP {status}, got {self.status}: {self.body[:500]!r}")
        return self.json()

    def schema_errors(self, schema: str) -> list[str]:
        """Every way the JSON body breaks the named contract schema (empty when it conforms):
        the profile's answer schema of that name, or without a profile the hand-written one."""
        try:
            document = self.json()
        except ValueError as exc:
            return [f"body is not JSON: {exc}"]
        if self.profile is not None:
            return answer_errors(self.profile, schema, document)
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
            for e in validator(schema).iter_errors(document)
        ]


class Client:
    """HTTP/1.1 with one kept-alive connection per thread and host."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        timeout: float = 30.0,
        observer: Callable[[Observation], None] | None = None,
        profile: Profile | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.observer = observer  # sees every answer (the drift report)
        self.profile = profile  # the dialect answers are judged and read in
        self._local = threading.local()
        self._all: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def with_key(self, api_key: str | None) -> Client:
        """The same target and connections, another key."""
        twin = Client(self.base_url, api_key, self.timeout, self.observer, self.profile)
        twin._local, twin._all, twin._lock = self._local, self._all, self._lock
        return twin

    def close(self) -> None:
        """Close every connection this client (and its twins) opened, in any thread."""
        with self._lock:
            for connection in self._all:
                connection.close()

    def _connection(self, scheme: str, netloc: str) -> http.client.HTTPConnection:
        pool: dict[str, http.client.HTTPConnection] = self._local.__dict__.setdefault("pool", {})
        name = f"{scheme}://{netloc}"
        if name not in pool:
            kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
            pool[name] = kind(netloc, timeout=self.timeout)
            with self._lock:
                self._all.append(pool[name])
        return pool[name]

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Reply:
        """Send one request; `url` is a path on the target or an absolute URL."""
        full = url if "://" in url else self.base_url + url
        parts = urlsplit(full)
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if auth and self.api_key is not None:
            sent["Authorization"] = f"Bearer {self.api_key}"
        if json_body is not None:
            data = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):  # a kept-alive connection the server closed gets one retry
            connection = self._connection(parts.scheme, parts.netloc)
            try:
                connection.request(method, path, body=data, headers=sent)
                answer = connection.getresponse()
                body = answer.read()
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                connection.close()
                if attempt == 2:
                    raise TargetUnreachable(f"{method} {full}: {exc}") from exc
                continue
            headers = {k.lower(): v for k, v in answer.getheaders()}
            reply = Reply(answer.status, headers, body, self.profile)
            if self.observer is not None and full.startswith(self.base_url):
                self.observer(
                    Observation(
                        endpoint_of(method, parts.path),
                        reply.status,
                        body,
                        reply.headers.get("content-type", ""),
                    )
                )
            return reply
        raise AssertionError("unreachable")

    def create(self, body: Any, **kwargs: Any) -> Reply:
        return self.request("POST", "/api/v1/images/generations", json_body=body, **kwargs)

    def task(self, task_id: str, **kwargs: Any) -> Reply:
        return self.request("GET", f"/api/v1/tasks/{task_id}", **kwargs)

    def wait(self, task_id: str, timeout: float = 120.0, interval: float = 0.05) -> Reply:
        """Poll until the task has ended, backing off up to 2 s between polls. Without a profile
        "ended" is a status of completed or failed (in any letter case, as clients should); with
        one, its names for those states (again in any case), wherever its task answer puts it."""
        deadline = time.monotonic() + timeout
        while True:
            reply = self.task(task_id)
            if reply.status != 200 or self._ended(reply.json()):
                return reply
            if time.monotonic() > deadline:
                raise TimeoutError(f"task {task_id} did not finish within {timeout} s")
            time.sleep(interval)
            interval = min(interval * 1.5, 2.0)

    def _ended(self, document: Any) -> bool:
        if self.profile is None:
            return str(document["data"]["status"]).lower() in ("completed", "failed")
        view = self.profile.read_task(document)
        ending = {str(self.profile.wire_status(s)).lower() for s in ("completed", "failed")}
        return view.ended or str(view.status_name).lower() in ending
