//===- QuantParams.h - choosing quantization parameters ---------*- C++ -*-===//
//
// The grids qnt quantizes onto, shared by simulated quantization
// (qnt-fake-quantize) and the integer program (qnt-quantize) so that both
// round onto exactly the same values.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_QUANTPARAMS_H
#define QNT_DIALECT_QNT_UTILS_QUANTPARAMS_H

#include "qnt/Dialect/Qnt/IR/QntAttrs.h"

#include "mlir/IR/Value.h"

#include <optional>

namespace mlir::qnt {

/// B-bit affine parameters covering [lo, hi] (extended to contain 0) per
/// entry: scale = (max(hi,0) - min(lo,0)) / (2^B - 1), zero point =
/// round(-min(lo,0) / scale) on the unsigned grid [0, 2^B - 1]. With
/// `signedStorage` the same grid is stored as si<B> (codes and zero point
/// shifted by -2^(B-1)). A degenerate range (lo == hi == 0) gets a tiny
/// positive scale, never 0, Inf or NaN.
UniformAttr activationParams(MLIRContext *ctx, unsigned bits,
                             ArrayRef<double> lo, ArrayRef<double> hi,
                             std::optional<int64_t> axis, bool signedStorage);

/// The same per entry with its own bit width `bits[c]` (ACIQ's per-channel
/// bit allocation): scale and zero point of entry c are those of a
/// `bits[c]`-bit grid, stored in the widest of them. Values clipped to
/// [lo[c], hi[c]] then quantize to codes in [0, 2^bits[c] - 1] (shifted when
/// signed).
UniformAttr activationParams(MLIRContext *ctx, ArrayRef<int64_t> bits,
                             ArrayRef<double> lo, ArrayRef<double> hi,
                             std::optional<int64_t> axis, bool signedStorage);

/// The f32 data of a constant tensor, also through tosa.reshape of a
/// constant, with its (result) shape; failure if not a constant f32 tensor.
FailureOr<std::pair<SmallVector<float>, SmallVector<int64_t>>>
getConstantFloats(Value value);

/// Which output channel each element of a weight tensor feeds, for the
/// layouts qnt quantizes: conv2d OHWI (axis 0), depthwise HWCM (channel
/// c*M + m) and matmul [B, K, N] (axis 2).
enum class WeightLayout { ConvOHWI, DepthwiseHWCM, MatmulBKN };
int64_t numOutputChannels(WeightLayout layout, ArrayRef<int64_t> shape);
int64_t outputChannelOf(WeightLayout layout, ArrayRef<int64_t> shape,
                        int64_t flatIndex);

/// Symmetric narrow-range signed W-bit weights: scale = max|w| / (2^(W-1) -
/// 1) per tensor or per output channel (an all-zero channel gets scale 1),
/// codes = clamp(roundeven(f32(w) / f32(scale))) as qnt.quantize computes
/// them.
struct QuantizedWeights {
  SmallVector<double> scales; // 1 or one per output channel
  SmallVector<int8_t> codes;  // same order as the float data
};
QuantizedWeights quantizeWeightsSymmetric(ArrayRef<float> w,
                                          ArrayRef<int64_t> shape,
                                          WeightLayout layout, unsigned bits,
                                          bool perChannel);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_QUANTPARAMS_H
