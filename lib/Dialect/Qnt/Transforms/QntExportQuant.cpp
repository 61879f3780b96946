//===- QntExportQuant.cpp - qnt -> upstream quant casts -------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/QuantInterop.h"

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/PatternMatch.h"

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

struct QntExportQuantPass
    : public qnt::impl::QntExportQuantBase<QntExportQuantPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<QuantizeOp, DequantizeOp>(op))
        ops.push_back(op);
    });
    // No greedy driver: upstream folds dcast(qcast(x)) to x, which would
    // silently drop the quantization this pass is exporting.
    for (Operation *op : ops) {
      IRRewriter rewriter(op);
      if (auto q = dyn_cast<QuantizeOp>(op)) {
        auto type = exportedType(q.getParams(), q.getInput().getType());
        if (failed(type) || !hasStorageType(q.getParams(), q.getType())) {
          op->emitRemark() << "no upstream quant form for " << q.getParams()
                           << " on " << q.getType() << "; left as qnt";
          continue;
        }
        Value cast = quant::QuantizeCastOp::create(rewriter, q.getLoc(), *type,
                                                   q.getInput());
        rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, q.getType(),
                                                          cast);
        continue;
      }
      auto d = cast<DequantizeOp>(op);
      auto type = exportedType(d.getParams(), d.getType());
      if (failed(type) ||
          !hasStorageType(d.getParams(), d.getInput().getType())) {
        op->emitRemark() << "no upstream quant form for " << d.getParams()
                         << " on " << d.getInput().getType() << "; left as qnt";
        continue;
      }
      Value cast = quant::StorageCastOp::create(rewriter, d.getLoc(), *type,
                                                d.getInput());
      rewriter.replaceOpWithNewOp<quant::DequantizeCastOp>(op, d.getType(),
                                                           cast);
    }
    cancelStorageCastPairs(getOperation());
  }
};
} // namespace
