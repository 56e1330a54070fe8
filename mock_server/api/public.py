"""The public API, exactly as the real service has it (the shapes: contracts/README.md)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request

from mock_server.api._http import base_url, emulator, json_body
from mock_server.core import documents
from mock_server.faults.rules import FAULT_HEADER

public = Blueprint("public", __name__)


@public.post("/api/v1/images/generations")
def create_generation() -> Response:
    mock = emulator()
    account = mock.authenticate(request.headers.get("Authorization"))
    task = mock.submit(account, json_body(), request.headers.get(FAULT_HEADER))
    g.task_id = task.task_id  # for the request log
    return jsonify(documents.created(task))


@public.get("/api/v1/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    mock = emulator()
    account = mock.authenticate(request.headers.get("Authorization"))
    task = mock.task_for(account, task_id)
    return jsonify(mock.task_document(task, base_url()))
