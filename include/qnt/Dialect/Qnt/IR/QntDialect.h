//===- QntDialect.h - The qnt dialect ---------------------------*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_IR_QNTDIALECT_H
#define QNT_DIALECT_QNT_IR_QNTDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"

#include "qnt/Dialect/Qnt/IR/QntOpsDialect.h.inc"

#endif // QNT_DIALECT_QNT_IR_QNTDIALECT_H
