// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-quantize-recipe{recipe=w8a8-per-tensor})" | FileCheck %s --check-prefix=SINGLE
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-quantize-recipe{recipe=w8a8-per-tensor residual-add=tflite})" | FileCheck %s --check-prefix=TFLITE
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-quantize-recipe{recipe=w8a8-per-tensor residual-add=tflite min-multiplier-bits=31})" | FileCheck %s --check-prefix=FULL

// The recipe's residual-add option reaches qnt-quantize: by default the add
// is an i32 sum of the codes times integer multipliers, requantized by a
// rounding shift (multiplier 2^30); with tflite both inputs are rescaled by
// qnt.requantize first.
// SINGLE-NOT: qnt.requantize
// SINGLE: tosa.mul
// SINGLE: tosa.mul
// SINGLE: %[[S:.*]] = tosa.add
// SINGLE: qnt.requantize %[[S]] input_zp {{-?[0-9]+}} multiplier [1073741824]
// TFLITE-NOT: tosa.mul
// TFLITE: qnt.requantize {{.*}} -> tensor<1x4x4x2xi32>
// TFLITE: qnt.requantize {{.*}} -> tensor<1x4x4x2xi32>
// TFLITE: %[[S:.*]] = tosa.add
// TFLITE-NOT: tosa.mul
// TFLITE: qnt.requantize %[[S]] multiplier
// The recipe's min-multiplier-bits reaches qnt-quantize: the last
// requantization (i8 codes with zero point -106, a in [-22, 233], left
// shift 1) keeps 24 bits by default (m' = round(1177052271 / 2^7) =
// 9195721: 233 m' + 2^22 = 2146797297 fits in i32, 25 bits would not), and
// all 31 with min-multiplier-bits=31.
// TFLITE: qnt.requantize %{{.*}} input_zp -106 multiplier [1177052288] shift [-1]
// FULL: qnt.requantize %{{.*}} input_zp -106 multiplier [1177052271] shift [-1]
func.func @residual(%x: tensor<1x4x4x2xf32> {qnt.stats = #qnt.stats<count = 32, min = -1.0, max = 6.0, mean = 1.0, std = 1.2, mad = 0.9, hist = <lo = -1.0, hi = 6.0, bins = [2, 16, 8, 4, 1, 1]>>}, %y: tensor<1x4x4x2xf32> {qnt.stats = #qnt.stats<count = 32, min = 0.0, max = 3.0, mean = 1.0, std = 0.7, mad = 0.5, hist = <lo = 0.0, hi = 3.0, bins = [12, 10, 6, 4]>>}) -> tensor<1x4x4x2xf32> {
  %s = tosa.add %x, %y {qnt.stats = #qnt.stats<count = 32, min = -1.0, max = 8.0, mean = 2.0, std = 1.5, mad = 1.1, hist = <lo = -1.0, hi = 8.0, bins = [2, 12, 8, 6, 2, 1, 1]>>} : (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %s {min_val = 0.0 : f32, max_val = 3.0e+38 : f32, qnt.stats = #qnt.stats<count = 32, min = 0.0, max = 8.0, mean = 2.0, std = 1.4, mad = 1.0, hist = <lo = 0.0, hi = 8.0, bins = [12, 8, 6, 4, 1, 1]>>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %r : tensor<1x4x4x2xf32>
}
