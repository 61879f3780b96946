//===- QuantInterop.h - qnt <-> upstream quant types ------------*- C++ -*-===//

#ifndef QNT_DIALECT_QNT_UTILS_QUANTINTEROP_H
#define QNT_DIALECT_QNT_UTILS_QUANTINTEROP_H

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "qnt/Dialect/Qnt/IR/QntAttrs.h"

namespace mlir::qnt {

/// The qnt parameters of an upstream `!quant.uniform` type, or failure (with
/// a diagnostic through `emitError`) when qnt cannot express it.
FailureOr<UniformAttr>
uniformFromQuantType(quant::QuantizedType type,
                     function_ref<InFlightDiagnostic()> emitError);

/// The upstream `!quant.uniform` element type for `params` with the given
/// expressed (float) type, or failure when it has no upstream form.
FailureOr<quant::QuantizedType> quantTypeFromUniform(UniformAttr params,
                                                     Type expressedType);

/// The signless integer storage element type qnt uses for `params`: i8 for
/// 2..8 bits, i16, i32.
IntegerType storageElementType(UniformAttr params);

/// Replaces every `quant.scast(quant.scast(x))` whose result type equals
/// `x`'s type with `x`, and erases the dead casts. Unlike the greedy
/// canonicalizer this never applies upstream's `dcast(qcast(x)) -> x` fold,
/// which would drop a quantization step.
void cancelStorageCastPairs(Operation *root);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_QUANTINTEROP_H
