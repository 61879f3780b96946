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
  out.codes.reserve(w.size());
  for (auto [i, v] : llvm::enumerate(w)) {
    float q = v / static_cast<float>(out.scales[channelOf(i)]);
    if (std::isnan(q))
      q = 0.0f;
    q = std::nearbyint(q); // the default rounding mode: ties to even
    q = std::clamp<float>(q, -float(qmax), float(qmax));
    out.codes.push_back(static_cast<int8_t>(q));
  }
  return out;
}
