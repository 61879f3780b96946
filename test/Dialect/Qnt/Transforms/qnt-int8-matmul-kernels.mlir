// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{saturation-free-quads=false}))" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels))" | FileCheck %s --check-prefix=QUADS
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{isa=none}))" | FileCheck %s --check-prefix=NONE
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{fuse-epilogue=false saturation-free-quads=false}))" | FileCheck %s --check-prefix=NOFUSE
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{isa=avx512vnni}))" | FileCheck %s --check-prefix=VNNI
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{isa=avxvnni}))" | FileCheck %s --check-prefix=AVXVNNI
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-matmul-kernels{isa=neon}))" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: qnt-int8-matmul-kernels: unknown isa 'neon' (expected avx2, avxvnni, avx512vnni or none)

// B[k][n] = 10 k + n, K = 3, N = 10: two 8-column blocks, two K pairs (the
// second pair's odd half is zero). N is not a multiple of 8, so the second
// block overlaps the first: it holds columns 2..9 (starting at
// min(8 j, N - 8)) and every store is a whole vector in bounds. Block 0,
// pair 0 interleaves B[0][c], B[1][c]: [0, 10, 1, 11, ..., 7, 17]; pair 1:
// [20, 0, 21, 0, ..., 27, 0]; block 1, pair 0: [2, 12, 3, 13, ..., 9, 19];
// pair 1: [22, 0, ..., 29, 0], sign-extended to i16 at compile time. The
// activations are widened to i16 and padded to K = 4; M = 2 rows (one
// tile of 2), 2 blocks (n-blocks 2). The loops: row chunks (parallel),
// column blocks, m-tiles of the chunk, K pairs.
// CHECK-LABEL: func @batch_matmul
// CHECK-DAG: %[[B:.*]] = arith.constant dense<{{\[\[\[}}0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 15, 6, 16, 7, 17], [20, 0, 21, 0, 22, 0, 23, 0, 24, 0, 25, 0, 26, 0, 27, 0]], {{\[\[}}2, 12, 3, 13, 4, 14, 5, 15, 6, 16, 7, 17, 8, 18, 9, 19], [22, 0, 23, 0, 24, 0, 25, 0, 26, 0, 27, 0, 28, 0, 29, 0]]]> : tensor<2x2x16xi16>
// CHECK: %[[W:.*]] = linalg.generic {{.*}} ins(%arg0 : tensor<1x2x3xi8>) outs(%{{.*}} : tensor<1x2x3xi16>)
// CHECK: arith.extsi %{{.*}} : i8 to i16
// CHECK: %[[P:.*]] = tensor.pad %[[W]] low[0, 0, 0] high[0, 0, 1]
// CHECK: scf.for %[[C:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[CEND:.*]] = arith.minsi
// CHECK: scf.for %[[J:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %[[M:[a-z0-9_]+]] = %[[C]] to %[[CEND]] step %{{.*}} iter_args
// CHECK: %[[ACC:.*]]:4 = scf.for %[[KP:[a-z0-9_]+]] = {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// CHECK: vector.transfer_read %[[P]]{{.*}} : tensor<1x2x4xi16>, vector<2xi16>
// CHECK: vector.broadcast %{{.*}} : i32 to vector<8xi32>
// CHECK: vector.bitcast %{{.*}} : vector<8xi32> to vector<16xi16>
// CHECK: vector.transfer_read %[[B]]{{.*}} : tensor<2x2x16xi16>, vector<16xi16>
// CHECK: vector.shuffle %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
// CHECK: vector.shuffle %{{.*}} [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi16>, vector<16xi16>
// CHECK: arith.minsi %{{.*}}, %{{.*}} : index
// CHECK: vector.transfer_write %[[ACC]]#0, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] {in_bounds = [true]} : vector<8xi32>, tensor<1x2x10xi32>
// CHECK: } {qnt.parallel}
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
// CHECK-DAG: arith.constant dense<{{\[\[\[}}1, 2, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<1x2x16xi16>
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

// A strided (or larger) convolution is the matmul of its im2col patches
// [N OH OW, KH KW C] (K = 3, padded to 4; the padding column is not
// written: its weights are zero); the filter is packed as
// B[(kh KW + kw) C + c][f]. Without dilation along W, the KW C codes a
// pixel reads per filter row are contiguous in the input collapsed to
// [N, H, W C]: one vector read at (n, 2 oh + kh, 2 ow C), widened, written
// at (pixel, kh KW C); the (batch, output row) loop is parallel. The run of
// 3 codes is moved as 4 (the extra code lands on the K padding, and the
// read stays inside the input row) for every column but the last, which
// reads exactly 3.
// CHECK-LABEL: func @strided
// CHECK-DAG: arith.constant dense<{{\[\[\[}}1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<1x2x16xi16>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %arg0 {{\[\[}}0], [1], [2, 3]] : tensor<1x4x4x3xi8> into tensor<1x4x12xi8>
// CHECK: %[[P:.*]] = tensor.empty() : tensor<4x4xi16>
// CHECK: scf.for %[[R:[a-z0-9_]+]] = {{.*}} iter_args(%{{.*}} = %[[P]])
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: scf.for %[[X:[a-z0-9_]+]] = %{{.*}} to %[[C1]]
// CHECK: vector.transfer_read %[[FLAT]]{{.*}} {in_bounds = [true]} : tensor<1x4x12xi8>, vector<4xi8>
// CHECK: arith.extsi %{{.*}} : vector<4xi8> to vector<4xi16>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<4xi16>, tensor<4x4xi16>
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK: vector.transfer_read %[[FLAT]]{{.*}} {in_bounds = [true]} : tensor<1x4x12xi8>, vector<3xi8>
// CHECK: arith.extsi %{{.*}} : vector<3xi8> to vector<3xi16>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<3xi16>, tensor<4x4xi16>
// CHECK: } {qnt.parallel}
// CHECK-NOT: tensor.pad
// CHECK: scf.for
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2], [3]] output_shape [1, 2, 2, 2] : tensor<4x2xi32> into tensor<1x2x2x2xi32>
// CHECK-NOT: linalg.conv_2d
func.func @strided(%x: tensor<1x4x4x3xi8>, %bias: tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32> {
  %w = arith.constant dense<1> : tensor<2x1x1x3xi8>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x3xi8>, tensor<2x1x1x3xi8>) outs(%bias : tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32>
  return %y : tensor<1x2x2x2xi32>
}

// -----

// Two filter rows of 3 codes: K = 6 has no padding for a fourth code after
// the last run, so every run is read and written exactly.
// CHECK-LABEL: func @two_rows_exact
// CHECK-NOT: vector<4xi8>
// CHECK: vector.transfer_read {{.*}} : tensor<1x4x12xi8>, vector<3xi8>
// CHECK-NOT: vector<4xi8>
// CHECK: return
func.func @two_rows_exact(%x: tensor<1x4x4x3xi8>, %bias: tensor<1x3x4x2xi32>) -> tensor<1x3x4x2xi32> {
  %w = arith.constant dense<1> : tensor<2x2x1x3xi8>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x3xi8>, tensor<2x2x1x3xi8>) outs(%bias : tensor<1x3x4x2xi32>) -> tensor<1x3x4x2xi32>
  return %y : tensor<1x3x4x2xi32>
}

// -----

// tosa-to-linalg's bias init (a 1-D tensor broadcast along the rows) is not
// read: the accumulators start from the bias vector of each 8-column block.
// The element-wise consumer (here a per-column multiply, add of a scalar
// constant and truncation) runs on the register tile before the store, so
// no i32 result exists: per block, its per-column parameter is read once;
// per accumulator, the body's ops on vector<8x...>, and an i8 store.
// CHECK-LABEL: func @bias_and_epilogue
// CHECK-NOT: tensor<4x8xi32>
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi32>
// CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<[2, 2, 2, 2, 3, 3, 3, 3]> : tensor<8xi32>
// CHECK-DAG: %[[OUT:.*]] = tensor.empty() : tensor<4x8xi8>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[OUT]]) -> (tensor<4x8xi8>)
// CHECK: scf.for
// CHECK: scf.for %[[M:[a-z0-9_]+]] =
// CHECK: %[[B:.*]] = vector.transfer_read %[[BIAS]][%{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<8xi32>, vector<8xi32>
// CHECK: %[[ACC:.*]]:4 = scf.for {{.*}} iter_args(%{{.*}} = %[[B]], %{{.*}} = %[[B]], %{{.*}} = %[[B]], %{{.*}} = %[[B]])
// CHECK: %[[S:.*]] = vector.transfer_read %[[SCALE]][%{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<8xi32>, vector<8xi32>
// CHECK: %[[P:.*]] = arith.muli %[[ACC]]#0, %[[S]] : vector<8xi32>
// CHECK: %[[SEVEN:.*]] = arith.constant dense<7> : vector<8xi32>
// CHECK: %[[Q:.*]] = arith.addi %[[P]], %[[SEVEN]] : vector<8xi32>
// CHECK: %[[R:.*]] = arith.trunci %[[Q]] : vector<8xi32> to vector<8xi8>
// CHECK: vector.transfer_write %[[R]], %{{.*}}[%[[M]], %{{.*}}] {in_bounds = [true]} : vector<8xi8>, tensor<4x8xi8>
// CHECK-NOT: tensor<4x8xi32>
// CHECK-NOT: linalg.matmul
// NOFUSE-LABEL: func @bias_and_epilogue
// NOFUSE: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<4x8xi32>
// NOFUSE: linalg.generic
// NOFUSE-SAME: ins(%{{.*}}, %{{.*}} : tensor<4x8xi32>, tensor<8xi32>)
#col = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @bias_and_epilogue(%a: tensor<4x2xi8>) -> tensor<4x8xi8> {
  %w = arith.constant dense<1> : tensor<2x8xi8>
  %bias = arith.constant dense<[1, 2, 3, 4, 5, 6, 7, 8]> : tensor<8xi32>
  %scale = arith.constant dense<[2, 2, 2, 2, 3, 3, 3, 3]> : tensor<8xi32>
  %c7 = arith.constant 7 : i32
  %e = tensor.empty() : tensor<4x8xi32>
  %init = linalg.generic {indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]} ins(%bias : tensor<8xi32>) outs(%e : tensor<4x8xi32>) {
  ^bb0(%in: i32, %out: i32):
    linalg.yield %in : i32
  } -> tensor<4x8xi32>
  %r = linalg.matmul ins(%a, %w : tensor<4x2xi8>, tensor<2x8xi8>) outs(%init : tensor<4x8xi32>) -> tensor<4x8xi32>
  %o = tensor.empty() : tensor<4x8xi8>
  %q = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%r, %scale : tensor<4x8xi32>, tensor<8xi32>) outs(%o : tensor<4x8xi8>) {
  ^bb0(%acc: i32, %s: i32, %out: i8):
    %p = arith.muli %acc, %s : i32
    %t = arith.addi %p, %c7 : i32
    %y = arith.trunci %t : i32 to i8
    linalg.yield %y : i8
  } -> tensor<4x8xi8>
  return %q : tensor<4x8xi8>
}

// -----

// Two kernels in a row: the first one's epilogue (truncation to i8) is
// the second one's input. The second kernel is matched after the first is
// rewritten, so it widens the first kernel's result (the loop nest's i8
// tensor), not the erased epilogue.
// CHECK-LABEL: func @back_to_back
// CHECK: %[[FIRST:.*]] = scf.for {{.*}} -> (tensor<4x8xi8>)
// CHECK: linalg.generic {{.*}} ins(%[[FIRST]] : tensor<4x8xi8>) outs(%{{.*}} : tensor<4x8xi16>)
// CHECK: scf.for {{.*}} -> (tensor<4x8xi8>)
// CHECK-NOT: linalg.matmul
#id3 = affine_map<(d0, d1) -> (d0, d1)>
func.func @back_to_back(%a: tensor<4x8xi8>) -> tensor<4x8xi8> {
  %w = arith.constant dense<1> : tensor<8x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<4x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<4x8xi32>) -> tensor<4x8xi32>
  %o = tensor.empty() : tensor<4x8xi8>
  %r1 = linalg.matmul ins(%a, %w : tensor<4x8xi8>, tensor<8x8xi8>) outs(%f : tensor<4x8xi32>) -> tensor<4x8xi32>
  %q1 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel"]} ins(%r1 : tensor<4x8xi32>) outs(%o : tensor<4x8xi8>) {
  ^bb0(%x: i32, %out: i8):
    %y = arith.trunci %x : i32 to i8
    linalg.yield %y : i8
  } -> tensor<4x8xi8>
  %r2 = linalg.matmul ins(%q1, %w : tensor<4x8xi8>, tensor<8x8xi8>) outs(%f : tensor<4x8xi32>) -> tensor<4x8xi32>
  %q2 = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel"]} ins(%r2 : tensor<4x8xi32>) outs(%o : tensor<4x8xi8>) {
  ^bb0(%x: i32, %out: i8):
    %y = arith.trunci %x : i32 to i8
    linalg.yield %y : i8
  } -> tensor<4x8xi8>
  return %q2 : tensor<4x8xi8>
}

// -----

// Not fused: the accumulators have a second user, or the consumer reads
// them through a non-identity map, or has a non-constant second input.
// CHECK-LABEL: func @epilogue_not_fused
// CHECK-COUNT-3: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<8x8xi32>
// CHECK-COUNT-3: linalg.generic
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
func.func @epilogue_not_fused(%a: tensor<8x2xi8>, %v: tensor<8x8xi32>) -> (tensor<8x8xi32>, tensor<8x8xi32>, tensor<8x8xi32>, tensor<8x8xi32>) {
  %w = arith.constant dense<1> : tensor<2x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<8x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<8x8xi32>) -> tensor<8x8xi32>
  %r1 = linalg.matmul ins(%a, %w : tensor<8x2xi8>, tensor<2x8xi8>) outs(%f : tensor<8x8xi32>) -> tensor<8x8xi32>
  %g1 = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%r1 : tensor<8x8xi32>) outs(%e : tensor<8x8xi32>) {
  ^bb0(%x: i32, %o: i32):
    %y = arith.addi %x, %x : i32
    linalg.yield %y : i32
  } -> tensor<8x8xi32>
  %r2 = linalg.matmul ins(%a, %w : tensor<8x2xi8>, tensor<2x8xi8>) outs(%f : tensor<8x8xi32>) -> tensor<8x8xi32>
  %g2 = linalg.generic {indexing_maps = [#tr, #id2], iterator_types = ["parallel", "parallel"]} ins(%r2 : tensor<8x8xi32>) outs(%e : tensor<8x8xi32>) {
  ^bb0(%x: i32, %o: i32):
    linalg.yield %x : i32
  } -> tensor<8x8xi32>
  %r3 = linalg.matmul ins(%a, %w : tensor<8x2xi8>, tensor<2x8xi8>) outs(%f : tensor<8x8xi32>) -> tensor<8x8xi32>
  %g3 = linalg.generic {indexing_maps = [#id2, #id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%r3, %v : tensor<8x8xi32>, tensor<8x8xi32>) outs(%e : tensor<8x8xi32>) {
  ^bb0(%x: i32, %z: i32, %o: i32):
    %y = arith.addi %x, %z : i32
    linalg.yield %y : i32
  } -> tensor<8x8xi32>
  return %r1, %g1, %g2, %g3 : tensor<8x8xi32>, tensor<8x8xi32>, tensor<8x8xi32>, tensor<8x8xi32>
}

// -----

// avx512vnni: 16 lanes and K quads. B[k][n] = k + 1 for K = 5, N = 2: one
// block, two quads; quad 0 holds B[0..3][c] per column c: [1, 2, 3, 4] for
// columns 0 and 1, zeros for columns 2..15; quad 1 holds B[4][c] = 5 and
// zeros. The activations are offset to u8 by flipping the sign bit (xori
// -128) and padded to K = 8; the accumulators start at minus 128 x the
// column sums (128 x 15 = 1920), zero past N. Per quad: one i32 broadcast
// per row, one vector<64xi8> of weights, and the plain vpdpbusd form.
// VNNI-LABEL: func @vnni
// VNNI-DAG: %[[COMP:.*]] = arith.constant dense<[1920, 1920, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]> : tensor<16xi32>
// VNNI-DAG: %[[B:.*]] = arith.constant dense<"0x0102030401020304{{(00)+}}0500000005{{(00)+}}"> : tensor<1x2x64xi8>
// VNNI: linalg.generic
// VNNI: arith.xori %{{.*}}, %{{.*}} : i8
// VNNI: tensor.pad %{{.*}} low[0, 0] high[0, 3]
// VNNI: scf.for
// VNNI: %[[C:.*]] = vector.transfer_read %[[COMP]]
// VNNI: %[[S:.*]] = arith.subi %{{.*}}, %[[C]] : vector<16xi32>
// VNNI: scf.for {{.*}} iter_args(%[[ACC:[^ ]*]] = %[[S]],
// VNNI: vector.transfer_read %{{.*}} : tensor<3x8xi8>, vector<4xi8>
// VNNI: vector.broadcast %{{.*}} : i32 to vector<16xi32>
// VNNI: vector.bitcast %{{.*}} : vector<16xi32> to vector<64xi8>
// VNNI: vector.transfer_read %[[B]]{{.*}} : tensor<1x2x64xi8>, vector<64xi8>
// VNNI: vector.shuffle %{{.*}} [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi8>, vector<64xi8>
// VNNI: arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// VNNI: arith.extsi %{{.*}} : vector<16xi8> to vector<16xi32>
// VNNI: %[[P0:.*]] = arith.muli
// VNNI: %[[R0:.*]] = arith.addi %[[ACC]], %[[P0]] : vector<16xi32>
func.func @vnni(%a: tensor<3x5xi8>) -> tensor<3x2xi32> {
  %b = arith.constant dense<[[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]]> : tensor<5x2xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x2xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x2xi32>) -> tensor<3x2xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x5xi8>, tensor<5x2xi8>) outs(%f : tensor<3x2xi32>) -> tensor<3x2xi32>
  return %r : tensor<3x2xi32>
}

// -----

// M = 14 rows, N = 8 (one column block): the tile keeps its 12
// accumulators as 12 rows x 1 block (m-tile 6 x n-blocks 2 by default). The
// row chunks cover the 12 rows of full tiles, then one tile of the 2
// remaining rows (starting at row 12) runs over the column blocks.
// CHECK-LABEL: func @remainder_rows
// CHECK: %[[C12:.*]] = arith.constant 12 : index
// CHECK: %[[MAIN:.*]] = scf.for {{.*}} to %[[C12]]
// CHECK: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// CHECK-COUNT-12: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<14x8xi32>
// CHECK: } {qnt.parallel}
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[MAIN]])
// CHECK: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>)
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%[[C12]], %{{.*}}] {in_bounds = [true]} : vector<8xi32>, tensor<14x8xi32>
// CHECK: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<14x8xi32>
// CHECK-NOT: vector.transfer_write
// CHECK: return
func.func @remainder_rows(%a: tensor<14x2xi8>) -> tensor<14x8xi32> {
  %w = arith.constant dense<1> : tensor<2x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<14x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<14x8xi32>) -> tensor<14x8xi32>
  %r = linalg.matmul ins(%a, %w : tensor<14x2xi8>, tensor<2x8xi8>) outs(%f : tensor<14x8xi32>) -> tensor<14x8xi32>
  return %r : tensor<14x8xi32>
}

// -----

// N = 24: three column blocks with n-blocks 2. In each row chunk a loop
// over the full panels of 2 blocks (up to block 2), then one panel of the
// remaining block 2 (columns 16..23), both with 6-row tiles.
// CHECK-LABEL: func @remainder_columns
// CHECK: scf.for
// CHECK: %[[NMAIN:.*]] = arith.constant 2 : index
// CHECK: %[[PANELS:.*]] = scf.for %{{.*}} = %{{.*}} to %[[NMAIN]] step
// CHECK: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[PANELS]])
// CHECK: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// CHECK: %[[COL:.*]] = arith.muli %c2{{[_0-9]*}}, %c8{{[_0-9]*}} : index
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%{{.*}}, %[[COL]]] {in_bounds = [true]} : vector<8xi32>, tensor<12x24xi32>
// CHECK: } {qnt.parallel}
// CHECK-NOT: vector.transfer_write
// CHECK: return
func.func @remainder_columns(%a: tensor<12x2xi8>) -> tensor<12x24xi32> {
  %w = arith.constant dense<1> : tensor<2x24xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<12x24xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<12x24xi32>) -> tensor<12x24xi32>
  %r = linalg.matmul ins(%a, %w : tensor<12x2xi8>, tensor<2x24xi8>) outs(%f : tensor<12x24xi32>) -> tensor<12x24xi32>
  return %r : tensor<12x24xi32>
}

// -----

// Dilation along W: the codes of a filter row are not contiguous, so one
// linalg.generic gathers input[n, oh + kh, ow + 2 kw, c] into
// [N, OH, OW, KH, KW, C] widened to i16, collapsed to [N OH OW, KH KW C]
// (K = 4: no padding).
// CHECK-DAG: #[[DGATHER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1 + d3, d2 + d4 * 2, d5)>
// CHECK-LABEL: func @dilated
// CHECK: %[[P:.*]] = linalg.generic {indexing_maps = [#[[DGATHER]], #{{.*}}], {{.*}} ins(%arg0 : tensor<1x2x4x2xi8>) outs(%{{.*}} : tensor<1x2x2x1x2x2xi16>)
// CHECK: arith.extsi %{{.*}} : i8 to i16
// CHECK: tensor.collapse_shape %[[P]] {{\[\[}}0, 1, 2], [3, 4, 5]] : tensor<1x2x2x1x2x2xi16> into tensor<4x4xi16>
// CHECK-NOT: linalg.conv_2d
func.func @dilated(%x: tensor<1x2x4x2xi8>) -> tensor<1x2x2x8xi32> {
  %w = arith.constant dense<1> : tensor<8x1x2x2xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x2x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x2x8xi32>) -> tensor<1x2x2x8xi32>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x2x4x2xi8>, tensor<8x1x2x2xi8>) outs(%f : tensor<1x2x2x8xi32>) -> tensor<1x2x2x8xi32>
  return %y : tensor<1x2x2x8xi32>
}

// -----

// avx2 with 7-bit weights (every weight in [-64, 63]; saturation-free-quads,
// the default): the quad form of avx512vnni on 8 lanes. B[k][n] = k - 2 for
// K = 5, N = 8 (-64 and 63 in column 7 of rows 0 and 1): one block, two
// quads packed as [1, 2, 32] i8; activations offset to u8, K padded to 8;
// the accumulators start at minus 128 x the column sums (columns 0..6:
// 128 x 0 = 0; column 7: 128 x (-64 + 63 + 0 + 1 + 2) = 256, so -256).
// QUADS-LABEL: func @seven_bit
// QUADS-DAG: %[[COMP:.*]] = arith.constant dense<[0, 0, 0, 0, 0, 0, 0, 256]> : tensor<8xi32>
// QUADS-DAG: %[[B:.*]] = arith.constant dense<{{\[\[\[}}-2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -64, 63, 0, 1], [2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]]]> : tensor<1x2x32xi8>
// QUADS: linalg.generic
// QUADS: arith.xori %{{.*}}, %{{.*}} : i8
// QUADS: tensor.pad %{{.*}} low[0, 0] high[0, 3]
// QUADS: %[[C:.*]] = vector.transfer_read %[[COMP]]
// QUADS: %[[S:.*]] = arith.subi %{{.*}}, %[[C]] : vector<8xi32>
// QUADS: scf.for {{.*}} iter_args(%[[ACC:[^ ]*]] = %[[S]],
// QUADS: vector.transfer_read %{{.*}} : tensor<3x8xi8>, vector<4xi8>
// QUADS: vector.broadcast %{{.*}} : i32 to vector<8xi32>
// QUADS: vector.bitcast %{{.*}} : vector<8xi32> to vector<32xi8>
// QUADS: vector.transfer_read %[[B]]{{.*}} : tensor<1x2x32xi8>, vector<32xi8>
// QUADS: vector.shuffle %{{.*}} [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
// QUADS: arith.extui %{{.*}} : vector<8xi8> to vector<8xi32>
// QUADS: arith.extsi %{{.*}} : vector<8xi8> to vector<8xi32>
// QUADS: %[[P0:.*]] = arith.muli
// QUADS: %[[R0:.*]] = arith.addi %[[ACC]], %[[P0]] : vector<8xi32>
// Weights -65 and -64 in one K pair of column 7 (|-129| > 128: vpmaddubsw
// could saturate on them): the i16 pair form.
// QUADS-LABEL: func @eight_bit
// QUADS-NOT: arith.xori
// QUADS: arith.extsi %{{.*}} : i8 to i16
// QUADS: tensor<1x3x16xi16>
// avxvnni (vpdpbusd on ymm: exact for any weights): both take the quads on
// 8 lanes in K order, -65 and -64 included (column 7 sums to -126: its
// accumulators start at 128 x 126).
// AVXVNNI-LABEL: func @seven_bit
// AVXVNNI: tensor<1x2x32xi8>
// AVXVNNI-LABEL: func @eight_bit
// AVXVNNI-DAG: arith.constant dense<[0, 0, 0, 0, 0, 0, 0, -16128]> : tensor<8xi32>
// AVXVNNI-DAG: arith.constant dense<{{\[\[\[}}-2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -2, -1, 0, 1, -65, -64, 0, 1], [2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]]]> : tensor<1x2x32xi8>
// AVXVNNI: arith.xori %{{.*}}, %{{.*}} : i8
// AVXVNNI: vector.transfer_read %{{.*}} : tensor<1x2x32xi8>, vector<32xi8>
// AVXVNNI: arith.extui %{{.*}} : vector<8xi8> to vector<8xi32>
func.func @seven_bit(%a: tensor<3x5xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<[[-2, -2, -2, -2, -2, -2, -2, -64], [-1, -1, -1, -1, -1, -1, -1, 63], [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2]]> : tensor<5x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x5xi8>, tensor<5x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}
func.func @eight_bit(%a: tensor<3x5xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<[[-2, -2, -2, -2, -2, -2, -2, -65], [-1, -1, -1, -1, -1, -1, -1, -64], [0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 2, 2, 2, 2, 2, 2]]> : tensor<5x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x5xi8>, tensor<5x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}
// -----

// 8-bit weights whose K pairs all have |w0 + w1| <= 128 in every column
// (127 + 1, -64 - 64, -128 + 0, 127 - 127, 100 - 100, 64 + 64): vpmaddubsw
// cannot saturate on them, so the quads as they are. Column 1's weights sum
// to -128: its accumulators start at 128 x 128.
// QUADS-LABEL: func @eight_bit_pairs
// QUADS-DAG: arith.constant dense<[0, -16384, 0, 0, 0, 0, 0, 0]> : tensor<8xi32>
// QUADS-DAG: arith.constant dense<{{\[\[\[}}127, 1, -64, -64, -128, 0, 127, -127, 100, -100, 0, 0, 64, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<1x1x32xi8>
// QUADS: arith.xori
// One pair over the bound in K order (64 + 65 in column 3), but K
// reorders into saturation-free pairs: codes 0 and 2, 1 and 3 (a maximum
// matching of the codes that may share a pair). The packed weights take
// that order; per row the activations are read whole, offset and shuffled
// into it by a copy loop (marked parallel) before the kernel.
// QUADS-LABEL: func @reordered_k
// QUADS-DAG: arith.constant dense<{{\[\[\[}}127, -64, 1, -64, -128, 127, 0, -127, 100, 0, -100, 0, 64, -128, 65, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<1x1x32xi8>
// QUADS: scf.for
// QUADS: %[[R:.*]] = vector.transfer_read %{{.*}} : tensor<3x4xi8>, vector<4xi8>
// QUADS: %[[X:.*]] = arith.xori %[[R]]
// QUADS: %[[S:.*]] = vector.shuffle %[[X]], %[[X]] [0, 2, 1, 3] : vector<4xi8>, vector<4xi8>
// QUADS: vector.transfer_write %[[S]], %{{.*}} : vector<4xi8>, tensor<3x4xi8>
// QUADS: } {qnt.parallel}
// QUADS: vector<32xi8>
// K = 30 codes alternating 100 and -100, then two more 100s: 14 pairs
// (100 - 100) and the two codes left over each beside a padding slot (zero
// weight, filled with code 0): 32 slots, 8 quads.
// QUADS-LABEL: func @k_order_with_padding
// QUADS: vector.shuffle %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 0, 29, 0] : vector<30xi8>, vector<30xi8>
// QUADS: tensor<1x8x32xi8>
// No two codes may share a pair (every weight 100): an order would take
// twice the slots, more than the quads save: the i16 pairs.
// QUADS-LABEL: func @k_order_too_long
// QUADS-NOT: arith.xori
// QUADS: tensor<1x2x16xi16>
// K = 32: codes 0..23 alternating 100 and -100 (12 pairs), then eight
// more 100s that pair with none. In pair slots: the quads with each of
// those beside padding 0.85 x 40 = 34, the i16 pairs 32, the 6 quads and
// a tail of i16 pairs for the eight 0.85 x 24 + 8 + 2.5 = 30.9: the tail.
// The copy loop writes both operands per row: the quads' codes offset
// and in order, the tail's codes (24..31) as read, widened to i16. The
// tail's loop starts from the quad loop's accumulators; the compensation
// counts the quads' weights only (12 x (100 - 100) = 0).
// QUADS-LABEL: func @k_split
// QUADS-DAG: %[[Q:.*]] = arith.constant dense<"0x649C{{.*}}"> : tensor<1x6x32xi8>
// QUADS-DAG: %[[T:.*]] = arith.constant dense<100> : tensor<1x4x16xi16>
// QUADS-DAG: %[[COMP:.*]] = arith.constant dense<0> : tensor<8xi32>
// QUADS: %[[COPY:.*]]:2 = scf.for {{.*}} -> (tensor<3x24xi8>, tensor<3x8xi16>) {
// QUADS: %[[ROW:.*]] = vector.transfer_read {{.*}} : tensor<3x32xi8>, vector<32xi8>
// QUADS: %[[X:.*]] = arith.xori %[[ROW]]
// QUADS: vector.shuffle %[[X]], %[[X]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23] : vector<32xi8>, vector<32xi8>
// QUADS: %[[TS:.*]] = vector.shuffle %[[ROW]], %[[ROW]] [24, 25, 26, 27, 28, 29, 30, 31] : vector<32xi8>, vector<32xi8>
// QUADS: arith.extsi %[[TS]] : vector<8xi8> to vector<8xi16>
// QUADS: } {qnt.parallel}
// QUADS: %[[QL:.*]]:3 = scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>) {
// QUADS: vector.transfer_read %[[COPY]]#0{{.*}} : tensor<3x24xi8>, vector<4xi8>
// QUADS: vector.transfer_read %[[Q]]
// QUADS: arith.extui
// QUADS: scf.for {{.*}} iter_args({{.*}} = %[[QL]]#0, {{.*}} = %[[QL]]#1, {{.*}} = %[[QL]]#2)
// QUADS: vector.transfer_read %[[COPY]]#1{{.*}} : tensor<3x8xi16>, vector<2xi16>
// QUADS: vector.transfer_read %[[T]]
// QUADS-NOT: arith.extui
// QUADS: arith.extsi %{{.*}} : vector<8xi16> to vector<8xi32>
// QUADS-NOT: scf.for
// QUADS: return
// Codes 100, -100, 100, 100: one pair. The quads with the other two
// beside padding 0.85 x 8 = 6.8, a quad and a tail (one of them beside
// padding in the quad) 0.85 x 4 + 2 + 2.5 = 7.9, the pairs 4: the pairs.
// QUADS-LABEL: func @k_split_not_worth_it
// QUADS-NOT: arith.xori
// QUADS: tensor<1x2x16xi16>
// avxvnni needs no order: every function takes the quads in K order (no
// copy loop, no shuffle).
// AVXVNNI-LABEL: func @eight_bit_pairs
// AVXVNNI-NOT: vector.shuffle %{{.*}} [0, 2, 1, 3]
// AVXVNNI: tensor<1x1x32xi8>
// AVXVNNI-LABEL: func @reordered_k
// AVXVNNI-NOT: vector.shuffle %{{.*}} [0, 2, 1, 3]
// AVXVNNI: arith.constant dense<{{\[\[\[}}127, 1, -64, -64, -128, 0, 127, -127, 100, -100, 0, 0, 64, 65, -128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]]> : tensor<1x1x32xi8>
// AVXVNNI-LABEL: func @k_order_with_padding
// AVXVNNI-NOT: vector.shuffle {{.*}} : vector<30xi8>, vector<30xi8>
// AVXVNNI-LABEL: func @k_order_too_long
// AVXVNNI: arith.xori
// AVXVNNI: tensor<1x1x32xi8>
func.func @eight_bit_pairs(%a: tensor<3x4xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<[[127, -128, 100, 64, 0, 0, 0, 0], [1, 0, -100, 64, 0, 0, 0, 0], [-64, 127, 0, -128, 0, 0, 0, 0], [-64, -127, 0, 0, 0, 0, 0, 0]]> : tensor<4x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x4xi8>, tensor<4x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}
func.func @reordered_k(%a: tensor<3x4xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<[[127, -128, 100, 64, 0, 0, 0, 0], [1, 0, -100, 65, 0, 0, 0, 0], [-64, 127, 0, -128, 0, 0, 0, 0], [-64, -127, 0, 0, 0, 0, 0, 0]]> : tensor<4x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x4xi8>, tensor<4x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}
func.func @k_order_with_padding(%a: tensor<3x30xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<[[100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100]]> : tensor<30x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x30xi8>, tensor<30x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}
func.func @k_order_too_long(%a: tensor<3x4xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<100> : tensor<4x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x4xi8>, tensor<4x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}
func.func @k_split(%a: tensor<3x32xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<[[100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100]]> : tensor<32x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x32xi8>, tensor<32x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}
func.func @k_split_not_worth_it(%a: tensor<3x4xi8>) -> tensor<3x8xi32> {
  %b = arith.constant dense<[[100, 100, 100, 100, 100, 100, 100, 100], [-100, -100, -100, -100, -100, -100, -100, -100], [100, 100, 100, 100, 100, 100, 100, 100], [100, 100, 100, 100, 100, 100, 100, 100]]> : tensor<4x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<3x8xi32>) -> tensor<3x8xi32>
  %r = linalg.matmul ins(%a, %b : tensor<3x4xi8>, tensor<4x8xi8>) outs(%f : tensor<3x8xi32>) -> tensor<3x8xi32>
  return %r : tensor<3x8xi32>
}

// -----

// A convolution's filter rows reordered into saturation-free pairs: KH = 2,
// KW C = 3 codes per filter row (run 3, padded to 4 slots, the padding's
// weight zero). Row 0 (100, 100, 20 in columns 0-6; -100, 100, 20 in
// column 7): 100 + 100 > 128, so the codes go in the order 0, 2, 1,
// padding (100 + 20 and 100 + 0); row 1 (50, 60, 70; column 7 50, 60, -70)
// keeps its order. The packed weights follow (K = 2 x 4 = two quads), the
// compensation is 128 x the column sums as before (column 7: 128 x 60); per
// pixel each row's codes are read 4 wide (the extra code stays in the
// input row), row 0's put in order by a shuffle (row 1's need none: the
// padding slot keeps what was read) and written at 0 and 4; the last
// column reads the exact 3 codes and fills the padding slot with code 0.
// QUADS-LABEL: func @reordered_rows
// QUADS-DAG: arith.constant dense<{{\[\[\[}}100, 20, 100, 0, 100, 20, 100, 0, 100, 20, 100, 0, 100, 20, 100, 0, 100, 20, 100, 0, 100, 20, 100, 0, 100, 20, 100, 0, -100, 20, 100, 0], [50, 60, 70, 0, 50, 60, 70, 0, 50, 60, 70, 0, 50, 60, 70, 0, 50, 60, 70, 0, 50, 60, 70, 0, 50, 60, 70, 0, 50, 60, -70, 0]]]> : tensor<1x2x32xi8>
// QUADS-DAG: arith.constant dense<[51200, 51200, 51200, 51200, 51200, 51200, 51200, 7680]> : tensor<8xi32>
// QUADS: %[[R0:.*]] = vector.transfer_read {{.*}} : tensor<1x3x5xi8>, vector<4xi8>
// QUADS: %[[X0:.*]] = arith.xori %[[R0]]
// QUADS: %[[S0:.*]] = vector.shuffle %[[X0]], %[[X0]] [0, 2, 1, 3] : vector<4xi8>, vector<4xi8>
// QUADS: %[[T0:.*]] = vector.transfer_write %[[S0]], %{{.*}}[%{{.*}}, %c0{{.*}}] {{.*}} : vector<4xi8>, tensor<6x8xi8>
// QUADS: %[[R1:.*]] = vector.transfer_read {{.*}} : tensor<1x3x5xi8>, vector<4xi8>
// QUADS: %[[X1:.*]] = arith.xori %[[R1]]
// QUADS-NEXT: %[[C4:.*]] = arith.constant 4 : index
// QUADS-NEXT: vector.transfer_write %[[X1]], %[[T0]][%{{.*}}, %[[C4]]] {{.*}} : vector<4xi8>, tensor<6x8xi8>
// QUADS: vector.transfer_read {{.*}} : tensor<1x3x5xi8>, vector<3xi8>
// QUADS: vector.shuffle %{{.*}} [0, 2, 1, 0] : vector<3xi8>, vector<3xi8>
// QUADS: vector.transfer_read {{.*}} : tensor<1x3x5xi8>, vector<3xi8>
// QUADS: vector.shuffle %{{.*}} [0, 1, 2, 0] : vector<3xi8>, vector<3xi8>
// QUADS: vector.transfer_read {{.*}} : tensor<1x2x32xi8>, vector<32xi8>
// Three codes of 100 in a row of 3: no order pairs them (only one padding
// slot): the i16 pairs, the runs as they are.
// QUADS-LABEL: func @no_row_order
// QUADS-NOT: arith.xori
// QUADS-NOT: vector.shuffle {{.*}} : vector<4xi8>
// QUADS: tensor<1x3x16xi16>
func.func @reordered_rows(%x: tensor<1x3x5x1xi8>) -> tensor<1x2x3x8xi32> {
  %w = arith.constant dense<[[[[100], [100], [20]], [[50], [60], [70]]], [[[100], [100], [20]], [[50], [60], [70]]], [[[100], [100], [20]], [[50], [60], [70]]], [[[100], [100], [20]], [[50], [60], [70]]], [[[100], [100], [20]], [[50], [60], [70]]], [[[100], [100], [20]], [[50], [60], [70]]], [[[100], [100], [20]], [[50], [60], [70]]], [[[-100], [100], [20]], [[50], [60], [-70]]]]> : tensor<8x2x3x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x3x8xi32>) -> tensor<1x2x3x8xi32>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x5x1xi8>, tensor<8x2x3x1xi8>) outs(%f : tensor<1x2x3x8xi32>) -> tensor<1x2x3x8xi32>
  return %y : tensor<1x2x3x8xi32>
}
func.func @no_row_order(%x: tensor<1x3x5x1xi8>) -> tensor<1x2x3x8xi32> {
  %w = arith.constant dense<[[[[100], [100], [100]], [[50], [60], [70]]], [[[100], [100], [100]], [[50], [60], [70]]], [[[100], [100], [100]], [[50], [60], [70]]], [[[100], [100], [100]], [[50], [60], [70]]], [[[100], [100], [100]], [[50], [60], [70]]], [[[100], [100], [100]], [[50], [60], [70]]], [[[100], [100], [100]], [[50], [60], [70]]], [[[100], [100], [100]], [[50], [60], [70]]]]> : tensor<8x2x3x1xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x3x8xi32>) -> tensor<1x2x3x8xi32>
  %y = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x5x1xi8>, tensor<8x2x3x1xi8>) outs(%f : tensor<1x2x3x8xi32>) -> tensor<1x2x3x8xi32>
  return %y : tensor<1x2x3x8xi32>
}

// -----

// Row chunks: K = 2048 i16 pairs take 4 KiB per row, so 256 KiB hold 64
// rows; N = 8 (one block) makes the m-tile 12 rows: 25 tiles of M = 300,
// at most 5 per chunk. 5 tiles per chunk would make 5 chunks, 3 of them (15
// tiles) on one of 2 threads, 2 of them (10) on one of 4; 4 per chunk: 7
// chunks, 16 and 8 tiles; 3 per chunk: 9 chunks, 15 and 9 tiles, the
// fewest for the busiest thread on 2 threads, then on 4: chunks of 36
// rows (the last of 12).
// CHECK-LABEL: func @chunks
// CHECK-DAG: %[[C36:.*]] = arith.constant 36 : index
// CHECK-DAG: %[[C300:.*]] = arith.constant 300 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[C300]] step %[[C36]]
// CHECK: } {qnt.parallel}
func.func @chunks(%a: tensor<300x2048xi8>) -> tensor<300x8xi32> {
  %w = arith.constant dense<100> : tensor<2048x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<300x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<300x8xi32>) -> tensor<300x8xi32>
  %r = linalg.matmul ins(%a, %w : tensor<300x2048xi8>, tensor<2048x8xi8>) outs(%f : tensor<300x8xi32>) -> tensor<300x8xi32>
  return %r : tensor<300x8xi32>
}

// -----

// N = 16, a multiple of 8: per row the two blocks' accumulators go through
// the epilogue as one 16-lane vector (its parameters read 16 at a time)
// and one 16-byte store, so the narrowing packs two registers into one.
// CHECK-LABEL: func @paired_epilogue
// CHECK: %[[ACC:.*]]:4 = scf.for
// CHECK: %[[S:.*]] = vector.transfer_read %{{.*}}[%{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<16xi32>, vector<16xi32>
// CHECK: %[[BOTH:.*]] = vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<8xi32>, vector<8xi32>
// CHECK: %[[P:.*]] = arith.muli %[[BOTH]], %[[S]] : vector<16xi32>
// CHECK: %[[R:.*]] = arith.trunci %[[P]] : vector<16xi32> to vector<16xi8>
// CHECK: vector.transfer_write %[[R]], {{.*}} {in_bounds = [true]} : vector<16xi8>, tensor<2x16xi8>
// CHECK: vector.shuffle %[[ACC]]#2, %[[ACC]]#3
// CHECK-NOT: vector<8xi8>
// NOFUSE-LABEL: func @paired_epilogue
// NOFUSE-NOT: vector<16xi32>
#colp = affine_map<(d0, d1) -> (d1)>
#idp = affine_map<(d0, d1) -> (d0, d1)>
func.func @paired_epilogue(%a: tensor<2x2xi8>) -> tensor<2x16xi8> {
  %w = arith.constant dense<1> : tensor<2x16xi8>
  %scale = arith.constant dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]> : tensor<16xi32>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x16xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<2x16xi32>) -> tensor<2x16xi32>
  %r = linalg.matmul ins(%a, %w : tensor<2x2xi8>, tensor<2x16xi8>) outs(%f : tensor<2x16xi32>) -> tensor<2x16xi32>
  %o = tensor.empty() : tensor<2x16xi8>
  %q = linalg.generic {indexing_maps = [#idp, #colp, #idp], iterator_types = ["parallel", "parallel"]} ins(%r, %scale : tensor<2x16xi32>, tensor<16xi32>) outs(%o : tensor<2x16xi8>) {
  ^bb0(%acc: i32, %s: i32, %out: i8):
    %p = arith.muli %acc, %s : i32
    %y = arith.trunci %p : i32 to i8
    linalg.yield %y : i8
  } -> tensor<2x16xi8>
  return %q : tensor<2x16xi8>
}

// -----

// N = 28: the last block overlaps the one before (it starts at 20, not
// 24), so two blocks are not always contiguous: one block at a time.
// CHECK-LABEL: func @unpaired_epilogue
// CHECK-NOT: vector<16xi32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<8xi8>, tensor<2x28xi8>
// CHECK-NOT: vector<16xi32>
#colu = affine_map<(d0, d1) -> (d1)>
#idu = affine_map<(d0, d1) -> (d0, d1)>
func.func @unpaired_epilogue(%a: tensor<2x2xi8>) -> tensor<2x28xi8> {
  %w = arith.constant dense<1> : tensor<2x28xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x28xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<2x28xi32>) -> tensor<2x28xi32>
  %r = linalg.matmul ins(%a, %w : tensor<2x2xi8>, tensor<2x28xi8>) outs(%f : tensor<2x28xi32>) -> tensor<2x28xi32>
  %o = tensor.empty() : tensor<2x28xi8>
  %q = linalg.generic {indexing_maps = [#idu, #idu], iterator_types = ["parallel", "parallel"]} ins(%r : tensor<2x28xi32>) outs(%o : tensor<2x28xi8>) {
  ^bb0(%acc: i32, %out: i8):
    %y = arith.trunci %acc : i32 to i8
    linalg.yield %y : i8
  } -> tensor<2x28xi8>
  return %q : tensor<2x28xi8>
}
