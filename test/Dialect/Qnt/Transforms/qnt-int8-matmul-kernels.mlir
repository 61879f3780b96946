// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels))" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{isa=none}))" | FileCheck %s --check-prefix=NONE
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{isa=neon}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: qnt-int8-matmul-kernels: unknown isa 'neon' (expected avx2 or none)

// B[k][n] = 10 k + n, K = 3, N = 10: two 8-column blocks, two K pairs (the
// second pair's odd half and columns 10..15 are zeros). Block 0, pair 0
// interleaves B[0][c], B[1][c]: [0, 10, 1, 11, ..., 7, 17]; pair 1:
// [20, 0, 21, 0, ..., 27, 0]; block 1, pair 0: [8, 18, 9, 19, 0...];
// pair 1: [28, 0, 29, 0, 0...]. The activations are widened to i16 and
// padded to K = 4; M = 2 rows (m-tile 2), 2 blocks (n-blocks 2); N is not
// a multiple of 8, so the stores may be out of bounds (no in_bounds).
// CHECK-LABEL: func @batch_matmul
// CHECK-DAG: %[[B:.*]] = arith.constant dense<{{\[\[\[}}0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15, 6, 16, 7, 17], [20, 0, 21, 0, 22, 0, 23, 0, 24, 0, 25, 0, 26, 0, 27, 0]], {{\[\[}}8, 18, 9, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [28, 0, 29, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<2x2x16xi8>
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x2x3xi8>) outs(%{{.*}} : tensor<1x2x3xi16>)
// CHECK: arith.extsi %{{.*}} : i8 to i16
// CHECK: %[[P:.*]] = tensor.pad %[[W]] low[0, 0, 0] high[0, 0, 1]
// CHECK: scf.for %[[M:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[ACC:.*]]:4 = scf.for %[[KP:.*]] = {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// CHECK: vector.transfer_read %[[P]]{{.*}} : tensor<1x2x4xi16>, vector<2xi16>
// CHECK: vector.broadcast %{{.*}} : i32 to vector<8xi32>
// CHECK: vector.bitcast %{{.*}} : vector<8xi32> to vector<16xi16>
// CHECK: vector.transfer_read %[[B]]{{.*}} : tensor<2x2x16xi8>, vector<16xi8>
// CHECK: arith.extsi %{{.*}} : vector<16xi8> to vector<16xi16>
// CHECK: vector.shuffle %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
// CHECK: vector.shuffle %{{.*}} [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi16>, vector<16xi16>
// CHECK: vector.transfer_write %[[ACC]]#0, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : vector<8xi32>, tensor<1x2x10xi32>
// CHECK-NOT: linalg.batch_matmul
// NONE-LABEL: func @batch_matmul
// NONE: linalg.batch_matmul
func.func @batch_matmul(%a: tensor<1x2x3xi8>) -> tensor<1x2x10xi32> {
  %b = arith.constant dense<[[[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], [20, 21, 22, 23, 24, 25, 26, 27, 28, 29]]]> : tensor<1x3x10xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x10xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x10xi32>) -> tensor<1x2x10xi32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<1x2x3xi8>, tensor<1x3x10xi8>) outs(%f : tensor<1x2x10xi32>) -> tensor<1x2x10xi32>
  return %r : tensor<1x2x10xi32>
}

// -----

// Left alone: weights that are not constants.
// CHECK-LABEL: func @not_constant
// CHECK: linalg.matmul
func.func @not_constant(%a: tensor<2x3xi8>, %b: tensor<3x8xi8>) -> tensor<2x8xi32> {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<2x8xi32>) -> tensor<2x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<2x3xi8>, tensor<3x8xi8>) outs(%f : tensor<2x8xi32>) -> tensor<2x8xi32>
  return %r : tensor<2x8xi32>
}

// -----

// An accumulator that does not start at zero is read into the registers
// first.
// CHECK-LABEL: func @nonzero_init
// CHECK: scf.for
// CHECK: %[[I:.*]] = vector.transfer_read %{{.*}} {in_bounds = [true]} : tensor<2x8xi32>, vector<8xi32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[I]]
func.func @nonzero_init(%a: tensor<2x2xi8>, %acc: tensor<2x8xi32>) -> tensor<2x8xi32> {
  %b = arith.constant dense<1> : tensor<2x8xi8>
  %r = linalg.matmul ins(%a, %b : tensor<2x2xi8>, tensor<2x8xi8>) outs(%acc : tensor<2x8xi32>) -> tensor<2x8xi32>
  return %r : tensor<2x8xi32>
}

// -----

// A 1x1 convolution is the matmul of [N H W, C] (collapsed) with the
// filter transposed: B[c][f] = filter[f][0][0][c] = [[1, 4], [2, 5], [3, 6]]
// -> block 0, pair 0: [1, 2, 4, 5, 0...], pair 1: [3, 0, 6, 0, 0...]; the
// bias broadcast is the init.
// CHECK-LABEL: func @conv1x1
// CHECK-DAG: arith.constant dense<{{\[\[\[}}1, 2, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<1x2x16xi8>
// CHECK: tensor.collapse_shape %arg0 {{\[\[}}0, 1, 2], [3]] : tensor<1x2x2x3xi8> into tensor<4x3xi8>
// CHECK: scf.for
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2], [3]] output_shape [1, 2, 2, 2] : tensor<4x2xi32> into tensor<1x2x2x2xi32>
// CHECK-NOT: linalg.conv_2d
func.func @conv1x1(%x: tensor<1x2x2x3xi8>, %bias: tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<[[[[1, 2, 3]]], [[[4, 5, 6]]]]> : tensor<2x1x1x3xi8>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x2x3xi8>, tensor<2x1x1x3xi8>) outs(%bias : tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32>
  return %y : tensor<1x2x2x2xi32>
}

// -----

// Strided (or larger) convolutions are not matmuls: left alone.
// CHECK-LABEL: func @strided
// CHECK: linalg.conv_2d_nhwc_fhwc
func.func @strided(%x: tensor<1x4x4x3xi8>, %bias: tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<1> : tensor<2x1x1x3xi8>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>) outs(%bias : tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32>
  return %y : tensor<1x2x2x2xi32>
}
