//===- QntImportQuant.cpp - upstream quant casts -> qnt -------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/QuantInterop.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTIMPORTQUANT
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The quantized tensor type and its qnt parameters, or failure with an error
/// on `op`.
struct QuantTensor {
  RankedTensorType type;
  quant::QuantizedType elementType;
  UniformAttr params;
};

FailureOr<QuantTensor> getQuantTensor(Operation *op, Type type) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType)
    return op->emitError() << "qnt-import-quant handles ranked tensors, got "
                           << type;
  auto elementType = dyn_cast<quant::QuantizedType>(tensorType.getElementType());
  if (!elementType)
    return op->emitError() << "expected a quantized element type, got "
                           << tensorType.getElementType();
  auto params = uniformFromQuantType(elementType,
                                     [&]() { return op->emitError(); });
  if (failed(params))
    return failure();
  return QuantTensor{tensorType, elementType, *params};
}

void importQuantizeCast(quant::QuantizeCastOp op, const QuantTensor &q) {
  IRRewriter rewriter(op);
  auto storageType = RankedTensorType::get(q.type.getShape(),
                                           storageElementType(q.params));
  Value codes = QuantizeOp::create(rewriter, op.getLoc(), storageType,
                                   op.getInput(), q.params);
  rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, op.getType(), codes);
}

void importDequantizeCast(quant::DequantizeCastOp op, const QuantTensor &q) {
  IRRewriter rewriter(op);
  auto storageType = RankedTensorType::get(q.type.getShape(),
                                           storageElementType(q.params));
  Value codes = quant::StorageCastOp::create(rewriter, op.getLoc(),
                                             storageType, op.getInput());
  rewriter.replaceOpWithNewOp<DequantizeOp>(op, op.getType(), codes,
                                            q.params);
}

struct QntImportQuantPass
    : public qnt::impl::QntImportQuantBase<QntImportQuantPass> {
  using Base::Base;
  void runOnOperation() override {
    // Check everything before rewriting anything, so that a failure leaves
    // the IR untouched.
    SmallVector<std::pair<Operation *, QuantTensor>> work;
    WalkResult walk = getOperation()->walk([&](Operation *op) {
      Type type;
      if (auto qcast = dyn_cast<quant::QuantizeCastOp>(op))
        type = qcast.getType();
      else if (auto dcast = dyn_cast<quant::DequantizeCastOp>(op))
        type = dcast.getInput().getType();
      else
        return WalkResult::advance();
      auto q = getQuantTensor(op, type);
      if (failed(q))
        return WalkResult::interrupt();
      work.emplace_back(op, *q);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    // No greedy driver: upstream folds dcast(qcast(x)) to x, which would
    // silently drop a quantize/dequantize pair.
    for (auto &[op, q] : work) {
      if (auto qcast = dyn_cast<quant::QuantizeCastOp>(op))
        importQuantizeCast(qcast, q);
      else
        importDequantizeCast(cast<quant::DequantizeCastOp>(op), q);
    }
    cancelStorageCastPairs(getOperation());
  }
};
} // namespace
