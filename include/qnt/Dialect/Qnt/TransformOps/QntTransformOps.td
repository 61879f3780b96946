//===- QntTransformOps.td - qnt's transform dialect extension -*- tablegen -*-===//
//
// Transform ops that let a script decide, op by op, how qnt quantizes:
// weight equalization (CLE, WESS) applied to the layers the script selects,
// and precision annotations that qnt-insert-clips and qnt-quantize (run from
// the same script with transform.apply_registered_pass, or as passes)
// honour.
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

def Qnt_EqualizeOp
    : Op<Transform_Dialect, "qnt.equalize",
         [DeclareOpInterfaceMethods<TransformOpInterface>,
          DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "Cross-layer equalization of the targeted layers";
  let description = [{
    Cross-layer equalization (as `qnt-equalize`) of each payload layer
    (`tosa.conv2d` / `tosa.depthwise_conv2d` with constant weights and bias)
    with the layer its result feeds, over ReLU, pooling, padding and
    reshapes; all selected pairs are swept jointly until the scales
    converge. Only the weights and biases change (the ops stay, so handles
    to them stay valid); the function's output is unchanged in exact
    arithmetic.

    `relu6_to_relu` replaces a ReLU6 between a selected pair by ReLU (not
    positive-homogeneous otherwise); `max_iterations` and `tolerance` as
    the pass. Targets that cannot be equalized (no single consumer layer, a
    clamp that is not a ReLU) are skipped with a remark; the op fails
    (silenceably) when no selected layer could be equalized.

    ```mlir
    %dw = transform.structured.match ops{["tosa.depthwise_conv2d"]} in %f : (!transform.any_op) -> !transform.any_op
    transform.qnt.equalize %dw {relu6_to_relu} : !transform.any_op
    ```
  }];
  let arguments = (ins TransformHandleTypeInterface:$target,
                       UnitAttr:$relu6_to_relu,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntNonNegative]>, "1000">:$max_iterations,
                       DefaultValuedAttr<F64Attr, "1.0e-4">:$tolerance);
  let results = (outs);
  let assemblyFormat = "$target attr-dict `:` type($target)";
  let hasVerifier = 1;
}

def Qnt_WessOp
    : Op<Transform_Dialect, "qnt.wess",
         [DeclareOpInterfaceMethods<TransformOpInterface>,
          DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "WESS power-of-two weight pre-scaling of the targeted layers";
  let description = [{
    WESS (as `qnt-wess`) on each payload layer: output channel c's weights
    and bias times 2^k_c (k_c in [0, 2^bits - 1]) and a `qnt.pow2_scale`
    with shifts -k_c on its result, which `qnt-quantize` folds into the
    requantization (one multiplier per layer, per-channel right shifts).
    Layers whose shifts would all be 0, or that are already pre-scaled, are
    left alone. Fails (silenceably) on a target that is not a layer with
    constant weights and bias.

    ```mlir
    %convs = transform.structured.match ops{["tosa.conv2d"]} in %f : (!transform.any_op) -> !transform.any_op
    transform.qnt.wess %convs {bits = 4} : !transform.any_op
    ```
  }];
  let arguments = (ins TransformHandleTypeInterface:$target,
                       DefaultValuedAttr<ConfinedAttr<I64Attr, [IntMinValue<1>, IntMaxValue<5>]>, "4">:$bits);
  let results = (outs);
  let assemblyFormat = "$target attr-dict `:` type($target)";
}

#endif // QNT_DIALECT_QNT_TRANSFORMOPS_QNTTRANSFORMOPS_TD
