"""Calibration: statistics of activations over real data (issue 4)."""

from .stats import RunningStats, ChannelStats, CalibrationError
from .driver import attach, calibrate, calibration_build, nonfinite_report

__all__ = ["RunningStats", "ChannelStats", "CalibrationError", "attach",
           "calibrate", "calibration_build", "nonfinite_report"]
