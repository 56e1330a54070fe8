"""The machine a run measured on: its CPU model and cores, and how busy it was apart from the
servers under test and the bench (a shared VM runs other jobs; a run measured meanwhile is
marked in the report)."""

from __future__ import annotations

import os
import platform
import time

BUSY_CORES = 0.25  # other work above a quarter of a core while our servers idle: "busy"
_SAMPLE_S = 0.3


def cpu_model() -> str:
    """`model name` from /proc/cpuinfo (Linux), else what platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _busy_and_total() -> tuple[int, int] | None:
    try:
        with open("/proc/stat", encoding="utf-8") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _process_ticks(pids: list[int]) -> int:
    """utime + stime of these processes (and of this one), in the clock ticks /proc/stat uses."""
    total = 0
    for pid in [*pids, os.getpid()]:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total


def background_cores(pids: list[int], seconds: float = _SAMPLE_S) -> float | None:
    """Cores' worth of CPU the machine used over `seconds`, less what the servers under test
    (`pids`) and the bench itself used: other people's work. None without /proc."""
    before, ours_before = _busy_and_total(), _process_ticks(pids)
    time.sleep(seconds)
    after, ours_after = _busy_and_total(), _process_ticks(pids)
    if before is None or after is None or after[1] == before[1]:
        return None
    other = max(0, (after[0] - before[0]) - (ours_after - ours_before))
    return round(other / (after[1] - before[1]) * (os.cpu_count() or 1), 2)


def load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None
