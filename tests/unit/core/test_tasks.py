"""A task only moves forward; progress rises with the clock and stops where the task ends."""

from __future__ import annotations

import pytest

from mock_server.core.tasks import IllegalTransition, Status, Task, TaskInput, Timeline


def make(processing: float = 10.0) -> Task:
    return Task(
        "n30x_seed",
        "aio_k",
        "seedream/4.5-text-to-image",
        TaskInput("p", "1:1", "basic"),
        12,
        Timeline(1.0, processing),
        created_at=100.0,
    )


def test_status_never_moves_backwards() -> None:
    task = make()
    task.move(Status.PROCESSING, 101)
    with pytest.raises(IllegalTransition):
        task.move(Status.PENDING, 102)
    task.move(Status.COMPLETED, 111)
    for later in (Status.PROCESSING, Status.FAILED, Status.COMPLETED):
        with pytest.raises(IllegalTransition):
            task.move(later, 120)
    assert task.status == Status.COMPLETED


def test_progress_is_zero_pending_rises_while_processing_and_is_100_when_completed() -> None:
    task = make(processing=10)
    assert task.progress(100.5) == 0
    task.move(Status.PROCESSING, 101)
    readings = [task.progress(101 + s) for s in (0, 2.5, 5, 9.99, 30)]
    assert readings == sorted(readings)
    assert readings[0] >= 1
    assert readings[-1] == 99
    task.move(Status.COMPLETED, 111)
    assert task.progress(500) == 100


def test_failed_task_keeps_the_progress_it_reached() -> None:
    task = make(processing=10)
    task.move(Status.PROCESSING, 101)
    task.move(Status.FAILED, 106)
    assert task.progress(1000) == 50
    assert task.completed_at == 106


def test_failing_while_pending_leaves_progress_at_zero() -> None:
    task = make()
    task.move(Status.FAILED, 100.5)
    assert task.progress(200) == 0


def test_timestamps_never_run_backwards_even_if_an_event_is_late() -> None:
    task = make()
    task.move(Status.PROCESSING, 99)  # due before creation: clamped to the last update
    assert task.updated_at == task.processing_at == 100
