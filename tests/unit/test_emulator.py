"""The domain core on a manual clock: timelines, isolation, credits, result files, reset."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mock_server.control import Control
from mock_server.core.errors import AuthenticationError, InsufficientCreditsError, NotFoundError
from mock_server.core.events import Event
from mock_server.core.tasks import Status, TaskError, Timeline
from mock_server.emulator import Emulator
from mock_server.settings.config import Settings

START = 1_800_000_000.0
AUTH = "Bearer aio_your_api_key"


@pytest.fixture
def mock() -> Emulator:
    settings = Settings(clock="manual", clock_start=START, seed=1, processing_seconds=(4.0, 4.0))
    return Emulator(settings)


def test_task_follows_its_timeline_on_the_manual_clock(mock: Emulator) -> None:
    account = mock.authenticate(AUTH)
    task = mock.submit(account, {"prompt": "p"})
    assert task.status == Status.PENDING
    Control(mock).advance_clock(0.999)
    assert mock.task_for(account, task.task_id).status == Status.PENDING
    Control(mock).advance_clock(0.001)
    assert task.status == Status.PROCESSING
    assert task.processing_at == START + 1
    Control(mock).advance_clock(10)
    assert task.status == Status.COMPLETED
    assert task.completed_at == START + 5  # the event's own time, not the advance's end
    assert task.credits_consumed == 12


def test_events_are_published_in_order(mock: Emulator) -> None:
    seen: list[Event] = []
    mock.events.subscribe(seen.append)
    task = mock.submit(mock.authenticate(AUTH), {"prompt": "p"})
    Control(mock).advance_clock(60)
    assert [e.kind for e in seen if e.task_id == task.task_id] == [
        "credits.held",
        "task.created",
        "task.processing",
        "task.completed",
    ]
    assert [e.at for e in seen if e.kind.startswith("task.")] == [START, START + 1, START + 5]


def test_a_failing_timeline_releases_the_hold(mock: Emulator) -> None:
    account = mock.authenticate(AUTH)
    task = mock.submit(account, {"prompt": "p"})
    task.timeline = Timeline(1, 4, TaskError("content_policy_violation", "Refused."))
    Control(mock).advance_clock(60)
    assert task.status == Status.FAILED
    assert task.error == TaskError("content_policy_violation", "Refused.")
    assert task.credits_consumed == 0
    assert account.ledger.summary() == {"granted": 1200, "held": 0, "spent": 0, "available": 1200}


def test_another_keys_task_is_not_found(mock: Emulator) -> None:
    mine = mock.submit(mock.authenticate(AUTH), {"prompt": "p"})
    other = mock.authenticate("Bearer aio_someone_else")
    with pytest.raises(NotFoundError):
        mock.task_for(other, mine.task_id)


def test_strict_mode_refuses_unknown_keys_and_open_mode_grants_default() -> None:
    strict = Emulator(Settings(key_mode="strict", keys={"aio_team": 24}))
    with pytest.raises(AuthenticationError, match="Invalid API key"):
        strict.authenticate("Bearer aio_stranger")
    assert strict.authenticate("Bearer aio_team").ledger.available == 24
    open_mode = Emulator(Settings(default_credits=36))
    assert open_mode.authenticate("Bearer aio_stranger").ledger.available == 36


def test_short_balance_creates_no_task(mock: Emulator) -> None:
    Control(mock).create_key("aio_poor", 11)
    account = mock.authenticate("Bearer aio_poor")
    with pytest.raises(InsufficientCreditsError):
        mock.submit(account, {"prompt": "p"})
    assert mock.store.task_count() == 0


def test_result_file_is_404_before_completion_and_410_after_expiry(mock: Emulator) -> None:
    task = mock.submit(mock.authenticate(AUTH), {"prompt": "p", "aspect_ratio": "21:9"})
    with pytest.raises(NotFoundError) as early:
        mock.result_file(task.task_id, 0)
    assert early.value.status == 404
    Control(mock).advance_clock(10)
    png = mock.result_file(task.task_id, 0).png
    assert Image.open(io.BytesIO(png)).size == (3136, 1344)
    Control(mock).advance_clock(24 * 3600)
    with pytest.raises(NotFoundError) as late:
        mock.result_file(task.task_id, 0)
    assert late.value.status == 410


def test_edit_of_a_mock_result_is_drawn_from_that_result(mock: Emulator) -> None:
    account = mock.authenticate(AUTH)
    source = mock.submit(account, {"prompt": "source"})
    Control(mock).advance_clock(10)
    url = f"http://127.0.0.1:8080/files/{source.task_id}/0.png"
    derived = mock.submit(
        account, {"prompt": "e", "model": "seedream/4.5-edit", "image_urls": [url]}
    )
    foreign = mock.submit(
        account,
        {
            "prompt": "e",
            "model": "seedream/4.5-edit",
            "image_urls": ["https://img.example.com/x.png"],
        },
    )
    Control(mock).advance_clock(10)
    assert (
        mock.results.source_png(derived.input.image_urls) == mock.result_file(source.task_id, 0).png
    )
    assert mock.results.source_png(foreign.input.image_urls) is None
    assert mock.result_file(derived.task_id, 0).png != mock.result_file(foreign.task_id, 0).png


def test_eviction_drops_only_finished_tasks() -> None:
    mock = Emulator(Settings(clock="manual", max_tasks=2, keys={"aio_k": 1200}))
    account = mock.authenticate("Bearer aio_k")
    first = mock.submit(account, {"prompt": "1"})
    Control(mock).advance_clock(60)
    running = [mock.submit(account, {"prompt": str(i)}) for i in range(3)]
    assert mock.store.task(first.task_id) is None
    assert all(mock.store.task(t.task_id) is not None for t in running)  # still holding credits


def test_reset_forgets_tasks_and_restores_grants_but_not_time(mock: Emulator) -> None:
    account = mock.authenticate(AUTH)
    mock.submit(account, {"prompt": "p"})
    Control(mock).advance_clock(100)
    Control(mock).reset()
    assert mock.store.task_count() == 0
    assert mock.scheduler.pending() == 0
    assert mock.authenticate(AUTH).ledger.available == 1200
    assert mock.clock.now() == START + 100


def test_same_seed_gives_the_same_task_ids() -> None:
    ids = []
    for _ in range(2):
        mock = Emulator(Settings(clock="manual", seed=42))
        account = mock.authenticate(AUTH)
        ids.append([mock.submit(account, {"prompt": "p"}).task_id for _ in range(3)])
    assert ids[0] == ids[1]
    assert all(i.startswith("n30") and i.endswith("_seed") for i in ids[0])


def test_forced_transition_after_the_end_is_a_no_op(mock: Emulator) -> None:
    task = mock.submit(mock.authenticate(AUTH), {"prompt": "p"})
    Control(mock).advance_clock(60)
    mock.transition(task.task_id, Status.FAILED, START + 61)
    assert task.status == Status.COMPLETED


def test_forcing_a_task_whose_first_transition_fired_leaves_no_pending_events(
    mock: Emulator,
) -> None:
    task = mock.submit(mock.authenticate(AUTH), {"prompt": "p"})
    Control(mock).advance_clock(2)  # processing: the first scheduled transition has fired
    mock.force(task.task_id, Status.COMPLETED)
    assert Control(mock).clock_document()["pending_events"] == 0
