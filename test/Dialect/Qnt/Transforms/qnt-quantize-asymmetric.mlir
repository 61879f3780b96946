// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{weight-asymmetric=true weight-per-channel=false}))" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{weight-asymmetric=true}))" | FileCheck %s --check-prefix=CHAN

// Asymmetric weights, worked by hand from the pass description:
// * input [0, 1] at 8 bits: scale 1/255, zero point zx = -128;
// * per tensor, weights [0.5, 0.25, -0.25, 0.0] over [-0.25, 0.5]: scale
//   0.75/255, zero point round(0.25 / scale) - 128 = 85 - 128 = -43, codes
//   [170 - 43, 85 - 43, -85 - 43, -43] = [127, 42, -128, -43];
// * bias sum_k zx (zw - q_k): channel 0: -128 * ((-43 - 127) + (-43 - 42))
//   = 32640; channel 1: -128 * ((-43 + 128) + 0) = -10880;
// * acc -= zw * (sum of the window's input codes): a 1x1 convolution with
//   all-one weights (one output channel) times [-43, -43], subtracted.
// Per channel: channel 0 [0.5, 0.25] over [0, 0.5]: scale 0.5/255, zero
// point -128, codes [127, 0.25 / f32(0.5/255) = 127.4999966 -> 127 - 128 =
// -1] (f32 division, as qnt.quantize computes);
// channel 1 [-0.25, 0] over [-0.25, 0]: scale 0.25/255, zero point 255 -
// 128 = 127, codes [-128, 127]; zero points [-128, 127]; bias channel 0
// -128 * ((-128 - 127) + (-128 + 1)) = 48896, channel 1 -128 * ((127 +
// 128) + 0) = -32640.

// CHECK-LABEL: func.func @conv
// CHECK: %[[X:.*]] = qnt.quantize %arg0
// CHECK-DAG: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}127, 42]]], {{\[\[\[}}-128, -43]]]]> : tensor<2x1x1x2xi8>}>
// CHECK-DAG: %[[B:.*]] = "tosa.const"() <{values = dense<[32640, -10880]> : tensor<2xi32>}>
// CHECK: %[[A:.*]] = tosa.conv2d %[[X]], %[[W]], %[[B]]
// CHECK: %[[ONES:.*]] = "tosa.const"() <{values = dense<1> : tensor<1x1x1x2xi8>}>
// CHECK: %[[S:.*]] = tosa.conv2d %[[X]], %[[ONES]], %{{.*}} {acc_type = i32, {{.*}}} : ({{.*}}) -> tensor<1x2x2x1xi32>
// CHECK: %[[ZW:.*]] = "tosa.const"() <{values = dense<-43> : tensor<1x1x1x2xi32>}>
// CHECK: %[[T:.*]] = tosa.mul %[[S]], %[[ZW]], %{{.*}} : (tensor<1x2x2x1xi32>, tensor<1x1x1x2xi32>, tensor<1xi8>) -> tensor<1x2x2x2xi32>
// CHECK: %[[D:.*]] = tosa.sub %[[A]], %[[T]] : (tensor<1x2x2x2xi32>, tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi32>
// CHECK: qnt.requantize %[[D]]
// CHAN-LABEL: func.func @conv
// CHAN-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}127, -1]]], {{\[\[\[}}-128, 127]]]]> : tensor<2x1x1x2xi8>}>
// CHAN-DAG: "tosa.const"() <{values = dense<[48896, -32640]> : tensor<2xi32>}>
// CHAN-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}-128, 127]]]]> : tensor<1x1x1x2xi32>}>
func.func @conv(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %c0 = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x2x2x2xf32>
  %w = "tosa.const"() <{values = dense<[[[[0.5, 0.25]]], [[[-0.25, 0.0]]]]> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %c0, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %c1 = qnt.clip %y min [-1.0] max [1.0] method minmax bits 8 : tensor<1x2x2x2xf32>
  return %c1 : tensor<1x2x2x2xf32>
}

// -----

// A matmul's window sums are the input's sums over K; a depthwise
// convolution's come from all-one depthwise weights (one per channel) on the
// zero-point padded input.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[X:.*]] = qnt.quantize %arg0
// CHECK: %[[A:.*]] = tosa.matmul %[[X]]
// CHECK: %[[C:.*]] = tosa.cast %[[X]] : (tensor<1x3x2xi8>) -> tensor<1x3x2xi32>
// CHECK: %[[S:.*]] = tosa.reduce_sum %[[C]] {axis = 2 : i32} : (tensor<1x3x2xi32>) -> tensor<1x3x1xi32>
// CHECK: %[[T:.*]] = tosa.mul %[[S]], %{{.*}}, %{{.*}} : (tensor<1x3x1xi32>, tensor<1x1x2xi32>, tensor<1xi8>) -> tensor<1x3x2xi32>
// CHECK: tosa.sub %[[A]], %[[T]]
func.func @matmul(%x: tensor<1x3x2xf32>) -> tensor<1x3x2xf32> {
  %c0 = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x3x2xf32>
  %w = "tosa.const"() <{values = dense<[[[0.5, -0.25], [0.25, 0.0]]]> : tensor<1x2x2xf32>}> : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %c0, %w, %z, %z : (tensor<1x3x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x2xf32>
  %c1 = qnt.clip %y min [-1.0] max [1.0] method minmax bits 8 : tensor<1x3x2xf32>
  return %c1 : tensor<1x3x2xf32>
}

// -----

// CHECK-LABEL: func.func @depthwise
// CHECK: %[[P:.*]] = tosa.pad
// CHECK: %[[A:.*]] = tosa.depthwise_conv2d %[[P]]
// CHECK: %[[ONES:.*]] = "tosa.const"() <{values = dense<1> : tensor<3x3x2x1xi8>}>
// CHECK: %[[S:.*]] = tosa.depthwise_conv2d %[[P]], %[[ONES]], {{.*}} -> tensor<1x2x2x2xi32>
// CHECK: %[[T:.*]] = tosa.mul %[[S]]
// CHECK: tosa.sub %[[A]], %[[T]]
func.func @depthwise(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %c0 = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x2x2x2xf32>
  %w = "tosa.const"() <{values = dense<0.125> : tensor<3x3x2x1xf32>}> : () -> tensor<3x3x2x1xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.depthwise_conv2d %c0, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<3x3x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %c1 = qnt.clip %y min [0.0] max [2.0] method minmax bits 8 : tensor<1x2x2x2xf32>
  return %c1 : tensor<1x2x2x2xf32>
}
