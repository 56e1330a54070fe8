"""The public API, exactly as the real service has it, in the active profile's dialect (the
shapes: contracts/README.md and docs/profiles.md)."""

from __future__ import annotations

from flask import Blueprint, Request, Response, request

from mock_server.api._http import base_url, emulator, generation, json_answer
from mock_server.api.faults import current_faults
from mock_server.api.requestlog import PORTABILITY_KEY, TASK_KEY
from mock_server.core.clock import iso
from mock_server.core.documents import to_json_bytes
from mock_server.core.portability import HEADER, header_value
from seedream_contracts.redact import fingerprint

public = Blueprint("public", __name__)


@public.post("/api/v1/images/generations")
def create_generation() -> Response:
    asked: Request = request._get_current_object()  # type: ignore[attr-defined]
    mock = emulator()
    account = mock.authenticate(asked.environ.get("HTTP_AUTHORIZATION"))
    wanted = generation()
    task = mock.submit(account, wanted, current_faults())
    asked.environ[TASK_KEY] = task.task_id  # for the request log, the journal, the fault hooks
    answer = json_answer(to_json_bytes(mock.profile.create_answer(task.task_id)))
    if wanted.risks:  # answered as the profile says, with the risk named (docs/profiles.md)
        answer.headers[HEADER] = header_value(wanted.risks)
        asked.environ[PORTABILITY_KEY] = [
            {"code": r.code, "param": r.param, "message": r.message} for r in wanted.risks
        ]
        mock.risk_log.add(
            wanted.risks, iso(task.created_at), fingerprint(account.key), task.task_id
        )
    return answer


@public.get("/api/v1/tasks/<task_id>")
def get_task(task_id: str) -> Response:
    mock = emulator()
    account = mock.authenticate(request.environ.get("HTTP_AUTHORIZATION"))
    task = mock.task_for(account, task_id)
    return json_answer(mock.task_answer(task, base_url()))
