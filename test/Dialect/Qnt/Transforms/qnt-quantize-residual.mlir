// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize,qnt-check-integer-only),canonicalize)" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{residual-add=tflite},qnt-check-integer-only),canonicalize)" | FileCheck %s --check-prefix=TFLITE
// All functions in one module, on one thread (one pass instance runs them
// in turn and must not keep the previous function's ops):
// RUN: qnt-opt %s --mlir-disable-threading -pass-pipeline="builtin.module(func.func(qnt-quantize,qnt-check-integer-only),canonicalize)" | FileCheck %s --check-prefix=ONE
// ONE-LABEL: func @residual(
// ONE: qnt.requantize {{.*}} multiplier [1073741824] shift [21]
// ONE-LABEL: func @residual_scales(
// ONE: qnt.requantize {{.*}} multiplier [1073741824] shift [19]
// ONE-LABEL: func @residual_fallbacks(
// ONE: qnt.requantize {{.*}} multiplier [1677721600] shift [13]
// ONE-LABEL: func @residual_reshaped(
// ONE: qnt.requantize {{.*}} multiplier [1073741824] shift [20]

// A residual add of two quantized activations (BlazeFace's blocks); the
// ReLU and the clip after the add fold into one requantization of the sum.
// Grids (8 bits, signed storage): a on [0, 2.55] -> S_a = 0.01, z_a = -128;
// b on [-1.275, 1.275] -> S_b = 0.01, z_b = 0 (rounded from -0.5);
// out on [0, 5.1] -> S_y = 0.02, z_y = -128.
//
// single-rounding (default): s = floor(log2(2^20 S_y / max(S_a, S_b))) = 21,
// M_a = M_b = round(2^21 S_x / S_y) = 2^20; the i32 sum 2 M_a a + 2 M_b b
// has bias -2 (M_a z_a + M_b z_b) = 2^28 (input_zp -2^28) and is shifted
// right by 22 in one rounding: multiplier 2^30, shift 21.
// CHECK-LABEL: func @residual
// CHECK-DAG: %[[SH:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<2097152> : tensor<1x1x1x1xi32>}>
// CHECK-DAG: %[[A:.*]] = qnt.quantize %arg0 uniform<si8, scale = 0.0099999{{[0-9]*}}, zero_point = -128>
// CHECK-DAG: %[[B:.*]] = qnt.quantize %arg1 uniform<si8, scale = 0.0099999{{[0-9]*}}>
// CHECK-DAG: %[[WA:.*]] = tosa.cast %[[A]] : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi32>
// CHECK-DAG: %[[PA:.*]] = tosa.mul %[[WA]], %[[M]], %[[SH]]
// CHECK-DAG: %[[WB:.*]] = tosa.cast %[[B]] : (tensor<1x2x2x3xi8>) -> tensor<1x2x2x3xi32>
// CHECK-DAG: %[[PB:.*]] = tosa.mul %[[WB]], %[[M]], %[[SH]]
// CHECK: %[[S:.*]] = tosa.add %[[PA]], %[[PB]] : (tensor<1x2x2x3xi32>, tensor<1x2x2x3xi32>) -> tensor<1x2x2x3xi32>
// The codes' grid is recorded on the requantization (qnt.result_params).
// CHECK: %[[Y:.*]] = qnt.requantize %[[S]] input_zp -268435456 multiplier [1073741824] shift [21] output_zp -128 clamp [-128, 127] rounding single_round {qnt.result_params = #qnt.uniform<si8, scale = 0.01999999{{[0-9]*}}, zero_point = -128>} : tensor<1x2x2x3xi32> -> tensor<1x2x2x3xi8>
// CHECK: qnt.dequantize %[[Y]]
// CHECK-NOT: qnt.requantize
//
// tflite: both go to i32 on S_t = max(S_a, S_b) / 2^20 and are added:
// a and b are rescaled by 2^20 (multiplier 2^30, shift -21); the sum by
// S_t / S_y = 2^-21 (multiplier 2^30, shift 20).
// TFLITE-LABEL: func @residual
// TFLITE-DAG: %[[A:.*]] = qnt.quantize %arg0 uniform<si8, scale = 0.0099999{{[0-9]*}}, zero_point = -128>
// TFLITE-DAG: %[[B:.*]] = qnt.quantize %arg1 uniform<si8, scale = 0.0099999{{[0-9]*}}>
// TFLITE-DAG: %[[RA:.*]] = qnt.requantize %[[A]] input_zp -128 multiplier [1073741824] shift [-21] clamp [-2147483648, 2147483647] rounding single_round : tensor<1x2x2x3xi8> -> tensor<1x2x2x3xi32>
// TFLITE-DAG: %[[RB:.*]] = qnt.requantize %[[B]] multiplier [1073741824] shift [-21] clamp [-2147483648, 2147483647] rounding single_round : tensor<1x2x2x3xi8> -> tensor<1x2x2x3xi32>
// TFLITE: %[[S:.*]] = tosa.add %[[RA]], %[[RB]] : (tensor<1x2x2x3xi32>, tensor<1x2x2x3xi32>) -> tensor<1x2x2x3xi32>
// TFLITE: %[[Y:.*]] = qnt.requantize %[[S]] multiplier [1073741824] shift [20] output_zp -128 clamp [-128, 127] rounding single_round {qnt.result_params = #qnt.uniform<si8, scale = 0.01999999{{[0-9]*}}, zero_point = -128>} : tensor<1x2x2x3xi32> -> tensor<1x2x2x3xi8>
// TFLITE: qnt.dequantize %[[Y]]
// TFLITE-NOT: tosa.mul
func.func @residual(%x: tensor<1x2x2x3xf32>, %y: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32> {
  %a = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x2x2x3xf32>
  %b = qnt.clip %y min [-1.275] max [1.275] method manual bits 8 : tensor<1x2x2x3xf32>
  %s = tosa.add %a, %b : (tensor<1x2x2x3xf32>, tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %r = tosa.clamp %s {min_val = 0.0 : f32, max_val = 3.0e+38 : f32} : (tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  %o = qnt.clip %r min [0.0] max [5.1] method manual bits 8 : tensor<1x2x2x3xf32>
  return %o : tensor<1x2x2x3xf32>
}

// -----

// Different scales: S_a = 0.01 (z_a = -128), S_b = 0.03 on [0, 7.65]
// (z_b = -128), S_y = 0.02 on [0, 5.1]: s = floor(log2(2^20 * 2 / 3)) = 19,
// M_a = round(2^19 / 2) = 262144, M_b = round(2^19 * 1.5) = 786432 (doubled:
// 524288 and 1572864); bias -2 (M_a + M_b) (-128) = 2^28, shift 19.
// CHECK-LABEL: func @residual_scales
// CHECK-DAG: %[[MA:.*]] = "tosa.const"() <{values = dense<524288> : tensor<1x1xi32>}>
// CHECK-DAG: %[[MB:.*]] = "tosa.const"() <{values = dense<1572864> : tensor<1x1xi32>}>
// CHECK-DAG: %[[WA:.*]] = tosa.cast %{{.*}} : (tensor<1x4xi8>) -> tensor<1x4xi32>
// CHECK-DAG: %[[PA:.*]] = tosa.mul %[[WA]], %[[MA]]
// CHECK-DAG: %[[WB:.*]] = tosa.cast %{{.*}} : (tensor<1x4xi8>) -> tensor<1x4xi32>
// CHECK-DAG: %[[PB:.*]] = tosa.mul %[[WB]], %[[MB]]
// CHECK: %[[S:.*]] = tosa.add %[[PA]], %[[PB]]
// CHECK: qnt.requantize %[[S]] input_zp -268435456 multiplier [1073741824] shift [19] output_zp -128 clamp [-128, 127]
// TFLITE-LABEL: func @residual_scales
// TFLITE-NOT: tosa.mul
// TFLITE: return
func.func @residual_scales(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %a = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x4xf32>
  %b = qnt.clip %y min [0.0] max [7.65] method manual bits 8 : tensor<1x4xf32>
  %s = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %o = qnt.clip %s min [0.0] max [5.1] method manual bits 8 : tensor<1x4xf32>
  return %o : tensor<1x4xf32>
}

// -----

// Where the single rounding does not apply, the sum takes the tflite form:
// an add whose sum is a function result (dequantized from its i32 sum on
// S_t = 0.01 / 2^20), and one whose output grid is 100x finer than its
// inputs' (S_y = 0.0001: s would be 13 < 14; S_t / S_y = 100 / 2^20 =
// 0.78125 * 2^-13: multiplier 1677721600, shift 13).
// CHECK-LABEL: func @residual_fallbacks
// CHECK-NOT: tosa.mul
// CHECK: %[[RA:.*]] = qnt.requantize %{{.*}} input_zp -128 multiplier [1073741824] shift [-21] clamp [-2147483648, 2147483647]
// CHECK: %[[RB:.*]] = qnt.requantize %{{.*}} input_zp -128 multiplier [1073741824] shift [-21] clamp [-2147483648, 2147483647]
// CHECK: %[[S:.*]] = tosa.add %[[RA]], %[[RB]] : (tensor<1x4xi32>, tensor<1x4xi32>) -> tensor<1x4xi32>
// CHECK-DAG: qnt.dequantize %[[S]] uniform<si32, scale = 9.5367{{[0-9]*}}E-9>
// CHECK-DAG: qnt.requantize %[[S]] multiplier [1677721600] shift [13] output_zp -128 clamp [-128, 127]
// CHECK-NOT: tosa.mul
func.func @residual_fallbacks(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %a = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x4xf32>
  %b = qnt.clip %y min [0.0] max [2.55] method manual bits 8 : tensor<1x4xf32>
  %s = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %o = qnt.clip %s min [0.0] max [0.0255] method manual bits 8 : tensor<1x4xf32>
  return %s, %o : tensor<1x4xf32>, tensor<1x4xf32>
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

// -----

// A reshape between the add and its clip runs on the i32 sum, which takes
// the tflite form; the clip requantizes it.
// CHECK-LABEL: func @residual_reshaped
// CHECK-NOT: tosa.mul
// CHECK: %[[S:.*]] = tosa.add %{{.*}}, %{{.*}} : (tensor<1x4xi32>, tensor<1x4xi32>) -> tensor<1x4xi32>
// CHECK: %[[R:.*]] = tosa.reshape %[[S]], %{{.*}} : (tensor<1x4xi32>, !tosa.shape<3>) -> tensor<1x1x4xi32>
// CHECK: qnt.requantize %[[R]] multiplier [1073741824] shift [20] output_zp -128 clamp [-128, 127]
func.func @residual_reshaped(%x: tensor<1x4xf32>, %y: tensor<1x4xf32>) -> tensor<1x1x4xf32> {
  %a = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x4xf32>
  %b = qnt.clip %y min [0.0] max [2.55] method manual bits 8 : tensor<1x4xf32>
  %s = tosa.add %a, %b : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %shape = tosa.const_shape {values = dense<[1, 1, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %s, %shape : (tensor<1x4xf32>, !tosa.shape<3>) -> tensor<1x1x4xf32>
  %o = qnt.clip %r min [0.0] max [5.1] method manual bits 8 : tensor<1x1x4xf32>
  return %o : tensor<1x1x4xf32>
}
