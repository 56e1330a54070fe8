"""Calibration: a profile learned by example from exchanges with a target (docs/calibration.md).

HTTP only, like the rest of the kit: exchanges are recorded (keys reduced to fingerprints) by
the live calibrator or the recording proxy, and `learn` turns them into a profile and a report.
"""

from seedream_contracts.calibration.exchange import (
    Exchange,
    Recorder,
    RecordingError,
    read_recordings,
)
from seedream_contracts.calibration.learner import PRICE, learn
from seedream_contracts.calibration.report import Point, Report

__all__ = [
    "PRICE",
    "Exchange",
    "Point",
    "Recorder",
    "RecordingError",
    "Report",
    "learn",
    "read_recordings",
]
