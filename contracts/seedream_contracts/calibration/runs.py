"""One task as the exchanges show it: its create answer, its polls, its status names and timing.

Shared by the learner and the live calibrator: the calibrator polls until `state()` says the
task ended, with the same reading of the answers the learner makes afterwards, so the run
stops exactly when the learner will see an ended task.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seedream_contracts.calibration.exchange import Exchange
from seedream_contracts.calibration.shapes import (
    DONE_WORDS,
    FAILED_WORDS,
    MISSING,
    Path,
    at,
    is_url,
    key_of,
    leaves,
    name_like,
    url_list,
)

CREATE_PATH = "/api/v1/images/generations"
TASK_PREFIX = "/api/v1/tasks/"
_ID_KEYS = ("taskid", "id", "jobid", "requestid", "predictionid", "generationid")
_STATUS_KEYS = ("status", "state", "taskstatus", "taskstate")


@dataclass
class TaskRun:
    """An accepted create and the 200 answers to polls of its task, in time order."""

    create: Exchange
    task_id: str
    polls: list[Exchange]

    @property
    def request(self) -> dict[str, Any]:
        sent = self.create.request_json
        return sent if isinstance(sent, dict) else {}

    @property
    def documents(self) -> list[Any]:
        return [p.response_json for p in self.polls]


def find_task_id(document: Any) -> tuple[Path, str] | None:
    """Where a create answer holds the new task's id: a string member named like an id."""
    for path, value in leaves(document):
        if isinstance(value, str) and value and " " not in value and not is_url(value):
            key = key_of(path)
            if key in _ID_KEYS or key.endswith("taskid"):
                return path, value
    return None


def accepted(exchange: Exchange) -> bool:
    """A create the target took on (and billed): a 2xx with a task id in it."""
    return (
        exchange.method == "POST"
        and exchange.path.split("?")[0] == CREATE_PATH
        and 200 <= exchange.status < 300
        and find_task_id(exchange.response_json) is not None
    )


def task_runs(exchanges: Iterable[Exchange]) -> list[TaskRun]:
    """Every accepted create with the polls of its task, creates in the order they happened."""
    ordered = sorted(exchanges, key=lambda e: e.at)
    runs: list[TaskRun] = []
    for exchange in ordered:
        if accepted(exchange):
            found = find_task_id(exchange.response_json)
            assert found is not None
            runs.append(TaskRun(exchange, found[1], []))
    by_id = {run.task_id: run for run in runs}
    for exchange in ordered:
        path = exchange.path.split("?")[0]
        if exchange.method == "GET" and path.startswith(TASK_PREFIX) and exchange.status == 200:
            run = by_id.get(path[len(TASK_PREFIX) :])
            if run is not None and isinstance(exchange.response_json, dict):
                run.polls.append(exchange)
    return runs


def echoes_of(request: dict[str, Any], task_id: str) -> set[Any]:
    """Values the request itself holds (and the task id): a leaf equal to one is an echo, so
    neither a status name nor a result."""
    values: set[Any] = {task_id}
    values.update(v for _, v in leaves(request) if isinstance(v, str))
    return values


def status_path(documents: Sequence[Any], echoes: set[Any]) -> Path | None:
    """The member whose name-like value changes as the task moves (or is named status/state)."""
    if not documents:
        return None
    best: tuple[Any, ...] | None = None
    chosen: Path | None = None
    for path, value in leaves(documents[-1]):
        if not name_like(value) or value in echoes:
            continue
        series = [at(d, path) for d in documents]
        if not all(name_like(v) for v in series):
            continue
        distinct = len(dict.fromkeys(series))
        ended = str(value).lower() in DONE_WORDS | FAILED_WORDS
        score = (distinct > 1, key_of(path) in _STATUS_KEYS, ended, distinct, -len(path))
        if best is None or score > best:
            best, chosen = score, path
    return chosen


def create_status(run: TaskRun, path: Path | None) -> tuple[Path, str] | None:
    """Where the create answer holds the status on creation, when it holds one."""
    first = at(run.polls[0].response_json, path) if run.polls and path else MISSING
    for leaf, value in leaves(run.create.response_json):
        if name_like(value) and (value == first or key_of(leaf) in _STATUS_KEYS):
            return leaf, str(value)
    return None


def result_urls(document: Any, sent: set[Any]) -> list[str]:
    """The URLs an answer holds that the request did not send (an echoed image_urls is not a
    result)."""
    found: list[str] = []
    for _, value in leaves(document):
        items = value if url_list(value) else [value] if is_url(value) else []
        found.extend(v for v in items if v not in sent)
    return found


def state(documents: Sequence[Any], request: dict[str, Any], task_id: str) -> str | None:
    """`completed` or `failed` once the latest answer shows the task ended; None while not."""
    if not documents:
        return None
    echoes = echoes_of(request, task_id)
    path = status_path(documents, echoes)
    name = at(documents[-1], path) if path is not None else MISSING
    lowered = str(name).lower() if name is not MISSING else ""
    if lowered in FAILED_WORDS:
        return "failed"
    if lowered in DONE_WORDS or result_urls(documents[-1], echoes):
        return "completed"
    return None
