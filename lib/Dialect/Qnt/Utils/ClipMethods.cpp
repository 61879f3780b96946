//===- ClipMethods.cpp - clipping ranges from statistics ------------------===//

#include "qnt/Dialect/Qnt/Utils/ClipMethods.h"
#include "qnt/Dialect/Qnt/Utils/Aciq.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir::qnt;

static ClipRange within(const TensorStats &s, ClipRange r) {
  r.lo = std::clamp(r.lo, s.min, s.max);
  r.hi = std::clamp(r.hi, s.min, s.max);
  if (r.lo > r.hi)
    std::swap(r.lo, r.hi);
  return r;
}

static double binWidth(const TensorStats &s) {
  return (s.histHi - s.histLo) / double(s.bins.size());
}

ClipRange mlir::qnt::clipMinMax(const TensorStats &s) { return {s.min, s.max}; }

/// The value below which a fraction `q` of the histogram's mass lies.
static double quantile(const TensorStats &s, double q) {
  assert(!s.bins.empty() && "quantiles need a histogram");
  double target = q * double(s.count), seen = 0.0, w = binWidth(s);
  for (size_t i = 0; i < s.bins.size(); ++i) {
    double next = seen + double(s.bins[i]);
    if (next >= target && s.bins[i] > 0)
      return s.histLo + w * (double(i) + (target - seen) / double(s.bins[i]));
    seen = next;
  }
  return s.histHi;
}

ClipRange mlir::qnt::clipPercentile(const TensorStats &s, double percent,
                                    bool oneSided) {
  double q = percent / 100.0;
  double lo = oneSided ? s.min : quantile(s, 1.0 - q);
  return within(s, {lo, quantile(s, q)});
}

static ClipRange aciq(const TensorStats &s, double a, bool oneSided) {
  if (oneSided)
    return within(s, {s.min, s.mean + a});
  return within(s, {s.mean - a, s.mean + a});
}

ClipRange mlir::qnt::clipAciqLaplace(const TensorStats &s, unsigned bits,
                                     bool oneSided) {
  double m = oneSided ? bits + 1 : bits;
  return aciq(s, aciqLaplaceRatio(m) * s.mad, oneSided);
}

ClipRange mlir::qnt::clipAciqGaussian(const TensorStats &s, unsigned bits,
                                      bool oneSided) {
  double m = oneSided ? bits + 1 : bits;
  return aciq(s, aciqGaussianRatio(m) * s.std, oneSided);
}

double mlir::qnt::estimateQuantMse(const TensorStats &s, ClipRange r,
                                   unsigned bits) {
  assert(!s.bins.empty() && "the estimate needs a histogram");
  double step = (r.hi - r.lo) / (std::ldexp(1.0, bits) - 1.0);
  double inRange = step * step / 12.0, w = binWidth(s), total = 0.0;
  for (size_t i = 0; i < s.bins.size(); ++i) {
    if (!s.bins[i])
      continue;
    double x = s.histLo + w * (double(i) + 0.5);
    double e = x < r.lo ? (r.lo - x) * (r.lo - x)
               : x > r.hi ? (x - r.hi) * (x - r.hi)
                          : inRange;
    total += double(s.bins[i]) * e;
  }
  return total / double(std::max<int64_t>(s.count, 1));
}

ClipRange mlir::qnt::clipMse(const TensorStats &s, unsigned bits,
                             bool oneSided) {
  constexpr int kCandidates = 512;
  ClipRange best = clipMinMax(s);
  double bestMse = estimateQuantMse(s, best, bits);
  for (int k = 1; k < kCandidates; ++k) {
    double f = 1.0 - double(k) / kCandidates;
    ClipRange r = oneSided ? ClipRange{s.min, s.min + (s.max - s.min) * f}
                           : ClipRange{s.mean - (s.mean - s.min) * f,
                                       s.mean + (s.max - s.mean) * f};
    double mse = estimateQuantMse(s, r, bits);
    if (mse < bestMse) {
      bestMse = mse;
      best = r;
    }
  }
  return best;
}

ClipRange mlir::qnt::clipKl(const TensorStats &s, unsigned bits,
                            bool oneSided) {
  double centre = oneSided ? 0.0 : s.mean;
  // Histogram of |x - centre| with the same number of bins.
  size_t n = s.bins.size();
  double reach = std::max(std::fabs(s.max - centre), std::fabs(s.min - centre));
  if (reach <= 0.0)
    return clipMinMax(s);
  double w = binWidth(s), aw = reach / double(n);
  llvm::SmallVector<double> p(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    double x = std::fabs(s.histLo + w * (double(i) + 0.5) - centre);
    p[std::min(n - 1, size_t(x / aw))] += double(s.bins[i]);
  }
  // One-sided: the lower bound (0 after a ReLU) is a grid point, so the
  // values at it (the exact zeros of a ReLU, often a third or more of the
  // tensor) are represented exactly whatever T is. Left in, that spike
  // dominates the divergence (Q spreads it over its group, and the wider T
  // the wider the group), and the smallest thresholds win; it is left out.
  if (oneSided)
    p[0] = 0.0;
  if (llvm::all_of(p, [](double v) { return v <= 0.0; }))
    return clipMinMax(s); // nothing but the bound itself
  size_t levels = size_t(1) << (oneSided ? bits : bits - 1);
  if (levels >= n)
    return clipMinMax(s);
  double bestKl = std::numeric_limits<double>::infinity();
  size_t bestI = n;
  for (size_t i = levels; i <= n; ++i) {
    // P: the first i bins, with the mass beyond folded into the last one.
    llvm::SmallVector<double> ref(p.begin(), p.begin() + i);
    for (size_t j = i; j < n; ++j)
      ref[i - 1] += p[j];
    // Q: the first i bins merged into `levels` groups, each group's mass
    // spread evenly over its non-empty bins.
    llvm::SmallVector<double> q(i, 0.0);
    for (size_t g = 0; g < levels; ++g) {
      size_t a = g * i / levels, b = (g + 1) * i / levels;
      double mass = 0.0;
      size_t nonEmpty = 0;
      for (size_t j = a; j < b; ++j) {
        mass += p[j];
        nonEmpty += p[j] > 0;
      }
      for (size_t j = a; j < b; ++j)
        if (p[j] > 0)
          q[j] = mass / double(nonEmpty);
    }
    double sp = 0, sq = 0;
    for (size_t j = 0; j < i; ++j) {
      sp += ref[j];
      sq += q[j];
    }
    double kl = 0.0;
    for (size_t j = 0; j < i; ++j) {
      if (ref[j] <= 0)
        continue;
      double pj = ref[j] / sp, qj = q[j] / sq;
      kl += qj > 0 ? pj * std::log(pj / qj) : std::numeric_limits<double>::infinity();
    }
    if (kl < bestKl) {
      bestKl = kl;
      bestI = i;
    }
  }
  double t = aw * double(bestI);
  return oneSided ? within(s, {s.min, t}) : within(s, {centre - t, centre + t});
}
