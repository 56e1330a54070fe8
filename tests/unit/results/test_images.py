"""Placeholder images: exact sizes, deterministic bytes, and a cache bounded in bytes."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

from mock_server.results.images import SIZES, ImageCache, ImageSpec, render


def spec(ratio: str = "1:1", quality: str = "basic", task_id: str = "n30a_seed") -> ImageSpec:
    return ImageSpec(task_id, "a prompt", ratio, quality, "seedream/4.5-text-to-image", False)


@pytest.mark.parametrize(
    ("ratio", "quality"), [("21:9", "basic"), ("9:16", "basic"), ("3:2", "basic")]
)
def test_render_gives_a_png_of_the_exact_size(ratio: str, quality: str) -> None:
    image = Image.open(io.BytesIO(render(spec(ratio, quality))))
    assert image.format == "PNG"
    assert image.size == SIZES[(ratio, quality)]


def test_render_is_deterministic_per_task_and_differs_between_tasks() -> None:
    assert render(spec()) == render(spec())
    assert render(spec()) != render(spec(task_id="n30b_seed"))


def test_edit_is_visibly_marked() -> None:
    plain = Image.open(io.BytesIO(render(spec()))).convert("RGB")
    edit = ImageSpec("n30a_seed", "a prompt", "1:1", "basic", "seedream/4.5-edit", True)
    marked = Image.open(io.BytesIO(render(edit))).convert("RGB")
    assert marked.getpixel((5, 5)) == (200, 30, 30)  # the red EDIT banner
    assert plain.getpixel((5, 5)) != (200, 30, 30)


def test_cache_evicts_least_recently_used_past_its_budget() -> None:
    cache = ImageCache(budget_bytes=250)
    for key in ("a", "b"):
        cache.get(key, lambda: b"x" * 100)
    cache.get("a", lambda: b"never called")
    cache.get("c", lambda: b"y" * 100)
    assert cache.size_bytes == 200
    calls: list[str] = []
    cache.get("b", lambda: calls.append("b") or b"z" * 100)  # type: ignore[func-returns-value]
    assert calls == ["b"]  # b was evicted, a was kept because it was used


def test_item_larger_than_budget_is_served_but_not_kept() -> None:
    cache = ImageCache(budget_bytes=10)
    assert cache.get("big", lambda: b"x" * 11) == b"x" * 11
    assert cache.size_bytes == 0


def test_concurrent_requests_render_once() -> None:
    cache = ImageCache(budget_bytes=10_000)
    started, release = threading.Event(), threading.Event()
    renders: list[int] = []

    def slow() -> bytes:
        renders.append(1)
        started.set()
        release.wait(5)
        return b"png"

    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", slow))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == [b"png"] * 4
    assert renders == [1]
