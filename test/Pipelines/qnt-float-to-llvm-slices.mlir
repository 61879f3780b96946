// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 int8-kernels=avx2})" \
// RUN:   | FileCheck %s --implicit-check-not=memrefCopy \
// RUN:       --implicit-check-not="llvm.call @_mlir_memref_to_llvm_alloc" \
// RUN:       --implicit-check-not='"llvm.intr.memcpy"'

// BlazeFace's block pattern: one tensor padded by a concat with zero-point
// channels, and two tensors padded spatially with the same shape and value.
// Every part is written in place by vectorized loops: one buffer per
// result and no copy between buffers, strided (the runtime's memrefCopy) or
// not (memcpy), except the results' copies into the out-parameters.
// CHECK-LABEL: llvm.func @blocks
// CHECK-COUNT-3: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK-COUNT-3: "llvm.intr.memcpy"
// CHECK: llvm.return
func.func @blocks(%a: tensor<1x8x8x24xi8>, %b: tensor<1x8x8x24xi8>) -> (tensor<1x8x8x28xi8>, tensor<1x10x10x24xi8>, tensor<1x10x10x24xi8>) {
  %zp_channels = "tosa.const"() <{values = dense<-128> : tensor<1x8x8x4xi8>}> : () -> tensor<1x8x8x4xi8>
  %zp = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %hw = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %cat = tosa.concat %a, %zp_channels {axis = 3 : i32} : (tensor<1x8x8x24xi8>, tensor<1x8x8x4xi8>) -> tensor<1x8x8x28xi8>
  %pa = tosa.pad %a, %hw, %zp : (tensor<1x8x8x24xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x10x10x24xi8>
  %pb = tosa.pad %b, %hw, %zp : (tensor<1x8x8x24xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x10x10x24xi8>
  return %cat, %pa, %pb : tensor<1x8x8x28xi8>, tensor<1x10x10x24xi8>, tensor<1x10x10x24xi8>
}
