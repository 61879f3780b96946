// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-tile-and-vectorize))" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-tile-and-vectorize{vector-width=8 ow-tile=4}))" | FileCheck %s --check-prefix=SMALL

// 2-D convolution: tiles of 8 output pixels x 16 channels (ow-tile 4 x 8 with
// the SMALL options), one filter tap per iteration, vectorized as a
// contraction over the input channels.
// CHECK-LABEL: func @conv
// CHECK-COUNT-4: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<1x10x18x8xf32>, vector<1x8x8xf32>
// CHECK: vector.contract {{.*}} vector<1x8x8xf32>, vector<8x16xf32> into vector<1x8x16xf32>
// CHECK-NOT: linalg.conv
// SMALL-LABEL: func @conv
// SMALL: vector.contract {{.*}} vector<1x4x8xf32>, vector<8x8xf32> into vector<1x4x8xf32>
func.func @conv(%x: tensor<1x10x18x8xf32>, %w: tensor<3x3x8x32xf32>, %init: tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x10x18x8xf32>, tensor<3x3x8x32xf32>) outs(%init : tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32>
  return %0 : tensor<1x8x16x32xf32>
}

// -----

// Depthwise: channel vectors of 16, element-wise FMAs.
// CHECK-LABEL: func @depthwise
// CHECK: vector.fma {{.*}} : vector<1x7x16xf32>
// CHECK-NOT: linalg.depthwise
func.func @depthwise(%x: tensor<1x9x9x32xf32>, %w: tensor<3x3x32xf32>, %init: tensor<1x7x7x32xf32>) -> tensor<1x7x7x32xf32> {
  %0 = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x9x9x32xf32>, tensor<3x3x32xf32>) outs(%init : tensor<1x7x7x32xf32>) -> tensor<1x7x7x32xf32>
  return %0 : tensor<1x7x7x32xf32>
}

// -----

// Element-wise: innermost dimension by 16, the one before by 8. 28 is not a
// multiple of 8: the largest divisor <= 8 (7) keeps tiles static.
// CHECK-LABEL: func @elementwise
// CHECK: scf.for
// CHECK: vector.transfer_read {{.*}} : tensor<1x28x28x32xf32>, vector<1x1x7x16xf32>
// CHECK: arith.maximumf {{.*}} : vector<1x1x7x16xf32>
func.func @elementwise(%x: tensor<1x28x28x32xf32>) -> tensor<1x28x28x32xf32> {
  %e = tensor.empty() : tensor<1x28x28x32xf32>
  %cst = arith.constant 0.0 : f32
  %0 = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<1x28x28x32xf32>) outs(%e : tensor<1x28x28x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %in, %cst : f32
    linalg.yield %r : f32
  } -> tensor<1x28x28x32xf32>
  return %0 : tensor<1x28x28x32xf32>
}

// -----

// Matmul: 8 x 16 tiles, K by 64.
// CHECK-LABEL: func @matmul
// CHECK-COUNT-3: scf.for
// CHECK: vector.contract {{.*}} vector<8x64xf32>, vector<64x16xf32> into vector<8x16xf32>
func.func @matmul(%a: tensor<16x128xf32>, %b: tensor<128x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<16x128xf32>, tensor<128x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %0 : tensor<16x32xf32>
}

// -----

// i1 results are tiled but not vectorized: LLVM stores vector<N x i1> as
// packed bits while memref<i1> holds one byte per element.
// CHECK-LABEL: func @compare
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK-NOT: vector.transfer_write
func.func @compare(%a: tensor<4x32xf32>, %b: tensor<4x32xf32>) -> tensor<4x32xi1> {
  %e = tensor.empty() : tensor<4x32xi1>
  %0 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%a, %b : tensor<4x32xf32>, tensor<4x32xf32>) outs(%e : tensor<4x32xi1>) {
  ^bb0(%x: f32, %y: f32, %out: i1):
    %c = arith.cmpf ogt, %x, %y : f32
    linalg.yield %c : i1
  } -> tensor<4x32xi1>
  return %0 : tensor<4x32xi1>
}

// -----

// The outermost tile loop over a parallel dimension with more than one tile
// is marked qnt.parallel (its iterations write disjoint tiles): here the
// loop over M (two tiles of 8). A single-tile dimension is skipped, and a
// tiled reduction outside everything else (K alone) is not marked.
// CHECK-LABEL: func @parallel_marks
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.contract
// CHECK: } {qnt.parallel}
// CHECK: scf.for
// CHECK: vector.contract
// CHECK-NOT: qnt.parallel
// CHECK: return
func.func @parallel_marks(%a: tensor<16x128xf32>, %b: tensor<128x32xf32>, %c: tensor<16x32xf32>, %a2: tensor<8x128xf32>, %b2: tensor<128x16xf32>, %c2: tensor<8x16xf32>) -> (tensor<16x32xf32>, tensor<8x16xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<16x128xf32>, tensor<128x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  %1 = linalg.matmul ins(%a2, %b2 : tensor<8x128xf32>, tensor<128x16xf32>) outs(%c2 : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %0, %1 : tensor<16x32xf32>, tensor<8x16xf32>
}

// -----

// An element-wise op over 12 channels (not a multiple of the width) with
// identity maps only: collapsed to one dimension of 2 x 3 x 12 = 72
// elements first, so the vector loop has whole vectors but for one tail
// at the end (SMALL, width 8: 9 tiles of 8).
// SMALL-LABEL: func @collapse_elementwise
// SMALL: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : tensor<2x3x12xi8> into tensor<72xi8>
// SMALL: scf.for
// SMALL: vector.transfer_read {{.*}} : tensor<72xi8>, vector<8xi8>
// SMALL: tensor.expand_shape %{{.*}} {{\[\[}}0, 1, 2]] output_shape [2, 3, 12] : tensor<72xi8> into tensor<2x3x12xi8>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @collapse_elementwise(%a: tensor<2x3x12xi8>, %b: tensor<2x3x12xi8>) -> tensor<2x3x12xi8> {
  %e = tensor.empty() : tensor<2x3x12xi8>
  %r = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%a, %b : tensor<2x3x12xi8>, tensor<2x3x12xi8>) outs(%e : tensor<2x3x12xi8>) {
  ^bb0(%x: i8, %y: i8, %o: i8):
    %s = arith.addi %x, %y : i8
    linalg.yield %s : i8
  } -> tensor<2x3x12xi8>
  return %r : tensor<2x3x12xi8>
}

// -----

// Left as it is: a broadcast operand (the map of %b is not the identity).
// SMALL-LABEL: func @no_collapse_broadcast
// SMALL-NOT: tensor.collapse_shape
// SMALL: return
#id3b = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#last = affine_map<(d0, d1, d2) -> (d2)>
func.func @no_collapse_broadcast(%a: tensor<2x3x12xi8>, %b: tensor<12xi8>) -> tensor<2x3x12xi8> {
  %e = tensor.empty() : tensor<2x3x12xi8>
  %r = linalg.generic {indexing_maps = [#id3b, #last, #id3b], iterator_types = ["parallel", "parallel", "parallel"]} ins(%a, %b : tensor<2x3x12xi8>, tensor<12xi8>) outs(%e : tensor<2x3x12xi8>) {
  ^bb0(%x: i8, %y: i8, %o: i8):
    %s = arith.addi %x, %y : i8
    linalg.yield %s : i8
  } -> tensor<2x3x12xi8>
  return %r : tensor<2x3x12xi8>
}

// -----

// A tensor assembled from parts (what tosa.concat leaves): each part is
// written into its slice of one allocation by a vectorized copy (a tensor
// part) or fill (a splat constant part) and inserted back in place, rather
// than bufferizing to strided runtime copies. Copies and fills of i8 take
// up to a register of bytes per vector (4 x vector-width): whole 24-byte
// rows here, not 8-byte pieces.
// SMALL-LABEL: func @concat
// SMALL-SAME: (%[[A:.*]]: tensor<1x4x4x24xi8>)
// SMALL-DAG: %[[ZP:.*]] = arith.constant dense<-128> : vector<1x1x4x4xi8>
// SMALL: %[[BUF:.*]] = bufferization.alloc_tensor() : tensor<1x4x4x28xi8>
// SMALL: %[[S0:.*]] = tensor.extract_slice %[[BUF]][0, 0, 0, 0] [1, 4, 4, 24] [1, 1, 1, 1]
// SMALL: %[[C:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[S0]])
// SMALL: vector.transfer_read %[[A]]{{.*}} : tensor<1x4x4x24xi8>, vector<1x1x4x24xi8>
// SMALL: vector.transfer_write {{.*}} : vector<1x1x4x24xi8>, tensor<1x4x4x24xi8>
// SMALL: %[[I0:.*]] = tensor.insert_slice %[[C]] into %[[BUF]][0, 0, 0, 0] [1, 4, 4, 24] [1, 1, 1, 1]
// SMALL: %[[S1:.*]] = tensor.extract_slice %[[I0]][0, 0, 0, 24] [1, 4, 4, 4] [1, 1, 1, 1]
// SMALL: %[[F:.*]] = scf.for {{.*}} iter_args(%[[T:.*]] = %[[S1]])
// SMALL: vector.transfer_write %[[ZP]], %[[T]]
// SMALL: %[[I1:.*]] = tensor.insert_slice %[[F]] into %[[I0]][0, 0, 0, 24] [1, 4, 4, 4] [1, 1, 1, 1]
// SMALL: return %[[I1]]
// SMALL-NOT: tensor.empty
func.func @concat(%a: tensor<1x4x4x24xi8>) -> tensor<1x4x4x28xi8> {
  %zp = arith.constant dense<-128> : tensor<1x4x4x4xi8>
  %e = tensor.empty() : tensor<1x4x4x28xi8>
  %0 = tensor.insert_slice %a into %e[0, 0, 0, 0] [1, 4, 4, 24] [1, 1, 1, 1] : tensor<1x4x4x24xi8> into tensor<1x4x4x28xi8>
  %1 = tensor.insert_slice %zp into %0[0, 0, 0, 24] [1, 4, 4, 4] [1, 1, 1, 1] : tensor<1x4x4x4xi8> into tensor<1x4x4x28xi8>
  return %1 : tensor<1x4x4x28xi8>
}

// -----

// Constant pads: the whole channel dimension is collapsed into the last
// padded one ([1, 6, 6, 8] -> [1, 6, 48]), then fills of the border slabs
// (rows 0 and 5 whole, then the 8 bytes of columns 0 and 5 of rows 1..4)
// and a copy of the source into the interior in rows of 32 contiguous
// bytes, all into one allocation per pad, expanded back: with tensor.empty,
// CSE would merge the two pads' identical fills and the two interiors would
// conflict in one buffer.
// SMALL-LABEL: func @two_pads
// SMALL-SAME: (%[[A:.*]]: tensor<1x4x4x8xi8>, %[[B:.*]]: tensor<1x4x4x8xi8>)
// SMALL-DAG: %[[C0:.*]] = arith.constant 0 : index
// SMALL-DAG: %[[C1:.*]] = arith.constant 1 : index
// SMALL-DAG: %[[C8:.*]] = arith.constant 8 : index
// SMALL-DAG: %[[C40:.*]] = arith.constant 40 : index
// SMALL-DAG: %[[ROW:.*]] = arith.constant dense<-128> : vector<1x1x24xi8>
// SMALL-DAG: %[[COLUMN:.*]] = arith.constant dense<-128> : vector<1x4x8xi8>
// SMALL: %[[AC:.*]] = tensor.collapse_shape %[[A]] {{\[}}[0], [1], [2, 3]] : tensor<1x4x4x8xi8> into tensor<1x4x32xi8>
// SMALL: %[[P0:.*]] = bufferization.alloc_tensor() : tensor<1x6x48xi8>
// SMALL: %[[TOP:.*]] = tensor.extract_slice %[[P0]][0, 0, 0] [1, 1, 48] [1, 1, 1]
// SMALL: scf.for {{.*}} iter_args(%[[TT:.*]] = %[[TOP]])
// SMALL: vector.transfer_write %[[ROW]], %[[TT]]
// SMALL: %[[T0:.*]] = tensor.insert_slice %{{.*}} into %[[P0]][0, 0, 0] [1, 1, 48] [1, 1, 1]
// SMALL: %[[BOTTOM:.*]] = tensor.extract_slice %[[T0]][0, 5, 0] [1, 1, 48] [1, 1, 1]
// SMALL: scf.for {{.*}} iter_args(%[[BT:.*]] = %[[BOTTOM]])
// SMALL: vector.transfer_write %[[ROW]], %[[BT]]
// SMALL: %[[B0:.*]] = tensor.insert_slice %{{.*}} into %[[T0]][0, 5, 0] [1, 1, 48] [1, 1, 1]
// SMALL: %[[L0:.*]] = vector.transfer_write %[[COLUMN]], %[[B0]][%[[C0]], %[[C1]], %[[C0]]]
// SMALL: %[[R0:.*]] = vector.transfer_write %[[COLUMN]], %[[L0]][%[[C0]], %[[C1]], %[[C40]]]
// SMALL: %[[IN0:.*]] = vector.transfer_read %[[AC]][%[[C0]], %[[C0]], %[[C0]]], %{{.*}} {in_bounds = [true, true, true]} : tensor<1x4x32xi8>, vector<1x4x32xi8>
// SMALL: %[[CP0:.*]] = vector.transfer_write %[[IN0]], %[[R0]][%[[C0]], %[[C1]], %[[C8]]]
// SMALL: %[[OUT0:.*]] = tensor.expand_shape %[[CP0]] {{\[}}[0], [1], [2, 3]] output_shape [1, 6, 6, 8] : tensor<1x6x48xi8> into tensor<1x6x6x8xi8>
// SMALL: %[[BC:.*]] = tensor.collapse_shape %[[B]]
// SMALL: %[[P1:.*]] = bufferization.alloc_tensor() : tensor<1x6x48xi8>
// SMALL: tensor.extract_slice %[[P1]][0, 0, 0] [1, 1, 48] [1, 1, 1]
// SMALL: vector.transfer_read %[[BC]]
// SMALL: %[[OUT1:.*]] = tensor.expand_shape
// SMALL: return %[[OUT0]], %[[OUT1]]
func.func @two_pads(%a: tensor<1x4x4x8xi8>, %b: tensor<1x4x4x8xi8>) -> (tensor<1x6x6x8xi8>, tensor<1x6x6x8xi8>) {
  %c = arith.constant -128 : i8
  %0 = tensor.pad %a low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %c : i8
  } : tensor<1x4x4x8xi8> to tensor<1x6x6x8xi8>
  %1 = tensor.pad %b low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %c : i8
  } : tensor<1x4x4x8xi8> to tensor<1x6x6x8xi8>
  return %0, %1 : tensor<1x6x6x8xi8>, tensor<1x6x6x8xi8>
}

// -----

// An insertion into a tensor that is not being assembled (here an
// argument, whose other elements matter) and a non-constant part: left to
// bufferization.
// SMALL-LABEL: func @insert_into_argument
// SMALL-NEXT: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1]
// SMALL-NEXT: return
func.func @insert_into_argument(%a: tensor<1x4x4x8xi8>, %d: tensor<1x4x4x16xi8>) -> tensor<1x4x4x16xi8> {
  %0 = tensor.insert_slice %a into %d[0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xi8> into tensor<1x4x4x16xi8>
  return %0 : tensor<1x4x4x16xi8>
}

// -----

// With a batch before the first padded dimension the whole tensor is
// filled (border slabs under a batch loop are tiny, and LLVM unrolls the
// batch loop into thousands of stores), then the source is copied in.
// SMALL-LABEL: func @batched_pad
// SMALL: %[[A:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<2x4x4x8xi8> into tensor<2x4x32xi8>
// SMALL: %[[P:.*]] = bufferization.alloc_tensor() : tensor<2x6x48xi8>
// SMALL: %[[F:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[P]]) -> (tensor<2x6x48xi8>)
// SMALL-NOT: tensor.insert_slice
// SMALL: %[[S:.*]] = tensor.extract_slice %[[F]][0, 1, 8] [2, 4, 32] [1, 1, 1]
// SMALL: %[[C:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[S]])
// SMALL: vector.transfer_read %[[A]]{{.*}} : tensor<2x4x32xi8>, vector<1x4x32xi8>
// SMALL: %[[R:.*]] = tensor.insert_slice %[[C]] into %[[F]][0, 1, 8] [2, 4, 32] [1, 1, 1]
// SMALL: %[[E:.*]] = tensor.expand_shape %[[R]] {{\[}}[0], [1], [2, 3]] output_shape [2, 6, 6, 8]
// SMALL: return %[[E]]
func.func @batched_pad(%a: tensor<2x4x4x8xi8>) -> tensor<2x6x6x8xi8> {
  %c = arith.constant 0 : i8
  %0 = tensor.pad %a low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %c : i8
  } : tensor<2x4x4x8xi8> to tensor<2x6x6x8xi8>
  return %0 : tensor<2x6x6x8xi8>
}

// -----

// int8 max pooling takes a register of channels per vector (32 i8 lanes
// with vector-width 8, here all 28): with vector-width lanes the channels
// were tiled by 7 and pooled in 7-byte pieces.
// SMALL-LABEL: func @max_pool_i8
// SMALL-NOT: step %c7
// SMALL: vector.transfer_read %{{.*}} : tensor<1x8x8x28xi8>, vector<1x7x28xi8>
// SMALL: arith.maxsi %{{.*}}, %{{.*}} : vector<1x1x28xi8>
// SMALL: return
func.func @max_pool_i8(%x: tensor<1x8x8x28xi8>) -> tensor<1x4x4x28xi8> {
  %min = arith.constant -128 : i8
  %e = tensor.empty() : tensor<1x4x4x28xi8>
  %f = linalg.fill ins(%min : i8) outs(%e : tensor<1x4x4x28xi8>) -> tensor<1x4x4x28xi8>
  %w = tensor.empty() : tensor<2x2xi8>
  %r = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x8x8x28xi8>, tensor<2x2xi8>) outs(%f : tensor<1x4x4x28xi8>) -> tensor<1x4x4x28xi8>
  return %r : tensor<1x4x4x28xi8>
}

// -----

// A sum over H and W of NHWC codes (integer global average pooling): the
// channels are vectorized (the batch of 2 whole), every reduction loop
// takes one step per tile, so each step reads 8 channels of each image at
// one position and adds them to the accumulators (no 7 x 7 x 8 vector).
// SMALL-LABEL: func @spatial_sum
// SMALL: scf.for
// SMALL: scf.for
// SMALL: scf.for
// SMALL: scf.for
// SMALL: vector.transfer_read %{{.*}} : tensor<2x7x7x16xi8>, vector<2x1x1x8xi8>
// SMALL: arith.extsi %{{.*}} : vector<2x1x1x8xi8> to vector<2x1x1x8xi32>
// SMALL: vector.multi_reduction <add>, %{{.*}} [1, 2] : vector<2x1x1x8xi32> to vector<2x8xi32>
// SMALL-NOT: x7x7x8xi8>
func.func @spatial_sum(%x: tensor<2x7x7x16xi8>) -> tensor<2x16xi32> {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<2x16xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<2x16xi32>) -> tensor<2x16xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(n, h, w, c) -> (n, h, w, c)>, affine_map<(n, h, w, c) -> (n, c)>], iterator_types = ["parallel", "reduction", "reduction", "parallel"]} ins(%x : tensor<2x7x7x16xi8>) outs(%f : tensor<2x16xi32>) {
  ^bb0(%in: i8, %acc: i32):
    %v = arith.extsi %in : i8 to i32
    %s = arith.addi %acc, %v : i32
    linalg.yield %s : i32
  } -> tensor<2x16xi32>
  return %r : tensor<2x16xi32>
}

// -----

// An element-wise narrowing to i8 (a requantization's shape: i32 in, i8
// out) takes one register of results per vector, 4 x vector-width lanes,
// where that divides the innermost size: 64 channels in 32-lane vectors
// (SMALL, width 8), so the narrowing packs whole registers.
// SMALL-LABEL: func @narrowing_register
// SMALL-NOT: tensor.collapse_shape
// SMALL: vector.transfer_read {{.*}} : tensor<1x2x4x64xi32>, vector<1x1x4x32xi32>
// SMALL: arith.trunci {{.*}} : vector<1x1x4x32xi32> to vector<1x1x4x32xi8>
// SMALL: vector.transfer_write {{.*}} : vector<1x1x4x32xi8>, tensor<1x2x4x64xi8>
#id4n = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @narrowing_register(%a: tensor<1x2x4x64xi32>) -> tensor<1x2x4x64xi8> {
  %e = tensor.empty() : tensor<1x2x4x64xi8>
  %r = linalg.generic {indexing_maps = [#id4n, #id4n], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x2x4x64xi32>) outs(%e : tensor<1x2x4x64xi8>) {
  ^bb0(%x: i32, %o: i8):
    %t = arith.trunci %x : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x2x4x64xi8>
  return %r : tensor<1x2x4x64xi8>
}

// -----

// 24 channels (a multiple of the width, not of 32): collapsed to 1 x 2 x 4
// x 24 = 192 elements, 6 vectors of 32 lanes, rather than three 8-lane
// vectors per pixel (or one 24-lane one).
// SMALL-LABEL: func @narrowing_collapsed
// SMALL: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : tensor<1x2x4x24xi32> into tensor<192xi32>
// SMALL: vector.transfer_read {{.*}} : tensor<192xi32>, vector<32xi32>
// SMALL: vector.transfer_write {{.*}} : vector<32xi8>, tensor<192xi8>
#id4c = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @narrowing_collapsed(%a: tensor<1x2x4x24xi32>) -> tensor<1x2x4x24xi8> {
  %e = tensor.empty() : tensor<1x2x4x24xi8>
  %r = linalg.generic {indexing_maps = [#id4c, #id4c], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x2x4x24xi32>) outs(%e : tensor<1x2x4x24xi8>) {
  ^bb0(%x: i32, %o: i8):
    %t = arith.trunci %x : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x2x4x24xi8>
  return %r : tensor<1x2x4x24xi8>
}

// -----

// An f32 result keeps vector-width lanes (one register of f32).
// SMALL-LABEL: func @wide_result
// SMALL: vector.transfer_read {{.*}} : tensor<1x2x4x64xi32>, vector<1x1x4x8xi32>
// SMALL: vector.transfer_write {{.*}} : vector<1x1x4x8xf32>, tensor<1x2x4x64xf32>
#id4w = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @wide_result(%a: tensor<1x2x4x64xi32>) -> tensor<1x2x4x64xf32> {
  %e = tensor.empty() : tensor<1x2x4x64xf32>
  %r = linalg.generic {indexing_maps = [#id4w, #id4w], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%a : tensor<1x2x4x64xi32>) outs(%e : tensor<1x2x4x64xf32>) {
  ^bb0(%x: i32, %o: f32):
    %t = arith.sitofp %x : i32 to f32
    linalg.yield %t : f32
  } -> tensor<1x2x4x64xf32>
  return %r : tensor<1x2x4x64xf32>
}
