//===- FixedPoint.h - Integer requantization arithmetic ---------*- C++ -*-===//
//
// The reference semantics of qnt.requantize, in plain C++. The lowering of
// qnt.requantize to arith must agree with these functions bit for bit; the
// unit tests pin them down on the edge cases (ties of both signs, INT32_MIN,
// saturation, every shift).
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_FIXEDPOINT_H
#define QNT_DIALECT_QNT_UTILS_FIXEDPOINT_H

#include <cstdint>
#include <optional>

namespace mlir::qnt {

enum class RoundingMode : uint32_t;

/// A real multiplier M ~= multiplier * 2^(-31 - shift), multiplier in
/// [2^30, 2^31) (Q31), `shift` a right shift (negative: left shift).
struct FixedPointMultiplier {
  int32_t multiplier;
  int32_t shift;
};

/// Decomposes a real multiplier `m` (finite, >= 0) into Q31 form. Zero maps to
/// {0, 0}. Returns std::nullopt when the shift would leave [-31, 62] (the
/// multiplier is too large or too small to represent).
std::optional<FixedPointMultiplier> quantizeMultiplier(double m);

/// gemmlowp's SaturatingRoundingDoublingHighMul: round(a * b / 2^31), ties
/// toward +infinity; INT32_MIN * INT32_MIN saturates to INT32_MAX.
int32_t saturatingRoundingDoublingHighMul(int32_t a, int32_t b);

/// gemmlowp's RoundingDivideByPOT: round(x / 2^exponent), ties away from
/// zero; exponent in [0, 31].
int32_t roundingDivideByPOT(int32_t x, int exponent);

/// TOSA apply_scale_32 with shift = 31 + n (n in [-29, 31]); the result is
/// saturated to int32.
int32_t tosaApplyScale(int32_t value, int32_t multiplier, int n,
                       bool doubleRound);

/// rescale(a, m, n) of qnt.requantize in the given rounding mode: a * m *
/// 2^(-31-n) rounded. For tflite the left shift (n < 0) saturates to int32.
int32_t rescale(int32_t a, int32_t multiplier, int n, RoundingMode mode);

/// The high product of a narrow input without 64-bit arithmetic: for every
/// a in [aMin, aMax],
///   saturatingRoundingDoublingHighMul(a << left, multiplier)
///     == ((a * high + roundHigh + ((a * low + roundLow) >> lowShift))
///         >> highShift)
/// with every intermediate value inside int32 (>> arithmetic). With D =
/// 31 - left the high product is floor((a m + 2^(D - 1)) / 2^D); the
/// multiplier is split at bit lowShift <= D (m = high 2^lowShift + low) and
/// 2^(D - 1) = roundHigh 2^lowShift + roundLow. Vector units multiply i32
/// lanes in one instruction but i64 products only on every other lane.
struct SplitHighProduct {
  int32_t high, low, roundHigh, roundLow;
  int32_t lowShift, highShift;
};

/// The split with the largest lowShift that keeps every intermediate value
/// of a in [aMin, aMax] inside int32, or std::nullopt (a << left must stay
/// inside int32 and multiplier in [0, 2^31); left in [0, 30]).
std::optional<SplitHighProduct> splitHighProduct(int32_t multiplier, int left,
                                                 int64_t aMin, int64_t aMax);

/// rescale(a, m, n, mode) as one 32-bit multiply, add and arithmetic shift,
/// for every a in [aMin, aMax]:
///   rescale(a, m, n, mode)
///     == (a * multiplier + (a < 0 ? roundNeg : roundPos)) >> shift
/// with a * multiplier + round inside int32. It exists when m has enough
/// trailing zero bits for the range of a (m = multiplier * 2^t): the 64-bit
/// product's low bits are then zero, and each mode's roundings (tflite's
/// two: the doubling high product, then RoundingDivideByPOT, whose tie away
/// from zero is the a < 0 term; TOSA's one, double_round's +-2^30) are
/// constants added before one floor division by 2^shift. See
/// docs/quantization.md (32-bit requantization).
struct I32Rescale {
  int32_t multiplier;
  int32_t roundPos, roundNeg;
  int32_t shift; ///< in [1, 31]
};

/// The 32-bit form of rescale(., m, n, mode) on [aMin, aMax], or
/// std::nullopt (multiplier outside [0, 2^31), n outside the mode's range,
/// a tflite left shift that saturates on the range, or an intermediate
/// value outside int32).
std::optional<I32Rescale> i32Rescale(int32_t multiplier, int n,
                                     RoundingMode mode, int64_t aMin,
                                     int64_t aMax);

/// Whether an output zero point z folds into the rounding constants of `f`
/// on [aMin, aMax]: r + z = (a * multiplier + round(a) + z 2^shift) >>
/// shift with that sum inside int32 for every a of the range (z = 0
/// always folds). Then a clamp is the last step of the requantization.
bool foldsZeroPoint(const I32Rescale &f, int64_t z, int64_t aMin,
                    int64_t aMax);

/// `m` rounded to its `bits` most significant bits (of 31; round half up),
/// the low 31 - bits bits zero. A carry into bit 31 gives {2^30, shift - 1}
/// (the same real value); bits >= 31 or m = 0 returns m unchanged.
FixedPointMultiplier roundMultiplierBits(FixedPointMultiplier m, int bits);

/// The whole element-wise semantics of qnt.requantize:
/// clamp(rescale(sat32(x - inputZp), m, n) + outputZp, clampMin, clampMax).
int64_t requantize(int64_t x, int64_t inputZp, int32_t multiplier, int n,
                   int64_t outputZp, int64_t clampMin, int64_t clampMax,
                   RoundingMode mode);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_FIXEDPOINT_H
