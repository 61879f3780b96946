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

std::optional<I32Rescale> mlir::qnt::i32Rescale(int32_t multiplier, int n,
                                                RoundingMode mode,
                                                int64_t aMin, int64_t aMax) {
  constexpr int64_t lo32 = std::numeric_limits<int32_t>::min(),
                    hi32 = std::numeric_limits<int32_t>::max();
  if (multiplier < 0 || aMin > aMax || aMin < lo32 || aMax > hi32)
    return std::nullopt;
  // Trailing zero bits of m (m = 0: any; 30 is enough).
  int zeros = 30;
  if (multiplier != 0)
    zeros = std::min(30, __builtin_ctz(uint32_t(multiplier)));
  auto pow2 = [](int e) { return int64_t(1) << e; };
  int64_t m = multiplier, roundPos = 0, roundNeg = 0;
  int shift = 0;
  switch (mode) {
  case RoundingMode::tflite: {
    if (n < -31 || n > 31)
      return std::nullopt;
    int left = std::max(-n, 0), right = std::max(n, 0);
    // a << left must not saturate on the range (then a 2^left m is exact).
    if (left > 30 || aMin * pow2(left) < lo32 || aMax * pow2(left) > hi32)
      return std::nullopt;
    // high = floor((a 2^left m' 2^t + 2^30) / 2^31)
    //      = floor((a m' + 2^(d - 1)) / 2^d),  d = 31 - left - t >= 1.
    int t = std::min(zeros, 30 - left);
    int d = 31 - left - t;
    m = multiplier >> t;
    roundPos = roundNeg = pow2(d - 1);
    shift = d;
    // RoundingDivideByPOT(high, r), r >= 1: floor((high + 2^(r - 1) -
    // [high < 0]) / 2^r); high < 0 implies a < 0, and for a < 0 with
    // high = 0 both terms give 0, so [a < 0] serves. Nested floors of
    // divisions by powers of two are one floor: the constants move inside.
    if (right > 0) {
      if (d + right > 62)
        return std::nullopt;
      roundPos += pow2(d + right - 1);
      roundNeg = roundPos - pow2(d);
      shift = d + right;
    }
    break;
  }
  case RoundingMode::single_round:
  case RoundingMode::double_round: {
    int s = 31 + n;
    if (s < 2 || s > 62)
      return std::nullopt;
    bool twice = mode == RoundingMode::double_round && s > 31;
    // floor((a m' 2^t + 2^(s - 1) [+- 2^30]) / 2^s), t <= s - 1 (and <= 30
    // so that 2^30 / 2^t stays an integer).
    int t = std::min(zeros, s - 1);
    m = multiplier >> t;
    roundPos = roundNeg = pow2(s - t - 1);
    if (twice) {
      roundPos += pow2(30 - t);
      roundNeg -= pow2(30 - t);
    }
    shift = s - t;
    break;
  }
  }
  // floor(v / 2^shift) of an int32 v is v >> 31 for any shift >= 31.
  shift = std::min(shift, 31);
  auto in32 = [&](int64_t v) { return v >= lo32 && v <= hi32; };
  if (!in32(roundPos) || !in32(roundNeg))
    return std::nullopt;
  // a m + round(a) is increasing on each sign's side and round(-1) <=
  // round(0): its extremes are at the ends of the range and at -1 / 0.
  for (int64_t a : {aMin, aMax, int64_t(-1), int64_t(0)}) {
    if (a < aMin || a > aMax)
      continue;
    if (!in32(a * m + (a < 0 ? roundNeg : roundPos)))
      return std::nullopt;
  }
  return I32Rescale{int32_t(m), int32_t(roundPos), int32_t(roundNeg), shift};
}

bool mlir::qnt::foldsZeroPoint(const I32Rescale &f, int64_t z, int64_t aMin,
                               int64_t aMax) {
  if (z == 0)
    return true;
  if (f.shift >= 31)
    return false;
  int64_t zs = z * (int64_t(1) << f.shift);
  // As in i32Rescale: the extremes are at the ends and at -1 / 0.
  for (int64_t a : {aMin, aMax, int64_t(-1), int64_t(0)}) {
    if (a < aMin || a > aMax)
      continue;
    int64_t v = a * f.multiplier + (a < 0 ? f.roundNeg : f.roundPos) + zs;
    if (v < std::numeric_limits<int32_t>::min() ||
        v > std::numeric_limits<int32_t>::max())
      return false;
  }
  return true;
}

FixedPointMultiplier mlir::qnt::roundMultiplierBits(FixedPointMultiplier m,
                                                    int bits) {
  if (bits >= 31 || m.multiplier <= 0 || bits < 1)
    return m;
  int drop = 31 - bits;
  int64_t q = ((int64_t(m.multiplier) >> (drop - 1)) + 1) >> 1;
  int64_t rounded = q << drop;
  if (rounded >= (int64_t(1) << 31))
    return FixedPointMultiplier{int32_t(1) << 30, m.shift - 1};
  return FixedPointMultiplier{int32_t(rounded), m.shift};
}

int64_t mlir::qnt::requantize(int64_t x, int64_t inputZp, int32_t multiplier,
                              int n, int64_t outputZp, int64_t clampMin,
                              int64_t clampMax, RoundingMode mode) {
  int32_t a = saturateToInt32(x - inputZp);
  int64_t y = int64_t(rescale(a, multiplier, n, mode)) + outputZp;
  return std::clamp(y, clampMin, clampMax);
}
