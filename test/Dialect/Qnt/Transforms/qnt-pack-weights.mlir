// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-pack-weights),canonicalize)" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-pack-weights{bits=2}),canonicalize)" | FileCheck %s --check-prefix=TWO
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-pack-weights{bits=3}))" 2>&1 | FileCheck %s --check-prefix=BAD

// 4-bit codes [-3, 5, -8, 7, 1]: low nibble first, by hand
// byte 0 = 0x5D = 93, byte 1 = 0x78 = 120, byte 2 = 0x01 (padding 0).
// CHECK-LABEL: func @matmul4
// CHECK: %[[P:.*]] = "tosa.const"() <{values = dense<[93, 120, 1]> : tensor<3xi8>}> : () -> tensor<3xi8>
// CHECK: %[[W:.*]] = qnt.unpack %[[P]] bits 4 : tensor<3xi8> -> tensor<1x5x1xi8>
// CHECK: tosa.matmul %{{.*}}, %[[W]]
// CHECK-NOT: dense<[-3
// With at most 2 bits these codes stay one per byte.
// TWO-LABEL: func @matmul4
// TWO-NOT: qnt.unpack
// TWO: tosa.matmul
func.func @matmul4(%x: tensor<1x1x5xi8>) -> tensor<1x1x1xi32> {
  %w = "tosa.const"() {values = dense<[[[-3], [5], [-8], [7], [1]]]> : tensor<1x5x1xi8>} : () -> tensor<1x5x1xi8>
  %z = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.matmul %x, %w, %z, %z : (tensor<1x1x5xi8>, tensor<1x5x1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1xi32>
  return %y : tensor<1x1x1xi32>
}

// -----

// Ternary codes {-1, 0, 1} take 2 bits: [1, -1, 0, 1] -> fields 01, 11, 00,
// 01 from the low bits: 0b01001101 = 77.
// CHECK-LABEL: func @ternary
// CHECK: %[[P:.*]] = "tosa.const"() <{values = dense<77> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK: qnt.unpack %[[P]] bits 2 : tensor<1xi8> -> tensor<1x1x1x4xi8>
// TWO-LABEL: func @ternary
// TWO: qnt.unpack %{{.*}} bits 2
func.func @ternary(%x: tensor<1x3x3x4xi8>) -> tensor<1x3x3x1xi32> {
  %w = "tosa.const"() {values = dense<[[[[1, -1, 0, 1]]]]> : tensor<1x1x1x4xi8>} : () -> tensor<1x1x1x4xi8>
  %b = "tosa.const"() {values = dense<0> : tensor<1xi32>} : () -> tensor<1xi32>
  %z = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x3x3x4xi8>, tensor<1x1x1x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x3x3x1xi32>
  return %y : tensor<1x3x3x1xi32>
}

// -----

// 8-bit codes stay as they are.
// CHECK-LABEL: func @wide
// CHECK-NOT: qnt.unpack
// CHECK: dense<{{\[\[\[}}100], [-100]]]>
func.func @wide(%x: tensor<1x1x2xi8>) -> tensor<1x1x1xi32> {
  %w = "tosa.const"() {values = dense<[[[100], [-100]]]> : tensor<1x2x1xi8>} : () -> tensor<1x2x1xi8>
  %z = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %y = tosa.matmul %x, %w, %z, %z : (tensor<1x1x2xi8>, tensor<1x2x1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1xi32>
  return %y : tensor<1x1x1xi32>
}
// BAD: error: qnt-pack-weights: bits must be 1, 2 or 4, got 3
