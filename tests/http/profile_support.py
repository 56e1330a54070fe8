"""What the profile tests share: each shipped profile's answer validators, and reading a reply
through a profile the way a client written for that dialect would."""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from seedream_contracts.client import Client, Reply
from seedream_contracts.profiles import SHIPPED, Profile, TaskView, load_profile, schemas

MODEL = "seedream/4.5-text-to-image"
EDIT = "seedream/4.5-edit"
PROMPT = "a red fox at dawn"


@cache
def shipped(name: str) -> Profile:
    return load_profile(name)


@cache
def validator(profile_name: str, answer: str) -> Draft202012Validator:
    """The profile's schema for one answer (create_response, task, error, callback)."""
    return schemas.compile_schema(schemas.ANSWER_SCHEMAS[answer](shipped(profile_name)))


def conforming(profile: Profile, answer: str, document: Any) -> Any:
    """`document`, after checking it against `profile`'s schema for `answer`."""
    found = validator(profile.name, answer) if profile.name in SHIPPED else None
    check = found or schemas.compile_schema(schemas.ANSWER_SCHEMAS[answer](profile))
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(document)]
    assert not errors, f"{answer} answer breaks profile {profile.name}: {errors}\n{document}"
    return document


def create(api: Client, profile: Profile, **body: Any) -> str:
    """Submit (the model given, as every dialect accepts) and return the task id."""
    reply = api.create({"model": MODEL, "prompt": PROMPT, **body})
    assert reply.status == 200, reply.body
    task_id, status = profile.read_created(conforming(profile, "create_response", reply.json()))
    assert status in (None, profile.statuses["on_create"])  # kie's create answer has none
    assert task_id is not None
    return task_id


def read(api: Client, profile: Profile, task_id: str) -> TaskView:
    reply = api.task(task_id)
    assert reply.status == 200, reply.body
    return profile.read_task(conforming(profile, "task", reply.json()))


def refused(reply: Reply, profile: Profile, kind: str) -> dict[str, Any]:
    """The error answer of `kind`: the profile's status, its shape, its `type` where it has one.
    Returns the values read from it (status, message, type, param)."""
    status, wire = profile.error_kind(kind)
    assert reply.status == status, (kind, reply.status, reply.body)
    view = profile.read_error(conforming(profile, "error", reply.json()))
    assert view.status == status
    assert isinstance(view.message, str)
    assert view.message
    if "type" in str(profile.document["answers"]["error"]):
        assert view.type == wire
    return {"message": view.message, "type": view.type, "param": view.param}


def advance(api: Client, seconds: float) -> None:
    api.request("POST", "/_mock/clock/advance", json_body={"seconds": seconds}).expect_json(200)
