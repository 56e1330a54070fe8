"""Task and event ids: unique for a server's whole life, reproducible from the seed, and no
image of a forgotten task comes back after a reset."""

from __future__ import annotations

import threading

import pytest

from mock_server.control import Control
from mock_server.core.ids import IdStream
from mock_server.core.tasks import Status
from mock_server.emulator import Emulator
from mock_server.results import files as results
from mock_server.results.images import ImageCache, ImageSpec, render
from mock_server.settings.config import Settings

AUTH = "Bearer aio_your_api_key"
CALLBACK = "http://127.0.0.1:9/hook"  # nothing listens: each attempt fails at once


def first_ids(mock: Emulator, resets: int) -> list[str]:
    found = []
    for _ in range(resets):
        found.append(mock.submit(mock.authenticate(AUTH), {"prompt": "p"}).task_id)
        Control(mock).reset()
    return found


def test_task_ids_never_repeat_across_resets() -> None:
    mock = Emulator(Settings(clock="manual", seed=7))
    ids = first_ids(mock, 50)
    assert len(set(ids)) == 50
    assert all(i.startswith("n30") and i.endswith("_seed") for i in ids)


def test_ids_across_resets_are_the_same_for_the_same_seed() -> None:
    def run(seed: int) -> list[str]:
        return first_ids(Emulator(Settings(clock="manual", seed=seed)), 5)

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_callbacks_do_not_shift_task_ids() -> None:
    """Event ids come from their own stream: a run with callbacks gets the same task ids."""

    def run(callback: bool) -> list[str]:
        mock = Emulator(Settings(clock="manual", seed=7, webhook_schedule=()))
        account = mock.authenticate(AUTH)
        made = []
        for _ in range(4):
            body = {"prompt": "p", **({"callback_url": CALLBACK} if callback else {})}
            made.append(mock.submit(account, body).task_id)
            Control(mock).advance_clock(60)
        assert len(list(mock.store.deliveries())) == (4 if callback else 0)
        mock.stop()
        return made

    assert run(callback=True) == run(callback=False)


def test_an_id_stream_is_a_permutation_of_epoch_and_number() -> None:
    stream = IdStream(1, "task")
    seen = set()
    for _ in range(20):
        seen.update(stream.next() for _ in range(50))
        stream.new_epoch()
    assert len(seen) == 1000
    assert all(0 <= value < 2**128 for value in seen)


def test_a_render_finishing_after_clear_is_not_cached() -> None:
    cache = ImageCache(10_000_000)
    started, go_on = threading.Event(), threading.Event()

    def slow() -> bytes:
        started.set()
        go_on.wait(5)
        return b"old state"

    rendering = threading.Thread(target=cache.get, args=("t/0", slow))
    rendering.start()
    assert started.wait(5)
    cache.clear()
    go_on.set()
    rendering.join(5)
    assert cache.size_bytes == 0
    assert cache.get("t/0", lambda: b"new state") == b"new state"


def test_a_render_running_across_a_reset_never_serves_a_new_task(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fetch of the old state's image is still rendering when the state is reset; the next
    state's first task must get its own picture, not the one that render finishes with."""
    mock = Emulator(Settings(clock="manual", seed=7, processing_seconds=(1.0, 1.0)))
    old = mock.submit(mock.authenticate(AUTH), {"prompt": "the old prompt"})
    Control(mock).advance_clock(10)
    started, go_on = threading.Event(), threading.Event()

    def held_render(spec: ImageSpec) -> bytes:
        started.set()
        go_on.wait(5)
        return render(spec)

    monkeypatch.setattr(results, "render", held_render)
    fetching = threading.Thread(target=mock.result_file, args=(old.task_id, 0))
    fetching.start()
    assert started.wait(5)
    Control(mock).reset()
    new = mock.submit(mock.authenticate(AUTH), {"prompt": "the new prompt"})
    Control(mock).advance_clock(10)
    go_on.set()
    fetching.join(5)
    assert new.status == Status.COMPLETED
    monkeypatch.setattr(results, "render", render)
    spec = ImageSpec(new.task_id, "the new prompt", "1:1", "basic", new.model, False)
    assert mock.result_file(new.task_id, 0).png == render(spec)
    assert new.task_id != old.task_id
