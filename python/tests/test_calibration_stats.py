"""Streaming statistics: equal to one-shot numpy, bounded memory, histogram
mass preserved across range growth, NaN/Inf apart, valid #qnt.stats."""

import numpy as np
import pytest

from qnt import capi
from qnt.calibration import CalibrationError, ChannelStats, RunningStats


def test_streaming_matches_one_shot_numpy():
    rng = np.random.default_rng(0)
    # Batches with growing, shifting ranges force several histogram growths.
    batches = [rng.laplace(0.3 * i, 1.0 + i, size=1000) for i in range(12)]
    s = RunningStats(bins=512)
    for b in batches:
        s.update(b)
    x = np.concatenate(batches)
    assert s.count == x.size
    assert s.min == x.min() and s.max == x.max()
    assert s.mean == pytest.approx(x.mean(), rel=1e-12)
    assert s.std == pytest.approx(x.std(), rel=1e-12)
    # Mass preserved exactly; every value's bin contains it (up to one bin,
    # the resolution of the final grid).
    assert s.hist.sum() == x.size
    assert s.lo <= x.min() and s.hi >= x.max()
    mad = np.abs(x - x.mean()).mean()
    assert abs(s.mad - mad) <= s.width / 2 + 1e-12


def test_histogram_growth_is_exact_for_aligned_bins():
    s = RunningStats(bins=8)
    s.update(np.array([0.1, 0.2, 0.9]))
    before = (s.lo, s.width, s.hist.copy())
    s.update(np.array([100.0]))
    assert s.hist.sum() == 4
    assert s.width / before[1] == 2 ** round(np.log2(s.width / before[1]))
    # The three small values stay below the first new edge above them.
    first = int(np.floor((0.9 - s.lo) / s.width))
    assert s.hist[: first + 1].sum() == 3


def test_merge_equals_single_stream():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 5000), rng.normal(5, 3, 7000)
    s1 = RunningStats(bins=256).update(a)
    s2 = RunningStats(bins=256).update(b)
    s1.merge(s2)
    one = RunningStats(bins=256).update(np.concatenate([a, b]))
    assert s1.count == one.count and s1.hist.sum() == one.hist.sum()
    assert s1.mean == pytest.approx(one.mean, rel=1e-12)
    assert s1.std == pytest.approx(one.std, rel=1e-12)


def test_nan_and_inf_counted_apart():
    s = RunningStats().update(np.array([1.0, np.nan, np.inf, -np.inf, 3.0]))
    assert (s.count, s.nan, s.inf) == (2, 1, 2)
    assert (s.min, s.max, s.mean) == (1.0, 3.0, 2.0)
    assert s.hist.sum() == 2


def test_constant_tensor_has_a_valid_range():
    s = RunningStats().update(np.full(100, 4.25))
    assert s.min == s.max == 4.25
    assert s.lo < s.hi and s.lo <= 4.25 <= s.hi
    assert s.std == 0.0 and s.mad < s.width


def test_single_value_and_empty():
    s = RunningStats().update(np.array([-2.0]))
    assert s.count == 1 and s.std == 0.0
    empty = RunningStats().update(np.array([np.nan]))
    assert empty.count == 0 and empty.nan == 1
    with pytest.raises(CalibrationError):
        RunningStats(bins=0)


def test_memory_does_not_grow_with_samples():
    s = RunningStats(bins=1024)
    sizes = set()
    rng = np.random.default_rng(2)
    for _ in range(50):
        s.update(rng.normal(size=2000) * rng.uniform(1, 100))
        sizes.add(s.hist.nbytes)
    assert sizes == {1024 * 8}


def _parses(attr: str, shape="tensor<2x3xf32>"):
    src = f"""func.func @f(%x: {shape}) -> {shape} {{
  %0 = arith.addf %x, %x {{qnt.stats = {attr}}} : {shape}
  return %0 : {shape}
}}"""
    return capi.run_pipeline(src).output


@pytest.mark.parametrize("values", [
    np.random.default_rng(3).normal(size=300),
    np.full(10, 7.0),
    np.array([1e-30, 2e-30]),
    np.array([np.nan, 0.5]),
])
def test_attr_is_accepted_by_the_dialect_verifier(values):
    assert "qnt.stats = #qnt.stats<count" in _parses(RunningStats(bins=64).update(values).to_attr())


def test_channel_stats_attr():
    x = np.random.default_rng(4).normal(size=(2, 3)) * [1, 10, 100]
    attr = ChannelStats(3, axis=1, bins=32).update(x).to_attr()
    assert "#qnt.channel_stats<axis = 1" in _parses(attr)
    with pytest.raises(CalibrationError):
        ChannelStats(4, axis=1).update(x)


@pytest.mark.parametrize("first,later", [
    (np.zeros(10), np.array([-5.0, -4.0])),       # constant, then wholly below
    (np.zeros(10), np.array([-1e6, -1e5])),
    (np.array([0.0, 1e-6]), np.array([-3.0, -2.5])),
    (np.array([10.0, 10.5]), np.array([-7.0, -6.0, -6.5])),
])
def test_growth_toward_lower_values_keeps_both_ranges(first, later):
    """Regression: a batch wholly below a narrow current range grew the grid
    to cover the new values only, and old bins landed past the end."""
    s = RunningStats(bins=2048)
    s.update(first.astype(np.float32))
    s.update(later.astype(np.float32))
    values = np.concatenate([first, later]).astype(np.float32)
    assert s.hist.sum() == len(values)
    assert s.lo <= values.min() and s.hi >= values.max()
    # Every value is counted in the bin that contains it or the one below
    # (a batch's maximum sits in its own grid's last bin, whose centre is
    # just under it): the cumulative counts lag by at most one bin.
    idx = np.floor((values - s.lo) / s.width).astype(np.int64)
    expected = np.zeros(s.bins + 1, np.int64)
    np.add.at(expected, idx, 1)
    got, full = np.cumsum(s.hist), np.cumsum(expected)
    assert (got >= full[:s.bins]).all()
    assert (got <= full[1:]).all()
