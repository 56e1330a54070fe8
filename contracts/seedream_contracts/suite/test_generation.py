"""Create → poll → completed for both sub-models, every ratio and quality, with real PNGs."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from PIL import Image

from seedream_contracts.client import Client
from seedream_contracts.sizes import ASPECT_RATIOS as RATIOS
from seedream_contracts.sizes import OUTPUT_SIZES, QUALITIES
from seedream_contracts.suite._run import Budget

SEED_BODY = {
    "model": "seedream/4.5-text-to-image",
    "prompt": "A serene mountain lake at sunrise with reflections, photorealistic",
    "aspect_ratio": "16:9",
    "quality": "high",
}
EXPECTED_SIZES = OUTPUT_SIZES


def run_to_end(api: Client, body: dict[str, Any]) -> dict[str, Any]:
    """Submit, check the create answer, poll to the end; returns the final task data."""
    created = api.create(body).expect(200, "create_response")
    task_id = created["data"]["task_id"]
    final = api.wait(task_id).expect(200, "task")["data"]
    assert final["task_id"] == task_id
    return dict(final)


def fetch_png(api: Client, url: str) -> Image.Image:
    reply = api.request("GET", url, auth=False)
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(reply.body))
    image.verify()  # a real, complete PNG, not just a header
    return Image.open(io.BytesIO(reply.body))


@pytest.fixture(scope="module")
def source_image_url(api: Client, budget: Budget) -> str:
    """An image URL an edit can use: the result of a text-to-image task on the same target."""
    budget.charge(12, "the source image for the edit tests")
    final = run_to_end(api, {"prompt": "edit source: a red cube", "aspect_ratio": "1:1"})
    assert final["status"] == "completed"
    return str(final["output"]["image_urls"][0])


@pytest.mark.costs(12)
def test_seed_example_request_completes_with_a_high_quality_16_9_png(api: Client) -> None:
    final = run_to_end(api, SEED_BODY)
    assert final["status"] == "completed"
    assert final["credits_consumed"] == 12
    assert final["input"] == {
        "prompt": SEED_BODY["prompt"],
        "aspect_ratio": "16:9",
        "quality": "high",
        "image_urls": [],
    }
    image = fetch_png(api, final["output"]["image_urls"][0])
    assert image.size == (final["output"]["width"], final["output"]["height"]) == (5504, 3040)


@pytest.mark.costs(12)
def test_defaults_are_text_to_image_1_1_basic(api: Client) -> None:
    final = run_to_end(api, {"prompt": "only a prompt"})
    assert final["model"] == "seedream/4.5-text-to-image"
    assert (final["input"]["aspect_ratio"], final["input"]["quality"]) == ("1:1", "basic")
    assert (final["output"]["width"], final["output"]["height"]) == (2048, 2048)


@pytest.mark.costs(12)
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("ratio", RATIOS)
def test_text_to_image_gives_the_size_of_its_ratio_and_quality(
    api: Client, ratio: str, quality: str
) -> None:
    final = run_to_end(
        api, {"prompt": f"t2i {ratio} {quality}", "aspect_ratio": ratio, "quality": quality}
    )
    assert final["status"] == "completed"
    assert final["model"] == "seedream/4.5-text-to-image"
    image = fetch_png(api, final["output"]["image_urls"][0])
    assert image.size == EXPECTED_SIZES[(ratio, quality)]


@pytest.mark.costs(12)
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("ratio", RATIOS)
def test_edit_gives_the_size_of_its_ratio_and_quality(
    api: Client, source_image_url: str, ratio: str, quality: str
) -> None:
    body = {
        "model": "seedream/4.5-edit",
        "prompt": f"edit {ratio} {quality}",
        "image_urls": [source_image_url],
        "aspect_ratio": ratio,
        "quality": quality,
    }
    final = run_to_end(api, body)
    assert final["status"] == "completed"
    assert final["model"] == "seedream/4.5-edit"
    assert final["input"]["image_urls"] == [source_image_url]
    image = fetch_png(api, final["output"]["image_urls"][0])
    assert image.size == EXPECTED_SIZES[(ratio, quality)]


@pytest.mark.costs(12)
def test_alias_model_with_images_runs_as_an_edit(api: Client, source_image_url: str) -> None:
    final = run_to_end(
        api, {"model": "seedream-4-5", "prompt": "alias edit", "image_urls": [source_image_url]}
    )
    assert final["model"] == "seedream/4.5-edit"


@pytest.mark.costs(12)
def test_alias_model_without_images_runs_as_text_to_image(api: Client) -> None:
    final = run_to_end(api, {"model": "seedream-4-5", "prompt": "alias t2i"})
    assert final["model"] == "seedream/4.5-text-to-image"


@pytest.mark.costs(12)
def test_same_task_serves_the_same_bytes_twice(api: Client) -> None:
    final = run_to_end(api, {"prompt": "determinism"})
    url = final["output"]["image_urls"][0]
    first = api.request("GET", url, auth=False)
    second = api.request("GET", url, auth=False)
    assert first.status == second.status == 200
    assert first.body == second.body


@pytest.mark.costs(12)
def test_every_poll_conforms_and_status_never_moves_back(api: Client) -> None:
    order = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
    task_id = api.create({"prompt": "watch me"}).expect(200, "create_response")["data"]["task_id"]
    seen: list[str] = []
    for _ in range(2000):  # bounded: a 10 s task at 0.05 s polls fits many times over
        data = api.task(task_id).expect(200, "task")["data"]
        if seen:
            assert order[data["status"]] >= order[seen[-1]], seen + [data["status"]]
        seen.append(data["status"])
        if data["status"] in ("completed", "failed"):
            break
        time.sleep(0.02)
    assert seen[-1] == "completed"
