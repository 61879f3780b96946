// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-select-x86-intrinsics))" | FileCheck %s

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
