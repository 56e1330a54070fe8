"""The oracle of the request properties: what the contract says the server must answer.

The request schema plus the loopback-only callback rule decide whether a body is accepted; the
checks below hold a real answer to that. The server settings live here too, so that every
property module runs against the same prices and timelines.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

from hypothesis import settings

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.client import Client, Reply
from seedream_contracts.loader import validator

KEY = "aio_prop"
FIELDS = ("prompt", "model", "aspect_ratio", "quality", "image_urls", "callback_url")
TEXT_TO_IMAGE, EDIT, ALIAS = "seedream/4.5-text-to-image", "seedream/4.5-edit", "seedream-4-5"
MODELS = (TEXT_TO_IMAGE, EDIT, ALIAS)
RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
QUALITIES = ("basic", "high")
# Fixed durations, so that a failing state-machine run replays identically while it shrinks.
PENDING_SECONDS, PROCESSING_SECONDS = 1.0, (4.0, 4.0)
PRICE = 12
LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
LOOPBACK_V6 = ipaddress.ip_address("::1")
_HOST = re.compile(r"^[A-Za-z]+://(\[[^\]]*\]|[^:/?#]*)")
_PORT = re.compile(r"^[A-Za-z]+://(?:\[[^\]]*\]|[^:/?#]*):([0-9]+)")

PROPERTY = settings(max_examples=150, deadline=None)


@contextmanager
def property_server() -> Iterator[MockServer]:
    """A server on a loopback port whose clock moves only when a test advances it."""
    config = Settings(
        port=0,
        clock="manual",  # nothing moves unless a test advances the clock
        seed=20261124,
        keys={KEY: 10_000_000},  # 402 never gets in the way of the validation properties
        pending_seconds=PENDING_SECONDS,
        processing_seconds=PROCESSING_SECONDS,
        price=PRICE,
    )
    with MockServer(config) as running:
        yield running


def _is_loopback(host: str) -> bool:
    """localhost, *.localhost, 127.0.0.0/8 and ::1 (`--callback-hosts loopback`, the default)."""
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address in LOOPBACK_V4
    return address == LOOPBACK_V6


def _sendable_host(host: str) -> str | None:
    """The host as dialled (README: percent-escapes decoded, IDNA), or None if it has none."""
    if host.startswith("["):
        return host
    try:
        dialled = unquote(host, errors="strict").encode("idna").decode().lower()
    except UnicodeError:
        return None
    return dialled if re.fullmatch(r"[a-z0-9._~-]+", dialled) else None


def _callback_refused(body: dict[str, Any]) -> bool:
    url = body.get("callback_url")
    if not isinstance(url, str):
        return False
    found = _HOST.match(url)
    host = None if found is None else _sendable_host(found.group(1))
    port = _PORT.match(url)
    if port is not None and not 1 <= int(port.group(1)) <= 65535:
        return True
    return host is None or not _is_loopback(host)


def contract_accepts(body: Any) -> bool:
    """True when the request schema and the loopback-only callback rule both accept `body`."""
    if not validator("generation_request").is_valid(body):
        return False
    return not _callback_refused(body)


def fields_at_fault(body: dict[str, Any]) -> set[str]:
    """Every field the contract says is wrong in an object body (any of them may be reported)."""
    found: set[str] = set()
    for error in validator("generation_request").iter_errors(body):
        if error.absolute_path:
            found.add(str(error.absolute_path[0]))
        elif error.validator == "required":
            required: list[str] = list(error.validator_value)
            found.update(f for f in required if f not in body)
    if _callback_refused(body):
        found.add("callback_url")
    return found


def resolved_model(body: dict[str, Any]) -> str:
    model = body.get("model")
    if model == ALIAS:
        urls = body.get("image_urls")
        return EDIT if isinstance(urls, list) and urls else TEXT_TO_IMAGE
    return str(model or TEXT_TO_IMAGE)


def check_rejection(reply: Reply, body: Any) -> None:
    """A 400 in the error envelope whose `param` names a field at fault (null for non-objects)."""
    error = reply.expect(400, "error")["error"]
    assert error["code"] == 400
    assert error["type"] == "invalid_request_error"
    if isinstance(body, dict):
        assert error["param"] in fields_at_fault(body), (error, body)
    else:
        assert error["param"] is None, error


def check_acceptance(client: Client, reply: Reply, body: dict[str, Any]) -> None:
    """A create answer, and a readable pending task that echoes the normalized request."""
    task_id = reply.expect(200, "create_response")["data"]["task_id"]
    task = client.task(task_id).expect(200, "task")["data"]
    model = resolved_model(body)
    assert task["task_id"] == task_id
    assert task["model"] == model
    assert task["status"] == "pending"
    assert task["input"] == {
        "prompt": body["prompt"],
        "aspect_ratio": body.get("aspect_ratio") or "1:1",
        "quality": body.get("quality") or "basic",
        "image_urls": list(body["image_urls"]) if model == EDIT else [],
    }


def check_create(client: Client, body: Any) -> int:
    """POST `body` and check the answer against the oracle; returns the HTTP status."""
    reply = client.create(body)
    assert reply.status < 500, f"{reply.status} for {body!r}: {reply.body[:300]!r}"
    if contract_accepts(body):
        check_acceptance(client, reply, body)
    else:
        check_rejection(reply, body)
    return reply.status
