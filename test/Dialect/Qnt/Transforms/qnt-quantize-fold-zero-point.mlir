// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize))" | FileCheck %s
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=17}))" | FileCheck %s --check-prefix=MIN17
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31}))" | FileCheck %s --check-prefix=FULL

// min-multiplier-bits prefers, among the multiplier lengths with the
// 32-bit form, the longest that also lets the output zero point fold into
// the rounding constants (worked out by hand):
// * input [-1, 1] at 8 bits: scale 2/255, zero point 0; the weight 1.0 is
//   code 127 (scale 1/127); output [0, 0.6]: scale 0.6/255, zero point
//   -128; M = (2/255) (1/127) / (0.6/255) = 0.026247 = 0.839895 * 2^-5:
//   Q31 multiplier 1803660807, shift 5 (prefix FULL);
// * the accumulators over every i8 input: [-128 * 127, 127 * 127] =
//   [-16256, 16129];
// * tflite with a p-bit multiplier m' = round(m / 2^(31 - p)) (odd here):
//   constants c+ = 2^(p-1) + 2^(p+4), c- = c+ - 2^p, shift p + 5;
// * p = 17: m' = 110087; -16256 m' + c- = -1789574272 + 2031616 =
//   -1787542656 is inside i32 (so are the others), but the zero point adds
//   -128 * 2^22 = -536870912: -2324413568 < -2^31, no fold;
// * p = 16: m' = 55043; -16256 m' + c- = -894779008 + 1015808, plus
//   -128 * 2^21: -1162198656, folds: multiplier 55043 * 2^15 = 1803649024;
// * with min-multiplier-bits=17 no length at least 17 folds: the longest
//   with the 32-bit form, p = 17: 110087 * 2^14 = 1803665408.
// CHECK: qnt.requantize %{{.*}} multiplier [1803649024] shift [5] output_zp -128 clamp [-128, 127]
// MIN17: qnt.requantize %{{.*}} multiplier [1803665408] shift [5] output_zp -128 clamp [-128, 127]
// FULL: qnt.requantize %{{.*}} multiplier [1803660807] shift [5] output_zp -128 clamp [-128, 127]
func.func @forward(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32> {
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %xc = qnt.clip %x min [-1.0] max [1.0] method minmax bits 8 : tensor<1x2x2x1xf32>
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x1x1x1xf32>} : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %xc, %w, %b, %z, %z {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %r = tosa.clamp %y {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x2x2x1xf32>) -> tensor<1x2x2x1xf32>
  %rc = qnt.clip %r min [0.0] max [0.6] method mse bits 8 : tensor<1x2x2x1xf32>
  return %rc : tensor<1x2x2x1xf32>
}
