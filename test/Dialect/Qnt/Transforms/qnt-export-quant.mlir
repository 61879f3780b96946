// RUN: qnt-opt %s -qnt-export-quant -split-input-file -verify-diagnostics --allow-unregistered-dialect | FileCheck %s
// Round trip: export then import gives back the qnt ops.
// RUN: qnt-opt %s -qnt-export-quant -qnt-import-quant -split-input-file -verify-diagnostics --allow-unregistered-dialect | FileCheck %s --check-prefix=BACK

// CHECK-LABEL: func @per_tensor
// CHECK: %[[Q:.*]] = quant.qcast %{{.*}} : tensor<4xf32> to tensor<4x!quant.uniform<i8<-8:7>:f32, 2.500000e-01:-1>>
// CHECK: %[[S:.*]] = quant.scast %[[Q]] : tensor<4x!quant.uniform<i8<-8:7>:f32, 2.500000e-01:-1>> to tensor<4xi8>
// CHECK: %[[N:.*]] = "test.int_op"(%[[S]])
// CHECK: %[[T:.*]] = quant.scast %[[N]] : tensor<4xi8> to tensor<4x!quant.uniform<i8<-8:7>:f32, 2.500000e-01:-1>>
// CHECK: quant.dcast %[[T]] : tensor<4x!quant.uniform<i8<-8:7>:f32, 2.500000e-01:-1>> to tensor<4xf32>
// CHECK-NOT: qnt.
// BACK-LABEL: func @per_tensor
// BACK: qnt.quantize %{{.*}} uniform<si4, scale = 2.500000e-01, zero_point = -1>
// BACK-NEXT: "test.int_op"
// BACK-NEXT: qnt.dequantize %{{.*}} uniform<si4, scale = 2.500000e-01, zero_point = -1>
func.func @per_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qnt.quantize %x uniform<si4, scale = 0.25, zero_point = -1> : tensor<4xf32> -> tensor<4xi8>
  %n = "test.int_op"(%q) : (tensor<4xi8>) -> tensor<4xi8>
  %d = qnt.dequantize %n uniform<si4, scale = 0.25, zero_point = -1> : tensor<4xi8> -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @qdq_pair
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[Q:.*]] = quant.qcast %[[X]] : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 2.500000e-01>>
// CHECK-NEXT: %[[D:.*]] = quant.dcast %[[Q]]
// CHECK-NEXT: return %[[D]]
// BACK-LABEL: func @qdq_pair
// BACK-NEXT: qnt.quantize
// BACK-NEXT: qnt.dequantize
func.func @qdq_pair(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qnt.quantize %x uniform<si8, scale = 0.25> : tensor<4xf32> -> tensor<4xi8>
  %d = qnt.dequantize %q uniform<si8, scale = 0.25> : tensor<4xi8> -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @per_axis_narrow
// CHECK: quant.qcast %{{.*}} : tensor<2x3xf32> to tensor<2x3x!quant.uniform<i8<-127:127>:f32:1, {1.000000e-01,2.000000e-01,4.000000e-01}>>
// BACK-LABEL: func @per_axis_narrow
// BACK: qnt.quantize %{{.*}} uniform<si8 narrow, axis = 1, scales = [1.000000e-01, 2.000000e-01, 4.000000e-01]>
func.func @per_axis_narrow(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  %q = qnt.quantize %x uniform<si8 narrow, axis = 1, scales = [0.1, 0.2, 0.4]> : tensor<2x3xf32> -> tensor<2x3xi8>
  return %q : tensor<2x3xi8>
}

// -----

// Codebooks have no upstream form: left as qnt, with a remark.
// CHECK-LABEL: func @codebook
// CHECK: qnt.quantize
func.func @codebook(%x: tensor<2x2xf32>) -> tensor<2x2xi8> {
  // expected-remark @+1 {{no upstream quant form for #qnt.codebook}}
  %q = qnt.quantize %x codebook<binary, threshold = 0.0, scales = dense<1.0> : tensor<1x1xf32>> : tensor<2x2xf32> -> tensor<2x2xi8>
  return %q : tensor<2x2xi8>
}
