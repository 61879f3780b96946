//===- QntCheckIntegerOnly.cpp - no float arithmetic inside the program ---===//
//
// An integer-only program (what an NPU without floating point can run)
// touches floats only at its boundary: qnt.quantize of the inputs and
// qnt.dequantize of the outputs. Every other op, nested ones included, must
// have no floating-point operand or result.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTCHECKINTEGERONLY
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

bool isFloatLike(Type t) {
  return isa<FloatType>(getElementTypeOrSelf(t));
}

struct QntCheckIntegerOnlyPass
    : public qnt::impl::QntCheckIntegerOnlyBase<QntCheckIntegerOnlyPass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    unsigned violations = 0;
    func.walk([&](Operation *op) {
      if (op == func.getOperation() ||
          isa<QuantizeOp, DequantizeOp, func::ReturnOp>(op))
        return WalkResult::advance();
      auto isFloat = [](Value v) { return isFloatLike(v.getType()); };
      Value culprit;
      for (Value v : op->getResults())
        if (isFloat(v))
          culprit = v;
      for (Value v : op->getOperands())
        if (!culprit && isFloat(v))
          culprit = v;
      if (!culprit)
        return WalkResult::advance();
      if (violations++ < maxErrors)
        op->emitError() << "qnt-check-integer-only: '" << op->getName()
                        << "' has a floating-point "
                        << (culprit.getDefiningOp() == op ? "result"
                                                          : "operand")
                        << " of type " << culprit.getType()
                        << " inside the integer program (only qnt.quantize "
                           "and qnt.dequantize may touch floats)";
      // Nested ops of a float op would only repeat the report.
      return WalkResult::skip();
    });
    if (violations > maxErrors)
      func.emitError() << "qnt-check-integer-only: " << violations
                       << " float ops in total";
    if (violations)
      signalPassFailure();
  }
};
} // namespace
