// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize,qnt-check-integer-only),canonicalize)" | FileCheck %s

// A residual add of two quantized activations (BlazeFace's blocks): both go
// to i32 on S_t = max(S_a, S_b) / 2^20 and are added; the ReLU and the clip
// after the add fold into one requantization of that sum.
// Grids (8 bits, signed storage): a on [0, 2.55] -> S_a = 0.01, z_a = -128;
// b on [-1.275, 1.275] -> S_b = 0.01, z_b = 0 (rounded from -0.5);
// out on [0, 5.1] -> S_y = 0.02, z_y = -128.
// S_t = 0.01 / 2^20: a and b are rescaled by 2^20 (multiplier 2^30, shift
// -21); the sum by S_t / S_y = 2^-21 (multiplier 2^30, shift 20).
// CHECK-LABEL: func @residual
// CHECK-DAG: %[[A:.*]] = qnt.quantize %arg0 uniform<si8, scale = 0.0099999{{[0-9]*}}, zero_point = -128>
// CHECK-DAG: %[[B:.*]] = qnt.quantize %arg1 uniform<si8, scale = 0.0099999{{[0-9]*}}>
// CHECK-DAG: %[[RA:.*]] = qnt.requantize %[[A]] input_zp -128 multiplier [1073741824] shift [-21] clamp [-2147483648, 2147483647] : tensor<1x2x2x3xi8> -> tensor<1x2x2x3xi32>
// CHECK-DAG: %[[RB:.*]] = qnt.requantize %[[B]] multiplier [1073741824] shift [-21] clamp [-2147483648, 2147483647] : tensor<1x2x2x3xi8> -> tensor<1x2x2x3xi32>
// CHECK: %[[S:.*]] = tosa.add %[[RA]], %[[RB]] : (tensor<1x2x2x3xi32>, tensor<1x2x2x3xi32>) -> tensor<1x2x2x3xi32>
// The codes' grid is recorded on the requantization (qnt.result_params).
// CHECK: %[[Y:.*]] = qnt.requantize %[[S]] multiplier [1073741824] shift [20] output_zp -128 clamp [-128, 127] {qnt.result_params = #qnt.uniform<si8, scale = 0.01999999{{[0-9]*}}, zero_point = -128>} : tensor<1x2x2x3xi32> -> tensor<1x2x2x3xi8>
// CHECK: qnt.dequantize %[[Y]]
func.func @residual(%x: tensor<1x2x2x3xf32>, %y: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32> {
  %a = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x2x2x3xf32>
  %b = qnt.clip %y min [-1.275] max [1.275] method manual bits 8 : tensor<1x2x2x3xf32>
  %s = tosa.add %a, %b : (tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %r = tosa.clamp %s {min_val = 0.0 : f32, max_val = 3.0e+38 : f32} : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %o = qnt.clip %r min [0.0] max [5.1] method manual bits 8 : tensor<1x2x2x3xf32>
  return %o : tensor<1x2x2x3xf32>
}

// -----

// BlazeFace's channel padding: concat with a constant of zeros, which lands
// on the activation's zero point (z = -128 for [0, 2.55]); the result keeps
// the activation's grid.
// CHECK-LABEL: func @pad_channels
// CHECK-DAG: %[[Z:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1x2x2x1xi8>}>
// CHECK-DAG: %[[A:.*]] = qnt.quantize %arg0 uniform<si8, scale = 0.0099999{{[0-9]*}}, zero_point = -128>
// CHECK: %[[C:.*]] = tosa.concat %[[A]], %[[Z]] {axis = 3 : i32} : (tensor<1x2x2x3xi8>, tensor<1x2x2x1xi8>) -> tensor<1x2x2x4xi8>
// CHECK: qnt.dequantize %[[C]] uniform<si8, scale = 0.0099999{{[0-9]*}}, zero_point = -128>
func.func @pad_channels(%x: tensor<1x2x2x3xf32>) -> tensor<1x2x2x4xf32> {
  %a = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x2x2x3xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1x2x2x1xf32>} : () -> tensor<1x2x2x1xf32>
  %c = tosa.concat %a, %z {axis = 3 : i32} : (tensor<1x2x2x3xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x4xf32>
  return %c : tensor<1x2x2x4xf32>
}
