//===- QntOps.h - qnt operations --------------------------------*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_IR_QNTOPS_H
#define QNT_DIALECT_QNT_IR_QNTOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "qnt/Dialect/Qnt/IR/QntAttrs.h"
#include "qnt/Dialect/Qnt/IR/QntDialect.h"

#define GET_OP_CLASSES
#include "qnt/Dialect/Qnt/IR/QntOps.h.inc"

#endif // QNT_DIALECT_QNT_IR_QNTOPS_H
