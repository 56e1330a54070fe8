"""Placeholder result images: real PNGs of the exact output size, deterministic per task,
rendered lazily and kept in a cache bounded by bytes."""

from __future__ import annotations

import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedream_contracts.sizes import OUTPUT_SIZES

if TYPE_CHECKING:
    from PIL import Image

SIZES = OUTPUT_SIZES  # re-exported: the renderer's sizes are the contract's


def output_size(aspect_ratio: str, quality: str) -> tuple[int, int]:
    return SIZES[(aspect_ratio, quality)]


@dataclass(frozen=True)
class ImageSpec:
    """Everything that decides an image's pixels; equal specs give identical bytes."""

    task_id: str
    prompt: str
    aspect_ratio: str
    quality: str
    model: str
    is_edit: bool
    source_png: bytes | None = None  # an edit's input image, when the mock serves it itself


def _palette(task_id: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    digest = hashlib.sha256(task_id.encode()).digest()
    start = (40 + digest[0] % 120, 40 + digest[1] % 120, 40 + digest[2] % 120)
    end = (start[2], start[0], start[1])
    return start, end


LEVELS = 254  # gradient shades; palette index 254 is white, 255 the EDIT red
WHITE, RED = (255, 255, 255), (200, 30, 30)


def _background(spec: ImageSpec, size: tuple[int, int]) -> Image.Image:
    """A vertical gradient as a palette image: one byte a pixel, which makes the
    PNG ~4x faster to build and encode than RGB (the renders users wait for are 4K)."""
    from PIL import Image

    start, end = _palette(spec.task_id)
    ramp = Image.linear_gradient("L").resize(size).point(lambda v: v * (LEVELS - 1) // 255)
    palette: list[int] = []
    for level in range(LEVELS):
        share = level / (LEVELS - 1)
        palette += [round(a + (b - a) * share) for a, b in zip(start, end, strict=True)]
    ramp.putpalette(palette + [*WHITE, *RED])  # L becomes P, the levels its indices
    if spec.source_png is None:
        return ramp
    image = ramp.convert("RGB")  # an inset photo needs true colour
    with Image.open(io.BytesIO(spec.source_png)) as source:
        thumb = source.convert("RGB")
        thumb.thumbnail((size[0] // 3, size[1] // 3))
    margin = size[0] // 40
    image.paste(thumb, (size[0] - thumb.width - margin, size[1] - thumb.height - 3 * margin))
    return image


def _wrap(text: str, width: int) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = ""
        line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines[:6] + (["…"] if len(lines) > 6 else [])


def render(spec: ImageSpec) -> bytes:
    """Draw the placeholder: gradient from the task id, the prompt, ratio, quality and id;
    an edit gets a bold EDIT banner and, when available, its source image inset."""
    # Pillow is imported by the first render, not at start-up: serving starts ~10 ms sooner
    # and most runs never fetch an image.
    from PIL import ImageDraw, ImageFont

    width, height = output_size(spec.aspect_ratio, spec.quality)
    image = _background(spec, (width, height))
    draw = ImageDraw.Draw(image)
    white, red = (WHITE, RED) if image.mode == "RGB" else (LEVELS, LEVELS + 1)
    unit = max(16, min(width // 40, height // 20))
    big, small = ImageFont.load_default(size=unit * 2), ImageFont.load_default(size=unit)
    tiny = ImageFont.load_default(size=unit * 2 // 3)
    margin = unit
    y = margin
    if spec.is_edit:
        draw.rectangle((0, 0, width, unit * 3), fill=red)
        draw.text((margin, unit // 2), "EDIT", font=big, fill=white)
        y = unit * 4
    draw.text((margin, y), "seedream-mock placeholder", font=big, fill=white)
    y += unit * 3
    chars_per_line = max(10, int((width - 2 * margin) / (unit * 0.55)))
    for line in _wrap(spec.prompt, chars_per_line):
        draw.text((margin, y), line, font=small, fill=white)
        y += int(unit * 1.4)
    footer = f"{spec.model}  {spec.aspect_ratio}  {spec.quality}  {width}x{height}  {spec.task_id}"
    draw.text((margin, height - unit * 2), footer, font=tiny, fill=white)
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


class ImageCache:
    """Rendered PNGs by key, least recently used evicted past `budget_bytes`.

    Renders happen outside the cache lock; concurrent requests for the same key wait for one
    render instead of each doing it.
    """

    def __init__(self, budget_bytes: int, render_slots: int = 2) -> None:
        self.budget_bytes = budget_bytes
        # A 4K render peaks at ~200 MiB; bounding concurrent renders bounds that memory
        # (and 2 matches the cores we plan for) without making other requests wait.
        self._render_slots = threading.BoundedSemaphore(render_slots)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Lock] = {}
        # Bumped by `clear`: a render begun before a reset finishes after it, and must not put
        # the old state's image back.
        self._generation = 0

    @property
    def size_bytes(self) -> int:
        return self._size

    def get(self, key: str, make: Callable[[], bytes]) -> bytes:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            gate = self._inflight.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._items:
                    return self._items[key]
                generation = self._generation
            try:
                with self._render_slots:
                    data = make()
                with self._lock:
                    if generation == self._generation:
                        self._store(key, data)
            finally:
                with self._lock:
                    self._inflight.pop(key, None)
            return data

    def _store(self, key: str, data: bytes) -> None:
        if len(data) > self.budget_bytes:
            return  # larger than the whole budget: serve it, keep nothing
        self._items[key] = data
        self._size += len(data)
        while self._size > self.budget_bytes:
            _, evicted = self._items.popitem(last=False)
            self._size -= len(evicted)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0
            self._generation += 1
