"""Output pixel sizes per aspect ratio and quality: one table for the mock and the suite.

BytePlus presets, a guess [G]; a run against the real API confirms or refutes them
(contracts/README.md, "Unverified against the real API", lists them).
"""

from __future__ import annotations

# Kept by hand as a table (fmt: skip below): one row per aspect ratio, basic then high, so a
# size reads against its neighbours; the formatter would put each entry on a line of its own.
OUTPUT_SIZES: dict[tuple[str, str], tuple[int, int]] = {
    ("1:1", "basic"): (2048, 2048), ("1:1", "high"): (4096, 4096),
    ("4:3", "basic"): (2304, 1728), ("4:3", "high"): (4704, 3520),
    ("3:4", "basic"): (1728, 2304), ("3:4", "high"): (3520, 4704),
    ("16:9", "basic"): (2848, 1600), ("16:9", "high"): (5504, 3040),
    ("9:16", "basic"): (1600, 2848), ("9:16", "high"): (3040, 5504),
    ("3:2", "basic"): (2496, 1664), ("3:2", "high"): (4992, 3328),
    ("2:3", "basic"): (1664, 2496), ("2:3", "high"): (3328, 4992),
    ("21:9", "basic"): (3136, 1344), ("21:9", "high"): (6240, 2656),
}  # fmt: skip

ASPECT_RATIOS = ("1:1", "4:3", "3:4", "16:9", "9:16", "2:3", "3:2", "21:9")
QUALITIES = ("basic", "high")
