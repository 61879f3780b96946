//===- Activations.cpp - the activations a quantizer sees -----------------===//

#include "qnt/Dialect/Qnt/Utils/Activations.h"
#include "qnt/Dialect/Qnt/IR/QntOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

static bool movesDataOnly(Operation *op) {
  return isa<tosa::ReshapeOp, tosa::TransposeOp, tosa::SliceOp,
             tosa::IdentityOp, tensor::CollapseShapeOp,
             tensor::ExpandShapeOp, tensor::ExtractSliceOp, tensor::CastOp>(
      op);
}

SmallVector<OpResult> mlir::qnt::collectActivations(func::FuncOp func) {
  SmallVector<OpResult> activations;
  func.walk([&](Operation *op) {
    if (op->hasTrait<OpTrait::ConstantLike>() || movesDataOnly(op) ||
        isa<func::ReturnOp>(op))
      return;
    for (OpResult result : op->getResults()) {
      auto type = dyn_cast<RankedTensorType>(result.getType());
      if (!type || !isa<FloatType>(type.getElementType()))
        continue;
      // A value consumed only by a clamp (conv -> ReLU6) is never stored in
      // the integer program: the clamp folds into the producer's
      // requantization, and only the clamp's result is quantized.
      // Likewise a layer output that only feeds WESS's qnt.pow2_scale: the
      // shifts fold into the requantization.
      if (result.hasOneUse() &&
          isa<tosa::ClampOp, Pow2ScaleOp>(*result.getUsers().begin()))
        continue;
      activations.push_back(result);
    }
  });
  return activations;
}
