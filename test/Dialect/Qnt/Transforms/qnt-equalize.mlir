// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-equalize))" -verify-diagnostics | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-equalize{relu6-to-relu=true}))" 2>/dev/null | FileCheck %s --check-prefix=RELU
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-equalize{tolerance=0}))" 2>&1 | FileCheck %s --check-prefix=TOL

// TOL: qnt-equalize: tolerance must be positive, got 0

// Two 1x1 convolutions joined by a ReLU. r1 = [4, 1] (output channels of
// W1), r2 = [1, 4] (input channels of W2): s = sqrt(r1 / r2) = [2, 0.5].
// W1 / s = [2, 2], b1 / s = [1, 2], W2 * s = [2, 2]. The second sweep finds
// s = 1 everywhere. The prior is rescaled like the output: beta / s, gamma / s.
// CHECK-LABEL: func @pair
// CHECK-DAG: %[[W1:.*]] = "tosa.const"() <{values = dense<2.000000e+00> : tensor<2x1x1x1xf32>}>
// CHECK-DAG: %[[B1:.*]] = "tosa.const"() <{values = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %[[W1]], %[[B1]], {{.*}}qnt.batchnorm = {beta = array<f32: 3.000000e+00, 8.000000e+00>, gamma = array<f32: 5.000000e-01, 2.000000e+00>}
// CHECK: tosa.clamp
// CHECK-DAG: %[[W2:.*]] = "tosa.const"() <{values = dense<2.000000e+00> : tensor<1x1x1x2xf32>}>
// CHECK-DAG: %[[B2:.*]] = "tosa.const"() <{values = dense<5.000000e-01> : tensor<1xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %[[W2]], %[[B2]],
// RELU-LABEL: func @pair
func.func @pair(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w1 = "tosa.const"() {values = dense<[[[[4.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<[2.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[1.0, 4.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.5> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 6.0, 4.0>, gamma = array<f32: 1.0, 1.0>}} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c2 : tensor<1x4x4x1xf32>
}

// -----

// A ReLU6 is not positive-homogeneous: without relu6-to-relu the pair is
// left alone (remark); with it the clamp becomes a ReLU and the pair is
// equalized as above.
// CHECK-LABEL: func @relu6
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %{{.*}}, {{.*}} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>
// CHECK: tosa.clamp %{{.*}} {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// RELU-LABEL: func @relu6
// RELU: %[[W1:.*]] = "tosa.const"() <{values = dense<2.000000e+00> : tensor<2x1x1x1xf32>}>
// RELU: tosa.conv2d %{{.*}}, %[[W1]],
// RELU: tosa.clamp %{{.*}} {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32}
// RELU: %[[W2:.*]] = "tosa.const"() <{values = dense<2.000000e+00> : tensor<1x1x1x2xf32>}>
// RELU: tosa.conv2d %{{.*}}, %[[W2]],
func.func @relu6(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w1 = "tosa.const"() {values = dense<[[[[4.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<[2.0, 1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[1.0, 4.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.5> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  // expected-remark @+1 {{qnt-equalize: not equalizing across this clamp: it is not positive-homogeneous (pass relu6-to-relu=true to replace a bounded ReLU by ReLU first)}}
  %r = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c2 : tensor<1x4x4x1xf32>
}

// -----

// conv -> depthwise -> conv triplet (white paper: S12 = r1 / cbrt(r1 r2 r3),
// S23 = cbrt(r1 r2 r3) / r3). Channel 0: r1 = 8, r2 = 1, r3 = 1; channel 1:
// r1 = 1, r2 = 1, r3 = 8. cbrt(r1 r2 r3) = 2: at convergence every range
// is 2 (to within the tolerance). A linear path (no activation) and zero padding of the
// depthwise input are fine.
// CHECK-LABEL: func @triplet
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}{{1\.9999[0-9]*|2\.0000[0-9]*(e\+00)?}}]]], {{\[\[\[}}{{1\.9999[0-9]*|2\.0000[0-9]*(e\+00)?}}]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}{{1\.9999[0-9]*|2\.0000[0-9]*(e\+00)?}}], [{{1\.9999[0-9]*|2\.0000[0-9]*(e\+00)?}}]]]]> : tensor<1x1x2x1xf32>}>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}{{1\.9999[0-9]*|2\.0000[0-9]*(e\+00)?}}, {{1\.9999[0-9]*|2\.0000[0-9]*(e\+00)?}}]]]]> : tensor<1x1x1x2xf32>}>
func.func @triplet(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w1 = "tosa.const"() {values = dense<[[[[8.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[1.0], [1.0]]]]> : tensor<1x1x2x1xf32>} : () -> tensor<1x1x2x1xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w3 = "tosa.const"() {values = dense<[[[[1.0, 8.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b3 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %shape = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %p = tosa.pad %c1, %shape, %z : (tensor<1x4x4x2xf32>, !tosa.shape<8>, tensor<1xf32>) -> tensor<1x6x6x2xf32>
  %c2 = tosa.depthwise_conv2d %p, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xf32>, tensor<1x1x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x6x6x2xf32>
  %r = tosa.clamp %c2 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x6x6x2xf32>) -> tensor<1x6x6x2xf32>
  %m = tosa.max_pool2d %r {kernel = array<i64: 3, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xf32>) -> tensor<1x4x4x2xf32>
  %c3 = tosa.conv2d %m, %w3, %b3, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c3 : tensor<1x4x4x1xf32>
}

// -----

// A channel with no weights in the next layer keeps s = 1 (remark); the
// other channel is equalized. Matmul as the second layer through global
// average pooling and a reshape.
// CHECK-LABEL: func @degenerate_matmul
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[}}2.000000e+00], [0.000000e+00]]]> : tensor<1x2x1xf32>}>
// CHECK: tosa.matmul
func.func @degenerate_matmul(%x: tensor<1x4x4x1xf32>) -> tensor<1x1x1xf32> {
  %w1 = "tosa.const"() {values = dense<[[[[4.0]]], [[[3.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[1.0], [0.0]]> : tensor<2x1xf32>} : () -> tensor<2x1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @+1 {{qnt-equalize: channel 1 left unscaled: its weight range is 3.000000e+00 here and 0.000000e+00 in the next layer}}
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %a = tosa.avg_pool2d %c1, %z, %z {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %s1 = tosa.const_shape {values = dense<[1, 1, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %a, %s1 : (tensor<1x1x1x2xf32>, !tosa.shape<3>) -> tensor<1x1x2xf32>
  %s2 = tosa.const_shape {values = dense<[1, 2, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %wr = tosa.reshape %w2, %s2 : (tensor<2x1xf32>, !tosa.shape<3>) -> tensor<1x2x1xf32>
  %mm = tosa.matmul %r, %wr, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1xf32>
  return %mm : tensor<1x1x1xf32>
}
