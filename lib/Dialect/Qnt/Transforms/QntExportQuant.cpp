//===- QntExportQuant.cpp - qnt -> upstream quant casts -------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/QuantInterop.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTEXPORTQUANT
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The upstream tensor type for `params` on a tensor of `floatType`'s shape.
FailureOr<RankedTensorType> exportedType(Attribute params,
                                         RankedTensorType floatType) {
  auto uniform = dyn_cast<UniformAttr>(params);
  if (!uniform)
    return failure();
  auto quantType = quantTypeFromUniform(uniform, floatType.getElementType());
  if (failed(quantType))
    return failure();
  return floatType.clone(*quantType);
}

/// Upstream storage casts need the exact storage element type.
bool hasStorageType(Attribute params, RankedTensorType intType) {
  auto uniform = dyn_cast<UniformAttr>(params);
  return uniform && intType.getElementType() == storageElementType(uniform);
}

struct ExportQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = exportedType(op.getParams(), op.getInput().getType());
    if (failed(type) || !hasStorageType(op.getParams(), op.getType()))
      return rewriter.notifyMatchFailure(op, "no upstream quant form");
    Value cast = quant::QuantizeCastOp::create(rewriter, op.getLoc(), *type,
                                               op.getInput());
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, op.getType(), cast);
    return success();
  }
};

struct ExportDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = exportedType(op.getParams(), op.getType());
    if (failed(type) ||
        !hasStorageType(op.getParams(), op.getInput().getType()))
      return rewriter.notifyMatchFailure(op, "no upstream quant form");
    Value cast = quant::StorageCastOp::create(rewriter, op.getLoc(), *type,
                                              op.getInput());
    rewriter.replaceOpWithNewOp<quant::DequantizeCastOp>(op, op.getType(),
                                                         cast);
    return success();
  }
};

struct QntExportQuantPass
    : public qnt::impl::QntExportQuantBase<QntExportQuantPass> {
  using Base::Base;
  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      Attribute params;
      RankedTensorType intType, floatType;
      if (auto q = dyn_cast<QuantizeOp>(op)) {
        params = q.getParams();
        intType = q.getType();
        floatType = q.getInput().getType();
      } else if (auto d = dyn_cast<DequantizeOp>(op)) {
        params = d.getParams();
        intType = d.getInput().getType();
        floatType = d.getType();
      } else {
        return;
      }
      if (failed(exportedType(params, floatType)) ||
          !hasStorageType(params, intType))
        op->emitRemark() << "no upstream quant form for " << params << " on "
                         << intType << "; left as qnt";
    });
    RewritePatternSet patterns(&getContext());
    patterns.add<ExportQuantize, ExportDequantize>(&getContext());
    quant::StorageCastOp::getCanonicalizationPatterns(patterns, &getContext());
    // Ops without an upstream form stay; that is not a failure.
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));
  }
};
} // namespace
