//===- Passes.h - qnt conversion passes -------------------------*- C++ -*-===//

#ifndef QNT_CONVERSION_PASSES_H
#define QNT_CONVERSION_PASSES_H

#include "qnt/Conversion/QntToLinalg/QntToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir::qnt {

#define GEN_PASS_DECL
#include "qnt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qnt/Conversion/Passes.h.inc"

} // namespace mlir::qnt

#endif // QNT_CONVERSION_PASSES_H
