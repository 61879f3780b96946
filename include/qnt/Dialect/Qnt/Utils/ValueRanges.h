//===- ValueRanges.h - bounds of integer tensors from their producers -*- C++ -*-===//
//
// Compile-time bounds of the elements of an integer tensor, read off the
// ops that produce it. The requantization lowering uses them to prove that
// a 32-bit product cannot overflow (FixedPoint.h, i32Rescale); qnt-quantize
// computes the same bounds of the accumulators it creates to choose
// multipliers that allow it.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_VALUERANGES_H
#define QNT_DIALECT_QNT_UTILS_VALUERANGES_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace mlir::qnt {

/// A closed interval of integers.
struct IntRange {
  int64_t lo, hi;
  IntRange join(IntRange other) const {
    return {std::min(lo, other.lo), std::max(hi, other.hi)};
  }
  bool operator==(const IntRange &other) const {
    return lo == other.lo && hi == other.hi;
  }
};

/// [-2^(width-1), 2^(width-1) - 1]: the signed range of `width` bits
/// (1..63).
IntRange signedRange(unsigned width);

/// The range of every element of `value` (a statically shaped integer
/// tensor), per index along `axis` (one range per position of that
/// dimension), or one range for the whole tensor (`axis` = nullopt).
/// Producers understood:
/// * integer constants (dense or dense_resource);
/// * `linalg.fill` of a constant;
/// * all-parallel `linalg.generic` ops with an identity output map whose
///   body computes with sign extensions, additions, subtractions and
///   multiplications of its inputs and scalar constants (a broadcast bias,
///   a bias add, a residual add's scaled sum);
/// * `tensor.collapse_shape`, `tensor.expand_shape` (per slice where the
///   axis maps to one dimension with units around it), `tensor.reshape`
///   (the union);
/// * signed convolutions and matmuls with a constant i8/i16 filter
///   (`linalg.conv_2d_nhwc_fhwc`, `conv_2d_nhwc_hwcf`,
///   `depthwise_conv_2d_nhwc_hwc`, `depthwise_conv_2d_nhwc_hwcm`,
///   `matmul`, `batch_matmul` with one batch, default indexing maps; the
///   filter may be the `qnt.unpack` of a constant) on an
///   i8/i16 input: per output channel, the init's range plus, for every
///   filter element w of the channel, the extremes of w * x over the
///   input's range (accumulatorRange).
/// Any other value of at most 16 bits has its type's (signed) range.
/// Returns std::nullopt when nothing is known, or when a sum could leave
/// its element type (the op would wrap).
std::optional<SmallVector<IntRange>>
inferSliceRanges(Value value, std::optional<int64_t> axis);

/// The range of sum_k w[k] * x[k] + bias over every x[k] in `input`: the
/// bound of one output channel's accumulator with weights `weights`.
IntRange accumulatorRange(ArrayRef<int64_t> weights, IntRange bias,
                          IntRange input);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_VALUERANGES_H
