//===- QntWess.cpp - per-channel power-of-two weight pre-scaling ----------===//
//
// WESS: before per-tensor weight quantization, output channel c's weights
// (and bias) are multiplied by 2^k_c, k_c the largest integer in
// [0, 2^bits - 1] with r_c * 2^k_c <= max_c' r_c' (r_c = max |w| of the
// channel), so small channels use more of the shared grid. A
// `qnt.pow2_scale` with shifts -k_c on the layer's output restores the
// function exactly (multiplying by a power of two is exact in float barring
// overflow); qnt-quantize folds it into the requantization's per-channel
// right shift while the multiplier stays one per layer.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include <cmath>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTWESS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

struct QntWessPass : public qnt::impl::QntWessBase<QntWessPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (bits < 1 || bits > 5) {
      func.emitError() << "qnt-wess: bits must be in 1..5 (shifts up to 31), "
                          "got "
                       << static_cast<unsigned>(bits);
      return signalPassFailure();
    }
    const int64_t maxShift = (int64_t(1) << bits) - 1;
    OpBuilder b(&getContext());
    for (Operation *op : collectLayerOps(func)) {
      auto layer = LinearLayer::read(op);
      if (failed(layer))
        continue;
      Value result = op->getResult(0);
      if (llvm::any_of(result.getUsers(),
                       [](Operation *u) { return isa<Pow2ScaleOp>(u); }))
        continue; // already pre-scaled
      SmallVector<double> ranges = layer->outputRanges();
      double top = 0.0;
      for (double r : ranges)
        top = std::max(top, r);
      if (!(top > 0.0) || !std::isfinite(top)) {
        op->emitRemark() << "qnt-wess: weights are all zero or not finite; "
                            "left unscaled";
        continue;
      }
      SmallVector<int64_t> k(ranges.size(), 0);
      SmallVector<double> factors(ranges.size(), 1.0);
      for (auto [c, r] : llvm::enumerate(ranges)) {
        if (!(r > 0.0)) {
          op->emitRemark() << "qnt-wess: output channel " << c
                           << " has all-zero weights; shift 0";
          continue;
        }
        while (k[c] < maxShift && std::ldexp(r, int(k[c] + 1)) <= top)
          ++k[c];
        factors[c] = std::ldexp(1.0, int(k[c]));
      }
      if (llvm::all_of(k, [](int64_t v) { return v == 0; }))
        continue;
      layer->scaleOutputChannels(factors);
      layer->write(b);
      if (auto prior = getBatchnormPrior(op, ranges.size())) {
        for (auto [c, f] : llvm::enumerate(factors)) {
          prior->beta[c] = float(prior->beta[c] * f);
          prior->gamma[c] = float(prior->gamma[c] * f);
        }
        setBatchnormPrior(op, *prior);
      }
      SmallVector<int64_t> shifts;
      for (int64_t v : k)
        shifts.push_back(-v);
      b.setInsertionPointAfter(op);
      auto type = cast<RankedTensorType>(result.getType());
      auto scale = Pow2ScaleOp::create(b, op->getLoc(), type, result,
                                       b.getI64IntegerAttr(type.getRank() - 1),
                                       b.getDenseI64ArrayAttr(shifts));
      result.replaceAllUsesExcept(scale.getResult(), scale);
    }
  }
};
} // namespace
