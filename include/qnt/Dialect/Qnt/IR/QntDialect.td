//===- QntDialect.td - The qnt dialect ---------------------*- tablegen -*-===//
//
// The qnt dialect: quantization parameters, calibration statistics, clipping,
// (fake-)quantization and integer requantization.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_IR_QNTDIALECT_TD
#define QNT_DIALECT_QNT_IR_QNTDIALECT_TD

include "mlir/IR/OpBase.td"

def Qnt_Dialect : Dialect {
  let name = "qnt";
  let cppNamespace = "::mlir::qnt";
  let summary = "Post-training quantization: parameters, statistics, clips, requantization";
  let description = [{
    The `qnt` dialect carries what a quantizing compiler needs on top of the
    upstream tensor dialects (TOSA, linalg, arith):

    * quantization parameters (`#qnt.uniform`, `#qnt.codebook`) attached to
      `qnt.quantize`, `qnt.dequantize` and `qnt.fake_quant`;
    * calibration statistics (`#qnt.stats`, `#qnt.channel_stats`) attached to
      the producer of a float value as the discardable attribute `qnt.stats`;
    * activation clipping (`qnt.clip`), recording the method that chose it;
    * per-channel power-of-two scaling (`qnt.pow2_scale`, used by WESS);
    * integer requantization of accumulators (`qnt.requantize`) with a
      fixed-point multiplier, per-channel shifts, zero points, clamp bounds
      and a rounding mode.

    Integer convolutions and matrix products are not qnt ops: they are
    expressed with upstream TOSA/linalg ops on integer tensors (see
    docs/design.md for the reasoning).
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    void registerAttributes();

    /// Name of the discardable attribute that carries calibration statistics
    /// on the producer of a value.
    static constexpr ::llvm::StringLiteral getStatsAttrName() {
      return ::llvm::StringLiteral("qnt.stats");
    }
    /// Name of the discardable attribute that carries a layer's BatchNorm
    /// output parameters `{beta = array<f32>, gamma = array<f32>}` (one
    /// value per channel of the op's single result's last dimension).
    static constexpr ::llvm::StringLiteral getBatchnormAttrName() {
      return ::llvm::StringLiteral("qnt.batchnorm");
    }
    /// Name of the discardable attribute that records, on an op producing
    /// integer codes (a `qnt.requantize` written by `qnt-quantize`), the
    /// `#qnt.uniform` grid of its single result: what the codes mean. For
    /// reports and debugging; nothing depends on it.
    static constexpr ::llvm::StringLiteral getResultParamsAttrName() {
      return ::llvm::StringLiteral("qnt.result_params");
    }
    /// Name of the discardable attribute with per-op quantization choices
    /// `{activation_bits = i64, weight_bits = i64, clip_method = "..."}`
    /// (each optional), set by `transform.qnt.annotate_precision` or by
    /// hand; qnt-insert-clips and qnt-quantize honour it.
    static constexpr ::llvm::StringLiteral getPrecisionAttrName() {
      return ::llvm::StringLiteral("qnt.precision");
    }
    /// Name of the unit attribute qnt's kernels put on an `scf.for` whose
    /// iterations write disjoint parts of their results (after
    /// bufferization: of their buffers) and read nothing another iteration
    /// writes; qnt-parallelize-kernels runs such loops on threads.
    static constexpr ::llvm::StringLiteral getParallelAttrName() {
      return ::llvm::StringLiteral("qnt.parallel");
    }
    /// Whether `name` is a method qnt-insert-clips can choose ranges with:
    /// a `ClipMethod` other than `manual`, or `auto`.
    static bool isClipMethodName(::llvm::StringRef name);
  }];
}

#endif // QNT_DIALECT_QNT_IR_QNTDIALECT_TD
