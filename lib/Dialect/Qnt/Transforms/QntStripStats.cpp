//===- QntStripStats.cpp - remove qnt.stats attributes --------------------===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTSTRIPSTATS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {
struct QntStripStatsPass
    : public qnt::impl::QntStripStatsBase<QntStripStatsPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      op->removeDiscardableAttr(QntDialect::getStatsAttrName());
      // Model inputs carry theirs as an argument attribute.
      if (auto func = dyn_cast<FunctionOpInterface>(op))
        for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
          func.removeArgAttr(i, QntDialect::getStatsAttrName());
    });
  }
};
} // namespace
