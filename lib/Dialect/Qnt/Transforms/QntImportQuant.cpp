//===- QntImportQuant.cpp - upstream quant casts -> qnt -------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/QuantInterop.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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

struct ImportQuantizeCast : OpRewritePattern<quant::QuantizeCastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(quant::QuantizeCastOp op,
                                PatternRewriter &rewriter) const override {
    auto q = getQuantTensor(op, op.getType());
    if (failed(q))
      return failure();
    auto storageType =
        q->type.clone(storageElementType(q->params));
    Value codes = QuantizeOp::create(rewriter, op.getLoc(), storageType,
                                     op.getInput(), q->params);
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, op.getType(), codes);
    return success();
  }
};

struct ImportDequantizeCast : OpRewritePattern<quant::DequantizeCastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(quant::DequantizeCastOp op,
                                PatternRewriter &rewriter) const override {
    auto q = getQuantTensor(op, op.getInput().getType());
    if (failed(q))
      return failure();
    auto storageType = q->type.clone(storageElementType(q->params));
    Value codes = quant::StorageCastOp::create(rewriter, op.getLoc(),
                                               storageType, op.getInput());
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, op.getType(), codes,
                                              q->params);
    return success();
  }
};

struct QntImportQuantPass
    : public qnt::impl::QntImportQuantBase<QntImportQuantPass> {
  using Base::Base;
  void runOnOperation() override {
    // Reject what qnt cannot express before rewriting anything, so a failure
    // leaves the IR untouched.
    WalkResult walk = getOperation()->walk([&](Operation *op) {
      Type type;
      if (auto qcast = dyn_cast<quant::QuantizeCastOp>(op))
        type = qcast.getType();
      else if (auto dcast = dyn_cast<quant::DequantizeCastOp>(op))
        type = dcast.getInput().getType();
      else
        return WalkResult::advance();
      return failed(getQuantTensor(op, type)) ? WalkResult::interrupt()
                                              : WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<ImportQuantizeCast, ImportDequantizeCast>(&getContext());
    quant::StorageCastOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
