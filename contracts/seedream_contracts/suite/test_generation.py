"""Create → poll → completed for both sub-models, every ratio and quality, with real PNGs.

Answers are read through the run's profile: a value the dialect does not carry (progress, the
input echo, the pixel size) is checked where it is carried, and the PNG itself is always
measured.
"""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from seedream_contracts.client import Client
from seedream_contracts.profiles import Profile, TaskView
from seedream_contracts.sizes import ASPECT_RATIOS as RATIOS
from seedream_contracts.sizes import OUTPUT_SIZES, QUALITIES
from seedream_contracts.suite._data import EDIT_MODEL, TEXT_MODEL, fit
from seedream_contracts.suite._expect import promised, read, run_to_end, submit
from seedream_contracts.suite._run import Budget

SEED_BODY = {
    "model": TEXT_MODEL,
    "prompt": "A serene mountain lake at sunrise with reflections, photorealistic",
    "aspect_ratio": "16:9",
    "quality": "high",
}
EXPECTED_SIZES = OUTPUT_SIZES


def fetch_png(api: Client, url: str) -> Image.Image:
    reply = api.request("GET", url, auth=False)
    assert reply.status == 200, reply.body[:300]
    assert reply.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(reply.body))
    image.verify()  # a real, complete PNG, not just a header
    return Image.open(io.BytesIO(reply.body))


def check_size(api: Client, final: TaskView, size: tuple[int, int]) -> None:
    """The result PNG has `size`, and so does the task where the dialect reports it."""
    assert final.status == "completed", final.document
    image = fetch_png(api, final.result_urls[0])
    assert image.size == size
    if final.has("result.width"):
        assert (final.get("result.width"), final.get("result.height")) == size


def check_model(final: TaskView, model: str) -> None:
    if final.has("model"):
        assert final.get("model") == model, final.document


@pytest.fixture(scope="module")
def source_image_url(api: Client, profile: Profile, budget: Budget) -> str:
    """An image URL an edit can use: the result of a text-to-image task on the same target."""
    budget.charge(12, "the source image for the edit tests")
    body = fit(profile, {"prompt": "edit source: a red cube", "aspect_ratio": "1:1"})
    final = run_to_end(api, profile, body)
    assert final.status == "completed"
    return final.result_urls[0]


@pytest.mark.costs(12)
def test_seed_example_request_completes_with_a_high_quality_16_9_png(
    api: Client, profile: Profile
) -> None:
    final = run_to_end(api, profile, SEED_BODY)
    if final.has("credits_consumed"):
        assert final.get("credits_consumed") == 12
    echo = {
        "input.prompt": SEED_BODY["prompt"],
        "input.aspect_ratio": "16:9",
        "input.quality": "high",
        "input.image_urls": [],
    }
    assert {n: final.get(n) for n in echo if final.has(n)} == {
        n: v for n, v in echo.items() if final.has(n)
    }
    check_size(api, final, (5504, 3040))


@pytest.mark.costs(12)
def test_task_holds_what_its_profile_places_in_each_state(api: Client, profile: Profile) -> None:
    task_id = submit(api, profile, fit(profile, {"prompt": "what do you hold"}))
    promised(profile, read(api, profile, task_id))  # whatever state it has reached
    final = profile.read_task(api.wait(task_id).expect(200, "task"))
    promised(profile, final)


@pytest.mark.costs(12)
def test_defaults_are_text_to_image_1_1_basic(api: Client, profile: Profile) -> None:
    final = run_to_end(api, profile, fit(profile, {"prompt": "only a prompt"}))
    check_model(final, TEXT_MODEL)
    if final.has("input.aspect_ratio"):
        assert (final.get("input.aspect_ratio"), final.get("input.quality")) == ("1:1", "basic")
    check_size(api, final, (2048, 2048))


@pytest.mark.costs(12)
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("ratio", RATIOS)
def test_text_to_image_gives_the_size_of_its_ratio_and_quality(
    api: Client, profile: Profile, ratio: str, quality: str
) -> None:
    body = {"prompt": f"t2i {ratio} {quality}", "aspect_ratio": ratio, "quality": quality}
    final = run_to_end(api, profile, fit(profile, body))
    check_model(final, TEXT_MODEL)
    check_size(api, final, EXPECTED_SIZES[(ratio, quality)])


@pytest.mark.costs(12)
@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("ratio", RATIOS)
def test_edit_gives_the_size_of_its_ratio_and_quality(
    api: Client, profile: Profile, source_image_url: str, ratio: str, quality: str
) -> None:
    body = {
        "model": EDIT_MODEL,
        "prompt": f"edit {ratio} {quality}",
        "image_urls": [source_image_url],
        "aspect_ratio": ratio,
        "quality": quality,
    }
    final = run_to_end(api, profile, fit(profile, body))
    check_model(final, EDIT_MODEL)
    if final.has("input.image_urls"):
        assert final.get("input.image_urls") == [source_image_url]
    check_size(api, final, EXPECTED_SIZES[(ratio, quality)])


@pytest.mark.costs(12)
def test_alias_model_with_images_runs_as_an_edit(
    api: Client, profile: Profile, source_image_url: str
) -> None:
    body = {"model": "seedream-4-5", "prompt": "alias edit", "image_urls": [source_image_url]}
    final = run_to_end(api, profile, fit(profile, body))
    assert final.status == "completed"
    check_model(final, EDIT_MODEL)


@pytest.mark.costs(12)
def test_alias_model_without_images_runs_as_text_to_image(api: Client, profile: Profile) -> None:
    final = run_to_end(api, profile, fit(profile, {"model": "seedream-4-5", "prompt": "alias t2i"}))
    assert final.status == "completed"
    check_model(final, TEXT_MODEL)


@pytest.mark.costs(12)
def test_same_task_serves_the_same_bytes_twice(api: Client, profile: Profile) -> None:
    final = run_to_end(api, profile, fit(profile, {"prompt": "determinism"}))
    url = final.result_urls[0]
    first = api.request("GET", url, auth=False)
    second = api.request("GET", url, auth=False)
    assert first.status == second.status == 200
    assert first.body == second.body


@pytest.mark.costs(12)
def test_every_poll_conforms_and_status_never_moves_back(api: Client, profile: Profile) -> None:
    order = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
    task_id = submit(api, profile, fit(profile, {"prompt": "watch me"}))
    seen: list[str] = []
    for _ in range(2000):  # bounded: a 10 s task at 0.05 s polls fits many times over
        view = read(api, profile, task_id)
        assert view.status is not None, f"a status name outside the profile: {view.status_name!r}"
        if seen:
            assert order[view.status] >= order[seen[-1]], [*seen, view.status]
        seen.append(view.status)
        if view.ended:
            break
        time.sleep(0.02)
    assert seen[-1] == "completed"
