"""The point of calibration: a client written for the fake API works unchanged against the mock
serving the profile calibrated from that fake."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_api import KEY, FakeApi
from fake_client import FakeClient, FakeValidationError

from mock_server.server import MockServer
from mock_server.settings.config import Settings


def test_b_the_fakes_client_works_unchanged_against_the_mock_serving_the_learned_profile(
    fake: FakeApi, cli, tmp_path: Path
) -> None:
    learned = tmp_path / "fake-profile.json"
    assert cli("calibrate", "--target", fake.url, "--api-key", KEY, "--max-credits", "12",
               "--out", str(learned)).code == 0  # fmt: skip
    against_fake = FakeClient(fake.url, KEY)
    assert against_fake.generate("a lighthouse at dusk").startswith(b"\x89PNG")

    with MockServer(Settings(port=0, profile=str(learned))) as mock:
        client = FakeClient(mock.base_url, KEY)  # the same code, another base URL
        png = client.generate("a lighthouse at dusk")
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        with pytest.raises(FakeValidationError) as refused:
            client.submit("cat")  # under the fake's 5-character minimum
        assert refused.value.field == "prompt"
        with pytest.raises(FakeValidationError) as no_model:
            client.submit("a lighthouse at dusk", model="")
        assert no_model.value.field == "model"
