//===- FixedPoint.cpp - Integer requantization arithmetic -----------------===//

#include "qnt/Dialect/Qnt/Utils/FixedPoint.h"
#include "qnt/Dialect/Qnt/IR/QntAttrs.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir::qnt;

static int32_t saturateToInt32(int64_t v) {
  return static_cast<int32_t>(
      std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max()));
}

std::optional<FixedPointMultiplier> mlir::qnt::quantizeMultiplier(double m) {
  if (!std::isfinite(m) || m < 0.0)
    return std::nullopt;
  if (m == 0.0)
    return FixedPointMultiplier{0, 0};
  int exponent;
  double fraction = std::frexp(m, &exponent); // m = fraction * 2^exponent
  auto q = static_cast<int64_t>(std::llround(fraction * double(1ll << 31)));
  if (q == (1ll << 31)) { // fraction rounded up to 1.0
    q /= 2;
    ++exponent;
  }
  // m ~= q * 2^(exponent - 31) = q * 2^(-31 - shift).
  int shift = -exponent;
  if (shift < -31 || shift > 62)
    return std::nullopt;
  return FixedPointMultiplier{static_cast<int32_t>(q), shift};
}

int32_t mlir::qnt::saturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == std::numeric_limits<int32_t>::min() && a == b)
    return std::numeric_limits<int32_t>::max();
  int64_t ab = int64_t(a) * int64_t(b);
  int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  // C++ division truncates toward zero, as gemmlowp relies on.
  return static_cast<int32_t>((ab + nudge) / (1ll << 31));
}

int32_t mlir::qnt::roundingDivideByPOT(int32_t x, int exponent) {
  assert(exponent >= 0 && exponent <= 31 && "exponent out of range");
  int64_t mask = (int64_t(1) << exponent) - 1;
  int64_t remainder = int64_t(x) & mask;
  int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return static_cast<int32_t>((int64_t(x) >> exponent) +
                              (remainder > threshold ? 1 : 0));
}

int32_t mlir::qnt::tosaApplyScale(int32_t value, int32_t multiplier, int n,
                                  bool doubleRound) {
  int shift = 31 + n;
  assert(shift >= 2 && shift <= 62 && "TOSA shift out of range");
  int64_t round = int64_t(1) << (shift - 1);
  if (doubleRound && shift > 31)
    round += value >= 0 ? (int64_t(1) << 30) : -(int64_t(1) << 30);
  // |value * multiplier| < 2^62 and |round| <= 2^61 + 2^30: no overflow.
  int64_t result = (int64_t(value) * int64_t(multiplier) + round) >> shift;
  return saturateToInt32(result);
}

int32_t mlir::qnt::rescale(int32_t a, int32_t multiplier, int n,
                           RoundingMode mode) {
  switch (mode) {
  case RoundingMode::tflite: {
    int left = std::max(-n, 0), right = std::max(n, 0);
    int32_t shifted = saturateToInt32(int64_t(a) * (int64_t(1) << left));
    return roundingDivideByPOT(
        saturatingRoundingDoublingHighMul(shifted, multiplier), right);
  }
  case RoundingMode::single_round:
    return tosaApplyScale(a, multiplier, n, /*doubleRound=*/false);
  case RoundingMode::double_round:
    return tosaApplyScale(a, multiplier, n, /*doubleRound=*/true);
  }
  assert(false && "unknown rounding mode");
  return 0;
}

std::optional<SplitHighProduct>
mlir::qnt::splitHighProduct(int32_t multiplier, int left, int64_t aMin,
                            int64_t aMax) {
  constexpr int64_t lo32 = std::numeric_limits<int32_t>::min(),
                    hi32 = std::numeric_limits<int32_t>::max();
  if (multiplier < 0 || left < 0 || left > 30 || aMin > aMax ||
      (aMin * (int64_t(1) << left)) < lo32 ||
      (aMax * (int64_t(1) << left)) > hi32)
    return std::nullopt;
  auto inI32 = [&](int64_t v) { return v >= lo32 && v <= hi32; };
  // floor division by 2^s (>> on int64 is arithmetic).
  auto floorShift = [](int64_t v, int s) { return v >> s; };
  const int d = 31 - left;
  for (int s = d; s >= 0; --s) {
    int64_t high = int64_t(multiplier) >> s;
    int64_t low = int64_t(multiplier) & ((int64_t(1) << s) - 1);
    int64_t roundHigh = s <= d - 1 ? int64_t(1) << (d - 1 - s) : 0;
    int64_t roundLow = s <= d - 1 ? 0 : int64_t(1) << (d - 1);
    // The extremes of each intermediate value over a in [aMin, aMax] (each
    // is monotonic in a).
    int64_t lowMin = std::min(aMin * low, aMax * low),
            lowMax = std::max(aMin * low, aMax * low);
    int64_t highMin = std::min(aMin * high, aMax * high),
            highMax = std::max(aMin * high, aMax * high);
    if (!inI32(lowMin) || !inI32(lowMax) || !inI32(lowMin + roundLow) ||
        !inI32(lowMax + roundLow) || !inI32(highMin) || !inI32(highMax) ||
        !inI32(highMin + roundHigh) || !inI32(highMax + roundHigh))
      continue;
    int64_t tMin = highMin + roundHigh + floorShift(lowMin + roundLow, s);
    int64_t tMax = highMax + roundHigh + floorShift(lowMax + roundLow, s);
    if (!inI32(tMin) || !inI32(tMax))
      continue;
    return SplitHighProduct{int32_t(high),      int32_t(low),
                            int32_t(roundHigh), int32_t(roundLow),
                            s,                  d - s};
  }
  return std::nullopt;
}

int64_t mlir::qnt::requantize(int64_t x, int64_t inputZp, int32_t multiplier,
                              int n, int64_t outputZp, int64_t clampMin,
                              int64_t clampMax, RoundingMode mode) {
  int32_t a = saturateToInt32(x - inputZp);
  int64_t y = int64_t(rescale(a, multiplier, n, mode)) + outputZp;
  return std::clamp(y, clampMin, clampMax);
}
