"""The callback a task sends when it ends: the task document, to a receiver.

On a mock the suite's own loopback receiver gets it and checks it. On another target a loopback
receiver is unreachable: give `--callback-url` (a public receiver you can read) and the suite
submits with it; otherwise the test is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seedream_contracts.client import Client
from seedream_contracts.drift import DriftRecorder, Observation
from seedream_contracts.loader import validator
from seedream_contracts.receiver import WebhookReceiver
from seedream_contracts.suite.conftest import Target


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.mark.needs_callback
@pytest.mark.costs(12)
def test_callback_body_is_the_final_task_document(
    api: Client, target: Target, recorder: DriftRecorder, pytestconfig: pytest.Config
) -> None:
    public_url = pytestconfig.getoption("--callback-url")
    if public_url and not target.has_control:  # a real run: we cannot read that receiver
        created = api.create({"prompt": "call me back", "callback_url": public_url})
        task_id = created.expect(200, "create_response")["data"]["task_id"]
        api.wait(task_id).expect(200, "task")
        return
    with WebhookReceiver() as hooks:
        created = api.create({"prompt": "call me back", "callback_url": hooks.url})
        task_id = created.expect(200, "create_response")["data"]["task_id"]
        final = api.wait(task_id).expect(200, "task")
        (received,) = hooks.wait(1, timeout=30)
    recorder.observe(Observation("callback", 200, received.body, "application/json"))
    assert received.headers["content-type"] == "application/json"
    assert [e.message for e in validator("callback").iter_errors(received.json())] == []
    assert received.json() == final
