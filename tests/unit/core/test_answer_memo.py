"""A remembered task answer is the answer the task has now: every poll's bytes equal a fresh
rendering of the task at that moment, through its whole life, failures and resets included."""

from __future__ import annotations

import json

from mock_server.control import Control
from mock_server.core import documents
from mock_server.core.answers import AnswerMemo
from mock_server.core.tasks import Status, Task, TaskError, Timeline
from mock_server.emulator import Emulator
from mock_server.settings.config import Settings

START = 1_800_000_000.0
AUTH = "Bearer aio_your_api_key"
BASE = "http://127.0.0.1:8080/"


def _fresh(mock: Emulator, task: Task, base: str = BASE) -> bytes:
    return documents.to_json_bytes(mock.task_document(task, base))


def test_every_poll_reads_what_the_task_is_now() -> None:
    mock = Emulator(Settings(clock="manual", clock_start=START, processing_seconds=(4.0, 4.0)))
    account = mock.authenticate(AUTH)
    task = mock.submit(account, {"prompt": "p"})
    seen = []
    for step in (0, 0, 1.0, 0.5, 0.5, 2.0, 2.0, 10):  # pending, processing (moving), completed
        Control(mock).advance_clock(step)
        mock.task_for(account, task.task_id)  # fires what fell due, as a poll does
        for _ in range(2):  # the second is the remembered one
            answer = mock.task_answer(task, BASE)
            assert answer == _fresh(mock, task)
        seen.append(json.loads(answer)["data"])
    assert [d["status"] for d in seen][0] == "pending"
    assert seen[-1]["status"] == "completed"
    progress = [d["progress"] for d in seen if d["status"] == "processing"]
    assert len(set(progress)) > 1  # the clock moved the progress, and the answers followed
    assert mock.task_answer(task, "http://other:1/") == _fresh(mock, task, "http://other:1/")
    assert b"http://other:1/files/" in mock.task_answer(task, "http://other:1/")


def test_a_failure_and_a_reset_are_never_answered_from_memory() -> None:
    mock = Emulator(Settings(clock="manual", clock_start=START, seed=2))
    account = mock.authenticate(AUTH)
    task = mock.submit(account, {"prompt": "p"})
    task.timeline = Timeline(1, 4, TaskError("content_policy_violation", "Refused."))
    before = mock.task_answer(task, BASE)
    Control(mock).advance_clock(60)
    mock.task_for(account, task.task_id)
    assert task.status == Status.FAILED
    after = mock.task_answer(task, BASE)
    assert after != before
    assert after == _fresh(mock, task)
    assert b"content_policy_violation" in after
    mock.reset(None)
    assert len(mock.answers._found) == 0


def test_the_memo_is_bounded() -> None:
    memo = AnswerMemo(limit=3)
    for number in range(10):
        memo.put((f"t{number}", "pending", 0.0, 0, BASE), b"x")
    assert len(memo._found) <= 3
    assert memo.get(("t9", "pending", 0.0, 0, BASE)) == b"x"
