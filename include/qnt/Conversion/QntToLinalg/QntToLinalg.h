//===- QntToLinalg.h - qnt to linalg patterns -------------------*- C++ -*-===//

#ifndef QNT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H
#define QNT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H

namespace mlir {
class RewritePatternSet;
namespace qnt {

/// Patterns lowering qnt's element-wise ops (clip, quantize, dequantize,
/// fake_quant, pow2_scale, requantize) to linalg.generic on tensors. Types
/// are unchanged (qnt values are builtin tensors), so no type converter.
void populateQntToLinalgConversionPatterns(RewritePatternSet &patterns);

} // namespace qnt
} // namespace mlir

#endif // QNT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H
