// RUN: qnt-opt %s -split-input-file -convert-qnt-to-linalg | FileCheck %s

// Per-tensor parameters are constants in the body. f32 codes go through
// i32: the rounded value is clamped in float to the code range first, so
// fptosi to i32 is defined (and vectorizes, unlike f32 -> i64 on AVX2).
// CHECK-LABEL: func @quantize_per_tensor
// CHECK-DAG: %[[HI:.*]] = arith.constant 1.270000e+02 : f32
// CHECK-DAG: %[[LO:.*]] = arith.constant -1.280000e+02 : f32
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<4xf32>) outs(%{{.*}} : tensor<4xi8>)
// CHECK: arith.divf
// CHECK: arith.cmpf uno
// CHECK: %[[R:.*]] = math.roundeven
// CHECK: %[[A:.*]] = arith.maximumf %[[R]], %[[LO]] : f32
// CHECK: %[[B:.*]] = arith.minimumf %[[A]], %[[HI]] : f32
// CHECK: arith.fptosi %[[B]] : f32 to i32
// CHECK: arith.maxsi {{.*}} : i32
// CHECK: arith.minsi {{.*}} : i32
// CHECK: arith.trunci {{.*}} : i32 to i8
// CHECK-NOT: qnt.
func.func @quantize_per_tensor(%x: tensor<4xf32>) -> tensor<4xi8> {
  %0 = qnt.quantize %x uniform<si8, scale = 0.5> : tensor<4xf32> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

// Per channel: the float clamp holds every channel's code range minus its
// zero point ([0 - 5, 255 - 0]); the exact integer clamp follows the zero
// point's add.
// CHECK-LABEL: func @quantize_per_axis_zero_points
// CHECK-DAG: arith.constant 2.550000e+02 : f32
// CHECK-DAG: arith.constant -5.000000e+00 : f32
// CHECK: linalg.generic
// CHECK: arith.fptosi {{.*}} : f32 to i32
// CHECK: %[[Z:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK: arith.addi %{{.*}}, %[[Z]] : i32
// CHECK: arith.maxsi {{.*}} : i32
// CHECK: arith.minsi {{.*}} : i32
// CHECK: arith.trunci {{.*}} : i32 to i8
func.func @quantize_per_axis_zero_points(%x: tensor<3x2xf32>) -> tensor<3x2xi8> {
  %0 = qnt.quantize %x uniform<ui8, axis = 1, scales = [0.1, 0.2], zero_points = [0, 5]> : tensor<3x2xf32> -> tensor<3x2xi8>
  return %0 : tensor<3x2xi8>
}

// -----

// Narrower floats keep the i64 form.
// CHECK-LABEL: func @quantize_f16
// CHECK: arith.fptosi {{.*}} : f16 to i64
// CHECK: arith.trunci {{.*}} : i64 to i8
func.func @quantize_f16(%x: tensor<4xf16>) -> tensor<4xi8> {
  %0 = qnt.quantize %x uniform<si8, scale = 0.5> : tensor<4xf16> -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

// Per-channel parameters are constant tensors read along the axis.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[AX:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @dequantize_per_axis
// CHECK-DAG: %[[S:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[Z:.*]] = arith.constant dense<[0, 5]> : tensor<2xi64>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[AX]], #[[AX]], #[[ID]]]{{.*}} ins(%{{.*}}, %[[S]], %[[Z]] :
// CHECK: arith.extui {{.*}} : i8 to i64
// CHECK: arith.sitofp
// CHECK: arith.mulf
func.func @dequantize_per_axis(%q: tensor<3x2xi8>) -> tensor<3x2xf32> {
  %0 = qnt.dequantize %q uniform<ui8, axis = 1, scales = [0.1, 0.2], zero_points = [0, 5]> : tensor<3x2xi8> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Requantization is integer-only; WESS channel shifts add to the shift.
// CHECK-LABEL: func @requantize
// The tflite rounding runs in i32 lanes except for the one i32 x i32 -> i64
// product: high = (a * m + 2^30) >> 31, then the rounding right shift by the
// per-channel total shift and its mask (2^n - 1) and half mask.
// CHECK-DAG: %[[M:.*]] = arith.constant 1518500250 : i64
// CHECK-DAG: %[[N:.*]] = arith.constant dense<[7, 10]> : tensor<2xi32>
// CHECK-DAG: %[[MASK:.*]] = arith.constant dense<[127, 1023]> : tensor<2xi32>
// CHECK-DAG: %[[HALF:.*]] = arith.constant dense<[63, 511]> : tensor<2xi32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[N]], %[[MASK]], %[[HALF]] :
// CHECK-NOT: arith.{{.*}}f
// CHECK: %[[A:.*]] = arith.extsi %{{.*}} : i32 to i64
// CHECK: %[[P:.*]] = arith.muli %[[A]], %[[M]] : i64
// CHECK: %[[PN:.*]] = arith.addi %[[P]], %{{.*}} : i64
// CHECK: %[[PH:.*]] = arith.shrui %[[PN]], %{{.*}} : i64
// CHECK: %[[H:.*]] = arith.trunci %[[PH]] : i64 to i32
// CHECK: arith.andi %[[H]]
// CHECK: arith.shrsi %[[H]]
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: arith.trunci {{.*}} : i32 to i8
func.func @requantize(%acc: tensor<1x2xi32>) -> tensor<1x2xi8> {
  %0 = qnt.requantize %acc axis 1 multiplier [1518500250] shift [7] channel_shift [0, 3] clamp [0, 127] : tensor<1x2xi32> -> tensor<1x2xi8>
  return %0 : tensor<1x2xi8>
}

// -----

// Per-slice zero points and bounds are per-channel parameters of the same
// body: max with the lower, min with the upper bound.
// CHECK-LABEL: func @requantize_channel_grid
// The bounds are applied before the zero point is added (lo - z, hi - z:
// [-128 + 3, -100 - 5] and [127 + 3, 100 - 5]), so the add cannot overflow.
// Shift 0: no rounding step.
// CHECK-DAG: arith.constant dense<[-3, 5]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[-125, -105]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[130, 95]> : tensor<2xi32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<1x2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>)
// CHECK: ^bb0(%{{.*}}: i32, %[[ZP:.*]]: i32, %[[LO:.*]]: i32, %[[HI:.*]]: i32, %{{.*}}: i8)
// CHECK: %[[H:.*]] = arith.trunci %{{.*}} : i64 to i32
// CHECK-NOT: arith.shrsi
// CHECK: %[[L:.*]] = arith.maxsi %[[H]], %[[LO]] : i32
// CHECK: %[[U:.*]] = arith.minsi %[[L]], %[[HI]] : i32
// CHECK: %[[Y:.*]] = arith.addi %[[U]], %[[ZP]] : i32
// CHECK: arith.trunci %[[Y]] : i32 to i8
func.func @requantize_channel_grid(%acc: tensor<1x2xi32>) -> tensor<1x2xi8> {
  %0 = qnt.requantize %acc axis 1 multiplier [1073741825] shift [0] channel_output_zp [-3, 5] clamp [-128, 127] channel_clamp_min [-128, -100] channel_clamp_max [127, 100] : tensor<1x2xi32> -> tensor<1x2xi8>
  return %0 : tensor<1x2xi8>
}

// -----

// Multiplier 2^30 (a power-of-two scale ratio) on an i32 input of unknown
// range: the high product is (a >> 1) + (a & 1), no i64 multiply.
// CHECK-LABEL: func @requantize_halving
// CHECK: linalg.generic
// CHECK-NOT: arith.muli
// CHECK-NOT: i64
// CHECK: %[[HALF:.*]] = arith.shrsi %[[A:.*]], %{{.*}} : i32
// CHECK: %[[ODD:.*]] = arith.andi %[[A]], %{{.*}} : i32
// CHECK: arith.addi %[[HALF]], %[[ODD]] : i32
// CHECK: return
func.func @requantize_halving(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = qnt.requantize %x multiplier [1073741824] shift [3] clamp [-2147483648, 2147483647] : tensor<4xi32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// The same multiplier on an i8 input: a = x - 127 lies in [-255, 0], and
// with m = 2^30 = 2^20 * 2^10 (trailing zero bits) the whole rescale is one
// i32 product, rounding constant and shift (FixedPoint.h, i32Rescale):
// high = floor((a 2^20 2^30 + 2^30) / 2^31) = (a * 2^20 + 1) >> 1, with the
// zero point folded into the constant: (x * 2^20 + 1 - 127 * 2^20) >> 1.
// No saturation, no i64, no clamp (the i32 bounds cannot bind).
// CHECK-LABEL: func @requantize_short_narrow
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[M:.*]] = arith.constant 1048576 : i32
// CHECK-DAG: %[[C:.*]] = arith.constant -133169151 : i32
// CHECK: linalg.generic
// CHECK: %[[X:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK-NOT: arith.subi
// CHECK: %[[P:.*]] = arith.muli %[[X]], %[[M]] : i32
// CHECK: %[[S:.*]] = arith.addi %[[P]], %[[C]] : i32
// CHECK: %[[R:.*]] = arith.shrsi %[[S]], %[[ONE]] : i32
// CHECK-NOT: arith.select
// CHECK-NOT: arith.maxsi
// CHECK-NOT: i64
// CHECK: linalg.yield %[[R]] : i32
func.func @requantize_short_narrow(%x: tensor<4xi8>) -> tensor<4xi32> {
  %0 = qnt.requantize %x input_zp 127 multiplier [1073741824] shift [-20] clamp [-2147483648, 2147483647] : tensor<4xi8> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Any other multiplier on an i8 input whose left shift stays in i32: the
// high product floor((a 2^19 m + 2^30) / 2^31) = floor((a m + 2^11) / 2^12)
// is split at bit 12 of m = 2026258738 = 494692 * 2^12 + 306: two i32
// multiplies, no i64 and no separate left shift (residual adds rescale
// their inputs like this). Per channel, with shift 0 on a second channel
// (m = 1946157056 = 29 * 2^26): split at bit 26, high = (29 a + 16) >> 5;
// the left shifts and the multipliers themselves are no parameters.
// CHECK-LABEL: func @requantize_split_narrow
// CHECK-DAG: %[[C12:.*]] = arith.constant 12 : i32
// CHECK-DAG: %[[R:.*]] = arith.constant 2048 : i32
// CHECK-DAG: %[[LO:.*]] = arith.constant 306 : i32
// CHECK-DAG: %[[HI:.*]] = arith.constant 494692 : i32
// CHECK: linalg.generic
// CHECK: %[[X:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK: %[[A:.*]] = arith.subi %[[X]], %{{.*}} : i32
// CHECK-NOT: arith.shli
// CHECK: %[[P:.*]] = arith.muli %[[A]], %[[LO]] : i32
// CHECK: %[[PR:.*]] = arith.addi %[[P]], %[[R]] : i32
// CHECK: %[[Q:.*]] = arith.shrsi %[[PR]], %[[C12]] : i32
// CHECK: %[[T:.*]] = arith.muli %[[A]], %[[HI]] : i32
// CHECK: %[[H:.*]] = arith.addi %[[T]], %[[Q]] : i32
// CHECK-NOT: i64
// CHECK: linalg.yield %[[H]] : i32
// CHECK-LABEL: func @requantize_split_per_channel
// CHECK-DAG: arith.constant dense<[494692, 29]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[306, 0]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[0, 16]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[2048, 0]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[12, 26]> : tensor<2xi32>
// CHECK-DAG: arith.constant dense<[0, 5]> : tensor<2xi32>
// CHECK-NOT: dense<[19, 0]>
// CHECK: linalg.generic
// CHECK-SAME: : tensor<4x2xi8>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) outs(
// CHECK-NOT: i64
// CHECK: return
func.func @requantize_split_narrow(%x: tensor<4xi8>) -> tensor<4xi32> {
  %0 = qnt.requantize %x input_zp -128 multiplier [2026258738] shift [-19] clamp [-2147483648, 2147483647] : tensor<4xi8> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}
func.func @requantize_split_per_channel(%x: tensor<4x2xi8>) -> tensor<4x2xi32> {
  %0 = qnt.requantize %x axis 1 input_zp -128 multiplier [2026258738, 1946157056] shift [-19, 0] clamp [-2147483648, 2147483647] : tensor<4x2xi8> -> tensor<4x2xi32>
  return %0 : tensor<4x2xi32>
}

// -----

// The same with a left shift of 24: 255 << 24 leaves i32, so the shift
// saturates (compare and select).
// CHECK-LABEL: func @requantize_narrow_saturating
// CHECK: arith.shli
// CHECK: arith.select
// CHECK: arith.select
// CHECK: return
func.func @requantize_narrow_saturating(%x: tensor<4xi8>) -> tensor<4xi32> {
  %0 = qnt.requantize %x input_zp 127 multiplier [1073741824] shift [-24] clamp [-2147483648, 2147483647] : tensor<4xi8> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// single_round in i32 lanes: high = (a * m) >> 31 (the one i64 step, no
// rounding constant), then r = (high >> n) + ((high >> (n - 1)) & 1) with
// per-channel n and n - 1; clamp before the zero point.
// CHECK-LABEL: func @requantize_single_round
// CHECK-DAG: %[[M:.*]] = arith.constant 1518500250 : i64
// CHECK-DAG: %[[C31:.*]] = arith.constant 31 : i64
// CHECK-DAG: %[[N:.*]] = arith.constant dense<[7, 10]> : tensor<2xi32>
// CHECK-DAG: %[[N1:.*]] = arith.constant dense<[6, 9]> : tensor<2xi32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[N]], %[[N1]] :
// CHECK: ^bb0(%[[X:.*]]: i32, %[[RN:.*]]: i32, %[[RN1:.*]]: i32, %{{.*}}: i8)
// CHECK: %[[A:.*]] = arith.extsi %[[X]] : i32 to i64
// CHECK: %[[P:.*]] = arith.muli %[[A]], %[[M]] : i64
// CHECK: %[[PH:.*]] = arith.shrui %[[P]], %[[C31]] : i64
// CHECK: %[[H:.*]] = arith.trunci %[[PH]] : i64 to i32
// CHECK: %[[B:.*]] = arith.shrsi %[[H]], %[[RN1]] : i32
// CHECK: %[[UP:.*]] = arith.andi %[[B]], %{{.*}} : i32
// CHECK: %[[Q:.*]] = arith.shrsi %[[H]], %[[RN]] : i32
// CHECK: %[[R:.*]] = arith.addi %[[Q]], %[[UP]] : i32
// CHECK: arith.maxsi %[[R]]
// CHECK: arith.minsi
// CHECK-NOT: i64
// CHECK: arith.trunci {{.*}} : i32 to i8
func.func @requantize_single_round(%acc: tensor<1x2xi32>) -> tensor<1x2xi8> {
  %0 = qnt.requantize %acc axis 1 multiplier [1518500250] shift [7] channel_shift [0, 3] clamp [0, 127] rounding single_round : tensor<1x2xi32> -> tensor<1x2xi8>
  return %0 : tensor<1x2xi8>
}

// -----

// single_round with n <= 0 on a narrow input: a << (1 - n) stays in i32
// ([-255, 0] << 21), then the n = 1 step: (high >> 1) + (high & 1).
// CHECK-LABEL: func @requantize_single_round_narrow
// CHECK: linalg.generic
// CHECK: %[[X:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK: %[[A:.*]] = arith.subi %[[X]], %{{.*}} : i32
// CHECK: %[[S:.*]] = arith.shli %[[A]], %{{.*}} : i32
// CHECK: arith.extsi %[[S]] : i32 to i64
// CHECK: arith.muli
// CHECK: arith.shrui
// CHECK: arith.trunci {{.*}} : i64 to i32
// CHECK-NOT: i64
// CHECK: return
func.func @requantize_single_round_narrow(%x: tensor<4xi8>) -> tensor<4xi32> {
  %0 = qnt.requantize %x input_zp 127 multiplier [1073741830] shift [-20] clamp [-2147483648, 2147483647] rounding single_round : tensor<4xi8> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// double_round in i32 lanes: high = (a * m + 2^30) >> 31, minus one for
// a < 0 on the slices with n >= 1 ((a >> 31) & [-1, 0]: the second slice
// has n = 0), then the rounding shift by [5, 0] (bit [1, 0] of high at
// [4, 0]).
// CHECK-LABEL: func @requantize_double_round
// CHECK-DAG: %[[ADJ:.*]] = arith.constant dense<[-1, 0]> : tensor<2xi32>
// CHECK-DAG: %[[N:.*]] = arith.constant dense<[5, 0]> : tensor<2xi32>
// CHECK-DAG: %[[N1:.*]] = arith.constant dense<[4, 0]> : tensor<2xi32>
// CHECK-DAG: %[[BIT:.*]] = arith.constant dense<[1, 0]> : tensor<2xi32>
// CHECK-DAG: %[[C30:.*]] = arith.constant 1073741824 : i64
// CHECK-DAG: %[[C31:.*]] = arith.constant 31 : i32
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[N]], %[[N1]], %[[BIT]], %[[ADJ]] :
// CHECK: ^bb0(%[[X:.*]]: i32, %[[RN:.*]]: i32, %[[RN1:.*]]: i32, %[[RB:.*]]: i32, %[[RA:.*]]: i32, %{{.*}}: i32)
// CHECK: %[[P:.*]] = arith.muli
// CHECK: %[[PN:.*]] = arith.addi %[[P]], %[[C30]] : i64
// CHECK: %[[H:.*]] = arith.trunci
// CHECK: %[[S:.*]] = arith.shrsi %[[X]], %[[C31]] : i32
// CHECK: %[[D:.*]] = arith.andi %[[S]], %[[RA]] : i32
// CHECK: %[[H2:.*]] = arith.addi %[[H]], %[[D]] : i32
// CHECK: %[[B:.*]] = arith.shrsi %[[H2]], %[[RN1]] : i32
// CHECK: %[[UP:.*]] = arith.andi %[[B]], %[[RB]] : i32
// CHECK: %[[Q:.*]] = arith.shrsi %[[H2]], %[[RN]] : i32
// CHECK: arith.addi %[[Q]], %[[UP]] : i32
// CHECK-NOT: i64
// CHECK: return
func.func @requantize_double_round(%acc: tensor<1x2xi32>) -> tensor<1x2xi32> {
  %0 = qnt.requantize %acc axis 1 multiplier [1518500250] shift [5, 0] clamp [-2147483648, 2147483647] rounding double_round : tensor<1x2xi32> -> tensor<1x2xi32>
  return %0 : tensor<1x2xi32>
}

// -----

// single_round with n <= 0 on an i32 input (a << 1 may leave i32), or a
// narrow input shifted too far (255 << 24), and double_round with n < 0 on
// an i32 input: the i64 form, clamped in i64.
// CHECK-LABEL: func @requantize_single_round_i64
// CHECK: arith.shrsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.shrsi %{{.*}}, %{{.*}} : i64
// CHECK: arith.shrsi %{{.*}}, %{{.*}} : i64
// CHECK: return
func.func @requantize_single_round_i64(%acc: tensor<4xi32>, %x: tensor<4xi8>) -> (tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) {
  %0 = qnt.requantize %acc multiplier [1518500250] shift [0] clamp [-2147483648, 2147483647] rounding single_round : tensor<4xi32> -> tensor<4xi32>
  %1 = qnt.requantize %x input_zp 127 multiplier [1073741830] shift [-24] clamp [-2147483648, 2147483647] rounding single_round : tensor<4xi8> -> tensor<4xi32>
  %2 = qnt.requantize %acc multiplier [1518500250] shift [-1] clamp [-2147483648, 2147483647] rounding double_round : tensor<4xi32> -> tensor<4xi32>
  return %0, %1, %2 : tensor<4xi32>, tensor<4xi32>, tensor<4xi32>
}

// -----

// CHECK-LABEL: func @clip
// CHECK: arith.maximumf
// CHECK: arith.minimumf
func.func @clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = qnt.clip %x min [0.0] max [6.0] method pact : tensor<4xf32>
  return %0 : tensor<4xf32>
}
