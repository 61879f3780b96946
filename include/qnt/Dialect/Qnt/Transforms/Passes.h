//===- Passes.h - qnt transformation passes ---------------------*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_TRANSFORMS_PASSES_H
#define QNT_DIALECT_QNT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "qnt/Dialect/Qnt/IR/QntDialect.h"

namespace mlir::qnt {

#define GEN_PASS_DECL
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_TRANSFORMS_PASSES_H
