//===- Aciq.cpp - analytical clipping (ACIQ) ------------------------------===//

#include "qnt/Dialect/Qnt/Utils/Aciq.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

using namespace mlir::qnt;

static double noiseFactor(double bits) {
  // Quantization noise of [-a, a] in 2^M steps: a^2 / (3 * 4^M).
  return 3.0 * std::pow(4.0, bits);
}

double mlir::qnt::aciqLaplaceRatio(double bits) {
  assert(bits > 0 && "bit width must be positive");
  // Lambert W of c = 3 4^M by Newton on f(t) = t e^t - c, from t = log(c),
  // which is above the root for c > e, so the iteration decreases
  // monotonically.
  double c = noiseFactor(bits);
  double t = std::max(1.0, std::log(c));
  for (int i = 0; i < 100; ++i) {
    double et = std::exp(t);
    double f = t * et - c;
    double step = f / (et * (t + 1.0));
    t -= step;
    if (std::fabs(step) < 1e-14 * std::max(1.0, t))
      break;
  }
  return t;
}

double mlir::qnt::aciqGaussianRatio(double bits) {
  assert(bits > 0 && "bit width must be positive");
  double c = noiseFactor(bits);
  // g(t) is negative at 0 and positive for large t; bisection is robust.
  auto g = [c](double t) {
    return t * std::erfc(t / std::sqrt(2.0)) + t / c -
           std::sqrt(2.0 / M_PI) * std::exp(-t * t / 2.0);
  };
  double lo = 0.0, hi = 1.0;
  while (g(hi) < 0.0)
    hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    double mid = 0.5 * (lo + hi);
    (g(mid) < 0.0 ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

double mlir::qnt::aciqLaplaceMse(double alpha, double b, double bits) {
  if (b <= 0.0)
    return alpha * alpha / noiseFactor(bits);
  return 2.0 * b * b * std::exp(-alpha / b) +
         alpha * alpha / noiseFactor(bits);
}

double mlir::qnt::aciqGaussianMse(double alpha, double s, double bits) {
  if (s <= 0.0)
    return alpha * alpha / noiseFactor(bits);
  double u = alpha / (std::sqrt(2.0) * s);
  return (alpha * alpha + s * s) * std::erfc(u) -
         std::sqrt(2.0 / M_PI) * alpha * s *
             std::exp(-alpha * alpha / (2.0 * s * s)) +
         alpha * alpha / noiseFactor(bits);
}

llvm::SmallVector<unsigned>
mlir::qnt::aciqAllocateBits(llvm::ArrayRef<double> alphas, unsigned meanBits,
                            unsigned minBits, unsigned maxBits) {
  assert(minBits <= meanBits && meanBits <= maxBits && "budget out of range");
  size_t n = alphas.size();
  llvm::SmallVector<unsigned> bits(n, minBits);
  if (n == 0)
    return bits;
  // Ideal real-valued allocation: M_i = log2(a_i^(2/3) / sum_j a_j^(2/3)) +
  // B_total, with B_total = n * meanBits bits spread by proportion.
  double sum = 0.0;
  for (double a : alphas)
    sum += std::cbrt(std::max(a, 0.0) * std::max(a, 0.0));
  if (sum <= 0.0) {
    std::fill(bits.begin(), bits.end(), meanBits);
    return bits;
  }
  llvm::SmallVector<double> ideal(n);
  for (size_t i = 0; i < n; ++i) {
    double w = std::cbrt(alphas[i] * alphas[i]) / sum;
    // 2^{M_i} = w_i * n * 2^{meanBits}: keeps sum 2^{M_i} at n 2^{meanBits}.
    // A channel with no range gets bits last (and gives them up first).
    ideal[i] = w > 0.0 ? std::log2(w * double(n)) + meanBits : -1e9;
    double r = std::round(ideal[i]);
    bits[i] = static_cast<unsigned>(
        std::clamp(r, double(minBits), double(maxBits)));
  }
  // Fix the total: move one bit at a time where the rounding error is
  // largest in the needed direction.
  long target = long(n) * meanBits;
  long total = std::accumulate(bits.begin(), bits.end(), 0L);
  while (total != target) {
    bool add = total < target;
    size_t best = n;
    double bestGap = -1e300;
    for (size_t i = 0; i < n; ++i) {
      if (add ? bits[i] >= maxBits : bits[i] <= minBits)
        continue;
      double gap = add ? ideal[i] - bits[i] : bits[i] - ideal[i];
      if (gap > bestGap) {
        bestGap = gap;
        best = i;
      }
    }
    assert(best < n && "budget cannot be met within the bounds");
    bits[best] += add ? 1 : -1;
    total += add ? 1 : -1;
  }
  return bits;
}
