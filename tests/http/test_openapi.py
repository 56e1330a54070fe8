"""The OpenAPI 3.1 document: valid, generated from the contracts, and accepted by two tools
nobody here wrote — Schemathesis (fuzzing the live mock) and Stoplight Prism (mocking from it,
and proxying in front of our mock as a validator)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from openapi_spec_validator import validate

from mock_server.server import MockServer
from seedream_contracts import openapi
from seedream_contracts.client import Client

Serve = Callable[..., tuple[MockServer, Client]]
ROOT = Path(__file__).resolve().parents[2]
PRISM = ROOT / ".tools" / "node_modules" / ".bin" / "prism"
SEED_BODY = {
    "model": "seedream/4.5-text-to-image",
    "prompt": "A serene mountain lake at sunrise with reflections, photorealistic",
    "aspect_ratio": "16:9",
    "quality": "high",
}


def test_document_is_valid_openapi_3_1() -> None:
    document = openapi.document("http://127.0.0.1:8080")
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/api/v1/images/generations", "/api/v1/tasks/{task_id}"}


def test_served_document_matches_the_cli_and_narrows_callback_hosts(serve: Serve) -> None:
    server, api = serve()
    served = api.request("GET", "/_mock/openapi.json").expect_json(200)
    printed = subprocess.run(
        [sys.executable, "-m", "mock_server", "openapi", "--server-url", server.base_url],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    generic = json.loads(printed)
    assert served["servers"] == generic["servers"] == [{"url": server.base_url}]
    request = served["components"]["schemas"]["generation_request"]["properties"]
    callback_pattern = request["callback_url"]["anyOf"][0]["pattern"]
    assert re.search(callback_pattern, "http://127.0.0.1:9/hook")
    assert not re.search(callback_pattern, "https://example.com/hook")
    validate(served)


def test_schemathesis_finds_no_failures_against_the_live_mock(serve: Serve, tmp_path: Path) -> None:
    server, _ = serve(keys={"aio_your_api_key": 100_000_000})
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server.base_url}/_mock/openapi.json",
            "--header",
            "Authorization: Bearer aio_your_api_key",
            "--checks",
            "all",
            "--max-examples",
            "100",
            "--seed",
            "20261124",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-4000:]
    assert "No issues found" in report
    generated = re.search(r"(\d+) generated, (\d+) passed", report)
    assert generated is not None
    assert int(generated.group(1)) >= 100
    assert generated.group(1) == generated.group(2)


def _prism_or_skip() -> Path:
    if PRISM.exists():
        return PRISM
    if os.environ.get("CI"):
        pytest.fail("Prism is missing: `make test` installs it into .tools/")
    pytest.skip("Prism is not installed: `make test` installs it into .tools/")


@pytest.fixture
def prism(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Start Prism (`mock` or `proxy`) on our document; yields a starter returning its URL."""
    started: list[subprocess.Popen[bytes]] = []
    document = tmp_path / "openapi.json"

    def start(mode: str, *extra: str) -> str:
        binary = _prism_or_skip()
        document.write_text(openapi.render("http://127.0.0.1"), "utf-8")
        log = tmp_path / f"prism-{mode}.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [str(binary), mode, str(document), *extra, "-h", "127.0.0.1", "-p", "0"],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", log.read_text("utf-8"))
            if found:
                return found.group(1)
            if process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"Prism did not start:\n{log.read_text('utf-8')}")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def test_prism_mocks_the_seed_request_from_our_document(prism: Callable[..., str]) -> None:
    client = Client(prism("mock"), "aio_your_api_key")
    try:
        client.create(SEED_BODY).expect(200, "create_response")
    finally:
        client.close()


def test_prism_proxy_sees_no_violations_in_our_answers(
    serve: Serve, prism: Callable[..., str]
) -> None:
    server, api = serve()
    proxied = Client(prism("proxy", server.base_url, "--errors"), "aio_your_api_key")
    try:
        created = proxied.create(SEED_BODY)
        task_id = created.expect(200, "create_response")["data"]["task_id"]
        assert "sl-violations" not in created.headers
        for step in ("pending", "completed"):
            reply = proxied.task(task_id)
            assert reply.expect(200, "task")["data"]["status"] == step
            assert "sl-violations" not in reply.headers
            api.request("POST", "/_mock/clock/advance", json_body={"seconds": 60})
        missing = proxied.task("n30doesnotexist_seed")
        missing.expect(404, "error")
        assert "sl-violations" not in missing.headers
    finally:
        proxied.close()
