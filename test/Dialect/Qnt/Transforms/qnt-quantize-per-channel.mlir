// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31}))" | FileCheck %s

// Per-channel activations with per-channel widths (ACIQ bit allocation) in
// integers. Worked by hand from the pass description:
// * input [0, 1] at 8 bits: scale 1/255, zero point -128;
// * conv 1 weights per output channel, 8-bit symmetric: channel 0 [0.5,
//   -0.25] -> scale 0.5/127, codes [127, -63.5 -> -64 (ties to even)];
//   channel 1 [0.125, 1.0] -> scale 1/127, codes [15.875 -> 16, 127];
//   bias -zx * sum(codes) = 128 * 63 = 8064 and 128 * 143 = 18304;
// * its clip: channel 0 on a 4-bit grid over [0, 2] (scale 2/15), channel
//   1 on a 2-bit grid over [0, 0.5] (scale 1/6), stored in the widest (4
//   bits): qmin -8, zero point -8 for both; codes of channel 0 up to
//   -8 + 15 = 7, of channel 1 up to -8 + 3 = -5; the ReLU's 0 is the zero
//   point. Multipliers (frexp of M, mantissa * 2^31, an independent Python
//   computation): channel 0 M = (1/255)(0.5/127)/(2/15) -> 2037075735,
//   shift 13; channel 1 M = (1/255)(1/127)/(1/6) -> 1629660588, shift 12;
// * conv 2 reads that grid: s_c / max s = [0.8, 1] fold into its weights
//   [1.0, 0.5] -> f32 [0.800000011920929, 0.5], 8-bit: scale f32(0.8)/127,
//   codes [127, 79.375 -> 79]; input scale 1/6; bias sum_k z_k (0 - q_k) =
//   8 * 127 + 8 * 79 = 1648;
// * output [-4, 4] at 8 bits: scale 8/255, zero point round(127.5) - 128 =
//   0; M = (1/6)(f32(0.8)/127)/(8/255) -> 1149833781, shift 4.

// CHECK-LABEL: func.func @allocated
// CHECK: %[[X:.*]] = qnt.quantize %arg0 uniform<si8, scale = 0.0039215686274509803, zero_point = -128>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}127, -64]]], {{\[\[\[}}16, 127]]]]> : tensor<2x1x1x2xi8>}>
// CHECK-DAG: "tosa.const"() <{values = dense<[8064, 18304]> : tensor<2xi32>}>
// CHECK: %[[A:.*]] = tosa.conv2d %[[X]]
// CHECK: %[[Y:.*]] = qnt.requantize %[[A]] axis 3 multiplier [2037075735, 1629660588] shift [13, 12] output_zp -8 clamp [-8, 7] channel_clamp_max [7, -5] rounding single_round {qnt.result_params = #qnt.uniform<si4, axis = 3, scales = [0.13333333333333333, 0.16666666666666666], zero_points = [-8, -8]>} : tensor<1x1x1x2xi32> -> tensor<1x1x1x2xi8>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}127, 79]]]]> : tensor<1x1x1x2xi8>}>
// CHECK-DAG: "tosa.const"() <{values = dense<1648> : tensor<1xi32>}>
// CHECK: %[[A2:.*]] = tosa.conv2d %[[Y]]
// CHECK: %[[Z:.*]] = qnt.requantize %[[A2]] multiplier [1149833781] shift [4] clamp [-128, 127]
// CHECK: qnt.dequantize %[[Z]] uniform<si8, scale = 0.031372549019607843>
func.func @allocated(%x: tensor<1x1x1x2xf32>) -> tensor<1x1x1x1xf32> {
  %c0 = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x1x1x2xf32>
  %w = "tosa.const"() <{values = dense<[[[[0.5, -0.25]]], [[[0.125, 1.0]]]]> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %c0, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %r = tosa.clamp %y {min_val = 0.0 : f32, max_val = 3.4e+38 : f32} : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %c1 = qnt.clip %r axis 3 min [0.0, 0.0] max [2.0, 0.5] method aciq_laplace bits 3 channel_bits [4, 2] : tensor<1x1x1x2xf32>
  %w2 = "tosa.const"() <{values = dense<[[[[1.0, 0.5]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y2 = tosa.conv2d %c1, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  %c2 = qnt.clip %y2 min [-4.0] max [4.0] method minmax bits 8 : tensor<1x1x1x1xf32>
  return %c2 : tensor<1x1x1x1xf32>
}

// -----

// Two-sided per-channel clips have a zero point per channel: the
// requantization carries them (channel_output_zp); channel 0 [-1, 1] at 8
// bits: scale 2/255, zero point round(127.5) - 128 = 0; channel 1 [-3, 1]:
// scale 4/255, zero point round(191.25) - 128 = 63.
// CHECK-LABEL: func.func @two_sided
// The weights' channels [1.0, 0.5] and [-1.0, 2.0] have scales 1/127 and
// 2/127, so both multipliers are M = 1/254 -> 1082196484, shift 7.
// CHECK: qnt.requantize %{{.*}} axis 2 multiplier [1082196484, 1082196484] shift [7, 7] channel_output_zp [0, 63] clamp [-128, 127] rounding single_round {qnt.result_params = #qnt.uniform<si8, axis = 2, scales = [0.0078431372549019607, 0.015686274509803921], zero_points = [0, 63]>}
func.func @two_sided(%x: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %c0 = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x1x2xf32>
  %w = "tosa.const"() <{values = dense<[[[1.0, -1.0], [0.5, 2.0]]]> : tensor<1x2x2xf32>}> : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %c0, %w, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  %c1 = qnt.clip %y axis 2 min [-1.0, -3.0] max [1.0, 1.0] method minmax bits 8 : tensor<1x1x2xf32>
  return %c1 : tensor<1x1x2xf32>
}

