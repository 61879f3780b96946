//===- QntWess.cpp - per-channel power-of-two weight pre-scaling ----------===//
//
// WESS on every layer of a function (the algorithm: Utils/Equalization.cpp;
// transform.qnt.wess applies it to chosen layers).
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Equalization.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

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
    for (Operation *op : collectLayerOps(func))
      applyWess(op, bits);
  }
};
} // namespace
