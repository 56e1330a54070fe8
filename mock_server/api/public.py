"""The public API, exactly as the real service has it, in the active profile's dialect (the
shapes: contracts/README.md and docs/profiles.md)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from mock_server.api._http import base_url, emulator, generation
from mock_server.api.faults import current_faults

public = Blueprint("public", __name__)


@public.post("/api/v1/images/generations")
def create_generation() -> Response:
    mock = emulator()
    account = mock.authenticate(request.headers.get("Authorization"))
    task = mock.submit(account, generation(), current_faults())
    g.task_id = task.task_id  # for the request log
    return jsonify(mock.profile.create_answer(task.task_id))


@public.get("/api/v1/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    mock = emulator()
    account = mock.authenticate(request.headers.get("Authorization"))
    task = mock.task_for(account, task_id)
    return jsonify(mock.task_document(task, base_url()))
