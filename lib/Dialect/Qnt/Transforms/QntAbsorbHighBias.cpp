//===- QntAbsorbHighBias.cpp - high-bias absorption ------------------------===//
//
// High-bias absorption (Nagel et al. 2019, section 4.1): when layer 1's
// output is ReLU'd and almost always at least c_i = max(0, beta_i -
// sigmas * |gamma_i|) (its BatchNorm says it is N(beta, gamma^2)), then
// relu(x) = relu(x - c) + c there, so c moves out of layer 1's bias and into
// layer 2's: b1 -= c, b2 += W2 c. Lower activation ranges for layer 1's
// output, same function wherever x >= c.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include <cmath>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTABSORBHIGHBIAS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

bool hasPadding(Operation *op) {
  auto pad = op->getAttrOfType<DenseI64ArrayAttr>("pad");
  return pad && llvm::any_of(pad.asArrayRef(), [](int64_t p) { return p; });
}

struct QntAbsorbHighBiasPass
    : public qnt::impl::QntAbsorbHighBiasBase<QntAbsorbHighBiasPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!(sigmas >= 0.0) || !std::isfinite(sigmas)) {
      func.emitError() << "qnt-absorb-high-bias: sigmas must be finite and "
                          ">= 0, got "
                       << sigmas;
      return signalPassFailure();
    }
    OpBuilder builder(&getContext());
    for (Operation *op : collectLayerOps(func)) {
      if (isa<tosa::MatMulOp>(op))
        continue; // its bias is a separate add: never the first of a pair
      auto first = LinearLayer::read(op);
      if (failed(first))
        continue;
      int64_t channels = first->numOutputChannels();
      std::optional<BatchnormPrior> prior = getBatchnormPrior(op, channels);
      if (!prior)
        continue; // nothing known about the output distribution
      std::optional<LayerLink> link = findNextLayer(op);
      if (!link)
        continue;
      auto skip = [&](Operation *where, StringRef why) {
        where->emitRemark() << "qnt-absorb-high-bias: not absorbing: " << why;
      };
      if (!link->activation || !isRelu(link->activation)) {
        skip(op, "the layers are not joined by a ReLU (a bounded ReLU needs "
                 "qnt-equalize relu6-to-relu=true first)");
        continue;
      }
      if (hasPadding(link->to) ||
          llvm::any_of(link->between, [](Operation *o) {
            return isa<tosa::PadOp>(o) ||
                   (isa<tosa::AvgPool2dOp>(o) && hasPadding(o));
          })) {
        skip(link->to, "the next layer reads zero padding, which the "
                       "absorbed shift would not reach");
        continue;
      }
      auto second = LinearLayer::read(link->to);
      std::optional<std::pair<tosa::AddOp, unsigned>> mmBias;
      if (second->layout == WeightLayout::MatmulBKN) {
        mmBias = matmulBiasAdd(link->to);
        if (!mmBias) {
          skip(link->to, "the matmul has no constant bias add to absorb into");
          continue;
        }
      }

      SmallVector<double> c(channels, 0.0);
      bool any = false;
      for (int64_t i = 0; i < channels; ++i) {
        double v = double(prior->beta[i]) -
                   sigmas * std::fabs(double(prior->gamma[i]));
        if (std::isfinite(v) && v > 0.0) {
          c[i] = v;
          any = true;
        }
      }
      if (!any)
        continue;
      for (int64_t i = 0; i < channels; ++i) {
        first->bias[i] = float(double(first->bias[i]) - c[i]);
        prior->beta[i] = float(double(prior->beta[i]) - c[i]);
      }
      // Layer 2's bias gains W2 c, one term per output channel.
      SmallVector<double> extra(second->numOutputChannels(), 0.0);
      for (auto [k, w] : llvm::enumerate(second->weights))
        extra[second->outputChannelOf(k)] +=
            double(w) * c[second->inputChannelOf(k)];
      first->write(builder);
      setBatchnormPrior(op, *prior);
      if (!mmBias) {
        for (auto [o, b] : llvm::enumerate(second->bias))
          b = float(double(b) + extra[o]);
        second->write(builder);
        continue;
      }
      addToMatmulBias(builder, *mmBias, extra);
    }
  }
};
} // namespace
