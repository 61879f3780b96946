//===- ConstantUtils.h - compile-time work on constant tensors --*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_UTILS_CONSTANTUTILS_H
#define QNT_DIALECT_QNT_UTILS_CONSTANTUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

namespace mlir::qnt {

/// The constant value of `value` if it is produced by an op with a constant
/// `ElementsAttr` (arith.constant, tosa.const): dense or dense_resource.
FailureOr<ElementsAttr> getConstantElements(Value value);

/// The raw little-endian bytes of a dense or dense_resource constant, one
/// element per position (splats expanded), or failure (e.g. a resource whose
/// blob is not available, or a non-int/float element type).
FailureOr<SmallVector<char>> getConstantBytes(ElementsAttr attr);

/// The elements of a dense or dense_resource constant of signless integers
/// of 8, 16, 32 or 64 bits, read as signed, in row-major order (splats
/// expanded), or failure.
FailureOr<SmallVector<int64_t>> getConstantInts(ElementsAttr attr);

/// `attr` with its dimensions permuted: result dim i is input dim perm[i].
FailureOr<DenseElementsAttr> permuteConstant(ElementsAttr attr,
                                             ArrayRef<int64_t> perm);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_CONSTANTUTILS_H
