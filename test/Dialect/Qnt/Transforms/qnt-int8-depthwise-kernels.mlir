// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{ow-tile=2}))" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{ow-tile=2 fuse-epilogue=false}))" | FileCheck %s --check-prefix=NOFUSE
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{ow-tile=2 pair-rows=false}))" | FileCheck %s --check-prefix=SINGLE
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{lanes=16 ow-tile=2}))" | FileCheck %s --check-prefix=WIDE
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{lanes=0}))" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{implicit-padding=false}))" | FileCheck %s --check-prefix=BUILT
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{ow-tile=4}))" | FileCheck %s --check-prefix=REM
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-int8-depthwise-kernels{ow-tile=8}))" | FileCheck %s --check-prefix=BAL

// BAD: qnt-int8-depthwise-kernels: lanes and ow-tile must be positive

// A 2x2 filter over 8 channels (filter row 0: -3, row 1: 5), stride 2,
// OW = 3: one loop over (batch, row) pairs, marked qnt.parallel (the input
// rows of the filter rows computed there), and one over 8-channel blocks; a
// column loop of tiles of 2 (columns 0..1) and a remainder loop of single
// columns (column 2). The zero fill is not read: the accumulators start at
// zero. The two filter rows go together: per filter column, their weights
// interleaved per channel as i16 at compile time ([-3, 5] per channel),
// the input rows 2 oh and 2 oh + 1 at column 2 ow read and interleaved the
// same way, widened to i16; even lanes times even lanes plus odd times odd
// (vpmaddwd's plain form) is added to the accumulator; the tile is stored.
// With pair-rows=false each tap is one sign-extended multiply of an i32
// weight vector instead.
// CHECK-LABEL: func @depthwise
// CHECK-DAG: %[[WP:.*]] = arith.constant dense<{{\[\[\[}}-3, 5, -3, 5, -3, 5, -3, 5, -3, 5, -3, 5, -3, 5, -3, 5], [-3, 5, -3, 5, -3, 5, -3, 5, -3, 5, -3, 5, -3, 5, -3, 5]]]> : tensor<1x2x16xi16>
// CHECK: scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[N:.*]] = arith.divui %[[R]], %{{.*}} : index
// CHECK: %[[OH:.*]] = arith.remui %[[R]], %{{.*}} : index
// CHECK: %[[ROW:.*]] = arith.muli %[[OH]], %{{.*}} : index
// CHECK: %[[ROW1:.*]] = arith.addi %[[ROW]], %{{.*}} : index
// CHECK: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: scf.for %[[OW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[COL:.*]] = arith.muli %[[OW]], %{{.*}} : index
// CHECK: %[[C2:.*]] = arith.muli %[[C]], %{{.*}} : index
// CHECK: %[[W:.*]] = vector.transfer_read %[[WP]][%{{.*}}, %{{.*}}, %[[C2]]], %{{.*}} {in_bounds = [true]} : tensor<1x2x16xi16>, vector<16xi16>
// CHECK: %[[WE:.*]] = vector.shuffle %[[W]], %[[W]] [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
// CHECK: %[[WEX:.*]] = arith.extsi %[[WE]] : vector<8xi16> to vector<8xi32>
// CHECK: %[[WO:.*]] = vector.shuffle %[[W]], %[[W]] [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi16>, vector<16xi16>
// CHECK: %[[WOX:.*]] = arith.extsi %[[WO]] : vector<8xi16> to vector<8xi32>
// CHECK: %[[X0:.*]] = vector.transfer_read %arg0[%[[N]], %[[ROW]], %[[COL]], %[[C]]], %{{.*}} {in_bounds = [true]} : tensor<1x4x7x8xi8>, vector<8xi8>
// CHECK: %[[X1:.*]] = vector.transfer_read %arg0[%[[N]], %[[ROW1]], %[[COL]], %[[C]]], %{{.*}} {in_bounds = [true]} : tensor<1x4x7x8xi8>, vector<8xi8>
// CHECK: %[[XI:.*]] = vector.shuffle %[[X0]], %[[X1]] [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15] : vector<8xi8>, vector<8xi8>
// CHECK: %[[X:.*]] = arith.extsi %[[XI]] : vector<16xi8> to vector<16xi16>
// CHECK: %[[XE:.*]] = vector.shuffle %[[X]], %[[X]] [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
// CHECK: %[[XEX:.*]] = arith.extsi %[[XE]] : vector<8xi16> to vector<8xi32>
// CHECK: %[[PE:.*]] = arith.muli %[[XEX]], %[[WEX]] : vector<8xi32>
// CHECK: %[[XO:.*]] = vector.shuffle %[[X]], %[[X]] [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi16>, vector<16xi16>
// CHECK: %[[XOX:.*]] = arith.extsi %[[XO]] : vector<8xi16> to vector<8xi32>
// CHECK: %[[PO:.*]] = arith.muli %[[XOX]], %[[WOX]] : vector<8xi32>
// CHECK: %[[S:.*]] = arith.addi %[[PE]], %[[PO]] : vector<8xi32>
// CHECK: arith.addi %{{.*}}, %[[S]] : vector<8xi32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<8xi32>, tensor<1x2x3x8xi32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: } {qnt.parallel}
// CHECK-NOT: linalg.depthwise_conv_2d
// SINGLE-LABEL: func @depthwise
// SINGLE-NOT: xi16>
// SINGLE: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<2x2x8xi32>
// SINGLE: %[[OH:.*]] = arith.remui
// SINGLE: %[[ROW:.*]] = arith.muli %[[OH]], %{{.*}} : index
// SINGLE: scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// SINGLE: scf.for %[[OW:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// SINGLE: %[[COL:.*]] = arith.muli %[[OW]], %{{.*}} : index
// SINGLE: %[[W00:.*]] = vector.transfer_read %[[W]][%{{.*}}, %{{.*}}, %[[C]]], %{{.*}} {in_bounds = [true]} : tensor<2x2x8xi32>, vector<8xi32>
// SINGLE: %[[X:.*]] = vector.transfer_read %arg0[%{{.*}}, %[[ROW]], %[[COL]], %[[C]]], %{{.*}} {in_bounds = [true]} : tensor<1x4x7x8xi8>, vector<8xi8>
// SINGLE: %[[XW:.*]] = arith.extsi %[[X]] : vector<8xi8> to vector<8xi32>
// SINGLE: %[[P:.*]] = arith.muli %[[XW]], %[[W00]] : vector<8xi32>
// SINGLE: arith.addi %{{.*}}, %[[P]] : vector<8xi32>
// SINGLE-NOT: xi16>
// With 16 lanes (AVX-512) no pairs: LLVM would not form vpmaddwd from them.
// WIDE-LABEL: func @depthwise
// WIDE-NOT: xi16>
// WIDE: arith.muli %{{.*}} : vector<16xi32>
// WIDE-NOT: xi16>
func.func @depthwise(%x: tensor<1x4x7x8xi8>) -> tensor<1x2x3x8xi32> {
  %w = arith.constant dense<[[[-3, -3, -3, -3, -3, -3, -3, -3], [-3, -3, -3, -3, -3, -3, -3, -3]], [[5, 5, 5, 5, 5, 5, 5, 5], [5, 5, 5, 5, 5, 5, 5, 5]]]> : tensor<2x2x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x2x3x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x2x3x8xi32>) -> tensor<1x2x3x8xi32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x4x7x8xi8>, tensor<2x2x8xi8>) outs(%f : tensor<1x2x3x8xi32>) -> tensor<1x2x3x8xi32>
  return %r : tensor<1x2x3x8xi32>
}

// -----

// 12 channels: two 8-lane blocks, the second overlapping the first
// (channels 4..11: its start is min(c, 12 - 8)), so every access is a whole
// vector in bounds. The bias broadcast is not read: each block starts from
// its bias vector. The element-wise consumer (bias-free here: a per-channel
// shift and a truncation) runs on the accumulators; only i8 is stored.
// CHECK-LABEL: func @bias_epilogue_masked
// CHECK-DAG: %[[BIAS:.*]] = arith.constant dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]> : tensor<12xi32>
// CHECK-DAG: %[[SH:.*]] = arith.constant dense<[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]> : tensor<12xi32>
// CHECK: scf.for
// CHECK: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.for %[[C:[a-z0-9_]+]] = %{{.*}} to %[[C16]] step %{{.*}} iter_args
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[CC:.*]] = arith.minsi %[[C]], %[[C4]] : index
// CHECK: %[[B:.*]] = vector.transfer_read %[[BIAS]][%[[CC]]], %{{.*}} {in_bounds = [true]} : tensor<12xi32>, vector<8xi32>
// CHECK: %[[S:.*]] = vector.transfer_read %[[SH]][%[[CC]]], %{{.*}} {in_bounds = [true]} : tensor<12xi32>, vector<8xi32>
// CHECK: scf.for
// CHECK: %[[M:.*]] = arith.muli
// CHECK: %[[A:.*]] = arith.addi %[[B]], %[[M]] : vector<8xi32>
// CHECK: %[[Y:.*]] = arith.shrsi %{{.*}}, %[[S]] : vector<8xi32>
// CHECK: %[[T:.*]] = arith.trunci %[[Y]] : vector<8xi32> to vector<8xi8>
// CHECK: vector.transfer_write %[[T]], %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %[[CC]]] {in_bounds = [true]} : vector<8xi8>, tensor<1x1x2x12xi8>
// CHECK-NOT: tensor<1x1x2x12xi32>
// NOFUSE-LABEL: func @bias_epilogue_masked
// NOFUSE: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<1x1x2x12xi32>
// NOFUSE: linalg.generic
#c = affine_map<(d0, d1, d2, d3) -> (d3)>
#i = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @bias_epilogue_masked(%x: tensor<1x1x2x12xi8>) -> tensor<1x1x2x12xi8> {
  %w = arith.constant dense<2> : tensor<1x1x12xi8>
  %bias = arith.constant dense<[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]> : tensor<12xi32>
  %sh = arith.constant dense<[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]> : tensor<12xi32>
  %e = tensor.empty() : tensor<1x1x2x12xi32>
  %init = linalg.generic {indexing_maps = [#c, #i], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%bias : tensor<12xi32>) outs(%e : tensor<1x1x2x12xi32>) {
  ^bb0(%in: i32, %out: i32):
    linalg.yield %in : i32
  } -> tensor<1x1x2x12xi32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x1x2x12xi8>, tensor<1x1x12xi8>) outs(%init : tensor<1x1x2x12xi32>) -> tensor<1x1x2x12xi32>
  %o = tensor.empty() : tensor<1x1x2x12xi8>
  %q = linalg.generic {indexing_maps = [#i, #c, #i], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%r, %sh : tensor<1x1x2x12xi32>, tensor<12xi32>) outs(%o : tensor<1x1x2x12xi8>) {
  ^bb0(%acc: i32, %s: i32, %out: i8):
    %y = arith.shrsi %acc, %s : i32
    %t = arith.trunci %y : i32 to i8
    linalg.yield %t : i8
  } -> tensor<1x1x2x12xi8>
  return %q : tensor<1x1x2x12xi8>
}

// -----

// Left alone: a filter that is not a constant, and f32.
// CHECK-LABEL: func @left_alone
// CHECK-COUNT-2: linalg.depthwise_conv_2d_nhwc_hwc
func.func @left_alone(%x: tensor<1x3x3x8xi8>, %w: tensor<3x3x8xi8>, %y: tensor<1x3x3x8xf32>) -> (tensor<1x1x1x8xi32>, tensor<1x1x1x8xf32>) {
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x1x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x1x8xi32>) -> tensor<1x1x1x8xi32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x3x8xi8>, tensor<3x3x8xi8>) outs(%f : tensor<1x1x1x8xi32>) -> tensor<1x1x1x8xi32>
  %wf = arith.constant dense<1.0> : tensor<3x3x8xf32>
  %z = arith.constant 0.0 : f32
  %ef = tensor.empty() : tensor<1x1x1x8xf32>
  %ff = linalg.fill ins(%z : f32) outs(%ef : tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32>
  %rf = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%y, %wf : tensor<1x3x3x8xf32>, tensor<3x3x8xf32>) outs(%ff : tensor<1x1x1x8xf32>) -> tensor<1x1x1x8xf32>
  return %r, %rf : tensor<1x1x1x8xi32>, tensor<1x1x1x8xf32>
}

// -----

// Fewer channels than lanes: one partial block, masked (no in_bounds).
// CHECK-LABEL: func @narrow
// CHECK: vector.transfer_read %{{.*}} : tensor<1x1x1x6xi8>, vector<8xi8>
// CHECK: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<1x1x1x6xi32>
func.func @narrow(%x: tensor<1x1x1x6xi8>) -> tensor<1x1x1x6xi32> {
  %w = arith.constant dense<3> : tensor<1x1x6xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x1x6xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x1x6xi32>) -> tensor<1x1x1x6xi32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x1x1x6xi8>, tensor<1x1x6xi8>) outs(%f : tensor<1x1x1x6xi32>) -> tensor<1x1x1x6xi32>
  return %r : tensor<1x1x1x6xi32>
}

// -----

// Implicit padding: the input is a tensor.pad of H and W by 5 (a zero
// point), 1 on each side; the kernel reads the pad's source. Weights 2
// everywhere: a filter row in the padding adds 3 * 2 * 5 = 30 per channel
// (the compile-time [KH, C] sums). Output rows whose input rows are all
// inside (rows 1..2) run without checks (scf.if on all three); others test
// each filter row. Column 0 and column 3 are border columns (a select of
// the pad value for taps outside); columns 1..2 are the interior tile.
// With implicit-padding=false the padded tensor is built and read.
// Rows inside the input and interior columns take filter rows 0 and 1 as
// a pair (i16 weights [2, 2] per channel), row 2 alone.
// CHECK-LABEL: func @implicit_padding
// CHECK-NOT: tensor.pad
// CHECK-DAG: %[[CORR:.*]] = arith.constant dense<30> : tensor<3x8xi32>
// CHECK-DAG: %[[WP:.*]] = arith.constant dense<2> : tensor<1x3x16xi16>
// CHECK-DAG: %[[PV:.*]] = arith.constant dense<5> : vector<8xi32>
// CHECK: scf.for
// CHECK: scf.if
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[PV]] : vector<8xi32>
// CHECK: vector.transfer_read %arg0{{.*}} : tensor<1x4x4x8xi8>, vector<8xi8>
// CHECK: vector.transfer_read %[[WP]]
// CHECK: vector.transfer_read %[[CORR]]
// CHECK-NOT: tensor.pad
// BUILT-LABEL: func @implicit_padding
// BUILT: %[[P:.*]] = tensor.pad %arg0
// BUILT: vector.transfer_read %[[P]]{{.*}} : tensor<1x6x6x8xi8>, vector<8xi8>
// BUILT-NOT: arith.select
func.func @implicit_padding(%x: tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi32> {
  %w = arith.constant dense<2> : tensor<3x3x8xi8>
  %pv = arith.constant 5 : i8
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %pv : i8
  } : tensor<1x4x4x8xi8> to tensor<1x6x6x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x4x4x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%p, %w : tensor<1x6x6x8xi8>, tensor<3x3x8xi8>) outs(%f : tensor<1x4x4x8xi32>) -> tensor<1x4x4x8xi32>
  return %r : tensor<1x4x4x8xi32>
}

// -----

// OW = 7 with ow-tile=4: one tile loop over columns 0..3, then the three
// columns left over as one tile of 3 (a loop of one step: their taps share
// the input columns' reads like the main tile's), not one at a time.
// REM-LABEL: func @remainder_tile
// REM: scf.for %{{.*}} = %{{.*}} to %c4 step %{{.*}} iter_args
// REM-COUNT-4: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<1x1x7x8xi32>
// REM: scf.for %{{.*}} = %{{.*}} to %c7 step %c3 iter_args
// REM-COUNT-3: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<1x1x7x8xi32>
// REM-NOT: vector.transfer_write
// REM: } {qnt.parallel}
func.func @remainder_tile(%x: tensor<1x3x9x8xi8>) -> tensor<1x1x7x8xi32> {
  %w = arith.constant dense<3> : tensor<3x3x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x7x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x7x8xi32>) -> tensor<1x1x7x8xi32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x9x8xi8>, tensor<3x3x8xi8>) outs(%f : tensor<1x1x7x8xi32>) -> tensor<1x1x7x8xi32>
  return %r : tensor<1x1x7x8xi32>
}

// -----

// Ten columns at ow-tile 8 are two tiles of 5 (one loop, no remainder),
// not a tile of 8 and one of 2.
// BAL-LABEL: func @balanced_tiles
// BAL: scf.for %{{.*}} = %{{.*}} to %c10 step %c5 iter_args
// BAL-COUNT-5: vector.transfer_write %{{.*}} : vector<8xi32>, tensor<1x1x10x8xi32>
// BAL-NOT: vector.transfer_write
// BAL: } {qnt.parallel}
func.func @balanced_tiles(%x: tensor<1x3x12x8xi8>) -> tensor<1x1x10x8xi32> {
  %w = arith.constant dense<3> : tensor<3x3x8xi8>
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<1x1x10x8xi32>
  %f = linalg.fill ins(%c0 : i32) outs(%e : tensor<1x1x10x8xi32>) -> tensor<1x1x10x8xi32>
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x3x12x8xi8>, tensor<3x3x8xi8>) outs(%f : tensor<1x1x10x8xi32>) -> tensor<1x1x10x8xi32>
  return %r : tensor<1x1x10x8xi32>
}
