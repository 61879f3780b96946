//===- ClipMethodsTest.cpp - range-setting methods on edge cases ----------===//

#include "qnt/Dialect/Qnt/Utils/ClipMethods.h"

#include "gtest/gtest.h"

#include <cmath>
#include <vector>

using namespace mlir::qnt;

namespace {

/// Statistics of a tensor given by its histogram over [lo, hi] (bin centres
/// as the values) and its min/max. The stats point into `bins`: keep the
/// Hist alive while they are used.
struct Hist {
  std::vector<int64_t> bins;
  TensorStats stats(double lo, double hi, double min, double max) const {
    TensorStats s;
    s.histLo = lo;
    s.histHi = hi;
    s.bins = bins;
    s.min = min;
    s.max = max;
    double w = (hi - lo) / double(bins.size()), sum = 0, sq = 0;
    for (size_t i = 0; i < bins.size(); ++i) {
      double x = lo + w * (double(i) + 0.5);
      s.count += bins[i];
      sum += double(bins[i]) * x;
      sq += double(bins[i]) * x * x;
    }
    s.mean = sum / double(s.count);
    s.std = std::sqrt(std::max(0.0, sq / double(s.count) - s.mean * s.mean));
    double mad = 0;
    for (size_t i = 0; i < bins.size(); ++i)
      mad += double(bins[i]) * std::fabs(lo + w * (double(i) + 0.5) - s.mean);
    s.mad = mad / double(s.count);
    return s;
  }
};

bool finite(ClipRange r) { return std::isfinite(r.lo) && std::isfinite(r.hi); }

} // namespace

// A constant activation (min == max): every method gives that point, finite.
TEST(ClipMethods, ConstantTensorGetsAFiniteRange) {
  Hist h{{0, 0, 50, 0}};
  TensorStats s = h.stats(0.0, 4.0, 2.5, 2.5);
  s.mean = 2.5, s.std = 0, s.mad = 0;
  for (bool oneSided : {false, true}) {
    for (ClipRange r :
         {clipMinMax(s), clipPercentile(s, 99.0, oneSided), clipMse(s, 4, oneSided),
          clipKl(s, 4, oneSided), clipAciqLaplace(s, 4, oneSided),
          clipAciqGaussian(s, 4, oneSided)}) {
      EXPECT_TRUE(finite(r));
      EXPECT_EQ(r.lo, 2.5);
      EXPECT_EQ(r.hi, 2.5);
    }
  }
}

// A ReLU that never fired: all mass at the lower bound. KL has nothing to
// compare once that bin is left out and falls back to [min, max].
TEST(ClipMethods, KlOfAllZerosAfterRelu) {
  std::vector<int64_t> bins(64, 0);
  bins[0] = 1000;
  Hist h{bins};
  TensorStats s = h.stats(0.0, 1.0, 0.0, 0.0);
  ClipRange r = clipKl(s, 4, /*oneSided=*/true);
  EXPECT_EQ(r.lo, 0.0);
  EXPECT_EQ(r.hi, 0.0);
}

// One-sided KL does not depend on how many values sit exactly at the lower
// bound (they are on the grid whatever the threshold): the spike of a
// ReLU's zeros must not pull the threshold down.
TEST(ClipMethods, KlIgnoresTheSpikeAtTheLowerBound) {
  std::vector<int64_t> bins(256);
  for (size_t i = 0; i < bins.size(); ++i) // an exponential-ish tail
    bins[i] = int64_t(std::lround(10000.0 * std::exp(-double(i) / 24.0)));
  Hist few{bins};
  ClipRange a = clipKl(few.stats(0.0, 8.0, 0.0, 8.0), 4, /*oneSided=*/true);
  bins[0] *= 1000;
  Hist many{bins};
  ClipRange b = clipKl(many.stats(0.0, 8.0, 0.0, 8.0), 4, /*oneSided=*/true);
  EXPECT_EQ(a.hi, b.hi);
  EXPECT_GT(a.hi, 16 * 8.0 / 256); // above the smallest candidate
  EXPECT_LT(a.hi, 8.0);            // and clips the tail
}

// A single sample: a one-bin histogram; every method is finite and
// contains the value.
TEST(ClipMethods, SingleSample) {
  Hist h{{0, 1, 0, 0}};
  TensorStats s = h.stats(-2.0, 2.0, -0.7, -0.7);
  s.mean = -0.7, s.std = 0, s.mad = 0;
  for (ClipRange r : {clipMinMax(s), clipPercentile(s, 99.99, false),
                      clipMse(s, 8, false), clipKl(s, 8, false),
                      clipAciqLaplace(s, 8, false),
                      clipAciqGaussian(s, 8, false)}) {
    EXPECT_TRUE(finite(r));
    EXPECT_LE(r.lo, -0.7);
    EXPECT_GE(r.hi, -0.7);
  }
}

// The MSE estimate prefers clipping a heavy tail at low bit widths and the
// full range at high ones (the trade-off every method navigates).
TEST(ClipMethods, MseSearchShrinksWithFewerBits) {
  std::vector<int64_t> bins(512);
  for (size_t i = 0; i < bins.size(); ++i)
    bins[i] = int64_t(std::lround(1e6 * std::exp(-double(i) / 20.0))) + 1;
  Hist h{bins};
  TensorStats s = h.stats(0.0, 16.0, 0.0, 16.0);
  double at2 = clipMse(s, 2, true).hi, at8 = clipMse(s, 8, true).hi;
  EXPECT_LT(at2, at8);
  EXPECT_LE(at8, 16.0);
}
