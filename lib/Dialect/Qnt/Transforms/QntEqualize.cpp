//===- QntEqualize.cpp - cross-layer equalization --------------------------===//
//
// Cross-layer equalization of every layer pair of a function (the
// algorithm: Utils/Equalization.cpp; transform.qnt.equalize applies it to
// chosen layers).
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Equalization.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

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
    EqualizeOptions options;
    options.relu6ToRelu = relu6ToRelu;
    options.maxIterations = maxIterations;
    options.tolerance = tolerance;
    equalizeLayers(collectLayerOps(func), options);
  }
};
} // namespace
