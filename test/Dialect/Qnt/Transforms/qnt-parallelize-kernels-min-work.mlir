// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-parallelize-kernels))" | FileCheck %s --check-prefixes=CHECK,DEFAULT
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-parallelize-kernels{min-work=1000}))" | FileCheck %s --check-prefixes=CHECK,LOW
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-parallelize-kernels{min-work=-1}))" 2>&1 | FileCheck %s --check-prefix=NEG

// NEG: error: qnt-parallelize-kernels: min-work must be >= 0, got -1

// The work estimate: each op of the body once per iteration of the loops
// around it. Here 64 iterations x (8 iterations x (1 write + the yield) +
// the inner loop + the yield) = 64 x 18 = 1152 operations: below the
// default (20000) the loop stays sequential, above min-work=1000 it runs
// in parallel. The mark goes either way.
// CHECK-LABEL: func @small
// DEFAULT-NOT: scf.parallel
// DEFAULT: scf.for
// DEFAULT-NEXT: scf.for
// LOW: scf.parallel
// LOW-NEXT: scf.for
// CHECK-NOT: qnt.parallel
func.func @small(%m: memref<64x32xi32>, %v: vector<4xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    scf.for %j = %c0 to %c32 step %c4 {
      vector.transfer_write %v, %m[%i, %j] {in_bounds = [true]} : vector<4xi32>, memref<64x32xi32>
    }
  } {qnt.parallel}
  return
}

// -----

// 64 x (1 + the yield) = 128 operations: stays sequential in both runs.
// CHECK-LABEL: func @tiny
// CHECK-NOT: scf.parallel
// CHECK: scf.for
// CHECK-NOT: qnt.parallel
func.func @tiny(%m: memref<64xi32>, %x: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    memref.store %x, %m[%i] : memref<64xi32>
  } {qnt.parallel}
  return
}

// -----

// The inner loop's bounds are not constant: [%i, min(%i + 1000, 4000))
// runs at most 1000 iterations, so the estimate is 4 x (1000 x 2 + ...):
// above 1000, below 20000.
// CHECK-LABEL: func @chunked
// DEFAULT-NOT: scf.parallel
// DEFAULT: scf.for
// LOW: scf.parallel
func.func @chunked(%m: memref<4000xi32>, %x: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %c4000 = arith.constant 4000 : index
  scf.for %i = %c0 to %c4000 step %c1000 {
    %e = arith.addi %i, %c1000 : index
    %ub = arith.minsi %e, %c4000 : index
    scf.for %j = %i to %ub step %c1 {
      memref.store %x, %m[%j] : memref<4000xi32>
    }
  } {qnt.parallel}
  return
}

// -----

// A linalg op or memref.copy left inside counts the elements it writes:
// 4 x (128 x 128 + ...) > 20000.
// CHECK-LABEL: func @copies
// CHECK: scf.parallel
func.func @copies(%a: memref<4x128x128xi8>, %b: memref<4x128x128xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %s = memref.subview %a[%i, 0, 0] [1, 128, 128] [1, 1, 1] : memref<4x128x128xi8> to memref<128x128xi8, strided<[128, 1], offset: ?>>
    %d = memref.subview %b[%i, 0, 0] [1, 128, 128] [1, 1, 1] : memref<4x128x128xi8> to memref<128x128xi8, strided<[128, 1], offset: ?>>
    memref.copy %s, %d : memref<128x128xi8, strided<[128, 1], offset: ?>> to memref<128x128xi8, strided<[128, 1], offset: ?>>
  } {qnt.parallel}
  return
}

// -----

// An inner loop whose trip count has no bound (its upper bound is an
// argument): the estimate is unknown and the loop runs in parallel.
// CHECK-LABEL: func @unknown
// CHECK: scf.parallel
func.func @unknown(%m: memref<?xi32>, %n: index, %x: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      memref.store %x, %m[%j] : memref<?xi32>
    }
  } {qnt.parallel}
  return
}
