// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-wess))" -verify-diagnostics | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-wess{bits=1}))" 2>/dev/null | FileCheck %s --check-prefix=BITS1
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-wess{bits=6}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: qnt-wess: bits must be in 1..5 (shifts up to 31), got 6

// Output channel ranges r = [8, 1, 0.3, 0], R = 8. k_c = the largest k <= 15
// with r_c 2^k <= 8: [0, 3, 4, -] (0.3 * 2^5 = 9.6 > 8); the all-zero
// channel keeps k = 0 (remark). Weights and bias are scaled by 2^k, the
// prior (N(beta, gamma^2) of the output) too, and pow2_scale undoes it.
// With bits = 1, k <= 1.
// CHECK-LABEL: func @conv
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}8.000000e+00]]], {{\[\[\[}}8.000000e+00]]], {{\[\[\[}}4.800000e+00]]], {{\[\[\[}}0.000000e+00]]]]> : tensor<4x1x1x1xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[1.000000e+00, 8.000000e+00, 1.600000e+01, 1.000000e+00]> : tensor<4xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %{{.*}}, %[[W]], %[[B]], {{.*}}qnt.batchnorm = {beta = array<f32: 1.000000e+00, 8.000000e+00, 1.600000e+01, 1.000000e+00>, gamma = array<f32: 5.000000e-01, 4.000000e+00, 8.000000e+00, 5.000000e-01>}
// CHECK: %[[S:.*]] = qnt.pow2_scale %[[C]] axis 3 shifts [0, -3, -4, 0] : tensor<1x2x2x4xf32>
// CHECK: tosa.clamp %[[S]]
// BITS1-LABEL: func @conv
// BITS1: qnt.pow2_scale %{{.*}} axis 3 shifts [0, -1, -1, 0]
func.func @conv(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x4xf32> {
  %w = "tosa.const"() {values = dense<[[[[8.0]]], [[[1.0]]], [[[0.3]]], [[[0.0]]]]> : tensor<4x1x1x1xf32>} : () -> tensor<4x1x1x1xf32>
  %b = "tosa.const"() {values = dense<1.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @+1 {{qnt-wess: output channel 3 has all-zero weights; shift 0}}
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 1.0, 1.0, 1.0, 1.0>, gamma = array<f32: 0.5, 0.5, 0.5, 0.5>}} : (tensor<1x2x2x1xf32>, tensor<4x1x1x1xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x4xf32>
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  return %r : tensor<1x2x2x4xf32>
}

// -----

// Matmul [1, K, N]: output channel n is the last axis. Ranges [2, 0.5]:
// k = [0, 2]. The weights come through a reshape; the new constant has the
// matmul operand's shape.
// CHECK-LABEL: func @matmul
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}1.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00]]]> : tensor<1x2x2xf32>}>
// CHECK: %[[M:.*]] = tosa.matmul %{{.*}}, %[[W]],
// CHECK: %[[S:.*]] = qnt.pow2_scale %[[M]] axis 2 shifts [0, -2] : tensor<1x1x2xf32>
// CHECK: return %[[S]]
func.func @matmul(%x: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() {values = dense<[[1.0, 0.25], [2.0, 0.5]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %s = tosa.const_shape {values = dense<[1, 2, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %wr = tosa.reshape %w, %s : (tensor<2x2xf32>, !tosa.shape<3>) -> tensor<1x2x2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %m = tosa.matmul %x, %wr, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %m : tensor<1x1x2xf32>
}

// -----

// Channels already within a factor of 2 of the largest: nothing to do. All
// weights zero: left alone with a remark.
// CHECK-LABEL: func @nothing
// CHECK-NOT: qnt.pow2_scale
func.func @nothing(%x: tensor<1x2x2x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = "tosa.const"() {values = dense<[[[[1.0]]], [[[-0.6]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %w0 = "tosa.const"() {values = dense<0.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  // expected-remark @+1 {{qnt-wess: weights are all zero or not finite; left unscaled}}
  %c0 = tosa.conv2d %x, %w0, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  return %c, %c0 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
