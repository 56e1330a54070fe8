"""Calibrating the mock itself, serving each shipped profile, learns that profile back: every
point a calibration can observe comes out as the profile says (a round trip through HTTP)."""

from __future__ import annotations

import pytest

from mock_server.server import MockServer
from mock_server.settings.config import Settings
from seedream_contracts.calibration import learn
from seedream_contracts.calibration.live import Budget, Session, calibrate
from seedream_contracts.profiles import SHIPPED, load_profile

OBSERVED = ("task_id", "status", "result.image_urls", "input.prompt", "created_at")


@pytest.mark.parametrize("name", SHIPPED)
def test_calibrating_the_mock_learns_the_profile_it_serves(name: str) -> None:
    # long enough in each state for the polls (0.5 s, then x1.5) to see it
    settings = Settings(port=0, profile=name, pending_seconds=0.8, processing_seconds=(1.5, 1.5))
    with MockServer(settings) as mock:
        outcome = calibrate(Session(mock.base_url, "aio_your_api_key"), Budget(12))
    assert outcome.spent == 12
    assert not outcome.stopped
    learned, report = learn(outcome.exchanges)
    served = load_profile(name)
    for state in ("on_create", "pending", "processing", "completed"):
        if state != "on_create" or "status" in _create_slots(served):
            assert learned.statuses[state] == served.statuses[state], state
    for kind in ("validation", "invalid_request", "authentication", "not_found"):
        assert learned.error_kind(kind)[0] == served.error_kind(kind)[0], kind
    for rule in ("model", "prompt_min", "unknown_fields"):
        assert learned.input_rules[rule] == served.input_rules[rule], rule
    for value in OBSERVED:
        if value in served.task_slots:
            assert learned.task_slots[value].path == served.task_slots[value].path, value
            assert learned.task_slots[value].format == served.task_slots[value].format, value
    assert report.counts()["conflicting"] == 0


def _create_slots(profile: object) -> dict[str, object]:
    from seedream_contracts.profiles.template import locate

    return locate(profile.document["answers"]["create"])  # type: ignore[attr-defined]
