"""Hypothesis state machine over real HTTP: credits balance and task states only move forward.

Random submits, clock advances and polls with several keys; after every step each key's ledger
is replayed and held against the tasks the API reports.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from ledger_audit import audit, check_tasks  # tests/http is on sys.path (rootdir mode)
from request_oracle import (
    PENDING_SECONDS,
    PRICE,
    PROCESSING_SECONDS,
    QUALITIES,
    RATIOS,
    property_server,
)

from mock_server.server import MockServer
from seedream_contracts.client import Client


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with property_server() as running:
        yield running


CREDITS = 60  # five tasks' worth: 402 comes up often
RANK = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
TERMINAL = ("completed", "failed")
SLACK = 1e-3  # float error of the server's epoch clock; keeps the timing checks off boundaries
_runs = itertools.count()


@dataclass
class Seen:
    """What the test knows about one task: its key, when it was made, its last polled status."""

    key: str
    created: float
    status: str = "pending"


class LedgerMachine(RuleBasedStateMachine):
    """Submits, advances the manual clock and polls, with fresh keys each run."""

    base_url: ClassVar[str] = ""
    tasks = Bundle("tasks")

    def __init__(self) -> None:
        super().__init__()
        self.http = Client(self.base_url, None)
        run = next(_runs)
        self.keys = [f"aio_ledger_{run}_{i}" for i in range(3)]
        self.clients = {key: self.http.with_key(key) for key in self.keys}
        for key in self.keys:
            body = {"key": key, "credits": CREDITS}
            self.http.request("POST", "/_mock/keys", json_body=body).expect_json(200)
        self.now = 0.0  # seconds advanced since this run began
        self.seen: dict[str, Seen] = {}

    def teardown(self) -> None:
        self.http.close()

    def _committed(self, key: str) -> int:
        return PRICE * sum(1 for s in self.seen.values() if s.key == key and s.status != "failed")

    @rule(
        target=tasks,
        owner=st.integers(0, 2),
        prompt=st.sampled_from(["a fox", "a lighthouse at dusk"]),
        quality=st.sampled_from(QUALITIES),
        ratio=st.sampled_from(RATIOS),
    )
    def submit(self, owner: int, prompt: str, quality: str, ratio: str) -> Any:
        key = self.keys[owner]
        body = {"prompt": prompt, "quality": quality, "aspect_ratio": ratio}
        reply = self.clients[key].create(body)
        if self._committed(key) + PRICE > CREDITS:
            error = reply.expect(402, "error")["error"]
            assert error["type"] == "insufficient_credits"
            return multiple()
        task_id: str = reply.expect(200, "create_response")["data"]["task_id"]
        assert task_id not in self.seen
        self.seen[task_id] = Seen(key, self.now)
        return task_id

    @rule(seconds=st.integers(0, 15) | st.floats(0, 15))
    def advance(self, seconds: float) -> None:
        reply = self.http.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds})
        reply.expect_json(200)
        self.now += seconds

    @rule(task_id=tasks)
    def poll(self, task_id: str) -> None:
        self._poll(task_id)

    @rule(task_id=tasks, shift=st.integers(1, 2))
    def poll_with_another_key(self, task_id: str, shift: int) -> None:
        owner = self.keys.index(self.seen[task_id].key)
        other = self.clients[self.keys[(owner + shift) % 3]]
        assert other.task(task_id).expect(404, "error")["error"]["type"] == "not_found_error"

    def _poll(self, task_id: str) -> None:
        seen = self.seen[task_id]
        task = self.clients[seen.key].task(task_id).expect(200, "task")["data"]
        status = task["status"]
        assert RANK[status] >= RANK[seen.status], f"{task_id}: {seen.status} -> {status}"
        if seen.status in TERMINAL:
            assert status == seen.status, f"{task_id}: {seen.status} -> {status}"
        elapsed = self.now - seen.created
        low, high = PROCESSING_SECONDS
        if elapsed < PENDING_SECONDS - SLACK:
            assert status == "pending", (task_id, elapsed, status)
        if elapsed > PENDING_SECONDS + SLACK:
            assert status != "pending", (task_id, elapsed, status)
        if elapsed < PENDING_SECONDS + low - SLACK:
            assert status not in TERMINAL, (task_id, elapsed, status)
        if elapsed > PENDING_SECONDS + high + SLACK:
            assert status in TERMINAL, (task_id, elapsed, status)
        assert task["credits_consumed"] == (PRICE if status == "completed" else 0)
        assert (task["progress"] == 100) == (status == "completed"), task
        seen.status = status

    @invariant()
    def ledgers_balance_and_match_the_tasks(self) -> None:
        for task_id, seen in self.seen.items():
            if seen.status not in TERMINAL:
                self._poll(task_id)
        for key in self.keys:
            ledger = self.http.request("GET", f"/_mock/keys/{key}").expect_json(200)["data"]
            # Replayed from its entries, the key's balance is what the ledger reports, and
            # each task's hold is open, captured or released as the task API says.
            statuses = {t: s.status for t, s in self.seen.items() if s.key == key}
            check_tasks(audit(ledger), statuses)
            mine = [s.status for s in self.seen.values() if s.key == key]
            assert ledger["granted"] == CREDITS
            assert ledger["held"] == PRICE * sum(1 for s in mine if s not in TERMINAL), ledger
            assert ledger["spent"] == PRICE * mine.count("completed"), ledger


def test_credits_balance_and_task_states_only_move_forward(server: MockServer) -> None:
    class Machine(LedgerMachine):
        base_url = server.base_url

    run_state_machine_as_test(
        Machine, settings=settings(max_examples=20, stateful_step_count=25, deadline=None)
    )
