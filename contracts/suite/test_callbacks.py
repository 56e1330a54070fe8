"""The callback a task sends when it ends: the task document, to a real receiver.

Mock-only for now: the receiver listens on loopback, which a remote target cannot reach.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contracts.client import Client
from contracts.loader import validator
from contracts.receiver import WebhookReceiver

pytestmark = pytest.mark.mock_only


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.mark.costs(12)
def test_callback_body_is_the_final_task_document(api: Client, hooks: WebhookReceiver) -> None:
    created = api.create({"prompt": "call me back", "callback_url": hooks.url})
    task_id = created.expect(200, "create_response")["data"]["task_id"]
    final = api.wait(task_id).expect(200, "task")
    (received,) = hooks.wait(1, timeout=30)
    assert received.headers["content-type"] == "application/json"
    assert [e.message for e in validator("callback").iter_errors(received.json())] == []
    assert received.json() == final
