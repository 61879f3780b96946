//===- QntTransformOps.td - qnt's transform dialect extension -*- tablegen -*-===//
//
// Transform ops that let a script decide, op by op, how qnt quantizes: they
// annotate payload ops; qnt-insert-clips and qnt-quantize (run from the same
// script with transform.apply_registered_pass, or as passes) honour the
// annotations.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_TRANSFORMOPS_QNTTRANSFORMOPS_TD
#define QNT_DIALECT_QNT_TRANSFORMOPS_QNTTRANSFORMOPS_TD

include "mlir/Dialect/Transform/IR/TransformDialect.td"
include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

def Qnt_AnnotatePrecisionOp
    : Op<Transform_Dialect, "qnt.annotate_precision",
         [FunctionalStyleTransformOpTrait, MemoryEffectsOpInterface,
          TransformEachOpTrait, TransformOpInterface]> {
  let summary = "Choose how qnt quantizes the targeted ops";
  let description = [{
    Sets (or updates) the discardable `qnt.precision` dictionary on every
    payload op of `target`:

    * `activation_bits` (1..16): the width of the clip `qnt-insert-clips`
      puts on the op's result (instead of its `bits`);
    * `clip_method`: the range-setting method of that clip (`minmax`,
      `percentile`, `mse`, `kl`, `aciq_laplace`, `aciq_gaussian`, `pact`,
      `auto`; instead of its `method`);
    * `weight_bits` (2..8): uniform weights of that width for a
      `tosa.conv2d` / `tosa.depthwise_conv2d` / `tosa.matmul` in
      `qnt-quantize` (instead of its `weight-bits`; never SYQ).

    Unset keys keep what the op had. Consumes `target` and returns the same
    ops (`updated`).
    Fails (silenceably) on a payload op without results.

    ```mlir
    %convs = transform.structured.match ops{["tosa.conv2d"]} in %func : (!transform.any_op) -> !transform.any_op
    %same = transform.qnt.annotate_precision %convs {weight_bits = 4, activation_bits = 8, clip_method = "aciq_laplace"} : (!transform.any_op) -> !transform.any_op
    ```
  }];
  let arguments = (ins TransformHandleTypeInterface:$target,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<1>, IntMaxValue<16>]>>:$activation_bits,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntMinValue<2>, IntMaxValue<8>]>>:$weight_bits,
                       OptionalAttr<StrAttr>:$clip_method);
  let results = (outs TransformHandleTypeInterface:$updated);
  let assemblyFormat = "$target attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::DiagnosedSilenceableFailure applyToOne(
        ::mlir::transform::TransformRewriter &rewriter,
        ::mlir::Operation *target,
        ::mlir::transform::ApplyToEachResultList &results,
        ::mlir::transform::TransformState &state);
  }];
}

#endif // QNT_DIALECT_QNT_TRANSFORMOPS_QNTTRANSFORMOPS_TD
