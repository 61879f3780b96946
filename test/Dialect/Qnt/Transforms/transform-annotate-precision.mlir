// RUN: qnt-opt %s -transform-interpreter=entry-point=clips_only | FileCheck %s --check-prefix=CLIPS
// RUN: qnt-opt %s -transform-interpreter | FileCheck %s
// RUN: qnt-opt %s -verify-diagnostics -transform-interpreter=entry-point=bad -o /dev/null

// A transform script decides per op how the model is quantized: the first
// convolution gets 8-bit weights and an 8-bit min-max clip, the others 4-bit
// weights and 4-bit ACIQ clips; then the script runs qnt's passes on the
// function (the model input keeps the passes' defaults: min-max, 8 bits).
// conv.a's stats [-2, 2] -> min-max [-2, 2]; conv.b's (two-sided, mad 0.8)
// -> ACIQ Laplace a = r_L(4) * 0.8 = 5.02864 * 0.8 = 4.02291.
// CLIPS-LABEL: func @two_convs
// CLIPS: qnt.clip %arg0 min [0.000000e+00] max [1.000000e+00] method minmax bits 8
// CLIPS: tosa.conv2d {{.*}}qnt.precision = {activation_bits = 8 : i64, clip_method = "minmax", weight_bits = 8 : i64}
// CLIPS: qnt.clip %{{.*}} min [-2.000000e+00] max [2.000000e+00] method minmax bits 8
// CLIPS: tosa.conv2d {{.*}}qnt.precision = {activation_bits = 4 : i64, clip_method = "aciq_laplace", weight_bits = 4 : i64}
// CLIPS: qnt.clip %{{.*}} min [-4.022912e+00] max [4.022912e+00] method aciq_laplace bits 4
//
// Quantized: conv.a's weights 8-bit per channel (127 each), conv.b's 4-bit
// ([1, -1] -> [7, -7]); conv.b's output on the 4-bit grid.
// CHECK-LABEL: func @two_convs
// CHECK-DAG: dense<127> : tensor<2x1x1x1xi8>
// CHECK-DAG: dense<{{\[\[\[\[}}7, -7]]]]> : tensor<1x1x1x2xi8>
// CHECK: qnt.dequantize %{{.*}} uniform<si4, scale = 0.536{{[0-9]*}}>
module attributes {transform.with_named_sequence} {
  func.func @two_convs(%x: tensor<1x2x2x1xf32> {qnt.stats = #qnt.stats<count = 4, min = 0.0, max = 1.0, mean = 0.5, std = 0.3, mad = 0.25>}) -> tensor<1x2x2x1xf32> {
    %w = "tosa.const"() {values = dense<[[[[0.5]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
    %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
    %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
    %a = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.stats = #qnt.stats<count = 8, min = -2.0, max = 2.0, mean = 0.0, std = 1.0, mad = 0.8>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
    %w2 = "tosa.const"() {values = dense<[[[[1.0, -1.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
    %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
    %c = tosa.conv2d %a, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.stats = #qnt.stats<count = 4, min = -8.0, max = 8.0, mean = 0.0, std = 1.0, mad = 0.8>} : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
    return %c : tensor<1x2x2x1xf32>
  }

  transform.named_sequence @annotate(%root: !transform.any_op {transform.readonly}) {
    %convs = transform.structured.match ops{["tosa.conv2d"]} in %root : (!transform.any_op) -> !transform.any_op
    %first, %rest = transform.split_handle %convs : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %1 = transform.qnt.annotate_precision %first {weight_bits = 8, activation_bits = 8, clip_method = "minmax"} : (!transform.any_op) -> !transform.any_op
    %2 = transform.qnt.annotate_precision %rest {weight_bits = 4, activation_bits = 4, clip_method = "aciq_laplace"} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }

  transform.named_sequence @clips_only(%root: !transform.any_op {transform.readonly}) {
    transform.include @annotate failures(propagate) (%root) : (!transform.any_op) -> ()
    %func = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    %f1 = transform.apply_registered_pass "qnt-insert-clips" to %func : (!transform.any_op) -> !transform.any_op
    transform.yield
  }

  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    transform.include @annotate failures(propagate) (%root) : (!transform.any_op) -> ()
    %func = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    %f1 = transform.apply_registered_pass "qnt-insert-clips" to %func : (!transform.any_op) -> !transform.any_op
    %f2 = transform.apply_registered_pass "qnt-quantize" to %f1 : (!transform.any_op) -> !transform.any_op
    %f3 = transform.apply_registered_pass "qnt-check-integer-only" to %f2 : (!transform.any_op) -> !transform.any_op
    transform.yield
  }

  // An op without results cannot be annotated; a silenceable error names it.
  transform.named_sequence @bad(%root: !transform.any_op {transform.readonly}) {
    %ret = transform.structured.match ops{["func.return"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{'func.return' has no result to quantize}}
    %1 = transform.qnt.annotate_precision %ret {weight_bits = 8} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}
