"""Expectations in the run's dialect: what an error of a kind looks like, what a task holds.

The profile says which status and `type` an error kind gets (400 or 422 for a bad field) and
which values a task answer carries in each state; these helpers turn that into assertions so
the tests read the same under every profile.
"""

from __future__ import annotations

from typing import Any

from seedream_contracts.client import Client, Reply
from seedream_contracts.profiles import ErrorView, Profile, TaskView, template


def error_carries(profile: Profile, name: str) -> bool:
    """Whether this dialect's error answers hold `name` (KIE's carry neither type nor param)."""
    return name in template.locate(profile.document["answers"]["error"])


def refused(reply: Reply, profile: Profile, kind: str, param: Any = ...) -> ErrorView:
    """The answer is this dialect's error of `kind`: its status, its error schema, its `type`
    and (when `param` is given and the dialect carries it) the field at fault."""
    status, kind_type = profile.error_kind(kind)
    error = profile.read_error(reply.expect(status, "error"))
    assert error.status == status, error.document
    if error_carries(profile, "type"):
        assert error.type == kind_type, error.document
    if param is not ... and error_carries(profile, "param"):
        assert error.has_param, error.document
        assert error.param == param, error.document
    return error


def submit(api: Client, profile: Profile, body: dict[str, Any]) -> str:
    """Submit `body`, check the create answer, and return the new task's id."""
    created = api.create(body).expect(200, "create_response")
    task_id, status_name = profile.read_created(created)
    assert task_id, created
    if "status" in template.locate(profile.document["answers"]["create"]):
        assert status_name == profile.statuses["on_create"], created
    return task_id


def read(api: Client, profile: Profile, task_id: str) -> TaskView:
    """One poll of the task, checked against the task schema, read through the profile."""
    view = profile.read_task(api.task(task_id).expect(200, "task"))
    assert view.task_id == task_id, view.document
    return view


def run_to_end(api: Client, profile: Profile, body: dict[str, Any]) -> TaskView:
    """Submit, check the create answer, poll to the end; the final task read through the
    profile."""
    task_id = submit(api, profile, body)
    final = profile.read_task(api.wait(task_id).expect(200, "task"))
    assert final.task_id == task_id, final.document
    assert final.ended, final.document
    return final


def promised(profile: Profile, view: TaskView) -> None:
    """The task holds every value its profile places in the task's state, and no value the
    profile keeps for other states (such a value is absent or null)."""
    assert view.status is not None, f"unknown status {view.status_name!r}"
    for name, slot in profile.task_slots.items():
        if slot.states is None or view.status in slot.states:
            assert view.has(name), f"{name} missing from a {view.status} task: {view.document}"
        else:
            assert view.get(name) is None, f"{name} set on a {view.status} task: {view.document}"
