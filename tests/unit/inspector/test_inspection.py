"""What the inspector reads: rows, a task's story, and thumbnails made once."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mock_server.control import Control
from mock_server.core.errors import NotFoundError
from mock_server.emulator import Emulator
from mock_server.settings.config import Settings

BODY = {"model": "seedream/4.5-text-to-image", "prompt": "a fox", "aspect_ratio": "16:9"}


def _mock() -> tuple[Emulator, Control]:
    mock = Emulator(Settings(clock="manual", seed=3))
    return mock, Control.of(mock)


def test_a_thumbnail_is_small_and_made_once(monkeypatch: pytest.MonkeyPatch) -> None:
    mock, door = _mock()
    task = mock.submit(mock.authenticate("Bearer aio_your_api_key"), BODY)
    with pytest.raises(NotFoundError):
        door.inspection.thumbnail(task.task_id)  # not completed yet
    door.advance_clock(600)
    thumb = door.inspection.thumbnail(task.task_id)
    with Image.open(io.BytesIO(thumb)) as image:
        assert max(image.size) == 320
    monkeypatch.setattr(mock, "result_file", lambda *a: pytest.fail("rendered again"))
    assert door.inspection.thumbnail(task.task_id) is thumb


def test_a_tasks_story_is_in_time_order_with_its_credits() -> None:
    mock, door = _mock()
    task = mock.submit(mock.authenticate("Bearer aio_your_api_key"), BODY)
    door.advance_clock(600)
    story = door.inspection.task(task.task_id, "http://127.0.0.1:1/")
    moments = [at for at, _, _ in story["timeline"]]
    assert moments == sorted(moments)
    kinds = [what for _, what, _ in story["timeline"]]
    assert {"task created", "task processing", "task completed", "credits captured"} <= set(kinds)
    assert story["row"]["key"].startswith("aio_…")
    assert story["row"]["status"] == "completed"
    assert story["document"]["data"]["task_id"] == task.task_id
