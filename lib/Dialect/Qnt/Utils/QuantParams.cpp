//===- QuantParams.cpp - choosing quantization parameters -----------------===//

#include "qnt/Dialect/Qnt/Utils/QuantParams.h"
#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace mlir;
using namespace mlir::qnt;

UniformAttr mlir::qnt::activationParams(MLIRContext *ctx,
                                        ArrayRef<int64_t> bits,
                                        ArrayRef<double> lo,
                                        ArrayRef<double> hi,
                                        std::optional<int64_t> axis,
                                        bool signedStorage) {
  assert(bits.size() == lo.size() && lo.size() == hi.size() &&
         "one bit width and one range per entry");
  int64_t storageBits = *llvm::max_element(bits);
  int64_t offset = signedStorage ? -(int64_t(1) << (storageBits - 1)) : 0;
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  for (auto [m, l, h] : llvm::zip(bits, lo, hi)) {
    double levels = std::ldexp(1.0, m) - 1.0;
    // Keep 0 representable: the grid must contain the zero point.
    double a = std::min(l, 0.0), b = std::max(h, 0.0);
    double scale = (b - a) / levels;
    if (!(scale > 0.0) || !std::isfinite(scale))
      scale = std::max(std::fabs(b), 1.0) * std::ldexp(1.0, -20);
    scales.push_back(scale);
    zps.push_back(std::clamp<int64_t>(std::llround(-a / scale), 0,
                                      int64_t(levels)) +
                  offset);
  }
  auto storage = IntegerType::get(ctx, storageBits,
                                  signedStorage ? IntegerType::Signed
                                                : IntegerType::Unsigned);
  return UniformAttr::get(ctx, storage, false,
                          DenseF64ArrayAttr::get(ctx, scales), zps, axis);
}

UniformAttr mlir::qnt::activationParams(MLIRContext *ctx, unsigned bits,
                                        ArrayRef<double> lo,
                                        ArrayRef<double> hi,
                                        std::optional<int64_t> axis,
                                        bool signedStorage) {
  SmallVector<int64_t> perEntry(lo.size(), bits);
  return activationParams(ctx, perEntry, lo, hi, axis, signedStorage);
}

FailureOr<std::pair<SmallVector<float>, SmallVector<int64_t>>>
mlir::qnt::getConstantFloats(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.getElementType().isF32() || !type.hasStaticShape())
    return failure();
  Value source = value;
  while (auto reshape = source.getDefiningOp<tosa::ReshapeOp>())
    source = reshape.getInput1();
  auto elements = getConstantElements(source);
  if (failed(elements))
    return failure();
  auto bytes = getConstantBytes(*elements);
  if (failed(bytes) ||
      bytes->size() != size_t(type.getNumElements()) * sizeof(float))
    return failure();
  SmallVector<float> data(type.getNumElements());
  std::memcpy(data.data(), bytes->data(), bytes->size());
  return std::make_pair(std::move(data), SmallVector<int64_t>(type.getShape()));
}

int64_t mlir::qnt::numOutputChannels(WeightLayout layout,
                                     ArrayRef<int64_t> shape) {
  switch (layout) {
  case WeightLayout::ConvOHWI:
    return shape[0];
  case WeightLayout::DepthwiseHWCM:
    return shape[2] * shape[3];
  case WeightLayout::MatmulBKN:
    return shape[2];
  }
  llvm_unreachable("unknown weight layout");
}

int64_t mlir::qnt::outputChannelOf(WeightLayout layout,
                                   ArrayRef<int64_t> shape,
                                   int64_t flatIndex) {
  switch (layout) {
  case WeightLayout::ConvOHWI:
    return flatIndex / (shape[1] * shape[2] * shape[3]);
  case WeightLayout::DepthwiseHWCM:
    return flatIndex % (shape[2] * shape[3]);
  case WeightLayout::MatmulBKN:
    return flatIndex % shape[2];
  }
  llvm_unreachable("unknown weight layout");
}

int64_t mlir::qnt::numInputChannels(WeightLayout layout,
                                    ArrayRef<int64_t> shape) {
  switch (layout) {
  case WeightLayout::ConvOHWI:
    return shape[3];
  case WeightLayout::DepthwiseHWCM:
    return shape[2];
  case WeightLayout::MatmulBKN:
    return shape[1];
  }
  llvm_unreachable("unknown weight layout");
}

int64_t mlir::qnt::inputChannelOf(WeightLayout layout, ArrayRef<int64_t> shape,
                                  int64_t flatIndex) {
  switch (layout) {
  case WeightLayout::ConvOHWI:
    return flatIndex % shape[3];
  case WeightLayout::DepthwiseHWCM:
    return (flatIndex / shape[3]) % shape[2];
  case WeightLayout::MatmulBKN:
    return (flatIndex / shape[2]) % shape[1];
  }
  llvm_unreachable("unknown weight layout");
}

UniformAttr mlir::qnt::clipParams(ClipOp clip, bool signedStorage) {
  unsigned bits = clip.getBits().value_or(8);
  SmallVector<int64_t> widths(clip.getMin().size(), bits > 8 ? 16 : bits);
  if (auto channelBits = clip.getChannelBits())
    for (auto [w, c] : llvm::zip(widths, *channelBits))
      w = c > 8 ? 16 : c;
  std::optional<int64_t> axis;
  if (clip.getAxis())
    axis = *clip.getAxis();
  return activationParams(clip.getContext(), widths, clip.getMin(),
                          clip.getMax(), axis, signedStorage);
}

std::pair<SmallVector<double>, double>
mlir::qnt::inputScaleFold(UniformAttr input) {
  ArrayRef<double> scales = input.getScales();
  double ref = *llvm::max_element(scales);
  SmallVector<double> factors;
  for (double s : scales)
    factors.push_back(s / ref);
  return {factors, ref};
}

/// codes = clamp(roundeven(f32(w) / f32(scale[c])) + zp[c], qmin, qmax), as
/// qnt.quantize computes them (NaN -> the zero point).
static SmallVector<int8_t>
quantizeCodes(ArrayRef<float> w, function_ref<int64_t(int64_t)> channelOf,
              ArrayRef<double> scales, ArrayRef<int64_t> zeroPoints,
              int64_t qmin, int64_t qmax) {
  SmallVector<int8_t> codes;
  codes.reserve(w.size());
  for (auto [i, v] : llvm::enumerate(w)) {
    int64_t c = channelOf(i);
    float q = v / static_cast<float>(scales[c]);
    if (std::isnan(q))
      q = 0.0f;
    q = std::nearbyint(q) + float(zeroPoints.empty() ? 0 : zeroPoints[c]);
    codes.push_back(
        static_cast<int8_t>(std::clamp<float>(q, float(qmin), float(qmax))));
  }
  return codes;
}

std::pair<double, int64_t> mlir::qnt::asymmetricWeightGrid(double lo,
                                                           double hi,
                                                           unsigned bits) {
  double levels = std::ldexp(1.0, bits) - 1.0;
  double scale = (hi - lo) / levels;
  if (!(scale > 0.0) || !std::isfinite(scale))
    return {1.0, 0};
  int64_t qmin = -(int64_t(1) << (bits - 1));
  return {scale, std::clamp<int64_t>(std::llround(-lo / scale), 0,
                                     int64_t(levels)) +
                     qmin};
}

QuantizedWeights mlir::qnt::quantizeWeightsAsymmetric(ArrayRef<float> w,
                                                      ArrayRef<int64_t> shape,
                                                      WeightLayout layout,
                                                      unsigned bits,
                                                      bool perChannel) {
  int64_t channels = perChannel ? numOutputChannels(layout, shape) : 1;
  auto channelOf = [&](int64_t i) {
    return perChannel ? outputChannelOf(layout, shape, i) : 0;
  };
  SmallVector<double> lo(channels, 0.0), hi(channels, 0.0);
  for (auto [i, v] : llvm::enumerate(w)) {
    int64_t c = channelOf(i);
    lo[c] = std::min(lo[c], double(v));
    hi[c] = std::max(hi[c], double(v));
  }
  int64_t qmin = -(int64_t(1) << (bits - 1)), qmax = -qmin - 1;
  QuantizedWeights out;
  for (int64_t c = 0; c < channels; ++c) {
    auto [scale, zp] = asymmetricWeightGrid(lo[c], hi[c], bits);
    out.scales.push_back(scale);
    out.zeroPoints.push_back(zp);
  }
  out.codes =
      quantizeCodes(w, channelOf, out.scales, out.zeroPoints, qmin, qmax);
  return out;
}

QuantizedWeights mlir::qnt::quantizeWeightsSymmetric(ArrayRef<float> w,
                                                     ArrayRef<int64_t> shape,
                                                     WeightLayout layout,
                                                     unsigned bits,
                                                     bool perChannel) {
  int64_t channels = perChannel ? numOutputChannels(layout, shape) : 1;
  auto channelOf = [&](int64_t i) {
    return perChannel ? outputChannelOf(layout, shape, i) : 0;
  };
  SmallVector<double> maxAbs(channels, 0.0);
  for (auto [i, v] : llvm::enumerate(w))
    maxAbs[channelOf(i)] =
        std::max(maxAbs[channelOf(i)], double(std::fabs(v)));
  double qmax = std::ldexp(1.0, bits - 1) - 1.0;
  QuantizedWeights out;
  for (double m : maxAbs)
    out.scales.push_back(m > 0.0 && std::isfinite(m) ? m / qmax : 1.0);
  // Narrow range: [-qmax, qmax]; the default rounding mode ties to even.
  out.codes = quantizeCodes(w, channelOf, out.scales, {}, -int64_t(qmax),
                            int64_t(qmax));
  return out;
}

SyqWeights mlir::qnt::quantizeWeightsSyq(ArrayRef<float> w,
                                         ArrayRef<int64_t> shape,
                                         WeightLayout layout, SyqMode mode,
                                         SyqGroup group, double eta) {
  int64_t rank = shape.size();
  // Per-channel groups use the per-channel scale machinery directly.
  bool channelGroups =
      group == SyqGroup::Channel ||
      (layout == WeightLayout::MatmulBKN && group == SyqGroup::Row);
  // The kernel's spatial dimensions: OHWI -> 1, 2; HWCM -> 0, 1.
  SmallVector<int64_t> groupShape(rank, 1);
  if (!channelGroups && layout != WeightLayout::MatmulBKN) {
    int64_t h = layout == WeightLayout::ConvOHWI ? 1 : 0;
    if (group == SyqGroup::Pixel || group == SyqGroup::Row)
      groupShape[h] = shape[h];
    if (group == SyqGroup::Pixel)
      groupShape[h + 1] = shape[h + 1];
  }
  int64_t numGroups = channelGroups ? numOutputChannels(layout, shape) : 1;
  if (!channelGroups)
    for (int64_t d : groupShape)
      numGroups *= d;
  auto groupOf = [&](int64_t flat) -> int64_t {
    if (channelGroups)
      return outputChannelOf(layout, shape, flat);
    int64_t g = 0;
    for (int64_t d = rank - 1, stride = 1, gstride = 1; d >= 0; --d) {
      int64_t idx = (flat / stride) % shape[d];
      if (groupShape[d] > 1) {
        g += idx * gstride;
        gstride *= groupShape[d];
      }
      stride *= shape[d];
    }
    return g;
  };

  double maxAbs = 0.0;
  for (float v : w)
    if (std::isfinite(v))
      maxAbs = std::max(maxAbs, double(std::fabs(v)));
  double threshold = mode == SyqMode::Ternary ? eta * maxAbs : -1.0;
  SyqWeights out;
  out.groupShape = groupShape;
  out.codes.reserve(w.size());
  SmallVector<double> sum(numGroups, 0.0);
  SmallVector<int64_t> count(numGroups, 0);
  for (auto [i, v] : llvm::enumerate(w)) {
    double a = std::isfinite(v) ? std::fabs(double(v)) : 0.0;
    int8_t t = 0;
    if (a > threshold && (mode == SyqMode::Binary || a > 0.0))
      t = v < 0 ? -1 : 1;
    out.codes.push_back(t);
    if (t != 0) {
      sum[groupOf(i)] += a;
      ++count[groupOf(i)];
    }
  }
  for (int64_t g = 0; g < numGroups; ++g)
    out.groupScales.push_back(count[g] ? sum[g] / double(count[g]) : 0.0);

  if (channelGroups || numGroups == 1) {
    // The group scales are the quantization scales: no multipliers.
    out.groupShape.clear();
    for (double a : out.groupScales)
      out.weights.scales.push_back(a > 0.0 ? a : 1.0);
    out.weights.codes = out.codes;
    return out;
  }
  double amax = *llvm::max_element(out.groupScales);
  double s = amax > 0.0 ? amax / 127.0 : 1.0;
  out.weights.scales = {s};
  for (double a : out.groupScales)
    out.multipliers.push_back(
        std::clamp<int64_t>(std::llround(a / s), 1, 127));
  out.weights.codes.reserve(w.size());
  for (auto [i, t] : llvm::enumerate(out.codes))
    out.weights.codes.push_back(
        static_cast<int8_t>(t * out.multipliers[groupOf(i)]));
  return out;
}
