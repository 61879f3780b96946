// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-absorb-high-bias))" -verify-diagnostics | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-absorb-high-bias{sigmas=1}))" 2>/dev/null | FileCheck %s --check-prefix=ONE
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-absorb-high-bias{sigmas=-1}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: qnt-absorb-high-bias: sigmas must be finite and >= 0, got -1

// Prior beta = [5, -1], gamma = [1, 1]: c = max(0, beta - 3 |gamma|) = [2, 0].
// b1 = [5, -1] - c = [3, -1], beta too; b2 = 0.5 + W2 c = 0.5 + 1 * 2 = 2.5.
// With sigmas = 1: c = [4, 0], b1 = [1, -1], b2 = 4.5.
// CHECK-LABEL: func @pair
// CHECK: %[[B1:.*]] = "tosa.const"() <{values = dense<[3.000000e+00, -1.000000e+00]> : tensor<2xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %[[B1]], {{.*}}qnt.batchnorm = {beta = array<f32: 3.000000e+00, -1.000000e+00>, gamma = array<f32: 1.000000e+00, 1.000000e+00>}
// CHECK: %[[B2:.*]] = "tosa.const"() <{values = dense<2.500000e+00> : tensor<1xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %[[B2]],
// ONE-LABEL: func @pair
// ONE: "tosa.const"() <{values = dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>}>
// ONE: "tosa.const"() <{values = dense<4.500000e+00> : tensor<1xf32>}>
func.func @pair(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w1 = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<[5.0, -1.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[1.0, 2.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.5> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 5.0, -1.0>, gamma = array<f32: 1.0, 1.0>}} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c2 : tensor<1x4x4x1xf32>
}

// -----

// Not exact, so skipped with a remark: a next layer that reads zero padding,
// and a bounded ReLU. Matmul after global average pooling: its bias add
// gains W2 c = [1 * 2, 3 * 2] = [2, 6].
// CHECK-LABEL: func @skipped_and_matmul
// CHECK: tosa.depthwise_conv2d
// CHECK: "tosa.const"() <{values = dense<{{\[\[}}2.000000e+00, 7.000000e+00]]> : tensor<1x2xf32>}>
func.func @skipped_and_matmul(%x: tensor<1x4x4x1xf32>) -> (tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>, tensor<1x2xf32>) {
  %w1 = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<5.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-remark @+1 {{qnt-absorb-high-bias: not absorbing: the layers are not joined by a ReLU}}
  %a = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 5.0>, gamma = array<f32: 1.0>}} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %ar = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %a2 = tosa.conv2d %ar, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %b = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 5.0>, gamma = array<f32: 1.0>}} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %br = tosa.clamp %b {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %wd = "tosa.const"() {values = dense<1.0> : tensor<3x3x1x1xf32>} : () -> tensor<3x3x1x1xf32>
  // expected-remark @+1 {{qnt-absorb-high-bias: not absorbing: the next layer reads zero padding, which the absorbed shift would not reach}}
  %d = tosa.depthwise_conv2d %br, %wd, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<3x3x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %c = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 5.0>, gamma = array<f32: 1.0>}} : (tensor<1x4x4x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %cr = tosa.clamp %c {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %p = tosa.avg_pool2d %cr, %z, %z {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  %s1 = tosa.const_shape {values = dense<[1, 1, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %pr = tosa.reshape %p, %s1 : (tensor<1x1x1x1xf32>, !tosa.shape<3>) -> tensor<1x1x1xf32>
  %wm = "tosa.const"() {values = dense<[[[1.0, 3.0]]]> : tensor<1x1x2xf32>} : () -> tensor<1x1x2xf32>
  %m = tosa.matmul %pr, %wm, %z, %z : (tensor<1x1x1xf32>, tensor<1x1x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  %s2 = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %mr = tosa.reshape %m, %s2 : (tensor<1x1x2xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  %bias = "tosa.const"() {values = dense<[[0.0, 1.0]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %y = tosa.add %mr, %bias : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  return %a2, %d, %y : tensor<1x4x4x1xf32>, tensor<1x4x4x1xf32>, tensor<1x2xf32>
}
