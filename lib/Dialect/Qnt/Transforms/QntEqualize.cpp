//===- QntEqualize.cpp - cross-layer equalization --------------------------===//
//
// Cross-layer equalization (Nagel et al., "Data-free quantization through
// weight equalization and bias correction", 2019): for two layers joined by
// a positive-homogeneous path, s_i = sqrt(r1_i / r2_i) divides output
// channel i of the first layer and multiplies input channel i of the second,
// leaving the function unchanged while making the per-channel weight ranges
// r1_i / s_i = r2_i * s_i equal. Sweeping over all pairs until the scales
// stop changing equalizes chains (conv -> depthwise -> conv triplets
// included) jointly.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include "llvm/ADT/MapVector.h"

#include <cmath>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTEQUALIZE
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

struct QntEqualizePass : public qnt::impl::QntEqualizeBase<QntEqualizePass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!(tolerance > 0.0)) {
      func.emitError() << "qnt-equalize: tolerance must be positive, got "
                       << tolerance;
      return signalPassFailure();
    }
    // Layers in program order and the equalizable pairs between them.
    llvm::MapVector<Operation *, LinearLayer> layers;
    SmallVector<std::pair<Operation *, Operation *>> pairs;
    func.walk([&](Operation *op) {
      if (isa<tosa::MatMulOp>(op))
        return; // its bias is a separate add: never the first of a pair
      auto layer = LinearLayer::read(op);
      if (failed(layer))
        return;
      std::optional<LayerLink> link = findNextLayer(op);
      if (!link)
        return;
      if (tosa::ClampOp act = link->activation) {
        if (isBoundedRelu(act) && relu6ToRelu) {
          makeRelu(act);
        } else if (!isRelu(act)) {
          act.emitRemark()
              << "qnt-equalize: not equalizing across this clamp: it is not "
                 "positive-homogeneous"
              << (isBoundedRelu(act) ? " (pass relu6-to-relu=true to replace "
                                       "a bounded ReLU by ReLU first)"
                                     : "");
          return;
        }
      }
      layers.try_emplace(op, std::move(*layer));
      layers.try_emplace(link->to, *LinearLayer::read(link->to));
      pairs.emplace_back(op, link->to);
    });

    llvm::DenseSet<std::pair<Operation *, int64_t>> reportedDegenerate;
    unsigned iteration = 0;
    for (; iteration < maxIterations; ++iteration) {
      double change = 0.0;
      for (auto [first, second] : pairs) {
        LinearLayer &a = layers.find(first)->second;
        LinearLayer &b = layers.find(second)->second;
        SmallVector<double> r1 = a.outputRanges(), r2 = b.inputRanges();
        SmallVector<double> s(r1.size(), 1.0), inv(r1.size(), 1.0);
        for (size_t i = 0; i < r1.size(); ++i) {
          double ratio = r1[i] / r2[i];
          if (!(r1[i] > 0.0) || !(r2[i] > 0.0) || !std::isfinite(ratio)) {
            if (reportedDegenerate.insert({first, int64_t(i)}).second)
              first->emitRemark()
                  << "qnt-equalize: channel " << i
                  << " left unscaled: its weight range is "
                  << r1[i] << " here and "
                  << r2[i] << " in the next layer";
            continue;
          }
          s[i] = std::sqrt(ratio);
          inv[i] = 1.0 / s[i];
          change = std::max(change, std::fabs(std::log(s[i])));
        }
        a.scaleOutputChannels(inv);
        b.scaleInputChannels(s);
        if (auto prior = getBatchnormPrior(first, r1.size())) {
          for (size_t i = 0; i < r1.size(); ++i) {
            prior->beta[i] = float(prior->beta[i] * inv[i]);
            prior->gamma[i] = float(prior->gamma[i] * inv[i]);
          }
          setBatchnormPrior(first, *prior);
        }
      }
      if (change < tolerance)
        break;
    }
    if (!pairs.empty() && iteration == maxIterations)
      func.emitRemark() << "qnt-equalize: scales still changing after "
                        << static_cast<unsigned>(maxIterations) << " sweeps (tolerance "
                        << static_cast<double>(tolerance) << ")";

    if (maxIterations == 0)
      return; // only the relu6-to-relu replacement was asked for
    OpBuilder b(&getContext());
    for (auto &[op, layer] : layers)
      layer.write(b);
  }
};
} // namespace
