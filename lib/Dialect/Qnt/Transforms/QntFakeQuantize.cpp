//===- QntFakeQuantize.cpp - simulated quantization -----------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"
#include "qnt/Dialect/Qnt/Utils/QuantParams.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTFAKEQUANTIZE
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// Symmetric narrow signed W-bit parameters for constant weights, or
/// asymmetric ones (the full signed grid over [min(w,0), max(w,0)], as
/// quantizeWeightsAsymmetric).
FailureOr<UniformAttr> weightParams(MLIRContext *ctx, Value weights,
                                    unsigned bits, std::optional<int64_t> axis,
                                    bool asymmetric) {
  auto elements = getConstantElements(weights);
  if (failed(elements))
    return failure();
  auto type = cast<ShapedType>(elements->getType());
  if (!type.getElementType().isF32())
    return failure();
  auto bytes = getConstantBytes(*elements);
  if (failed(bytes))
    return failure();
  ArrayRef<float> w(reinterpret_cast<const float *>(bytes->data()),
                    bytes->size() / sizeof(float));
  int64_t channels = axis ? type.getDimSize(*axis) : 1;
  int64_t inner = 1;
  if (axis)
    for (int64_t d = *axis + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
  SmallVector<double> maxAbs(channels, 0.0), lo(channels, 0.0),
      hi(channels, 0.0);
  for (auto [i, v] : llvm::enumerate(w)) {
    int64_t c = axis ? (int64_t(i) / inner) % channels : 0;
    maxAbs[c] = std::max(maxAbs[c], double(std::fabs(v)));
    lo[c] = std::min(lo[c], double(v));
    hi[c] = std::max(hi[c], double(v));
  }
  auto storage = IntegerType::get(ctx, bits, IntegerType::Signed);
  if (asymmetric) {
    SmallVector<double> scales;
    SmallVector<int64_t> zps;
    for (int64_t c = 0; c < channels; ++c) {
      auto [scale, zp] = asymmetricWeightGrid(lo[c], hi[c], bits);
      scales.push_back(scale);
      zps.push_back(zp);
    }
    return UniformAttr::get(ctx, storage, false,
                            DenseF64ArrayAttr::get(ctx, scales), zps, axis);
  }
  double qmax = std::ldexp(1.0, bits - 1) - 1.0;
  SmallVector<double> scales;
  for (double m : maxAbs)
    scales.push_back(m > 0.0 ? m / qmax : 1.0);
  return UniformAttr::get(ctx, storage, true,
                          DenseF64ArrayAttr::get(ctx, scales),
                          SmallVector<int64_t>(channels, 0), axis);
}

struct QntFakeQuantizePass
    : public qnt::impl::QntFakeQuantizeBase<QntFakeQuantizePass> {
  using Base::Base;
  void runOnOperation() override {
    if (weightBits != 0 && (weightBits < 2 || weightBits > 8)) {
      getOperation().emitError()
          << "qnt-fake-quantize: weight-bits must be 0 or 2..8, got "
          << static_cast<unsigned>(weightBits);
      return signalPassFailure();
    }
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    SmallVector<ClipOp> clips;
    getOperation().walk([&](ClipOp clip) { clips.push_back(clip); });
    for (ClipOp clip : clips) {
      auto bits = clip.getBits();
      if (!bits)
        continue; // a clip not chosen for a bit width (e.g. manual)
      if (*bits < 2 || *bits > 16) {
        clip.emitError() << "qnt-fake-quantize: clip bits " << *bits
                         << " outside 2..16";
        return signalPassFailure();
      }
      if (clip->hasOneUse() && isa<FakeQuantOp>(*clip->getUsers().begin()))
        continue;
      // The clip's bit width (above 8: a 16-bit grid); per-channel widths
      // (ACIQ bit allocation) give each channel its own grid.
      UniformAttr params = clipParams(clip, /*signedStorage=*/false);
      b.setInsertionPointAfter(clip);
      auto fq = FakeQuantOp::create(b, clip.getLoc(), clip.getType(),
                                    clip.getResult(), params);
      clip.getResult().replaceAllUsesExcept(fq.getResult(), fq);
    }
    if (weightBits == 0)
      return;
    // Weights: operand 1 of convolutions and matmuls, output channel on
    // axis 0 (conv2d OHWI), 2 (depthwise HWCM, per C) or 2 (matmul [B,K,N]).
    getOperation().walk([&](Operation *op) {
      std::optional<int64_t> channelAxis;
      if (isa<tosa::Conv2DOp>(op))
        channelAxis = 0;
      else if (isa<tosa::DepthwiseConv2DOp, tosa::MatMulOp>(op))
        channelAxis = 2;
      else
        return;
      Value w = op->getOperand(1);
      std::optional<int64_t> axis =
          weightPerChannel ? channelAxis : std::optional<int64_t>();
      auto params = weightParams(ctx, w, weightBits, axis, weightAsymmetric);
      if (failed(params))
        return; // not a constant f32 weight: left in float
      b.setInsertionPoint(op);
      auto fq = FakeQuantOp::create(b, op->getLoc(), w.getType(), w, *params);
      op->setOperand(1, fq.getResult());
    });
  }
};
} // namespace
