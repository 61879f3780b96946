// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2})" -mlir-print-ir-after=qnt-int8-matmul-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2 int8-saturation-free-quads=false})" -mlir-print-ir-after=qnt-int8-matmul-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFPAIRS
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2 int8-m-tile=3 int8-n-blocks=1})" -mlir-print-ir-after=qnt-int8-matmul-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=16 int8-kernels=avx512vnni})" -mlir-print-ir-after=qnt-int8-matmul-kernels -o /dev/null 2>&1 | FileCheck %s --check-prefix=VNNI
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2 int8-m-tile=-2})" -o /dev/null 2>&1 | FileCheck %s --check-prefix=NEG
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2})" | FileCheck %s --check-prefix=QUADS
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2 int8-saturation-free-quads=false})" | FileCheck %s --check-prefix=PAIRS
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avxvnni})" | FileCheck %s --check-prefix=AVXVNNI

// The register tile of the int8 matmul kernels per ISA, and the pipeline's
// int8-m-tile / int8-n-blocks overrides. M = 64 H W = 64 rows, N = 32
// columns (4 blocks of 8, 2 of 16: with VNNI's 4 x 4 tile the 2 blocks take
// 8 rows, keeping 16 accumulators). AVX2's i16 pairs take 6 x 2 blocks;
// its vpmaddubsw quads (these 7-bit weights) 5 x 2, as they hold two
// registers more (the ones of vpmaddwd, a product): 10 accumulators, the
// two blocks' weights, a broadcast, those two: 15 of the 16 ymm registers.
// DEFAULT: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// DEFAULT-NOT: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>
// DEFPAIRS: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>, vector<8xi32>)
// TILE: scf.for {{.*}} -> (vector<8xi32>, vector<8xi32>, vector<8xi32>)
// NEG: error: qnt-int8-matmul-kernels: m-tile and n-blocks must be positive
// VNNI: scf.for {{.*}} -> (vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>, vector<16xi32>)
// The weights (3) fit 7 bits: down to LLVM, vpmaddubsw and vpmaddwd (by
// ones) in the kernel; with int8-saturation-free-quads=false only vpmaddwd.
// QUADS: llvm.call_intrinsic "llvm.x86.avx2.pmadd.ub.sw"
// QUADS: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// PAIRS-NOT: pmadd.ub.sw
// PAIRS: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"
// PAIRS-NOT: pmadd.ub.sw
// int8-kernels=avxvnni: the 8-lane quads as the ymm vpdpbusd, nothing else.
// AVXVNNI-NOT: pmadd
// AVXVNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"
// AVXVNNI-NOT: pmadd
func.func @conv1x1(%x: tensor<1x8x8x16xi8>) -> tensor<1x8x8x32xi32> {
  %w = "tosa.const"() <{values = dense<3> : tensor<32x1x1x16xi8>}> : () -> tensor<32x1x1x16xi8>
  %b = "tosa.const"() <{values = dense<5> : tensor<32xi32>}> : () -> tensor<32xi32>
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x16xi8>, tensor<32x1x1x16xi8>, tensor<32xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x32xi32>
  return %c : tensor<1x8x8x32xi32>
}
