"""Result files: the PNG behind each `output.image_urls` entry (no key needed, like a CDN link)."""

from __future__ import annotations

from flask import Blueprint, Response

from mock_server.api._http import emulator

files = Blueprint("files", __name__)


@files.get("/files/<task_id>/<int:index>.png")
def result_file(task_id: str, index: int) -> Response:
    found = emulator().result_file(task_id, index)
    response = Response(found.png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["ETag"] = f'"{found.task_id}-{index}"'
    return response
