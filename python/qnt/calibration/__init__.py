"""Calibration: statistics of activations over real data (issue 4)."""

from .stats import RunningStats, ChannelStats, CalibrationError

__all__ = ["RunningStats", "ChannelStats", "CalibrationError"]
