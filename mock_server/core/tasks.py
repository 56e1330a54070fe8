"""Task states, the legal transitions between them, and each task's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

TEXT_TO_IMAGE = "seedream/4.5-text-to-image"
EDIT = "seedream/4.5-edit"


class Status(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


_RANK = {Status.PENDING: 0, Status.PROCESSING: 1, Status.COMPLETED: 2, Status.FAILED: 2}
TERMINAL = frozenset({Status.COMPLETED, Status.FAILED})


class IllegalTransition(ValueError):
    """A transition that would move a task backwards or out of a terminal state."""


@dataclass(frozen=True)
class TaskError:
    """Why a task failed, as reported in `error` (string codes as the peers use)."""

    code: str
    message: str


@dataclass(frozen=True)
class Timeline:
    """How a task will live: seconds pending, seconds processing, then its outcome.

    `failure` None means it completes; otherwise it fails with that error when the state
    `fail_at` ends (pending: it never processes; processing: the usual place). `stall_in` keeps
    it in that state until the control API forces it on.
    """

    pending_seconds: float
    processing_seconds: float
    failure: TaskError | None = None
    fail_at: Status = Status.PROCESSING
    stall_in: Status | None = None


@dataclass(frozen=True)
class TimelineSpec:
    """What new tasks of a model/quality get: seconds pending, and a processing range."""

    pending_seconds: float
    processing_seconds: tuple[float, float]


@dataclass(frozen=True)
class TaskInput:
    """The normalized request, as echoed back in the task's `input`."""

    prompt: str
    aspect_ratio: str
    quality: str
    image_urls: tuple[str, ...] = ()


@dataclass
class Task:
    """One generation task. Mutated only through `move`, which refuses to go backwards."""

    task_id: str
    key: str
    model: str
    input: TaskInput
    price: int
    timeline: Timeline
    created_at: float
    callback_url: str | None = None
    status: Status = Status.PENDING
    updated_at: float = 0.0
    processing_at: float | None = None
    completed_at: float | None = None
    error: TaskError | None = None
    credits_consumed: int = 0
    final_progress: int | None = None
    scheduled: list[int] = field(default_factory=list)
    webhook_faults: tuple[dict[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not self.updated_at:
            self.updated_at = self.created_at

    @property
    def is_edit(self) -> bool:
        return self.model == EDIT

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def move(self, to: Status, at: float) -> None:
        """Apply a forward transition at clock time `at` (never earlier than the last one)."""
        if self.terminal or _RANK[to] <= _RANK[self.status]:
            raise IllegalTransition(f"task {self.task_id}: {self.status} -> {to} is not allowed")
        at = max(at, self.updated_at)
        if to == Status.PROCESSING:
            self.processing_at = at
        if to in TERMINAL:
            self.final_progress = 100 if to == Status.COMPLETED else self.progress(at)
            self.completed_at = at
        self.status = to
        self.updated_at = at

    def progress(self, now: float) -> int:
        """0 while pending, rising linearly through processing (1–99), 100 when completed;
        a failed task keeps the progress it had reached."""
        if self.final_progress is not None:
            return self.final_progress
        if self.status == Status.PENDING or self.processing_at is None:
            return 0
        span = self.timeline.processing_seconds
        share = 1.0 if span <= 0 else (now - self.processing_at) / span
        return max(1, min(99, int(share * 100)))
