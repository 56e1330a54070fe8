"""What the fault tests share: adding a rule, advancing the clock, one raw request."""

from __future__ import annotations

import base64
import http.client
from collections.abc import Callable
from typing import Any

from mock_server.server import MockServer
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
GENERATIONS = "/api/v1/images/generations"
SECRET = "whsec_" + base64.b64encode(b"fault-tests-secret-32-bytes-long").decode()


def add_rule(api: Client, **rule: Any) -> dict[str, Any]:
    added: dict[str, Any] = api.request("POST", "/_mock/faults", json_body=rule).expect_json(200)
    return added["data"]


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)


def raw_post(server: MockServer, timeout: float = 5.0) -> http.client.HTTPResponse:
    """One request on its own connection, no retries: what a plain client sees."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(
            "POST",
            GENERATIONS,
            body=b'{"prompt": "p"}',
            headers={
                "Authorization": "Bearer aio_your_api_key",
                "Content-Type": "application/json",
            },
        )
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def task_of(api: Client, body: dict[str, Any] | None = None) -> str:
    created = api.create(body or {"prompt": "p"}).expect(200, "create_response")
    task_id: str = created["data"]["task_id"]
    return task_id
