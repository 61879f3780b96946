// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize))" | FileCheck %s
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{weight-per-channel=false rounding=double_round}))" | FileCheck %s --check-prefix=TENSOR
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{rounding=tflite}))" | FileCheck %s --check-prefix=TFLITE
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{weight-bits=9}))" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{rounding=up}))" 2>&1 | FileCheck %s --check-prefix=ROUND
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{residual-add=exact}))" 2>&1 | FileCheck %s --check-prefix=ADD
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31}))" | FileCheck %s --check-prefix=FULL
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=0}))" 2>&1 | FileCheck %s --check-prefix=MBITS

// The expected constants follow from the formulas in the pass description
// (worked out by hand in the comments):
// * input [0, 1] at 8 bits: scale 1/255, zero point -128 (signed storage);
// * conv channel 0 weights [0.5, -0.25, 1.0, 0.125], max 1 -> scale 1/127,
//   codes [63.5 -> 64 (ties to even), -31.75 -> -32, 127, 15.875 -> 16];
//   channel 1 [-0.5, 0.75, 0.25, 1.0] -> [-64, 95, 32, 127];
// * bias: f32(0.1) * 255 * 127 = 3238.50005 -> 3239, plus -zx * sum(codes)
//   = 128 * 175 = 22400 -> 25639; f32(-0.2) -> -6477 + 128 * 190 -> 17843;
// * requantization to [0, 2] at 8 bits (scale 2/255): M = 1/254 =
//   0.50394 * 2^-7 -> multiplier round(0.50394 * 2^31) = 1082196484, shift 7
//   (prefix FULL, min-multiplier-bits=31); ReLU6 folds into the clamp (0 -> the
//   zero point -128, 6 beyond 127);
// * the accumulators over every i8 input: channel 0 [-30560 + 25639,
//   30385 + 25639] = [-4921, 56024], channel 1 [-40640 + 17843, 40450 +
//   17843] = [-22797, 58293]; the multiplier keeps the most bits p for which
//   a m' + 2^(p+6) (single_round, the default: one rounding constant,
//   shift p + 7; tflite adds 2^(p-1), its second rounding) stays in i32 on
//   both: p = 16, m' = round(1082196484 / 2^15) = 33026 (58293 * 33026 +
//   2^15 + 2^22 = 1929411690), p = 17 overflows (58293 * 66052 > 2^31) ->
//   multiplier 33026 * 2^15 = 1082195968 in every mode;
// * global average pool of 16: i32 sum, input_zp = -128 * 16 = -2048,
//   M = (2/255/16) / (1.5/255) = 1/12 = 0.6667 * 2^-3 -> 1431655765, shift 3;
// * the clip between the matmul and its bias add is dropped: the bias
//   (round(b / (S_x S_w))) and -zx * column sums are one i32 constant.

// CHECK-LABEL: func.func @forward
// CHECK: %[[X:.*]] = qnt.quantize %arg0 uniform<si8, scale = 0.0039215686274509803, zero_point = -128> : tensor<1x4x4x1xf32> -> tensor<1x4x4x1xi8>
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}64], [-32]], {{\[\[}}127], [16]]], {{\[\[\[}}-64], [95]], {{\[\[}}32], [127]]]]> : tensor<2x2x2x1xi8>}>
// CHECK-DAG: %[[Z:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK-DAG: %[[PS:.*]] = tosa.const_shape {values = dense<[0, 0, 1, 0, 1, 0, 0, 0]> : tensor<8xindex>}
// CHECK-DAG: %[[ZX:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK: %[[P:.*]] = tosa.pad %[[X]], %[[PS]], %[[ZX]] : (tensor<1x4x4x1xi8>, !tosa.shape<8>, tensor<1xi8>) -> tensor<1x5x5x1xi8>
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[25639, 17843]> : tensor<2xi32>}>
// CHECK: %[[A:.*]] = tosa.conv2d %[[P]], %[[W]], %[[B]], %[[Z]], %[[Z]] {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x1xi8>, tensor<2x2x2x1xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x2xi32>
// CHECK: %[[R:.*]] = qnt.requantize %[[A]] axis 3 multiplier [1082195968, 1082195968] shift [7, 7] output_zp -128 clamp [-128, 127] rounding single_round {{.*}}: tensor<1x4x4x2xi32> -> tensor<1x4x4x2xi8>
// CHECK: %[[C:.*]] = tosa.cast %[[R]] : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xi32>
// CHECK: %[[S1:.*]] = tosa.reduce_sum %[[C]] {axis = 1 : i32}
// CHECK: %[[S2:.*]] = tosa.reduce_sum %[[S1]] {axis = 2 : i32} : (tensor<1x1x4x2xi32>) -> tensor<1x1x1x2xi32>
// CHECK: %[[PQ:.*]] = qnt.requantize %[[S2]] input_zp -2048 multiplier [1431655765] shift [3] output_zp -128 clamp [-128, 127] rounding single_round {{.*}}: tensor<1x1x1x2xi32> -> tensor<1x1x1x2xi8>
// CHECK: %[[F:.*]] = tosa.reshape %[[PQ]], %{{.*}} : (tensor<1x1x1x2xi8>, !tosa.shape<3>) -> tensor<1x1x2xi8>
// CHECK: %[[M:.*]] = tosa.matmul %[[F]], %{{.*}}, %{{.*}}, %{{.*}} : (tensor<1x1x2xi8>, tensor<1x2x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x3xi32>
// CHECK: %[[MR:.*]] = tosa.reshape %[[M]], %{{.*}} : (tensor<1x1x3xi32>, !tosa.shape<2>) -> tensor<1x3xi32>
// CHECK: %[[MB:.*]] = tosa.add %[[MR]], %{{.*}} : (tensor<1x3xi32>, tensor<1x3xi32>) -> tensor<1x3xi32>
// CHECK: %[[O:.*]] = qnt.requantize %[[MB]] axis 1 multiplier
// CHECK-SAME: -> tensor<1x3xi8>
// CHECK: %[[D:.*]] = qnt.dequantize %[[O]] uniform<si8, {{.*}}> : tensor<1x3xi8> -> tensor<1x3xf32>
// CHECK: return %[[D]]
// CHECK-NEXT: }

// Per-tensor weights: channel 1 is scaled by the layer maximum (1.0 too
// here), one multiplier; the rounding mode is recorded. double_round's
// constants are the same here (2^(p+6) and 2^30 / 2^(31-p)): 16 bits.
// TENSOR: qnt.requantize %{{.*}} multiplier [1082195968] shift [7] output_zp -128 clamp [-128, 127] rounding double_round {{.*}}: tensor<1x4x4x2xi32> -> tensor<1x4x4x2xi8>
// rounding=tflite is the op's default rounding, not printed.
// TFLITE: qnt.requantize %{{.*}} axis 3 multiplier [1082195968, 1082195968] shift [7, 7] output_zp -128 clamp [-128, 127] {qnt.result_params
// TFLITE: qnt.requantize %{{.*}} input_zp -2048 multiplier [1431655765] shift [3] output_zp -128 clamp [-128, 127] {qnt.result_params
// The average pool's sum is no accumulator with known bounds: its
// multiplier stays whole.
// FULL: qnt.requantize %{{.*}} axis 3 multiplier [1082196484, 1082196484] shift [7, 7]
// FULL: qnt.requantize %{{.*}} input_zp -2048 multiplier [1431655765] shift [3]

// BITS: error: qnt-quantize: weight-bits must be in 2..8, got 9
// ROUND: error: qnt-quantize: unknown rounding 'up' (expected tflite, single_round or double_round)
// ADD: error: qnt-quantize: unknown residual-add 'exact' (expected single-rounding or tflite)
// MBITS: error: qnt-quantize: min-multiplier-bits must be in 1..31, got 0

func.func @forward(%x: tensor<1x4x4x1xf32>) -> tensor<1x3xf32> {
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %xc = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x4x4x1xf32>
  %w = "tosa.const"() {values = dense<[[[[0.5], [-0.25]], [[1.0], [0.125]]], [[[-0.5], [0.75]], [[0.25], [1.0]]]]> : tensor<2x2x2x1xf32>} : () -> tensor<2x2x2x1xf32>
  %b = "tosa.const"() {values = dense<[0.1, -0.2]> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = tosa.conv2d %xc, %w, %b, %z, %z {acc_type = f32, pad = array<i64: 1, 0, 1, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<1x4x4x1xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %y {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %rc = qnt.clip %r min [0.0] max [2.0] method mse bits 8 : tensor<1x4x4x2xf32>
  %p = tosa.avg_pool2d %rc, %z, %z {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32>
  %pc = qnt.clip %p min [0.0] max [1.5] method mse bits 8 : tensor<1x1x1x2xf32>
  %s = tosa.const_shape {values = dense<[1, 1, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %pc, %s : (tensor<1x1x1x2xf32>, !tosa.shape<3>) -> tensor<1x1x2xf32>
  %m = "tosa.const"() {values = dense<[[[1.0, -1.0, 0.5], [0.25, 2.0, -0.75]]]> : tensor<1x2x3xf32>} : () -> tensor<1x2x3xf32>
  %mm = tosa.matmul %f, %m, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %mc = qnt.clip %mm min [-2.0] max [3.0] method mse bits 8 : tensor<1x1x3xf32>
  %s2 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %o = tosa.reshape %mc, %s2 : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32>
  %c = "tosa.const"() {values = dense<[[0.5, 0.0, -0.5]]> : tensor<1x3xf32>} : () -> tensor<1x3xf32>
  %a = tosa.add %o, %c : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  %ac = qnt.clip %a min [-2.5] max [3.5] method mse bits 8 : tensor<1x3xf32>
  return %ac : tensor<1x3xf32>
}
