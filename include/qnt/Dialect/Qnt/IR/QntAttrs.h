//===- QntAttrs.h - qnt attributes ------------------------------*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_IR_QNTATTRS_H
#define QNT_DIALECT_QNT_IR_QNTATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"

namespace mlir {
/// Lets ODS-generated parsers read f64 `APFloat` parameters (printed with
/// the AsmPrinter's round-tripping float printer).
template <>
struct FieldParser<llvm::APFloat> {
  static FailureOr<llvm::APFloat> parse(AsmParser &parser) {
    double value;
    if (parser.parseFloat(value))
      return failure();
    return llvm::APFloat(value);
  }
};
} // namespace mlir

#include "qnt/Dialect/Qnt/IR/QntEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "qnt/Dialect/Qnt/IR/QntAttrs.h.inc"

#endif // QNT_DIALECT_QNT_IR_QNTATTRS_H
