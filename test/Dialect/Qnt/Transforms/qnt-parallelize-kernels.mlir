// RUN: qnt-opt %s -split-input-file -verify-diagnostics -pass-pipeline="builtin.module(func.func(qnt-parallelize-kernels{min-work=0}))" | FileCheck %s

// A marked loop without results (bufferized in place) becomes an
// scf.parallel with the same bounds and step and the same body; the mark
// is gone. Unmarked loops stay.
// CHECK-LABEL: func @marked
// CHECK-SAME: (%[[M:.*]]: memref<16xi32>, %[[V:.*]]: vector<4xi32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: scf.parallel (%[[I:.*]]) = (%[[C0]]) to (%[[C16]]) step (%[[C4]]) {
// CHECK-NEXT: vector.transfer_write %[[V]], %[[M]][%[[I]]] {in_bounds = [true]} : vector<4xi32>, memref<16xi32>
// CHECK-NEXT: scf.reduce
// CHECK-NEXT: }
// CHECK: scf.for
// CHECK-NOT: qnt.parallel
func.func @marked(%m: memref<16xi32>, %v: vector<4xi32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %c16 step %c4 {
    vector.transfer_write %v, %m[%i] {in_bounds = [true]} : vector<4xi32>, memref<16xi32>
  } {qnt.parallel}
  scf.for %i = %c0 to %c16 step %c4 {
    vector.transfer_write %v, %m[%i] {in_bounds = [true]} : vector<4xi32>, memref<16xi32>
  }
  return
}

// -----

// A marked loop that still carries a value stays sequential, with a remark.
// CHECK-LABEL: func @carries
// CHECK: scf.for
// CHECK-NOT: qnt.parallel
// CHECK-NOT: scf.parallel
func.func @carries(%t: tensor<16xi32>, %v: vector<4xi32>) -> tensor<16xi32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  // expected-remark @+1 {{qnt-parallelize-kernels: the loop still carries values after bufferization; it stays sequential}}
  %r = scf.for %i = %c0 to %c16 step %c4 iter_args(%a = %t) -> (tensor<16xi32>) {
    %w = vector.transfer_write %v, %a[%i] {in_bounds = [true]} : vector<4xi32>, tensor<16xi32>
    scf.yield %w : tensor<16xi32>
  } {qnt.parallel}
  return %r : tensor<16xi32>
}
