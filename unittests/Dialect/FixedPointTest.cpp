//===- FixedPointTest.cpp - requantization arithmetic ---------------------===//
//
// Hand-derived edge cases, plus randomized comparisons against an oracle that
// computes the exact rational a * m / 2^(31+n) in 128-bit integers and applies
// each mode's rounding rule directly (floor-based, unlike the implementation's
// nudge-and-truncate).
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntAttrs.h"
#include "qnt/Dialect/Qnt/Utils/FixedPoint.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace mlir::qnt;

namespace {
constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

using i128 = __int128;

/// floor(p / 2^s) for s >= 0.
i128 floorDivPow2(i128 p, int s) {
  i128 d = i128(1) << s;
  i128 q = p / d;
  if (p % d != 0 && p < 0)
    --q;
  return q;
}

/// round(p / 2^s), ties toward +infinity.
i128 roundHalfUp(i128 p, int s) {
  if (s == 0)
    return p;
  return floorDivPow2(p + (i128(1) << (s - 1)), s);
}

/// round(p / 2^s), ties away from zero.
i128 roundHalfAway(i128 p, int s) {
  if (s == 0)
    return p;
  return p >= 0 ? roundHalfUp(p, s) : -roundHalfUp(-p, s);
}

int32_t sat32(i128 v) {
  return static_cast<int32_t>(v < kMin ? kMin : (v > kMax ? kMax : v));
}

/// The tflite rule: x = sat(a * 2^max(-n,0)); h = round_half_up(x * m / 2^31)
/// (saturating); y = round_half_away(h / 2^max(n,0)).
int32_t oracleTflite(int32_t a, int32_t m, int n) {
  i128 x = sat32(i128(a) << std::max(-n, 0));
  i128 h = sat32(roundHalfUp(x * m, 31));
  return static_cast<int32_t>(roundHalfAway(h, std::max(n, 0)));
}

/// TOSA single round: round_half_up(a * m / 2^(31+n)), saturated.
int32_t oracleSingle(int32_t a, int32_t m, int n) {
  return sat32(roundHalfUp(i128(a) * m, 31 + n));
}

/// TOSA double round, as its definition reads: for shifts above 31, first
/// round to 31 fractional bits (half away from zero), then half up.
int32_t oracleDouble(int32_t a, int32_t m, int n) {
  int shift = 31 + n;
  i128 p = i128(a) * m;
  if (shift <= 31)
    return sat32(roundHalfUp(p, shift));
  i128 first = p + (p >= 0 ? (i128(1) << 30) : -(i128(1) << 30));
  return sat32(floorDivPow2(first + (i128(1) << (shift - 1)), shift));
}
} // namespace

TEST(FixedPoint, DoublingHighMulTies) {
  // 0.5 -> 1 and -0.5 -> 0: ties go toward +infinity.
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1 << 15, 1 << 15), 1);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-(1 << 15), 1 << 15), 0);
  // 1.5 -> 2 and -1.5 -> -1.
  EXPECT_EQ(saturatingRoundingDoublingHighMul(3 << 15, 1 << 15), 2);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(-(3 << 15), 1 << 15), -1);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(1 << 30, 1 << 30), 1 << 29);
  EXPECT_EQ(saturatingRoundingDoublingHighMul(0, kMax), 0);
}

TEST(FixedPoint, DoublingHighMulSaturates) {
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kMin, kMin), kMax);
  // INT32_MIN * INT32_MAX is representable: -(2^31 - 1) after rounding.
  EXPECT_EQ(saturatingRoundingDoublingHighMul(kMin, kMax), -kMax);
}

TEST(FixedPoint, RoundingDivideByPOTTies) {
  EXPECT_EQ(roundingDivideByPOT(5, 1), 3);   // 2.5 -> 3
  EXPECT_EQ(roundingDivideByPOT(-5, 1), -3); // -2.5 -> -3
  EXPECT_EQ(roundingDivideByPOT(-6, 2), -2); // -1.5 -> -2
  EXPECT_EQ(roundingDivideByPOT(6, 2), 2);   // 1.5 -> 2
  EXPECT_EQ(roundingDivideByPOT(7, 2), 2);   // 1.75 -> 2
  EXPECT_EQ(roundingDivideByPOT(-4, 1), -2);
  EXPECT_EQ(roundingDivideByPOT(123, 0), 123);
  EXPECT_EQ(roundingDivideByPOT(kMin, 31), -1);
  EXPECT_EQ(roundingDivideByPOT(kMax, 31), 1);
  EXPECT_EQ(roundingDivideByPOT(kMin, 0), kMin);
}

TEST(FixedPoint, TosaDoubleRoundDiffersFromSingle) {
  // 3 * 2^30 / 2^33 = 0.375: single rounds to 0; double first rounds
  // 1.5 -> 2 at 31 bits, then 2 / 4 = 0.5 -> 1.
  EXPECT_EQ(rescale(3, 1 << 30, 2, RoundingMode::single_round), 0);
  EXPECT_EQ(rescale(3, 1 << 30, 2, RoundingMode::double_round), 1);
  // With shift <= 31 both modes agree.
  EXPECT_EQ(rescale(3, 1 << 30, 0, RoundingMode::double_round),
            rescale(3, 1 << 30, 0, RoundingMode::single_round));
}

TEST(FixedPoint, QuantizeMultiplier) {
  auto half = quantizeMultiplier(0.5);
  ASSERT_TRUE(half);
  EXPECT_EQ(half->multiplier, 1 << 30);
  EXPECT_EQ(half->shift, 0);
  auto one = quantizeMultiplier(1.0);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->multiplier, 1 << 30);
  EXPECT_EQ(one->shift, -1);
  auto threeQuarters = quantizeMultiplier(0.75);
  ASSERT_TRUE(threeQuarters);
  EXPECT_EQ(threeQuarters->multiplier, 1610612736);
  EXPECT_EQ(threeQuarters->shift, 0);
  // A fraction that rounds up to 1.0 renormalizes.
  auto almostOne = quantizeMultiplier(1.0 - std::ldexp(1.0, -40));
  ASSERT_TRUE(almostOne);
  EXPECT_EQ(almostOne->multiplier, 1 << 30);
  EXPECT_EQ(almostOne->shift, -1);
  auto tiny = quantizeMultiplier(std::ldexp(1.0, -40));
  ASSERT_TRUE(tiny);
  EXPECT_EQ(tiny->shift, 39);
  auto zero = quantizeMultiplier(0.0);
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->multiplier, 0);
  EXPECT_FALSE(quantizeMultiplier(-1.0));
  EXPECT_FALSE(quantizeMultiplier(std::nan("")));
  EXPECT_FALSE(quantizeMultiplier(std::ldexp(1.0, 40)));
  EXPECT_FALSE(quantizeMultiplier(std::ldexp(1.0, -80)));
}

TEST(FixedPoint, QuantizeMultiplierIsAccurate) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-30.0, 8.0);
  for (int i = 0; i < 10000; ++i) {
    double m = std::exp2(exponent(rng));
    auto q = quantizeMultiplier(m);
    ASSERT_TRUE(q);
    EXPECT_GE(q->multiplier, 1 << 30);
    double back = std::ldexp(double(q->multiplier), -31 - q->shift);
    EXPECT_LE(std::fabs(back - m) / m, std::ldexp(1.0, -31));
  }
}

TEST(FixedPoint, RescaleMatchesOracleOnEveryShift) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> anyInt(kMin, kMax);
  std::uniform_int_distribution<int32_t> multiplier(0, kMax);
  const int32_t special[] = {0, 1, -1, kMin, kMax, kMin + 1, 1 << 30, -(1 << 30)};
  for (int n = -31; n <= 31; ++n) {
    for (int i = 0; i < 400; ++i) {
      int32_t a = i < 8 ? special[i] : anyInt(rng);
      int32_t m = i % 3 == 0 ? kMax : multiplier(rng);
      ASSERT_EQ(rescale(a, m, n, RoundingMode::tflite), oracleTflite(a, m, n))
          << "a=" << a << " m=" << m << " n=" << n;
      if (n >= -29) {
        ASSERT_EQ(rescale(a, m, n, RoundingMode::single_round),
                  oracleSingle(a, m, n))
            << "a=" << a << " m=" << m << " n=" << n;
        ASSERT_EQ(rescale(a, m, n, RoundingMode::double_round),
                  oracleDouble(a, m, n))
            << "a=" << a << " m=" << m << " n=" << n;
      }
    }
  }
}

TEST(FixedPoint, RescaleTiesOnBothSigns) {
  // m = 2^30 (0.5), n = 1: a / 4. a = 6 -> 1.5, a = -6 -> -1.5.
  EXPECT_EQ(rescale(6, 1 << 30, 1, RoundingMode::tflite), 2);
  EXPECT_EQ(rescale(-6, 1 << 30, 1, RoundingMode::tflite), -2);
  EXPECT_EQ(rescale(6, 1 << 30, 1, RoundingMode::single_round), 2);
  EXPECT_EQ(rescale(-6, 1 << 30, 1, RoundingMode::single_round), -1);
  // m = 2^30, n = 0: a / 2; a = -1 -> -0.5: tflite's high-mul rounds toward
  // +infinity (0), single round too.
  EXPECT_EQ(rescale(-1, 1 << 30, 0, RoundingMode::tflite), 0);
  EXPECT_EQ(rescale(-1, 1 << 30, 0, RoundingMode::single_round), 0);
}

TEST(FixedPoint, RequantizeZeroPointsAndClamp) {
  // 100 * 0.5 - 128 = -78.
  EXPECT_EQ(requantize(100, 0, 1 << 30, 0, -128, -128, 127,
                       RoundingMode::tflite),
            -78);
  // Clamped at both ends.
  EXPECT_EQ(requantize(1000, 0, 1 << 30, 0, 0, 0, 127, RoundingMode::tflite),
            127);
  EXPECT_EQ(requantize(-1000, 0, 1 << 30, 0, 0, 0, 127, RoundingMode::tflite),
            0);
  // Input zero point: (10 - 4) * 0.5 = 3.
  EXPECT_EQ(requantize(10, 4, 1 << 30, 0, 0, -128, 127, RoundingMode::tflite),
            3);
  // x - input_zp saturates to INT32_MIN rather than wrapping to INT32_MAX;
  // the left shift saturates too, and the high-mul of INT32_MIN by
  // INT32_MAX is -(2^31 - 1).
  EXPECT_EQ(requantize(kMin, 1, kMax, -1, 0, kMin, kMax, RoundingMode::tflite),
            -kMax);
  // Multiplier 0 maps everything to the output zero point.
  EXPECT_EQ(requantize(12345, 0, 0, 3, 7, -128, 127, RoundingMode::tflite), 7);
}

/// The split high product evaluated step by step in int64, each step
/// checked to stay inside int32 (what the i32 vector lanes compute).
static std::optional<int32_t> splitEval(const SplitHighProduct &s,
                                        int64_t a) {
  auto in32 = [](int64_t v) { return v >= kMin && v <= kMax; };
  int64_t lo = a * s.low;
  int64_t loR = lo + s.roundLow;
  int64_t hi = a * s.high;
  int64_t hiR = hi + s.roundHigh;
  int64_t t = hiR + (loR >> s.lowShift);
  if (!in32(lo) || !in32(loR) || !in32(hi) || !in32(hiR) || !in32(t))
    return std::nullopt;
  return int32_t(t >> s.highShift);
}

TEST(FixedPoint, SplitHighProductMatchesForEveryNarrowInput) {
  // Every a of an i8 input minus its zero point (and an i16-like range),
  // every left shift that keeps a << left inside int32, multipliers at the
  // edges and random ones: the split equals the 64-bit high product.
  std::mt19937 rng(99);
  std::uniform_int_distribution<int32_t> multiplier(0, kMax);
  const std::pair<int64_t, int64_t> ranges[] = {
      {0, 255}, {-255, 0}, {-128, 127}, {-167, 88}, {-32768 - 5, 32767 - 5}};
  int checked = 0;
  for (auto [aMin, aMax] : ranges) {
    int64_t width = std::max(-aMin, aMax);
    for (int left = 0; left <= 30; ++left) {
      if ((width << left) > kMax)
        break;
      for (int i = 0; i < 12; ++i) {
        int32_t m = i == 0   ? 0
                    : i == 1 ? 1
                    : i == 2 ? 1 << 30
                    : i == 3 ? (1 << 30) + 1
                    : i == 4 ? kMax
                             : multiplier(rng);
        auto split = splitHighProduct(m, left, aMin, aMax);
        // i8 inputs (|a| <= 255) always split for left <= 23: what the
        // requantizations of residual adds, concatenations and pooling use.
        if (width <= 255 && left <= 23)
          ASSERT_TRUE(split) << "m=" << m << " left=" << left;
        if (!split)
          continue;
        EXPECT_LE(split->lowShift, 31 - left);
        int64_t step = aMax - aMin > 4096 ? 7 : 1;
        for (int64_t a = aMin; a <= aMax; a += step) {
          std::optional<int32_t> got = splitEval(*split, a);
          ASSERT_TRUE(got) << "overflow: a=" << a << " m=" << m
                           << " left=" << left;
          ASSERT_EQ(*got,
                    saturatingRoundingDoublingHighMul(int32_t(a << left), m))
              << "a=" << a << " m=" << m << " left=" << left;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100000);
}

TEST(FixedPoint, SplitHighProductRejects) {
  // a << left leaving int32, a negative multiplier, left outside [0, 30].
  EXPECT_FALSE(splitHighProduct(1 << 30, 24, -255, 255));
  EXPECT_FALSE(splitHighProduct(-1, 0, -255, 255));
  EXPECT_FALSE(splitHighProduct(1 << 30, 31, 0, 0));
  EXPECT_FALSE(splitHighProduct(1 << 30, -1, 0, 1));
  // Full i32 inputs: no split keeps a * high inside int32.
  EXPECT_FALSE(splitHighProduct(kMax, 0, kMin, kMax));
}

namespace {
/// The 32-bit form evaluated in 64 bits; nullopt if a value leaves int32.
std::optional<int32_t> i32Eval(const I32Rescale &r, int64_t a) {
  int64_t v = a * r.multiplier + (a < 0 ? r.roundNeg : r.roundPos);
  if (v < kMin || v > kMax)
    return std::nullopt;
  return int32_t(v >> r.shift);
}
} // namespace

TEST(FixedPoint, I32RescaleMatchesOracleWhereItExists) {
  // Multipliers with 0..30 trailing zero bits, every shift of each mode,
  // input ranges from i8-like to 2^24: wherever i32Rescale gives a form,
  // it equals the mode's oracle on the range's ends, around zero, on ties
  // and on random points; and it exists for the cases the quantizer relies
  // on (below).
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> any(0, kMax);
  const RoundingMode modes[] = {RoundingMode::tflite,
                                RoundingMode::single_round,
                                RoundingMode::double_round};
  int formed = 0, checked = 0;
  for (RoundingMode mode : modes) {
    int nMin = mode == RoundingMode::tflite ? -31 : -29;
    for (int n = nMin; n <= 31; ++n) {
      for (int rangeBits : {8, 12, 16, 20, 24}) {
        for (int zeros = 0; zeros <= 30; zeros += 3) {
          int32_t m = int32_t((uint32_t(any(rng)) | (1u << 30)) &
                              ~((1u << zeros) - 1) & uint32_t(kMax));
          int64_t aMax = (int64_t(1) << rangeBits) - 1 - int64_t(rng() % 7);
          int64_t aMin = -(int64_t(1) << rangeBits) + int64_t(rng() % 5);
          auto form = i32Rescale(m, n, mode, aMin, aMax);
          if (!form)
            continue;
          ++formed;
          EXPECT_GE(form->shift, 1);
          EXPECT_LE(form->shift, 31);
          std::vector<int64_t> points = {aMin, aMin + 1, -2, -1, 0, 1, 2,
                                         aMax - 1, aMax};
          // Ties of the final rounding: a m 2^(-31-n) = k + 1/2.
          for (int i = 0; i < 200; ++i)
            points.push_back(aMin + int64_t(rng() % uint64_t(aMax - aMin + 1)));
          for (int64_t a : points) {
            std::optional<int32_t> got = i32Eval(*form, a);
            ASSERT_TRUE(got) << "overflow a=" << a << " m=" << m << " n=" << n;
            int32_t want = mode == RoundingMode::tflite
                               ? oracleTflite(int32_t(a), m, n)
                           : mode == RoundingMode::single_round
                               ? oracleSingle(int32_t(a), m, n)
                               : oracleDouble(int32_t(a), m, n);
            ASSERT_EQ(*got, want) << "a=" << a << " m=" << m << " n=" << n
                                  << " mode=" << int(mode);
            ASSERT_EQ(*got, rescale(int32_t(a), m, n, mode));
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_GT(formed, 1000);
  EXPECT_GT(checked, 200000);
}

TEST(FixedPoint, I32RescaleEveryInputOfSmallRanges) {
  // Exhaustive over a range, with ties: m = 3 * 2^28 (three quarters) and
  // small multipliers make a m 2^(-31-n) hit every half exactly.
  const RoundingMode modes[] = {RoundingMode::tflite,
                                RoundingMode::single_round,
                                RoundingMode::double_round};
  for (RoundingMode mode : modes)
    for (int32_t m : {0, 1 << 30, 3 << 28, 5 << 26, (1 << 30) + (1 << 20)})
      for (int n : {-3, -1, 0, 1, 2, 5, 9}) {
        auto form = i32Rescale(m, n, mode, -5000, 5000);
        ASSERT_TRUE(form) << "m=" << m << " n=" << n;
        for (int64_t a = -5000; a <= 5000; ++a)
          ASSERT_EQ(i32Eval(*form, a), rescale(int32_t(a), m, n, mode))
              << "a=" << a << " m=" << m << " n=" << n << " mode=" << int(mode);
      }
}

TEST(FixedPoint, I32RescaleExistsForShortMultipliers) {
  // An accumulator range within +-2^b and a multiplier of 30 - b bits
  // (rounded by roundMultiplierBits; one bit for the rounding constants)
  // has a 32-bit form in every mode for right shifts up to b (outputs of
  // at least one unit); a full 31-bit multiplier has none on that range.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> q31(1 << 30, kMax);
  for (int b = 8; b <= 22; ++b)
    for (int n = 0; n <= std::min(b, 20); ++n)
      for (int i = 0; i < 20; ++i) {
        FixedPointMultiplier full{q31(rng), n};
        FixedPointMultiplier s = roundMultiplierBits(full, 30 - b);
        int64_t bound = (int64_t(1) << b) - 1;
        for (RoundingMode mode : {RoundingMode::tflite,
                                  RoundingMode::single_round,
                                  RoundingMode::double_round})
          EXPECT_TRUE(i32Rescale(s.multiplier, s.shift, mode, -bound, bound))
              << "b=" << b << " n=" << n << " m=" << s.multiplier;
        if (b >= 12)
          EXPECT_FALSE(i32Rescale(full.multiplier | 1, n,
                                  RoundingMode::tflite, -bound, bound));
      }
}

TEST(FixedPoint, I32RescaleRejects) {
  // Negative multipliers, shifts outside the modes' ranges, a saturating
  // tflite left shift, and products that leave int32.
  EXPECT_FALSE(i32Rescale(-1, 0, RoundingMode::tflite, 0, 1));
  EXPECT_FALSE(i32Rescale(1 << 30, 32, RoundingMode::tflite, 0, 1));
  EXPECT_FALSE(i32Rescale(1 << 30, -30, RoundingMode::single_round, 0, 1));
  EXPECT_FALSE(i32Rescale(1 << 30, -20, RoundingMode::tflite, 0, 1 << 12));
  EXPECT_FALSE(i32Rescale(kMax, 5, RoundingMode::tflite, -256, 255));
  EXPECT_FALSE(i32Rescale(1 << 30, 0, RoundingMode::tflite, kMin, kMax));
  EXPECT_FALSE(i32Rescale(1 << 30, 0, RoundingMode::tflite, 5, 4));
}

TEST(FixedPoint, FoldsZeroPointExactlyWhenTheSumsFit) {
  // Where foldsZeroPoint says yes, (a m + round(a) + z 2^shift) >> shift
  // stays inside int32 and equals rescale(a) + z on the range's ends,
  // around zero and on random points; where it says no, one of the
  // extremes (the ends, -1, 0) leaves int32: the check is exact, not
  // merely safe.
  std::mt19937 rng(13);
  std::uniform_int_distribution<int32_t> q31(1 << 30, kMax);
  int folded = 0, refused = 0;
  for (int b = 8; b <= 22; b += 2)
    for (int n = 0; n <= 12; n += 3)
      for (int bits : {11, 14, 17, 20})
        for (int32_t z : {-128, -1, 1, 5, 127}) {
          FixedPointMultiplier m = roundMultiplierBits({q31(rng), n}, bits);
          int64_t aMax = (int64_t(1) << b) - 1 - int64_t(rng() % 9);
          int64_t aMin = -(int64_t(1) << b) + int64_t(rng() % 9);
          auto form = i32Rescale(m.multiplier, m.shift, RoundingMode::tflite,
                                 aMin, aMax);
          if (!form)
            continue;
          int64_t zs = z * (int64_t(1) << form->shift);
          auto sum = [&](int64_t a) {
            return a * form->multiplier +
                   (a < 0 ? form->roundNeg : form->roundPos) + zs;
          };
          if (!foldsZeroPoint(*form, z, aMin, aMax)) {
            ++refused;
            bool leaves = false;
            for (int64_t a : {aMin, aMax, int64_t(-1), int64_t(0)})
              leaves |= sum(a) < kMin || sum(a) > kMax;
            EXPECT_TRUE(leaves) << "b=" << b << " m=" << form->multiplier;
            continue;
          }
          ++folded;
          std::vector<int64_t> points = {aMin, aMin + 1, -2, -1, 0, 1, aMax};
          for (int i = 0; i < 50; ++i)
            points.push_back(aMin + int64_t(rng() % uint64_t(aMax - aMin + 1)));
          for (int64_t a : points) {
            ASSERT_GE(sum(a), kMin);
            ASSERT_LE(sum(a), kMax);
            ASSERT_EQ(sum(a) >> form->shift,
                      int64_t(rescale(int32_t(a), m.multiplier, m.shift,
                                      RoundingMode::tflite)) +
                          z)
                << "a=" << a << " z=" << z << " m=" << m.multiplier;
          }
        }
  EXPECT_GT(folded, 100);
  EXPECT_GT(refused, 20);
  // z = 0 always folds; a shift of 31 leaves no room for any other z.
  I32Rescale wide{1, 0, 0, 31};
  EXPECT_TRUE(foldsZeroPoint(wide, 0, -5, 5));
  EXPECT_FALSE(foldsZeroPoint(wide, 1, -5, 5));
}

TEST(FixedPoint, RoundMultiplierBits) {
  // Half up to the top bits, the rest zero; a carry renormalizes.
  // (4 of 31 bits: steps of 2^27 = 0x0800'0000.)
  EXPECT_EQ(roundMultiplierBits({0x5555'5555, 3}, 4).multiplier, 0x5800'0000);
  EXPECT_EQ(roundMultiplierBits({0x5555'5555, 3}, 4).shift, 3);
  EXPECT_EQ(roundMultiplierBits({0x5400'0000, 3}, 4).multiplier, 0x5800'0000);
  EXPECT_EQ(roundMultiplierBits({0x53FF'FFFF, 3}, 4).multiplier, 0x5000'0000);
  FixedPointMultiplier carry = roundMultiplierBits({kMax, 7}, 12);
  EXPECT_EQ(carry.multiplier, 1 << 30);
  EXPECT_EQ(carry.shift, 6);
  EXPECT_EQ(roundMultiplierBits({kMax, 7}, 31).multiplier, kMax);
  EXPECT_EQ(roundMultiplierBits({0, 7}, 5).multiplier, 0);
  // The relative change is at most 2^-bits.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> q31(1 << 30, kMax);
  for (int bits = 2; bits <= 30; ++bits)
    for (int i = 0; i < 100; ++i) {
      FixedPointMultiplier m{q31(rng), 0};
      FixedPointMultiplier r = roundMultiplierBits(m, bits);
      double real = double(r.multiplier) * std::ldexp(1.0, -r.shift);
      EXPECT_LE(std::fabs(real / m.multiplier - 1.0), std::ldexp(1.0, -bits));
      EXPECT_EQ(r.multiplier & ((1 << (31 - bits)) - 1), 0);
    }
}
