"""Tests for fox_client, written the way its users would: against seedream-mock through the
pytest plugin's fixtures (seedream_mock, seedream_webhooks), with no real API and no waiting.

Run: `pytest examples` (the plugin is loaded automatically once seedream-mock is installed).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fox_client import (
    AuthenticationFailed,
    CallbackInbox,
    FoxClient,
    GenerationFailed,
    GenerationTimeout,
    InsufficientCredits,
    ServerError,
    parse_callback,
)

from mock_server.handle import MockHandle
from seedream_contracts.receiver import WebhookReceiver


class MockTime:
    """The client's sense of time, tied to the mock's manual clock: each backoff sleep moves
    the mock forward instead of waiting, so a 10 s generation takes milliseconds and a
    timeout is exact."""

    def __init__(self, mock: MockHandle) -> None:
        self.mock = mock
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.mock.clock.advance(seconds)

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def mock_time(seedream_mock: MockHandle) -> MockTime:
    return MockTime(seedream_mock)


@pytest.fixture
def fox(seedream_mock: MockHandle, mock_time: MockTime) -> FoxClient:
    """The client under test, pointed at the session's mock (reset for every test)."""
    return FoxClient(
        seedream_mock.base_url,
        seedream_mock.api_key,
        timeout=10,
        sleep=mock_time.sleep,
        monotonic=mock_time.monotonic,
    )


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]  # signature, IHDR length and type, width, height
    return int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")


# -- the happy path ---------------------------------------------------------------------------


def test_generate_by_polling(
    fox: FoxClient, seedream_mock: MockHandle, mock_time: MockTime, tmp_path: Path
) -> None:
    path = fox.generate("a fox in the snow", tmp_path / "fox.png", aspect_ratio="16:9")
    assert png_size(path) == (2848, 1600)  # 16:9 at the default quality, basic (2K)
    assert mock_time.slept[:3] == [0.5, 1.0, 2.0]  # polls back off exponentially
    assert seedream_mock.credits.balance() == 1200 - 12


def test_generate_in_real_time_on_a_fast_clock(seedream_mock: MockHandle, tmp_path: Path) -> None:
    seedream_mock.clock.set("scaled", 100)  # tasks of 3-10 s end within 30-100 ms
    fox = FoxClient(seedream_mock.base_url, seedream_mock.api_key, timeout=10)  # real sleep
    started = time.monotonic()
    fox.generate("a fox", tmp_path / "fox.png", timeout=10)
    assert time.monotonic() - started < 5


def test_generate_via_webhook(seedream_mock: MockHandle, tmp_path: Path) -> None:
    seedream_mock.clock.set("scaled", 100)
    fox = FoxClient(seedream_mock.base_url, seedream_mock.api_key, timeout=10)
    with CallbackInbox() as inbox:
        path = fox.generate("a fox", tmp_path / "fox.png", inbox=inbox, timeout=10)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert len(inbox.event_ids) == 1
    (delivery,) = seedream_mock.deliveries()
    assert delivery["state"] == "delivered"


def test_the_webhook_step_by_step_on_the_manual_clock(
    fox: FoxClient, seedream_mock: MockHandle, tmp_path: Path
) -> None:
    with CallbackInbox() as inbox:
        task_id = fox.submit("a fox", callback_url=inbox.url)
        seedream_mock.clock.advance(60)  # the task ends; its callback is made before this returns
        task = fox.wait_for_callback(task_id, inbox, timeout=5)
    fox.download(task, tmp_path / "fox.png")
    assert task["status"] == "completed"


def test_duplicate_callbacks_are_recorded_once(fox: FoxClient, seedream_mock: MockHandle) -> None:
    seedream_mock.faults.add(
        "twice", {"type": "webhook_duplicate", "copies": 2}, match={"route": "generations"}
    )
    with CallbackInbox() as inbox:
        task_id = fox.submit("a fox", callback_url=inbox.url)
        seedream_mock.clock.advance(60)
        fox.wait_for_callback(task_id, inbox, timeout=5)
    assert len(inbox.event_ids) == 1
    assert inbox.duplicates == 1


def test_a_lost_callback_costs_one_poll_not_the_image(
    fox: FoxClient, seedream_mock: MockHandle
) -> None:
    seedream_mock.faults.add("lost", {"type": "webhook_drop"}, match={"route": "generations"})
    with CallbackInbox() as inbox:
        task_id = fox.submit("a fox", callback_url=inbox.url)
        seedream_mock.clock.advance(60)
        task = fox.wait_for_callback(task_id, inbox, timeout=0.2)
    assert task["status"] == "completed"
    assert seedream_mock.deliveries(task_id, state="dropped")


def test_your_own_webhook_route_reads_what_the_mock_sends(
    fox: FoxClient, seedream_mock: MockHandle, seedream_webhooks: WebhookReceiver
) -> None:
    """For apps whose webhook route lives in their web framework: feed it real callbacks."""
    seedream_webhooks.respond(500)  # the endpoint fails once; the mock retries
    task_id = fox.submit("a fox", callback_url=seedream_webhooks.url)
    seedream_mock.clock.advance(60)
    first, retry = seedream_webhooks.wait(2)
    assert first.headers["webhook-id"] == retry.headers["webhook-id"]  # deduplicate on this
    task = parse_callback(retry.body)
    assert task["task_id"] == task_id
    assert task["status"] == "completed"


# -- failures ---------------------------------------------------------------------------------


def test_a_503_is_retried_after_its_retry_after(
    fox: FoxClient, seedream_mock: MockHandle, mock_time: MockTime
) -> None:
    seedream_mock.faults.add(
        "busy",
        {"type": "http_error", "status": 503, "headers": {"Retry-After": "2"}},
        match={"route": "generations"},
        times=1,
    )
    task_id = fox.submit("a fox")
    assert mock_time.slept == [2.0]
    assert [task["task_id"] for task in seedream_mock.tasks.list()] == [task_id]


def test_a_503_that_persists_surfaces_as_a_server_error(
    fox: FoxClient, seedream_mock: MockHandle, mock_time: MockTime
) -> None:
    seedream_mock.faults.add(
        "down",
        {"type": "http_error", "status": 503, "headers": {"Retry-After": "1"}},
        match={"route": "generations"},
    )
    with pytest.raises(ServerError) as raised:
        fox.submit("a fox")
    assert raised.value.status == 503
    assert raised.value.type == "upstream_error"
    assert mock_time.slept == [1.0, 1.0, 1.0]  # three retries, then give up
    assert seedream_mock.tasks.list() == []


def test_a_gateway_error_page_on_a_poll_is_retried(
    fox: FoxClient, seedream_mock: MockHandle
) -> None:
    task_id = fox.submit("a fox")
    seedream_mock.faults.add(
        "proxy", {"type": "wrong_content_type", "status": 502}, match={"route": "tasks"}, times=1
    )
    assert fox.task(task_id)["task_id"] == task_id  # an HTML 502 page, then the real answer


def test_a_content_policy_failure_raises(
    fox: FoxClient, seedream_mock: MockHandle, tmp_path: Path
) -> None:
    seedream_mock.faults.add(
        "moderation",
        {"type": "task_fail", "at": "pending", "code": "content_policy_violation"},
        match={"route": "generations", "prompt_contains": "forbidden"},
    )
    with pytest.raises(GenerationFailed) as failed:
        fox.generate("a forbidden fox", tmp_path / "fox.png")
    assert failed.value.code == "content_policy_violation"
    assert not (tmp_path / "fox.png").exists()
    assert seedream_mock.credits.balance() == 1200  # a failed task costs nothing


def test_out_of_credits_is_a_402(fox: FoxClient, seedream_mock: MockHandle) -> None:
    seedream_mock.credits.grant(-seedream_mock.credits.balance())  # empty the wallet
    with pytest.raises(InsufficientCredits) as refused:
        fox.submit("a fox")
    assert refused.value.status == 402
    assert refused.value.type == "insufficient_credits"
    assert seedream_mock.tasks.list() == []


def test_a_stuck_task_times_out_and_can_still_be_fetched(
    fox: FoxClient, seedream_mock: MockHandle, mock_time: MockTime, tmp_path: Path
) -> None:
    seedream_mock.faults.add("stuck", {"type": "task_stall"}, match={"route": "generations"})
    task_id = fox.submit("a fox")
    with pytest.raises(GenerationTimeout):
        fox.wait(task_id, timeout=30)
    assert sum(mock_time.slept) == 30  # it gave up exactly at its deadline
    seedream_mock.tasks.complete(task_id)  # the result arrives after all
    fox.download(fox.wait(task_id), tmp_path / "late.png")


def test_a_bad_key_is_an_authentication_error(seedream_mock: MockHandle) -> None:
    fox = FoxClient(seedream_mock.base_url, "not-a-key", timeout=10)
    with pytest.raises(AuthenticationFailed) as refused:
        fox.submit("a fox")
    assert refused.value.type == "authentication_error"
