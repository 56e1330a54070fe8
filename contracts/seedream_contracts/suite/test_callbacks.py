"""The callback a task sends when it ends, in the profile's callback shape, to a receiver.

By default the body is the final task document itself; a dialect may post its own envelope
(KIE), and then every value the two share must agree.

On a mock the suite's own loopback receiver gets it and checks it. On another target a loopback
receiver is unreachable: give `--callback-url` (a public receiver you can read) and the suite
submits with it; otherwise the test is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from seedream_contracts.client import Client
from seedream_contracts.drift import DriftRecorder, Observation
from seedream_contracts.profiles import Profile
from seedream_contracts.profiles.validators import answer_errors
from seedream_contracts.receiver import WebhookReceiver
from seedream_contracts.suite._data import fit
from seedream_contracts.suite._expect import submit
from seedream_contracts.suite.conftest import Target


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.mark.needs_callback
@pytest.mark.costs(12)
def test_callback_body_tells_the_final_task(
    api: Client,
    profile: Profile,
    target: Target,
    recorder: DriftRecorder,
    pytestconfig: pytest.Config,
) -> None:
    public_url = pytestconfig.getoption("--callback-url")
    if public_url and not target.has_control:  # a real run: we cannot read that receiver
        task_id = submit(
            api, profile, fit(profile, {"prompt": "call me back", "callback_url": public_url})
        )
        api.wait(task_id).expect(200, "task")
        return
    with WebhookReceiver() as hooks:
        body = fit(profile, {"prompt": "call me back", "callback_url": hooks.url})
        task_id = submit(api, profile, body)
        final = api.wait(task_id).expect(200, "task")
        (received,) = hooks.wait(1, timeout=30)
    recorder.observe(Observation("callback", 200, received.body, "application/json"))
    assert received.headers["content-type"] == "application/json"
    assert answer_errors(profile, "callback", received.json()) == []
    if profile.callback_template is profile.document["answers"]["task"]:
        assert received.json() == final  # the body is the task document itself
    told, polled = profile.read_callback(received.json()), profile.read_task(final)
    assert told.task_id == task_id
    assert told.status == polled.status
    shared = [n for n in told.values if polled.has(n)]
    assert {n: told.get(n) for n in shared} == {n: polled.get(n) for n in shared}
