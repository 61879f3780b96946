"""Streaming statistics of a tensor's values, with bounded memory.

``RunningStats`` keeps, over every finite value seen: the count, min, max,
mean and standard deviation (Chan et al.'s parallel update in float64), and
an equal-width histogram of ``bins`` bins whose range grows as needed. NaN and
infinite values are counted apart and never enter the other statistics.

Histogram growth is mass-preserving and exact in where it puts old counts:
the bin width only ever grows by a power of two and the new edges are aligned
with the old ones, so every old bin falls entirely into one new bin.

``mad`` (mean absolute deviation from the mean, ACIQ's Laplace ``b``) is
computed from the histogram when asked for, since the mean is not known until
the end of the stream: its error is at most half a bin width.

Memory is O(bins) whatever the number of samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


class CalibrationError(ValueError):
    pass


def _mlir_float(v: float) -> str:
    # MLIR float literals need a '.' (or use hex); repr round-trips.
    return f"{float(v):.17e}"


@dataclass
class RunningStats:
    bins: int = 2048
    count: int = 0
    nan: int = 0
    inf: int = 0
    min: float = math.inf
    max: float = -math.inf
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    lo: float = 0.0
    width: float = 0.0  # 0 until the first finite value
    hist: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        if self.bins < 1:
            raise CalibrationError("a histogram needs at least one bin")
        if self.hist is None:
            self.hist = np.zeros(self.bins, np.int64)

    # ------------------------------------------------------------- updates
    def update(self, values) -> "RunningStats":
        x = np.asarray(values, dtype=np.float64).ravel()
        finite = np.isfinite(x)
        self.nan += int(np.isnan(x).sum())
        self.inf += int(np.isinf(x).sum())
        x = x[finite]
        if x.size == 0:
            return self
        batch = RunningStats(bins=self.bins)
        batch.count = int(x.size)
        batch.min, batch.max = float(x.min()), float(x.max())
        batch.mean = float(x.mean())
        batch.m2 = float(((x - batch.mean) ** 2).sum())
        batch._init_range(batch.min, batch.max)
        batch.hist += np.bincount(batch._bin_of(x), minlength=self.bins)
        return self.merge(batch, nan=0, inf=0)

    def merge(self, other: "RunningStats", nan=None, inf=None) -> "RunningStats":
        """Adds another accumulator's values (same number of bins)."""
        if other.bins != self.bins:
            raise CalibrationError("cannot merge histograms with different bin counts")
        self.nan += other.nan if nan is None else nan
        self.inf += other.inf if inf is None else inf
        if other.count == 0:
            return self
        if self.count == 0:
            self.count, self.min, self.max = other.count, other.min, other.max
            self.mean, self.m2 = other.mean, other.m2
            self.lo, self.width, self.hist = other.lo, other.width, other.hist.copy()
            return self
        n = self.count + other.count
        delta = other.mean - self.mean
        self.m2 += other.m2 + delta * delta * self.count * other.count / n
        self.mean += delta * other.count / n
        self.count = n
        self.min, self.max = min(self.min, other.min), max(self.max, other.max)
        # Grow this histogram to cover the other's range, then move the
        # other's bins into it by their centres.
        self._grow_to(other.lo, other.lo + other.width * other.bins)
        centres = other.lo + (np.arange(other.bins) + 0.5) * other.width
        np.add.at(self.hist, self._bin_of(centres), other.hist)
        return self

    # ----------------------------------------------------------- histogram
    def _init_range(self, lo: float, hi: float):
        span = hi - lo
        if span <= 0:  # a constant: a small range around it
            span = max(abs(lo), 1.0) * 2.0**-20
            lo -= span / 2
        # Power-of-two widths keep later growth aligned and exact.
        self.width = 2.0 ** math.ceil(math.log2(span / self.bins))
        self.lo = math.floor(lo / self.width) * self.width
        while self.lo + self.width * self.bins < hi:
            self.width *= 2
            self.lo = math.floor(lo / self.width) * self.width

    def _bin_of(self, x):
        idx = np.floor((np.asarray(x) - self.lo) / self.width).astype(np.int64)
        return np.clip(idx, 0, self.bins - 1)

    def _grow_to(self, lo: float, hi: float):
        # The grown grid must hold the current range too, not only [lo, hi]:
        # a batch wholly below a narrow range used to map old bins past the
        # end.
        lo, hi = min(lo, self.lo), max(hi, self.hi)
        factor = 1
        width, new_lo = self.width, self.lo
        while new_lo > lo or new_lo + width * self.bins < hi:
            factor *= 2
            width = self.width * factor
            new_lo = math.floor(min(lo, self.lo) / width) * width
        if factor == 1:
            return
        # Old bin i (edges aligned: width is a multiple of the old width and
        # new_lo an edge of both grids) lands wholly in new bin j.
        shift = int(round((self.lo - new_lo) / self.width))
        j = (np.arange(self.bins) + shift) // factor
        grown = np.zeros(self.bins, np.int64)
        np.add.at(grown, j, self.hist)
        self.lo, self.width, self.hist = new_lo, width, grown

    # ------------------------------------------------------------- results
    @property
    def hi(self) -> float:
        return self.lo + self.width * self.bins

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.count) if self.count else 0.0

    @property
    def mad(self) -> float:
        if not self.count:
            return 0.0
        centres = self.lo + (np.arange(self.bins) + 0.5) * self.width
        return float((self.hist * np.abs(centres - self.mean)).sum() / self.count)

    def to_dict(self) -> dict:
        d = {"count": self.count, "nan": self.nan, "inf": self.inf}
        if self.count:
            d.update(min=self.min, max=self.max, mean=self.mean, std=self.std,
                     mad=self.mad, hist={"lo": self.lo, "hi": self.hi,
                                         "bins": self.hist.tolist()})
        return d

    def to_attr(self) -> str:
        """The ``#qnt.stats`` attribute for these statistics."""
        if not self.count:
            z = _mlir_float(0.0)
            return (f"#qnt.stats<count = 0, min = {z}, max = {z}, mean = {z}, "
                    f"std = {z}, mad = {z}, nan = {self.nan}, inf = {self.inf}>")
        # Accumulated rounding can put the mean an ulp outside [min, max].
        mean = min(max(self.mean, self.min), self.max)
        bins = ", ".join(str(int(b)) for b in self.hist)
        return (f"#qnt.stats<count = {self.count}, min = {_mlir_float(self.min)}, "
                f"max = {_mlir_float(self.max)}, mean = {_mlir_float(mean)}, "
                f"std = {_mlir_float(self.std)}, mad = {_mlir_float(self.mad)}, "
                f"nan = {self.nan}, inf = {self.inf}, hist = <lo = {_mlir_float(self.lo)}, "
                f"hi = {_mlir_float(self.hi)}, bins = [{bins}]>>")


class ChannelStats:
    """One RunningStats per slice along ``axis``."""

    def __init__(self, channels: int, axis: int, bins: int = 2048):
        self.axis = axis
        self.channels = [RunningStats(bins=bins) for _ in range(channels)]

    def update(self, values):
        x = np.moveaxis(np.asarray(values), self.axis, 0)
        if x.shape[0] != len(self.channels):
            raise CalibrationError(f"expected {len(self.channels)} channels on axis "
                                   f"{self.axis}, got {x.shape[0]}")
        for stats, slice_ in zip(self.channels, x):
            stats.update(slice_)
        return self

    def to_attr(self) -> str:
        inner = ", ".join(s.to_attr().replace("#qnt.stats", "", 1) for s in self.channels)
        return f"#qnt.channel_stats<axis = {self.axis}, channels = [{inner}]>"
