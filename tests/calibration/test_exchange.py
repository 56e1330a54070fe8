"""Exchange records: a key is never kept, bodies are bounded, recordings read back in order."""

from __future__ import annotations

from pathlib import Path

from seedream_contracts.calibration import Exchange, Recorder, read_recordings
from seedream_contracts.calibration.exchange import BODY_LIMIT
from seedream_contracts.redact import authorization

KEY = "aio_0123456789abcdef0123456789abcdef"


def _exchange(
    at: float, body: bytes = b'{"prompt": "x"}', target: str = "/api/v1/tasks/t"
) -> Exchange:
    return Exchange.of(
        "post", target, {"Authorization": f"Bearer {KEY}", "X-Api-Key": KEY}, body, 200,
        {"Content-Type": "application/json"}, b'{"ok": true}', started=at, elapsed_ms=1.23,
    )  # fmt: skip


def test_a_fingerprint_keeps_the_prefix_and_a_digest_never_the_key() -> None:
    shown = authorization(f"Bearer {KEY}")
    assert shown.startswith("Bearer aio_…")
    assert KEY[4:] not in shown
    assert authorization(f"Bearer {KEY}") == shown  # the same key, the same print
    assert authorization("Bearer aio_other") != shown


def test_every_secret_header_and_query_key_is_redacted() -> None:
    record = _exchange(1.0, target=f"/api/v1/tasks/t?api_key={KEY}&x=1").to_json()
    assert KEY not in record
    assert KEY[4:] not in record
    assert "x=1" in record


def test_bodies_are_kept_as_json_or_bounded_text() -> None:
    assert _exchange(1.0).request_json == {"prompt": "x"}
    text = _exchange(1.0, body=b"not json").request_body
    assert text == {"bytes": 8, "text": "not json"}
    big = _exchange(1.0, body=b"x" * (BODY_LIMIT + 10)).request_body
    assert big["truncated"] is True
    assert len(big["text"]) == BODY_LIMIT


def test_recordings_read_back_in_time_order_across_files(tmp_path: Path) -> None:
    first, second = Recorder(tmp_path / "a"), Recorder(tmp_path / "a")
    second.path = tmp_path / "a" / "other.jsonl"
    first.record(_exchange(3.0))
    second.record(_exchange(1.0))
    first.record(_exchange(2.0))
    assert [e.at for e in read_recordings(tmp_path / "a")] == [1.0, 2.0, 3.0]
    assert read_recordings(tmp_path / "a")[0] == _exchange(1.0)
