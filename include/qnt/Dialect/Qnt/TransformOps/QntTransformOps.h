//===- QntTransformOps.h - qnt's transform dialect extension ----*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_TRANSFORMOPS_QNTTRANSFORMOPS_H
#define QNT_DIALECT_QNT_TRANSFORMOPS_QNTTRANSFORMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/IR/OpImplementation.h"

#define GET_OP_CLASSES
#include "qnt/Dialect/Qnt/TransformOps/QntTransformOps.h.inc"

namespace mlir {
class DialectRegistry;
namespace qnt {
/// Registers the `transform.qnt.*` ops with the transform dialect.
void registerTransformDialectExtension(DialectRegistry &registry);
} // namespace qnt
} // namespace mlir

#endif // QNT_DIALECT_QNT_TRANSFORMOPS_QNTTRANSFORMOPS_H
