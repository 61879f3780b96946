// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2 parallel=true parallel-min-work=0})" | FileCheck %s
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2})" | FileCheck %s --check-prefix=SEQ
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2 parallel=true})" | FileCheck %s --check-prefix=SEQ

// With parallel=true the int8 kernel's row-tile loop becomes an OpenMP
// work-sharing loop inside a parallel region (in the LLVM dialect, ready
// for mlir-translate); the dot products inside are still vpmaddwd. Without
// it the code has no OpenMP. Neither has it with parallel=true and the
// default parallel-min-work: this 64-row kernel is too small for threads.
// CHECK-LABEL: llvm.func @conv1x1
// CHECK: omp.parallel {
// CHECK: omp.wsloop {
// CHECK: omp.loop_nest
// CHECK: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// CHECK: omp.yield
// CHECK: omp.terminator
// SEQ-LABEL: llvm.func @conv1x1
// SEQ-NOT: omp.
// SEQ: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// SEQ-NOT: omp.
func.func @conv1x1(%x: tensor<1x8x8x16xi8>) -> tensor<1x8x8x16xi8> {
  %w = "tosa.const"() <{values = dense<3> : tensor<16x1x1x16xi8>}> : () -> tensor<16x1x1x16xi8>
  %b = "tosa.const"() <{values = dense<5> : tensor<16xi32>}> : () -> tensor<16xi32>
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xi8>, tensor<16x1x1x16xi8>, tensor<16xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x16xi32>
  %r = qnt.requantize %c multiplier [1468305019] shift [7] output_zp -128 clamp [-128, 127] : tensor<1x8x8x16xi32> -> tensor<1x8x8x16xi8>
  return %r : tensor<1x8x8x16xi8>
}
