"""`seedream-mock calibrate` against a fake API whose dialect differs from `default` everywhere:
what it learns, what it spends, and that the key is written nowhere."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from fake_api import KEY, FakeApi

from seedream_contracts.profiles import load_profile
from seedream_contracts.redact import fingerprint


def _outputs(folder: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in sorted(folder.rglob("*")) if p.is_file())


def _verdicts(report: Path) -> dict[str, str]:
    points = json.loads(report.read_text("utf-8"))["points"]
    return {p["point"]: p["verdict"] for p in points}


def test_a_paid_calibration_learns_the_fakes_dialect_for_exactly_12_credits(
    fake: FakeApi, cli, tmp_path: Path
) -> None:
    out, report, record = tmp_path / "fake.json", tmp_path / "report", tmp_path / "rec"
    ran = cli("calibrate", "--target", fake.url, "--api-key", KEY, "--max-credits", "12",
              "--out", str(out), "--report", str(report), "--record", str(record))  # fmt: skip
    assert ran.code == 0, ran.err
    assert fake.credits_spent == 12
    profile = load_profile(out)
    assert profile.statuses == {
        "on_create": "queued", "pending": "queued", "processing": "running",
        "completed": "succeeded", "failed": "failed", "also_in_progress": [],
    }  # fmt: skip
    assert profile.error_kind("validation") == (422, "validation_error")
    assert profile.error_kind("invalid_request") == (400, "malformed_body")
    assert profile.error_kind("not_found") == (404, "no_such_task")
    assert profile.input_rules["model"] == "required"
    assert profile.input_rules["prompt_min"] == 5
    slots = profile.task_slots
    assert slots["result.image_urls"].path == ("task", "output", "$json", "urls")
    assert slots["created_at"].format == "epoch_ms"
    verdicts = _verdicts(tmp_path / "report.json")
    assert verdicts["statuses.pending"] == "learned"
    assert verdicts["errors.rate_limit"] == "kept"
    assert verdicts["input.prompt_max"] == "kept"  # 5001 refused: the cap is somewhere below
    assert (
        verdicts["errors.authentication"] == "conflicting"
    )  # 401 without a key, 403 with a bad one
    assert (
        '| `statuses.completed` | learned | `"succeeded"` |' in (tmp_path / "report.md").read_text()
    )
    assert "12 credits spent of --max-credits 12" in ran.out
    written = _outputs(tmp_path) + ran.out + ran.err
    assert KEY not in written
    assert KEY[4:] not in written
    assert fingerprint(KEY) in _outputs(record)


def test_c_zero_credits_spends_nothing_and_learns_what_refusals_show(
    fake: FakeApi, cli, tmp_path: Path
) -> None:
    out = tmp_path / "free.json"
    ran = cli("calibrate", "--target", fake.url, "--api-key", KEY, "--out", str(out),
              "--report", str(tmp_path / "r"))  # fmt: skip
    assert ran.code == 0, ran.err
    assert fake.credits_spent == 0
    assert fake.requests == 12  # the free probes, nothing more
    profile = load_profile(out)
    assert profile.error_kind("validation") == (422, "validation_error")
    assert (
        profile.read_error({"ok": False, "problem": {"type": "x", "field": "prompt"}}).param
        == "prompt"
    )
    verdicts = _verdicts(tmp_path / "r.json")
    assert verdicts["answers.error"] == "learned"
    assert verdicts["answers.task"] == "kept"
    assert verdicts["statuses"] == "kept"
    assert verdicts["input.model"] == "kept"  # only a paid attempt can tell
    assert profile.statuses == load_profile("default").statuses


def test_d_a_network_failure_half_way_stops_cleanly_with_a_partial_profile(
    cli, tmp_path: Path
) -> None:
    out = tmp_path / "partial.json"
    with FakeApi(drop_after=6) as fake:
        ran = cli("calibrate", "--target", fake.url, "--api-key", KEY, "--max-credits", "12",
                  "--out", str(out))  # fmt: skip
    assert ran.code == 1
    lines = ran.err.strip().splitlines()
    assert lines[-1].startswith("seedream-mock: calibrate stopped early: ")
    assert "Traceback" not in ran.err
    assert fake.credits_spent == 0
    profile = load_profile(out)
    assert profile.error_kind("not_found") == (404, "no_such_task")  # learned before the drop


def test_d_an_unreachable_target_writes_the_base_profile_and_says_so(cli, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    out = tmp_path / "nothing.json"
    ran = cli("calibrate", "--target", f"http://127.0.0.1:{port}", "--api-key", KEY,
              "--out", str(out))  # fmt: skip
    assert ran.code == 1
    assert "stopped early" in ran.err
    assert "Traceback" not in ran.err
    assert load_profile(out).statuses == load_profile("default").statuses
