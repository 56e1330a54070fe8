"""`seedream-mock proxy` between the fake's own client and the fake: it forwards unchanged,
reports drift from a profile live, records with keys redacted, and `calibrate --from` learns
from the recordings what the live calibration learned.

What may differ between a profile learned from a client's everyday traffic and one learned by
`calibrate` (decided here, documented in docs/calibration.md): only points the traffic did not
exercise — error kinds it never met, input rules it never probed (model required, prompt
bounds), timing. The status names, the create, task and error templates and the validation
error must agree. Learned from the same exchanges, the profiles must be equal.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_api import KEY, FakeApi
from fake_client import FakeClient, FakeValidationError

from mock_server.proxy import ProxyServer
from seedream_contracts.calibration import Recorder
from seedream_contracts.profiles import load_profile
from seedream_contracts.redact import fingerprint

AGREE = ("statuses", "answers")


def _profile(path: Path) -> dict:
    document: dict = json.loads(path.read_text("utf-8"))
    return document


def test_e_the_proxy_forwards_records_redacted_and_reports_drift(
    fake: FakeApi, cli, tmp_path: Path
) -> None:
    lines: list[str] = []
    record = tmp_path / "rec"
    with ProxyServer(fake.url, profile=load_profile("default"), recorder=Recorder(record),
                     say=lines.append) as proxy:  # fmt: skip
        client = FakeClient(proxy.base_url, KEY)
        png = client.generate("a red fox in fresh snow")
        with pytest.raises(FakeValidationError) as refused:
            client.submit("fox")
    assert png.startswith(b"\x89PNG")
    assert refused.value.field == "prompt"
    assert fake.credits_spent == 12
    assert any(line.startswith("drift: POST /api/v1/images/generations 200") for line in lines)
    assert any(line.startswith("drift: GET /api/v1/tasks/{task_id} 200") for line in lines)
    assert any(line.startswith("drift: POST /api/v1/images/generations 422") for line in lines)
    recorded = "".join(p.read_text("utf-8") for p in record.glob("*.jsonl"))
    assert KEY not in recorded
    assert KEY[4:] not in recorded
    assert f"Bearer {fingerprint(KEY)}" in recorded

    learned = tmp_path / "from-traffic.json"
    ran = cli("calibrate", "--from", str(record), "--out", str(learned))
    assert ran.code == 0, ran.err
    calibrated = tmp_path / "calibrated.json"
    assert cli("calibrate", "--target", fake.url, "--api-key", KEY, "--max-credits", "12",
               "--out", str(calibrated)).code == 0  # fmt: skip
    from_traffic, from_calibration = _profile(learned), _profile(calibrated)
    for section in AGREE:
        assert from_traffic[section] == from_calibration[section], section
    assert from_traffic["errors"]["validation"] == from_calibration["errors"]["validation"]
    assert from_traffic["input"]["model"] == "default"  # the client always sent one: not probed


def test_e_calibrate_from_the_proxys_recordings_equals_the_live_calibration(
    fake: FakeApi, cli, tmp_path: Path
) -> None:
    record = tmp_path / "rec"
    live = tmp_path / "live.json"
    with ProxyServer(fake.url, recorder=Recorder(record), say=lambda line: None) as proxy:
        ran = cli("calibrate", "--target", proxy.base_url, "--api-key", KEY,
                  "--max-credits", "12", "--out", str(live))  # fmt: skip
    assert ran.code == 0, ran.err
    replayed = tmp_path / "replayed.json"
    assert cli("calibrate", "--from", str(record), "--out", str(replayed)).code == 0
    assert _profile(replayed) == _profile(live)
    assert fake.credits_spent == 12  # the replay spent nothing


def test_e_the_proxy_answers_502_when_the_target_is_down(tmp_path: Path) -> None:
    lines: list[str] = []
    with FakeApi() as gone:
        url = gone.url
    with ProxyServer(url, say=lines.append) as proxy:
        status, body = _get(proxy.base_url + "/api/v1/tasks/x")
    assert status == 502
    assert body["error"]["type"] == "upstream_error"
    assert lines
    assert lines[0].startswith("proxy: GET /api/v1/tasks/x: the target did not answer")


def _get(url: str) -> tuple[int, dict]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
