// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-fold-batchnorm))" | FileCheck %s

// Output channel c of the OHWI weights is scaled by f[c]; b' = b * f + s.
// W = [[1, 2]], [[3, 4]] (2 output channels, 1x1 kernel, 2 inputs),
// b = [10, 20], f = [2, -1], s = [0.5, 1]: W' = [[2, 4]], [[-3, -4]],
// b' = [20.5, -19].
// CHECK-LABEL: func @conv_mul_add
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}2.000000e+00, 4.000000e+00]]], {{\[\[\[}}-3.000000e+00, -4.000000e+00]]]]> : tensor<2x1x1x2xf32>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[2.050000e+01, -1.900000e+01]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %{{.*}}, %[[W]], %[[B]],
// CHECK-NOT: tosa.mul
// CHECK-NOT: tosa.add
// CHECK: return %[[C]]
func.func @conv_mul_add(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[1.0, 2.0]]], [[[3.0, 4.0]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() {values = dense<[10.0, 20.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %f = "tosa.const"() {values = dense<[[[[2.0, -1.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %sh = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %m = tosa.mul %c, %f, %sh : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xi8>) -> tensor<1x4x4x2xf32>
  %s = "tosa.const"() {values = dense<[[[[0.5, 1.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %y = tosa.add %m, %s : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// Depthwise HWCM: output channel c * M + m. C = 2, M = 1, 1x1 kernel.
// CHECK-LABEL: func @depthwise_mul
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}3.000000e+00], [-8.000000e+00]]]]> : tensor<1x1x2x1xf32>}>
// CHECK-DAG: "tosa.const"() <{values = dense<[3.000000e+00, -4.000000e+00]> : tensor<2xf32>}>
// CHECK: tosa.depthwise_conv2d
// CHECK-NOT: tosa.mul
func.func @depthwise_mul(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[1.0], [2.0]]]]> : tensor<1x1x2x1xf32>} : () -> tensor<1x1x2x1xf32>
  %b = "tosa.const"() {values = dense<1.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %f = "tosa.const"() {values = dense<[3.0, -4.0]> : tensor<2xf32>} : () -> tensor<2xf32>
  %fr = tosa.const_shape {values = dense<[1, 1, 1, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %f4 = tosa.reshape %f, %fr : (tensor<2xf32>, !tosa.shape<4>) -> tensor<1x1x1x2xf32>
  %sh = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %m = tosa.mul %c, %f4, %sh : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xi8>) -> tensor<1x4x4x2xf32>
  return %m : tensor<1x4x4x2xf32>
}

// -----

// A convolution result with a second user cannot be folded.
// CHECK-LABEL: func @two_users
// CHECK: tosa.mul
func.func @two_users(%x: tensor<1x4x4x2xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) {
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %f = "tosa.const"() {values = dense<2.0> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %sh = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %m = tosa.mul %c, %f, %sh : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xi8>) -> tensor<1x4x4x2xf32>
  return %m, %c : tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>
}

// -----

// BatchNorm after a fully connected layer (Gemm -> BatchNormalization):
// matmul -> reshape -> bias add -> mul f -> add s. Columns of B and the bias
// are scaled by f = [2, -1]; the multiply disappears and the shift add
// stays as a second bias add. B = [[1, 2], [3, 4]] -> [[2, -2], [6, -4]],
// bias [0.5, 1] -> [1, -1].
// CHECK-LABEL: func @matmul_mul_add
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<{{\[\[\[}}2.000000e+00, -2.000000e+00], [6.000000e+00, -4.000000e+00]]]> : tensor<1x2x2xf32>}>
// CHECK-DAG: %[[C:.*]] = "tosa.const"() <{values = dense<{{\[\[}}1.000000e+00, -1.000000e+00]]> : tensor<1x2xf32>}>
// CHECK: %[[M:.*]] = tosa.matmul %{{.*}}, %[[B]],
// CHECK: %[[R:.*]] = tosa.reshape %[[M]]
// CHECK: %[[A:.*]] = tosa.add %[[R]], %[[C]]
// CHECK-NOT: tosa.mul
// CHECK: %[[Y:.*]] = tosa.add %[[A]], %{{.*}} : (tensor<1x2xf32>, tensor<1x2xf32>)
// CHECK: return %[[Y]]
func.func @matmul_mul_add(%x: tensor<1x1x2xf32>) -> tensor<1x2xf32> {
  %w = "tosa.const"() {values = dense<[[[1.0, 2.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>} : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %m = tosa.matmul %x, %w, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  %s2 = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %r = tosa.reshape %m, %s2 : (tensor<1x1x2xf32>, !tosa.shape<2>) -> tensor<1x2xf32>
  %c = "tosa.const"() {values = dense<[[0.5, 1.0]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %a = tosa.add %r, %c : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  %f = "tosa.const"() {values = dense<[[2.0, -1.0]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %sh = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %mm = tosa.mul %a, %f, %sh : (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1xi8>) -> tensor<1x2xf32>
  %s = "tosa.const"() {values = dense<[[0.25, 0.5]]> : tensor<1x2xf32>} : () -> tensor<1x2xf32>
  %y = tosa.add %mm, %s : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
