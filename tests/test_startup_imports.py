"""Serving imports only what serving needs: a guard on start-up time (bench: ≤ 0.3 s to the first
200), which every eager import of Pillow, jsonschema, sqlite3 or the calibration kit would eat.

A fresh interpreter starts the server as `seedream-mock serve` builds it, answers one valid POST
and one GET on a real socket, and reports which of the heavy modules it has imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "PIL",  # the first rendered image imports it
    "jsonschema",  # the first refused body (its errors) or a control call that checks a document
    "referencing",
    "sqlite3",  # --state
    "seedream_contracts.calibration",  # calibrate and proxy
    "seedream_contracts.client",
    "mock_server.proxy",
    "mock_server.state.durable",
    "playwright",
    "pytest",  # verify
)

SCRIPT = """
import http.client, json, sys
import mock_server.cli.main as main
args = main.build_parser().parse_args(["serve", "--port", "0"])
server = main._start(args)
server.start()
try:
    conn = http.client.HTTPConnection(server.settings.host, server.port, timeout=10)
    headers = {"Authorization": "Bearer aio_your_api_key", "Content-Type": "application/json"}
    conn.request("POST", "/api/v1/images/generations", '{"prompt": "a cat"}', headers)
    created = conn.getresponse()
    task = json.loads(created.read())["data"]["task_id"]
    conn.request("GET", "/api/v1/tasks/" + task, headers=headers)
    polled = conn.getresponse()
    polled.read()
finally:
    server.stop()
heavy = sorted({name for name in sys.modules for root in HEAVY
                if name == root or name.startswith(root + ".")})
print(json.dumps({"statuses": [created.status, polled.status], "heavy": heavy}))
"""


def test_serving_imports_none_of_the_heavy_modules() -> None:
    code = f"HEAVY = {HEAVY!r}\n{SCRIPT}"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["statuses"] == [200, 200]
    assert found["heavy"] == [], f"imported while serving: {found['heavy']}"
