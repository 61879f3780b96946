// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{weight-per-channel=false}))" | FileCheck %s
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{weight-per-channel=false min-multiplier-bits=31}))" | FileCheck %s --check-prefix=FULL

// WESS output (qnt-wess on weights [1.0, 0.125]: k = [0, 3]): weights
// [1.0, 1.0], qnt.pow2_scale shifts [0, -3]. Per-tensor 8-bit weights:
// scale 1/127, codes [127, 127]; input [0, 1] at 8 bits (scale 1/255,
// zero point -128): bias -zx * sum = 128 * 127 = 16256. Output [0, 1] at 8
// bits: M = (1/255)(1/127)/(1/255) = 1/127 = 0.50394 * 2^-6 -> one
// multiplier 1082196484 with shift 6 for the layer (prefix FULL,
// min-multiplier-bits=31); the pow2_scale becomes per-channel extra right
// shifts [0, 3].
// By default the multiplier is rounded to the most bits that keep the
// 32-bit requantization exact for both channels (FixedPoint.h, i32Rescale):
// each accumulator lies in [-128 * 127 + 16256, 127 * 127 + 16256] =
// [0, 32385]; with 17 bits (m' = 66053, m = 66053 * 2^14) channel 0 (total
// shift 6: a m' + 2^16 + 2^22) fits in i32 but channel 1 (total shift 9:
// a m' + 2^16 + 2^25 = 2172746245) does not, so 16 bits: m' =
// round(1082196484 / 2^15) = 33026, m = 1082195968.
// CHECK-LABEL: func.func @wess
// CHECK: %[[A:.*]] = tosa.conv2d
// CHECK-NOT: qnt.pow2_scale
// CHECK: qnt.requantize %[[A]] axis 3 multiplier [1082195968] shift [6] channel_shift [0, 3] output_zp -128 clamp [-128, 127] {{.*}}: tensor<1x2x2x2xi32> -> tensor<1x2x2x2xi8>
// CHECK-NOT: qnt.pow2_scale
// FULL: qnt.requantize %{{.*}} axis 3 multiplier [1082196484] shift [6] channel_shift [0, 3]
func.func @wess(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %xc = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x2x2x1xf32>
  %w = "tosa.const"() {values = dense<1.0> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = tosa.conv2d %xc, %w, %b, %z, %z {acc_type = f32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %s = qnt.pow2_scale %y axis 3 shifts [0, -3] : tensor<1x2x2x2xf32>
  %r = tosa.clamp %s {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %rc = qnt.clip %r min [0.0] max [1.0] method minmax bits 8 : tensor<1x2x2x2xf32>
  return %rc : tensor<1x2x2x2xf32>
}
