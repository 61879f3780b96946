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
