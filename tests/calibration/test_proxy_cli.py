"""`seedream-mock proxy` as a user starts it: a process that forwards until SIGTERM."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from fake_api import KEY, FakeApi

ROOT = Path(__file__).resolve().parents[2]


def test_the_proxy_command_forwards_records_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOCK_", "SEEDREAM_MOCK_"))}
    with FakeApi() as fake:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mock_server", "proxy", "--target", fake.url, "--port", "0",
             "--record", str(tmp_path)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            banner = proc.stdout.readline()
            url = re.search(r"(http://127\.0\.0\.1:\d+) -> ", banner)
            assert url, banner
            request = urllib.request.Request(
                url.group(1) + "/api/v1/images/generations",
                data=json.dumps({"model": "seedream/4.5-text-to-image", "prompt": "a"}).encode(),
                headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 422  # the fake's answer, relayed
            refused.value.close()
            drift = proc.stdout.readline()
            assert drift.startswith("drift: POST /api/v1/images/generations 422"), drift
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
    assert proc.returncode == 0
    recorded = "".join(p.read_text() for p in tmp_path.glob("*.jsonl"))
    assert '"status":422' in recorded
    assert KEY not in recorded


def test_the_proxy_refuses_a_target_that_is_not_a_url() -> None:
    from mock_server.cli.main import main

    assert main(["proxy", "--target", "apiin.one"]) == 2
