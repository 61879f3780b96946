// RUN: qnt-opt %s -qnt-import-quant -split-input-file -verify-diagnostics --allow-unregistered-dialect | FileCheck %s

// A quantized value flowing between two converted casts: the storage casts
// cancel and only qnt ops remain. (Upstream folds dcast(qcast(x)) to x, so the
// two casts sit in a chain through an integer op here.)
// CHECK-LABEL: func @per_tensor
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Q:.*]] = qnt.quantize %[[X]] uniform<si8, scale = 5.000000e-01, zero_point = 3> : tensor<4xf32> -> tensor<4xi8>
// CHECK: %[[N:.*]] = "test.int_op"(%[[Q]]) : (tensor<4xi8>) -> tensor<4xi8>
// CHECK: %[[D:.*]] = qnt.dequantize %[[N]] uniform<si8, scale = 5.000000e-01, zero_point = 3> : tensor<4xi8> -> tensor<4xf32>
// CHECK-NOT: quant.
// CHECK: return %[[D]]
func.func @per_tensor(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:3>>
  %s = quant.scast %q : tensor<4x!quant.uniform<i8:f32, 0.5:3>> to tensor<4xi8>
  %n = "test.int_op"(%s) : (tensor<4xi8>) -> tensor<4xi8>
  %t = quant.scast %n : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 0.5:3>>
  %d = quant.dcast %t : tensor<4x!quant.uniform<i8:f32, 0.5:3>> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// A QDQ pair (fake quantization in upstream form) must stay a quantization:
// upstream's dcast(qcast(x)) -> x fold must not erase it.
// CHECK-LABEL: func @qdq_pair
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[Q:.*]] = qnt.quantize %[[X]] uniform<si8, scale = 2.500000e-01>
// CHECK-NEXT: %[[D:.*]] = qnt.dequantize %[[Q]] uniform<si8, scale = 2.500000e-01>
// CHECK-NEXT: return %[[D]]
func.func @qdq_pair(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.25>>
  %d = quant.dcast %q : tensor<4x!quant.uniform<i8:f32, 0.25>> to tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// Sub-byte and narrow ranges come from the storage bounds.
// CHECK-LABEL: func @ranges
// CHECK: qnt.quantize %{{.*}} uniform<si4, scale = 1.000000e-01> : tensor<4xf32> -> tensor<4xi8>
// CHECK: qnt.quantize %{{.*}} uniform<si8 narrow, scale = 1.000000e-01> : tensor<4xf32> -> tensor<4xi8>
// CHECK: qnt.quantize %{{.*}} uniform<ui4, scale = 1.000000e-01, zero_point = 2> : tensor<4xf32> -> tensor<4xi8>
func.func @ranges(%x: tensor<4xf32>) -> (tensor<4x!quant.uniform<i8<-8:7>:f32, 0.1>>, tensor<4x!quant.uniform<i8<-127:127>:f32, 0.1>>, tensor<4x!quant.uniform<u8<0:15>:f32, 0.1:2>>) {
  %a = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-8:7>:f32, 0.1>>
  %b = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-127:127>:f32, 0.1>>
  %c = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<u8<0:15>:f32, 0.1:2>>
  return %a, %b, %c : tensor<4x!quant.uniform<i8<-8:7>:f32, 0.1>>, tensor<4x!quant.uniform<i8<-127:127>:f32, 0.1>>, tensor<4x!quant.uniform<u8<0:15>:f32, 0.1:2>>
}

// -----

// CHECK-LABEL: func @per_axis
// CHECK: %[[C:.*]] = quant.scast %{{.*}} : tensor<2x3x!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01:1,3.000000e-01:-1}>> to tensor<2x3xi8>
// CHECK: qnt.dequantize %[[C]] uniform<si8, axis = 1, scales = [1.000000e-01, 2.000000e-01, 3.000000e-01], zero_points = [0, 1, -1]> : tensor<2x3xi8> -> tensor<2x3xf32>
func.func @per_axis(%q: tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2:1, 0.3:-1}>>) -> tensor<2x3xf32> {
  %d = quant.dcast %q : tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2:1, 0.3:-1}>> to tensor<2x3xf32>
  return %d : tensor<2x3xf32>
}

// -----

func.func @odd_range(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8<-3:9>:f32, 0.1>> {
  // expected-error @+1 {{quantized type '!quant.uniform<i8<-3:9>:f32, 1.000000e-01>' has storage range [-3, 9], which is not the full or narrow range of a 2..8, 16 or 32-bit integer}}
  %a = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-3:9>:f32, 0.1>>
  return %a : tensor<4x!quant.uniform<i8<-3:9>:f32, 0.1>>
}
