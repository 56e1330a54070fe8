"""Placeholder render time: `mock_server.results.images.render` in-process for each of the 16
(ratio, quality) sizes."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from common import MODEL, PROMPT, ms

from mock_server.results.images import SIZES, ImageSpec, render


@dataclass
class RenderResult:
    aspect_ratio: str
    quality: str
    width: int
    height: int
    runs: int
    p50_ms: float
    max_ms: float
    png_bytes: int


def bench_render(runs: int) -> list[RenderResult]:
    render(ImageSpec("n30warmup_seed", PROMPT, "1:1", "basic", MODEL, False))  # fonts, codecs
    results = []
    for index, ((ratio, quality), (width, height)) in enumerate(SIZES.items()):
        spec = ImageSpec(f"n30{index:016x}_seed", PROMPT, ratio, quality, MODEL, False)
        times, size = [], 0
        for _ in range(runs):
            began = time.perf_counter()
            size = len(render(spec))
            times.append(time.perf_counter() - began)
        results.append(
            RenderResult(
                ratio,
                quality,
                width,
                height,
                runs,
                ms(statistics.median(times)),
                ms(max(times)),
                size,
            )
        )
    return results
