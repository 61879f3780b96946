//===- Activations.h - the activations a quantizer sees ---------*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_UTILS_ACTIVATIONS_H
#define QNT_DIALECT_QNT_UTILS_ACTIVATIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::qnt {

/// The activations of `func` in program order: float ranked-tensor results
/// of computing ops. Constants, shape ops and ops that only move data
/// (reshape, transpose, slice, tensor reshapes) are skipped: their values have
/// their input's distribution. A value whose only user is a tosa.clamp is
/// skipped too: the clamp folds into the producer's requantization, so only
/// the clamp's result is quantized. qnt-expose-activations and
/// qnt-attach-stats both enumerate with this function.
SmallVector<OpResult> collectActivations(func::FuncOp func);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_ACTIVATIONS_H
