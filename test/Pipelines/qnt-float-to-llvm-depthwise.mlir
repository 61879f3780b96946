// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2})" | FileCheck %s

// An int8 3x3 depthwise convolution through the whole pipeline: filter
// rows 0 and 1 go as pairs through vpmaddwd (qnt-int8-depthwise-kernels'
// interleaved form, selected by qnt-select-x86-intrinsics), row 2 as i32
// multiplies of the sign-extended input.
// CHECK-LABEL: llvm.func @dw
// CHECK-DAG: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"({{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// CHECK-DAG: llvm.mul {{.*}} : vector<8xi32>
func.func @dw(%x: tensor<1x10x10x16xi8>) -> tensor<1x8x8x16xi32> {
  %w = "tosa.const"() <{values = dense<3> : tensor<3x3x16x1xi8>}> : () -> tensor<3x3x16x1xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<16xi32>}> : () -> tensor<16xi32>
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x10x10x16xi8>, tensor<3x3x16x1xi8>, tensor<16xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x8x8x16xi32>
  return %y : tensor<1x8x8x16xi32>
}
