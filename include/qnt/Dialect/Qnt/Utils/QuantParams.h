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
#include "qnt/Dialect/Qnt/IR/QntOps.h"

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

/// The grid of a clip's codes: `activationParams` over its range with its
/// width (per-channel widths from `channel_bits`; above 8 bits, 16).
UniformAttr clipParams(ClipOp clip, bool signedStorage);

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
/// The input channel (the activation's last dimension) an element reads:
/// conv2d I (axis 3), depthwise C (axis 2), matmul K (axis 1).
int64_t numInputChannels(WeightLayout layout, ArrayRef<int64_t> shape);
int64_t inputChannelOf(WeightLayout layout, ArrayRef<int64_t> shape,
                       int64_t flatIndex);

/// Symmetric narrow-range signed W-bit weights: scale = max|w| / (2^(W-1) -
/// 1) per tensor or per output channel (an all-zero channel gets scale 1),
/// codes = clamp(roundeven(f32(w) / f32(scale))) as qnt.quantize computes
/// them.
struct QuantizedWeights {
  SmallVector<double> scales; // 1 or one per output channel
  SmallVector<int8_t> codes;  // same order as the float data
  /// Empty (symmetric: zero points 0), or like `scales`.
  SmallVector<int64_t> zeroPoints;
  int64_t zeroPointOf(int64_t outputChannel) const {
    return zeroPoints.empty()
               ? 0
               : zeroPoints[zeroPoints.size() == 1 ? 0 : outputChannel];
  }
  double scaleOf(int64_t outputChannel) const {
    return scales[scales.size() == 1 ? 0 : outputChannel];
  }
};
QuantizedWeights quantizeWeightsSymmetric(ArrayRef<float> w,
                                          ArrayRef<int64_t> shape,
                                          WeightLayout layout, unsigned bits,
                                          bool perChannel);

/// Asymmetric signed W-bit weights: per tensor or per output channel the
/// range [min(w, 0), max(w, 0)] on the full grid [-2^(W-1), 2^(W-1) - 1]:
/// scale = (max - min) / (2^W - 1), zero point = round(-min / scale) -
/// 2^(W-1) (0 stays exact), codes = clamp(roundeven(f32(w) / f32(scale)) +
/// zero point). An all-zero channel gets scale 1 and zero point 0.
/// The asymmetric W-bit weight grid over [lo, hi] (lo <= 0 <= hi): (scale,
/// zero point); (1, 0) for an empty range.
std::pair<double, int64_t> asymmetricWeightGrid(double lo, double hi,
                                                unsigned bits);
QuantizedWeights quantizeWeightsAsymmetric(ArrayRef<float> w,
                                           ArrayRef<int64_t> shape,
                                           WeightLayout layout, unsigned bits,
                                           bool perChannel);

/// A per-channel input grid (scales s_c along the activation's last
/// dimension) folded into the layer that reads it: the weights reading
/// channel c are multiplied by s_c / max_c s_c, so one input scale (the
/// largest) serves the integer layer. Returns the factors (one per input
/// channel) and the reference scale.
std::pair<SmallVector<double>, double> inputScaleFold(UniformAttr input);

/// SYQ (Faraone et al.): binary or ternary weights with one scale a_g per
/// subgroup. Codes t = sign(w) (binary) or sign(w) [|w| > eta max|W|]
/// (ternary, max over the tensor); a_g = mean |w| over the subgroup's
/// non-zero codes (the L2-optimal scale for those codes). Subgroups:
///   pixel   - one per kernel position (h, w), shared by all channels;
///   row     - one per kernel row h;
///   channel - one per output channel;
///   layer   - one for the tensor.
/// (A matmul has no kernel positions: pixel is layer and row is channel.)
/// In integers: with `channel` (or a matmul's row) groups, or a single
/// group, the scales are the quantization scales and the codes t (no
/// multipliers); otherwise a_g = m_g S with one scale
/// S = max_g a_g / 127 and 7-bit multipliers m_g = clamp(round(a_g / S), 1,
/// 127), and the integer weights are t m_g, so one i8 multiply-accumulate
/// sums every subgroup's partial sum already scaled.
enum class SyqMode { Binary, Ternary };
enum class SyqGroup { Pixel, Row, Channel, Layer };
struct SyqWeights {
  QuantizedWeights weights; // scales (1 or per channel), codes t m_g
  SmallVector<int8_t> codes;         // t in {-1, 0, 1}, same order
  SmallVector<int64_t> multipliers;  // m_g, row-major over groupShape
  SmallVector<int64_t> groupShape;   // broadcast shape of m_g (rank of w)
  SmallVector<double> groupScales;   // a_g
  bool perChannel() const { return weights.scales.size() > 1; }
};
SyqWeights quantizeWeightsSyq(ArrayRef<float> w, ArrayRef<int64_t> shape,
                              WeightLayout layout, SyqMode mode, SyqGroup group,
                              double eta);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_QUANTPARAMS_H
