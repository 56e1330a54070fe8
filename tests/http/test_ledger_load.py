"""Under concurrent load over real HTTP — submits, forced completions and failures, clock
advances, grants — every key's balance replayed from its ledger entries is what the ledger and
the control API report, at every read and at the end."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from ledger_audit import audit, check_tasks  # tests/http is on sys.path (rootdir mode)

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.client import Client

KEYS = [f"aio_load_{i}" for i in range(4)]
CREDITS = 240  # twenty tasks' worth: 402s come up
THREADS = 6
OPERATIONS = 120  # per thread; with 4 keys the entry logs stay far below their cap


@pytest.fixture
def server() -> Iterator[MockServer]:
    settings = Settings(
        port=0,
        clock="manual",
        seed=11,
        key_mode="strict",
        keys=dict.fromkeys(KEYS, CREDITS),
        pending_seconds=1.0,
        processing_seconds=(2.0, 6.0),
    )
    with MockServer(settings) as running:
        yield running


def worker(base_url: str, number: int, made: list[tuple[str, str]], errors: list[str]) -> None:
    rng = random.Random(number)
    control = Client(base_url, None, timeout=30)
    clients = {key: control.with_key(key) for key in KEYS}
    try:
        for _ in range(OPERATIONS):
            key = rng.choice(KEYS)
            roll = rng.random()
            if roll < 0.45:
                reply = clients[key].create({"prompt": "load"})
                if reply.status == 200:
                    made.append((key, reply.json()["data"]["task_id"]))
                elif reply.status != 402:
                    errors.append(f"create {reply.status}")
            elif roll < 0.75 and made:
                _, task_id = rng.choice(made)
                ending = rng.choice(["complete", "fail"])
                status = control.request("POST", f"/_mock/tasks/{task_id}/{ending}").status
                if status not in (200, 409):  # 409: it had ended already
                    errors.append(f"{ending} {status}")
            elif roll < 0.85:
                seconds = rng.uniform(0, 3)
                reply = control.request(
                    "POST", "/_mock/clock/advance", json_body={"seconds": seconds}
                )
                if reply.status != 200:
                    errors.append(f"advance {reply.status}")
            elif roll < 0.9:
                body = {"amount": rng.choice([12, 24])}
                if (
                    control.request("POST", f"/_mock/keys/{key}/credits", json_body=body).status
                    != 200
                ):
                    errors.append("grant")
            else:  # a read in the middle of everything must already balance
                audit(control.request("GET", f"/_mock/keys/{key}").expect_json(200)["data"])
    except AssertionError as exc:
        errors.append(f"audit: {exc}")
    finally:
        control.close()


def test_ledgers_replay_exactly_under_concurrent_load(server: MockServer) -> None:
    made: list[tuple[str, str]] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=worker, args=(server.base_url, n, made, errors))
        for n in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(made) > 50  # the load did happen
    control = Client(server.base_url, None)
    try:
        for key in KEYS:
            ledger = control.request("GET", f"/_mock/keys/{key}").expect_json(200)["data"]
            seen = audit(ledger)
            mine = control.with_key(key)
            statuses = {
                task_id: mine.task(task_id).expect(200, "task")["data"]["status"]
                for owner, task_id in made
                if owner == key
            }
            check_tasks(seen, statuses)
            # The ledger itself, read in-process, says the same as the control API.
            assert server.emulator.accounts.get(key).ledger.summary() == seen.totals()
    finally:
        control.close()
