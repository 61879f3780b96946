// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-select-x86-intrinsics))" | FileCheck %s
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-select-x86-intrinsics{avx-vnni=true}))" | FileCheck %s --check-prefix=AVXVNNI

// The plain form of vpmaddwd becomes the intrinsic (products in either
// order).
// CHECK-LABEL: func @pmaddwd
// CHECK: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%arg0, %arg1) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK: return %[[R]]
func.func @pmaddwd(%a: vector<16xi16>, %b: vector<16xi16>) -> vector<8xi32> {
  %ae = vector.shuffle %a, %a [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
  %be = vector.shuffle %b, %b [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
  %ao = vector.shuffle %a, %a [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi16>, vector<16xi16>
  %bo = vector.shuffle %b, %b [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi16>, vector<16xi16>
  %xa = arith.extsi %ae : vector<8xi16> to vector<8xi32>
  %xb = arith.extsi %be : vector<8xi16> to vector<8xi32>
  %ya = arith.extsi %ao : vector<8xi16> to vector<8xi32>
  %yb = arith.extsi %bo : vector<8xi16> to vector<8xi32>
  %m0 = arith.muli %xa, %xb : vector<8xi32>
  %m1 = arith.muli %yb, %ya : vector<8xi32>
  %r = arith.addi %m1, %m0 : vector<8xi32>
  return %r : vector<8xi32>
}

// Not the same function: the odd product pairs a with itself.
// CHECK-LABEL: func @near_miss
// CHECK-NOT: llvm.call_intrinsic
// CHECK: arith.addi
func.func @near_miss(%a: vector<16xi16>, %b: vector<16xi16>) -> vector<8xi32> {
  %ae = vector.shuffle %a, %a [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
  %be = vector.shuffle %b, %b [0, 2, 4, 6, 8, 10, 12, 14] : vector<16xi16>, vector<16xi16>
  %ao = vector.shuffle %a, %a [1, 3, 5, 7, 9, 11, 13, 15] : vector<16xi16>, vector<16xi16>
  %xa = arith.extsi %ae : vector<8xi16> to vector<8xi32>
  %xb = arith.extsi %be : vector<8xi16> to vector<8xi32>
  %ya = arith.extsi %ao : vector<8xi16> to vector<8xi32>
  %m0 = arith.muli %xa, %xb : vector<8xi32>
  %m1 = arith.muli %ya, %ya : vector<8xi32>
  %r = arith.addi %m0, %m1 : vector<8xi32>
  return %r : vector<8xi32>
}

// -----

// The plain vpdpbusd form: four products of zero-extended lanes t, t+4, ...
// of %a and sign-extended lanes of %w, added to %acc one by one, becomes
// one call; the plain ops are gone.
// CHECK-LABEL: func @dpbusd
// CHECK-SAME: (%[[ACC:.*]]: vector<16xi32>, %[[A:.*]]: vector<64xi8>, %[[W:.*]]: vector<64xi8>)
// CHECK-NEXT: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[A]], %[[W]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK-NEXT: return %[[R]]
func.func @dpbusd(%acc: vector<16xi32>, %a: vector<64xi8>, %w: vector<64xi8>) -> vector<16xi32> {
  %a0 = vector.shuffle %a, %a [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi8>, vector<64xi8>
  %a1 = vector.shuffle %a, %a [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61] : vector<64xi8>, vector<64xi8>
  %a2 = vector.shuffle %a, %a [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62] : vector<64xi8>, vector<64xi8>
  %a3 = vector.shuffle %a, %a [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63] : vector<64xi8>, vector<64xi8>
  %w0 = vector.shuffle %w, %w [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi8>, vector<64xi8>
  %w1 = vector.shuffle %w, %w [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61] : vector<64xi8>, vector<64xi8>
  %w2 = vector.shuffle %w, %w [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62] : vector<64xi8>, vector<64xi8>
  %w3 = vector.shuffle %w, %w [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63] : vector<64xi8>, vector<64xi8>
  %ea0 = arith.extui %a0 : vector<16xi8> to vector<16xi32>
  %ea1 = arith.extui %a1 : vector<16xi8> to vector<16xi32>
  %ea2 = arith.extui %a2 : vector<16xi8> to vector<16xi32>
  %ea3 = arith.extui %a3 : vector<16xi8> to vector<16xi32>
  %ew0 = arith.extsi %w0 : vector<16xi8> to vector<16xi32>
  %ew1 = arith.extsi %w1 : vector<16xi8> to vector<16xi32>
  %ew2 = arith.extsi %w2 : vector<16xi8> to vector<16xi32>
  %ew3 = arith.extsi %w3 : vector<16xi8> to vector<16xi32>
  %p0 = arith.muli %ea0, %ew0 : vector<16xi32>
  %p1 = arith.muli %ea1, %ew1 : vector<16xi32>
  %p2 = arith.muli %ea2, %ew2 : vector<16xi32>
  %p3 = arith.muli %ea3, %ew3 : vector<16xi32>
  %s0 = arith.addi %acc, %p0 : vector<16xi32>
  %s1 = arith.addi %s0, %p1 : vector<16xi32>
  %s2 = arith.addi %s1, %p2 : vector<16xi32>
  %s3 = arith.addi %s2, %p3 : vector<16xi32>
  return %s3 : vector<16xi32>
}

// -----

// Near miss: lane 1's activation is sign-extended (not u8): left alone.
// CHECK-LABEL: func @dpbusd_signed_activation
// CHECK-NOT: llvm.call_intrinsic
func.func @dpbusd_signed_activation(%acc: vector<16xi32>, %a: vector<64xi8>, %w: vector<64xi8>) -> vector<16xi32> {
  %a0 = vector.shuffle %a, %a [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi8>, vector<64xi8>
  %a1 = vector.shuffle %a, %a [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61] : vector<64xi8>, vector<64xi8>
  %a2 = vector.shuffle %a, %a [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62] : vector<64xi8>, vector<64xi8>
  %a3 = vector.shuffle %a, %a [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63] : vector<64xi8>, vector<64xi8>
  %w0 = vector.shuffle %w, %w [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60] : vector<64xi8>, vector<64xi8>
  %w1 = vector.shuffle %w, %w [1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53, 57, 61] : vector<64xi8>, vector<64xi8>
  %w2 = vector.shuffle %w, %w [2, 6, 10, 14, 18, 22, 26, 30, 34, 38, 42, 46, 50, 54, 58, 62] : vector<64xi8>, vector<64xi8>
  %w3 = vector.shuffle %w, %w [3, 7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59, 63] : vector<64xi8>, vector<64xi8>
  %ea0 = arith.extui %a0 : vector<16xi8> to vector<16xi32>
  %ea1 = arith.extsi %a1 : vector<16xi8> to vector<16xi32>
  %ea2 = arith.extui %a2 : vector<16xi8> to vector<16xi32>
  %ea3 = arith.extui %a3 : vector<16xi8> to vector<16xi32>
  %ew0 = arith.extsi %w0 : vector<16xi8> to vector<16xi32>
  %ew1 = arith.extsi %w1 : vector<16xi8> to vector<16xi32>
  %ew2 = arith.extsi %w2 : vector<16xi8> to vector<16xi32>
  %ew3 = arith.extsi %w3 : vector<16xi8> to vector<16xi32>
  %p0 = arith.muli %ea0, %ew0 : vector<16xi32>
  %p1 = arith.muli %ea1, %ew1 : vector<16xi32>
  %p2 = arith.muli %ea2, %ew2 : vector<16xi32>
  %p3 = arith.muli %ea3, %ew3 : vector<16xi32>
  %s0 = arith.addi %acc, %p0 : vector<16xi32>
  %s1 = arith.addi %s0, %p1 : vector<16xi32>
  %s2 = arith.addi %s1, %p2 : vector<16xi32>
  %s3 = arith.addi %s2, %p3 : vector<16xi32>
  return %s3 : vector<16xi32>
}

// The 8-lane quad form (avx2 kernels with 7-bit weights) on weights read
// from a constant global whose elements all lie in [-64, 63]: vpmaddubsw
// (exact there: |2 x 255 x 64| < 2^15), vpmaddwd by ones, one add.
// CHECK-LABEL: func @quad_seven_bit
// CHECK-SAME: (%[[ACC:.*]]: vector<8xi32>, %[[A:.*]]: vector<32xi8>)
// CHECK: %[[W:.*]] = vector.load
// CHECK-NEXT: %[[S:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"(%[[A]], %[[W]]) : (vector<32xi8>, vector<32xi8>) -> vector<16xi16>
// CHECK-NEXT: %[[ONES:.*]] = arith.constant dense<1> : vector<16xi16>
// CHECK-NEXT: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%[[S]], %[[ONES]]) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK-NEXT: %[[R:.*]] = arith.addi %[[ACC]], %[[P]] : vector<8xi32>
// CHECK-NEXT: return %[[R]]
memref.global "private" constant @w7 : memref<2x32xi8> = dense<[[-64, 63, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [-64, 63, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]>
func.func @quad_seven_bit(%acc: vector<8xi32>, %a: vector<32xi8>) -> vector<8xi32> {
  %c0 = arith.constant 0 : index
  %g = memref.get_global @w7 : memref<2x32xi8>
  %w = vector.load %g[%c0, %c0] : memref<2x32xi8>, vector<32xi8>
  %a0 = vector.shuffle %a, %a [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %w0 = vector.shuffle %w, %w [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %ea0 = arith.extui %a0 : vector<8xi8> to vector<8xi32>
  %ew0 = arith.extsi %w0 : vector<8xi8> to vector<8xi32>
  %p0 = arith.muli %ea0, %ew0 : vector<8xi32>
  %a1 = vector.shuffle %a, %a [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %w1 = vector.shuffle %w, %w [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %ea1 = arith.extui %a1 : vector<8xi8> to vector<8xi32>
  %ew1 = arith.extsi %w1 : vector<8xi8> to vector<8xi32>
  %p1 = arith.muli %ea1, %ew1 : vector<8xi32>
  %a2 = vector.shuffle %a, %a [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %w2 = vector.shuffle %w, %w [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %ea2 = arith.extui %a2 : vector<8xi8> to vector<8xi32>
  %ew2 = arith.extsi %w2 : vector<8xi8> to vector<8xi32>
  %p2 = arith.muli %ea2, %ew2 : vector<8xi32>
  %a3 = vector.shuffle %a, %a [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %w3 = vector.shuffle %w, %w [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %ea3 = arith.extui %a3 : vector<8xi8> to vector<8xi32>
  %ew3 = arith.extsi %w3 : vector<8xi8> to vector<8xi32>
  %p3 = arith.muli %ea3, %ew3 : vector<8xi32>
  %s0 = arith.addi %acc, %p0 : vector<8xi32>
  %s1 = arith.addi %s0, %p1 : vector<8xi32>
  %s2 = arith.addi %s1, %p2 : vector<8xi32>
  %s3 = arith.addi %s2, %p3 : vector<8xi32>
  return %s3 : vector<8xi32>
}

// Left alone: weights -65 and -64 in one pair (|-129| > 128: vpmaddubsw
// could saturate), and weights that are not a read of a constant.
// CHECK-LABEL: func @quad_eight_bit
// CHECK-NOT: llvm.call_intrinsic
// CHECK-LABEL: func @quad_unknown_weights
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
// With avx-vnni every 8-lane quad step is the ymm vpdpbusd, whatever the
// weights (it does not saturate); the 16-lane one stays the zmm form and
// the i16 pairs vpmaddwd.
// AVXVNNI-LABEL: func @pmaddwd
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// AVXVNNI-LABEL: func @dpbusd
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// AVXVNNI-LABEL: func @quad_seven_bit
// AVXVNNI-SAME: (%[[ACC:.*]]: vector<8xi32>, %[[A:.*]]: vector<32xi8>)
// AVXVNNI: %[[W:.*]] = vector.load
// AVXVNNI-NEXT: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[ACC]], %[[A]], %[[W]]) : (vector<8xi32>, vector<32xi8>, vector<32xi8>) -> vector<8xi32>
// AVXVNNI-NEXT: return %[[R]]
// AVXVNNI-LABEL: func @quad_eight_bit
// AVXVNNI-NOT: pmadd
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// AVXVNNI-LABEL: func @quad_unknown_weights
// AVXVNNI-SAME: (%[[ACC:.*]]: vector<8xi32>, %[[A:.*]]: vector<32xi8>, %[[W:.*]]: vector<32xi8>)
// AVXVNNI-NEXT: %[[R:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%[[ACC]], %[[A]], %[[W]])
// AVXVNNI-NEXT: return %[[R]]
memref.global "private" constant @w8 : memref<2x32xi8> = dense<[[-65, -64, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [-65, -64, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]>
func.func @quad_eight_bit(%acc: vector<8xi32>, %a: vector<32xi8>) -> vector<8xi32> {
  %c0 = arith.constant 0 : index
  %g = memref.get_global @w8 : memref<2x32xi8>
  %w = vector.load %g[%c0, %c0] : memref<2x32xi8>, vector<32xi8>
  %a0 = vector.shuffle %a, %a [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %w0 = vector.shuffle %w, %w [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %ea0 = arith.extui %a0 : vector<8xi8> to vector<8xi32>
  %ew0 = arith.extsi %w0 : vector<8xi8> to vector<8xi32>
  %p0 = arith.muli %ea0, %ew0 : vector<8xi32>
  %a1 = vector.shuffle %a, %a [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %w1 = vector.shuffle %w, %w [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %ea1 = arith.extui %a1 : vector<8xi8> to vector<8xi32>
  %ew1 = arith.extsi %w1 : vector<8xi8> to vector<8xi32>
  %p1 = arith.muli %ea1, %ew1 : vector<8xi32>
  %a2 = vector.shuffle %a, %a [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %w2 = vector.shuffle %w, %w [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %ea2 = arith.extui %a2 : vector<8xi8> to vector<8xi32>
  %ew2 = arith.extsi %w2 : vector<8xi8> to vector<8xi32>
  %p2 = arith.muli %ea2, %ew2 : vector<8xi32>
  %a3 = vector.shuffle %a, %a [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %w3 = vector.shuffle %w, %w [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %ea3 = arith.extui %a3 : vector<8xi8> to vector<8xi32>
  %ew3 = arith.extsi %w3 : vector<8xi8> to vector<8xi32>
  %p3 = arith.muli %ea3, %ew3 : vector<8xi32>
  %s0 = arith.addi %acc, %p0 : vector<8xi32>
  %s1 = arith.addi %s0, %p1 : vector<8xi32>
  %s2 = arith.addi %s1, %p2 : vector<8xi32>
  %s3 = arith.addi %s2, %p3 : vector<8xi32>
  return %s3 : vector<8xi32>
}
func.func @quad_unknown_weights(%acc: vector<8xi32>, %a: vector<32xi8>, %w: vector<32xi8>) -> vector<8xi32> {
  %a0 = vector.shuffle %a, %a [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %w0 = vector.shuffle %w, %w [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %ea0 = arith.extui %a0 : vector<8xi8> to vector<8xi32>
  %ew0 = arith.extsi %w0 : vector<8xi8> to vector<8xi32>
  %p0 = arith.muli %ea0, %ew0 : vector<8xi32>
  %a1 = vector.shuffle %a, %a [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %w1 = vector.shuffle %w, %w [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %ea1 = arith.extui %a1 : vector<8xi8> to vector<8xi32>
  %ew1 = arith.extsi %w1 : vector<8xi8> to vector<8xi32>
  %p1 = arith.muli %ea1, %ew1 : vector<8xi32>
  %a2 = vector.shuffle %a, %a [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %w2 = vector.shuffle %w, %w [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %ea2 = arith.extui %a2 : vector<8xi8> to vector<8xi32>
  %ew2 = arith.extsi %w2 : vector<8xi8> to vector<8xi32>
  %p2 = arith.muli %ea2, %ew2 : vector<8xi32>
  %a3 = vector.shuffle %a, %a [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %w3 = vector.shuffle %w, %w [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %ea3 = arith.extui %a3 : vector<8xi8> to vector<8xi32>
  %ew3 = arith.extsi %w3 : vector<8xi8> to vector<8xi32>
  %p3 = arith.muli %ea3, %ew3 : vector<8xi32>
  %s0 = arith.addi %acc, %p0 : vector<8xi32>
  %s1 = arith.addi %s0, %p1 : vector<8xi32>
  %s2 = arith.addi %s1, %p2 : vector<8xi32>
  %s3 = arith.addi %s2, %p3 : vector<8xi32>
  return %s3 : vector<8xi32>
}

// 8-bit weights whose pairs (2i, 2i + 1) all have |w0 + w1| <= 128
// (127 + 1, -128 + 0, -64 - 64, 100 - 100, 64 + 64), read at an even
// offset: vpmaddubsw is exact on them. Read one element later, the pairs
// vpmaddubsw adds are (1, 1), (127, -128), ..., (-64, 100), (-100, 64),
// (64, 127): 64 + 127 > 128, so the chain is left alone (the check is of
// the pairs the read takes, not only of the values).
// CHECK-LABEL: func @quad_eight_bit_pairs
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// CHECK-LABEL: func @quad_eight_bit_pairs_odd_offset
// CHECK-NOT: llvm.call_intrinsic
// CHECK: return
memref.global "private" constant @w8pairs : memref<2x36xi8> = dense<[[127, 1, 1, 127, -128, 0, -64, -64, 100, -100, 64, 64, 127, 1, 1, 127, -128, 0, -64, -64, 100, -100, 64, 64, 127, 1, 1, 127, -128, 0, -64, -64, 100, -100, 64, 64], [127, 1, 1, 127, -128, 0, -64, -64, 100, -100, 64, 64, 127, 1, 1, 127, -128, 0, -64, -64, 100, -100, 64, 64, 127, 1, 1, 127, -128, 0, -64, -64, 100, -100, 64, 64]]>
func.func @quad_eight_bit_pairs(%acc: vector<8xi32>, %a: vector<32xi8>) -> vector<8xi32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %g = memref.get_global @w8pairs : memref<2x36xi8>
  %w = vector.load %g[%c0, %c2] : memref<2x36xi8>, vector<32xi8>
  %a0 = vector.shuffle %a, %a [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %w0 = vector.shuffle %w, %w [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %ea0 = arith.extui %a0 : vector<8xi8> to vector<8xi32>
  %ew0 = arith.extsi %w0 : vector<8xi8> to vector<8xi32>
  %p0 = arith.muli %ea0, %ew0 : vector<8xi32>
  %a1 = vector.shuffle %a, %a [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %w1 = vector.shuffle %w, %w [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %ea1 = arith.extui %a1 : vector<8xi8> to vector<8xi32>
  %ew1 = arith.extsi %w1 : vector<8xi8> to vector<8xi32>
  %p1 = arith.muli %ea1, %ew1 : vector<8xi32>
  %a2 = vector.shuffle %a, %a [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %w2 = vector.shuffle %w, %w [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %ea2 = arith.extui %a2 : vector<8xi8> to vector<8xi32>
  %ew2 = arith.extsi %w2 : vector<8xi8> to vector<8xi32>
  %p2 = arith.muli %ea2, %ew2 : vector<8xi32>
  %a3 = vector.shuffle %a, %a [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %w3 = vector.shuffle %w, %w [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %ea3 = arith.extui %a3 : vector<8xi8> to vector<8xi32>
  %ew3 = arith.extsi %w3 : vector<8xi8> to vector<8xi32>
  %p3 = arith.muli %ea3, %ew3 : vector<8xi32>
  %s0 = arith.addi %acc, %p0 : vector<8xi32>
  %s1 = arith.addi %s0, %p1 : vector<8xi32>
  %s2 = arith.addi %s1, %p2 : vector<8xi32>
  %s3 = arith.addi %s2, %p3 : vector<8xi32>
  return %s3 : vector<8xi32>
}
func.func @quad_eight_bit_pairs_odd_offset(%acc: vector<8xi32>, %a: vector<32xi8>) -> vector<8xi32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %g = memref.get_global @w8pairs : memref<2x36xi8>
  %w = vector.load %g[%c0, %c1] : memref<2x36xi8>, vector<32xi8>
  %a0 = vector.shuffle %a, %a [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %w0 = vector.shuffle %w, %w [0, 4, 8, 12, 16, 20, 24, 28] : vector<32xi8>, vector<32xi8>
  %ea0 = arith.extui %a0 : vector<8xi8> to vector<8xi32>
  %ew0 = arith.extsi %w0 : vector<8xi8> to vector<8xi32>
  %p0 = arith.muli %ea0, %ew0 : vector<8xi32>
  %a1 = vector.shuffle %a, %a [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %w1 = vector.shuffle %w, %w [1, 5, 9, 13, 17, 21, 25, 29] : vector<32xi8>, vector<32xi8>
  %ea1 = arith.extui %a1 : vector<8xi8> to vector<8xi32>
  %ew1 = arith.extsi %w1 : vector<8xi8> to vector<8xi32>
  %p1 = arith.muli %ea1, %ew1 : vector<8xi32>
  %a2 = vector.shuffle %a, %a [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %w2 = vector.shuffle %w, %w [2, 6, 10, 14, 18, 22, 26, 30] : vector<32xi8>, vector<32xi8>
  %ea2 = arith.extui %a2 : vector<8xi8> to vector<8xi32>
  %ew2 = arith.extsi %w2 : vector<8xi8> to vector<8xi32>
  %p2 = arith.muli %ea2, %ew2 : vector<8xi32>
  %a3 = vector.shuffle %a, %a [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %w3 = vector.shuffle %w, %w [3, 7, 11, 15, 19, 23, 27, 31] : vector<32xi8>, vector<32xi8>
  %ea3 = arith.extui %a3 : vector<8xi8> to vector<8xi32>
  %ew3 = arith.extsi %w3 : vector<8xi8> to vector<8xi32>
  %p3 = arith.muli %ea3, %ew3 : vector<8xi32>
  %s0 = arith.addi %acc, %p0 : vector<8xi32>
  %s1 = arith.addi %s0, %p1 : vector<8xi32>
  %s2 = arith.addi %s1, %p2 : vector<8xi32>
  %s3 = arith.addi %s2, %p3 : vector<8xi32>
  return %s3 : vector<8xi32>
}

// The requantization's high product, trunci((extsi(a) * extsi(m) + c) >> s)
// from i64 lanes, becomes the even/odd form: the i32 vectors bitcast to
// i64 lanes, even elements sign-extended in place (shift left then right
// by 32), odd ones duplicated into the even positions (a shuffle) and
// sign-extended the same way (vpmuldq reads the low halves; this form keeps
// LLVM's sign-bit knowledge when it hoists a loop-invariant operand), two
// products, the even results shifted right by s, the odd ones left by
// 32 - s, merged by masks (a blend) and bitcast back.
// CHECK-LABEL: func @high_product
// CHECK-SAME: (%[[A:.*]]: vector<8xi32>, %[[M:.*]]: vector<8xi32>)
// CHECK: %[[AW:.*]] = vector.bitcast %[[A]] : vector<8xi32> to vector<4xi64>
// CHECK: %[[C32:.*]] = arith.constant dense<32> : vector<4xi64>
// CHECK: %[[AL:.*]] = arith.shli %[[AW]], %[[C32]] : vector<4xi64>
// CHECK: %[[AE:.*]] = arith.shrsi %[[AL]], %[[C32]] : vector<4xi64>
// CHECK: %[[AD:.*]] = vector.shuffle %[[A]], %[[A]] [1, 1, 3, 3, 5, 5, 7, 7] : vector<8xi32>, vector<8xi32>
// CHECK: %[[ADW:.*]] = vector.bitcast %[[AD]] : vector<8xi32> to vector<4xi64>
// CHECK: %[[ADL:.*]] = arith.shli %[[ADW]], %[[C32]] : vector<4xi64>
// CHECK: %[[AO:.*]] = arith.shrsi %[[ADL]], %[[C32]] : vector<4xi64>
// CHECK: vector.bitcast %[[M]] : vector<8xi32> to vector<4xi64>
// CHECK: %[[ME:.*]] = arith.shrsi %{{.*}}, %{{.*}} : vector<4xi64>
// CHECK: vector.shuffle %[[M]], %[[M]] [1, 1, 3, 3, 5, 5, 7, 7]
// CHECK: %[[MO:.*]] = arith.shrsi %{{.*}}, %{{.*}} : vector<4xi64>
// CHECK: %[[PE:.*]] = arith.muli %[[AE]], %[[ME]] : vector<4xi64>
// CHECK: %[[PO:.*]] = arith.muli %[[AO]], %[[MO]] : vector<4xi64>
// CHECK: %[[C:.*]] = arith.constant dense<1073741824> : vector<4xi64>
// CHECK: %[[SE:.*]] = arith.addi %[[PE]], %[[C]] : vector<4xi64>
// CHECK: %[[SO:.*]] = arith.addi %[[PO]], %[[C]] : vector<4xi64>
// CHECK: %[[C31:.*]] = arith.constant dense<31> : vector<4xi64>
// CHECK: %[[E:.*]] = arith.shrui %[[SE]], %[[C31]] : vector<4xi64>
// CHECK: %[[C1:.*]] = arith.constant dense<1> : vector<4xi64>
// CHECK: %[[O:.*]] = arith.shli %[[SO]], %[[C1]] : vector<4xi64>
// CHECK: %[[LO:.*]] = arith.constant dense<4294967295> : vector<4xi64>
// CHECK: %[[EL:.*]] = arith.andi %[[E]], %[[LO]] : vector<4xi64>
// CHECK: %[[HI:.*]] = arith.constant dense<-4294967296> : vector<4xi64>
// CHECK: %[[OH:.*]] = arith.andi %[[O]], %[[HI]] : vector<4xi64>
// CHECK: %[[R:.*]] = arith.ori %[[EL]], %[[OH]] : vector<4xi64>
// CHECK: %[[RR:.*]] = vector.bitcast %[[R]] : vector<4xi64> to vector<8xi32>
// CHECK-NOT: arith.trunci
// CHECK: return %[[RR]]
func.func @high_product(%a: vector<8xi32>, %m: vector<8xi32>) -> vector<8xi32> {
  %c = arith.constant dense<1073741824> : vector<8xi64>
  %s = arith.constant dense<31> : vector<8xi64>
  %ae = arith.extsi %a : vector<8xi32> to vector<8xi64>
  %me = arith.extsi %m : vector<8xi32> to vector<8xi64>
  %p = arith.muli %ae, %me : vector<8xi64>
  %q = arith.addi %p, %c : vector<8xi64>
  %h = arith.shrui %q, %s : vector<8xi64>
  %t = arith.trunci %h : vector<8xi64> to vector<8xi32>
  return %t : vector<8xi32>
}

// A constant multiplier (values within i32) splits into its even and odd
// elements at compile time; without an addend there is no add. Both
// products are shifted right and interleaved by a shuffle: an odd product
// shifted left would let LLVM fold the shift into the constant multiplier,
// which then no longer fits vpmuldq.
// CHECK-LABEL: func @high_product_constant
// CHECK: %[[ME:.*]] = arith.constant dense<[1, 3, 5, 7]> : vector<4xi64>
// CHECK: %[[MO:.*]] = arith.constant dense<[2, 4, 6, -2147483648]> : vector<4xi64>
// CHECK: %[[PE:.*]] = arith.muli %{{.*}}, %[[ME]] : vector<4xi64>
// CHECK: %[[PO:.*]] = arith.muli %{{.*}}, %[[MO]] : vector<4xi64>
// CHECK-NOT: arith.addi
// CHECK: %[[C32:.*]] = arith.constant dense<32> : vector<4xi64>
// CHECK: arith.shrui %[[PE]], %[[C32]]
// CHECK: arith.shrui %[[PO]], %[[C32]]
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 8, 2, 10, 4, 12, 6, 14]
func.func @high_product_constant(%a: vector<8xi32>) -> vector<8xi32> {
  %m = arith.constant dense<[1, 2, 3, 4, 5, 6, 7, -2147483648]> : vector<8xi64>
  %s = arith.constant dense<32> : vector<8xi64>
  %ae = arith.extsi %a : vector<8xi32> to vector<8xi64>
  %p = arith.muli %ae, %m : vector<8xi64>
  %h = arith.shrsi %p, %s : vector<8xi64>
  %t = arith.trunci %h : vector<8xi64> to vector<8xi32>
  return %t : vector<8xi32>
}

// Left alone: a shift above 32 (the low 32 bits of the result would need
// bits of both halves), a constant beyond i32, an operand that is not
// sign-extended.
// CHECK-LABEL: func @high_product_near_misses
// CHECK-NOT: vector.bitcast
// CHECK-COUNT-3: arith.trunci
func.func @high_product_near_misses(%a: vector<8xi32>, %b: vector<8xi32>) -> (vector<8xi32>, vector<8xi32>, vector<8xi32>) {
  %s33 = arith.constant dense<33> : vector<8xi64>
  %s31 = arith.constant dense<31> : vector<8xi64>
  %big = arith.constant dense<4294967296> : vector<8xi64>
  %ae = arith.extsi %a : vector<8xi32> to vector<8xi64>
  %be = arith.extsi %b : vector<8xi32> to vector<8xi64>
  %bz = arith.extui %b : vector<8xi32> to vector<8xi64>
  %p1 = arith.muli %ae, %be : vector<8xi64>
  %h1 = arith.shrui %p1, %s33 : vector<8xi64>
  %t1 = arith.trunci %h1 : vector<8xi64> to vector<8xi32>
  %p2 = arith.muli %ae, %big : vector<8xi64>
  %h2 = arith.shrui %p2, %s31 : vector<8xi64>
  %t2 = arith.trunci %h2 : vector<8xi64> to vector<8xi32>
  %p3 = arith.muli %ae, %bz : vector<8xi64>
  %h3 = arith.shrui %p3, %s31 : vector<8xi64>
  %t3 = arith.trunci %h3 : vector<8xi64> to vector<8xi32>
  return %t1, %t2, %t3 : vector<8xi32>, vector<8xi32>, vector<8xi32>
}
