// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-fake-quantize))" | FileCheck %s
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-fake-quantize{weight-bits=8}))" | FileCheck %s --check-prefix=W8
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-fake-quantize{weight-bits=4 weight-per-channel=true}))" | FileCheck %s --check-prefix=W4PC
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-fake-quantize{weight-bits=9}))" 2>&1 | FileCheck %s --check-prefix=BAD

// [0, 6] with 4 bits: scale 6 / 15 = 0.4, zero point 0.
// [-1, 3] with 2 bits: scale 4 / 3, zero point round(0.75) = 1.
// CHECK-LABEL: func @acts
// CHECK: %[[C:.*]] = qnt.clip %{{.*}} min [0.000000e+00] max [6.000000e+00] method pact bits 4
// CHECK: %[[F:.*]] = qnt.fake_quant %[[C]] uniform<ui4, scale = 4.000000e-01> : tensor<1x4xf32>
// CHECK: %[[D:.*]] = qnt.clip %[[F]] min [-1.000000e+00] max [3.000000e+00] method mse bits 2
// CHECK: %[[G:.*]] = qnt.fake_quant %[[D]] uniform<ui2, scale = 1.3333333333333333, zero_point = 1> : tensor<1x4xf32>
// CHECK: return %[[G]]
func.func @acts(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %c = qnt.clip %x min [0.0] max [6.0] method pact bits 4 : tensor<1x4xf32>
  %d = qnt.clip %c min [-1.0] max [3.0] method mse bits 2 : tensor<1x4xf32>
  return %d : tensor<1x4xf32>
}

// Weights: max |w| = 2 -> per tensor si8 narrow scale 2 / 127; per channel
// (output channels 0 and 1: max |w| 2 and 0.5) si4 narrow scales 2/7, 0.5/7.
// CHECK-LABEL: func @weights
// CHECK-NOT: qnt.fake_quant
// W8-LABEL: func @weights
// W8: %[[W:.*]] = qnt.fake_quant %{{.*}} uniform<si8 narrow, scale = 0.015748031496062992> : tensor<2x1x1x2xf32>
// W8: tosa.conv2d %{{.*}}, %[[W]],
// W4PC-LABEL: func @weights
// W4PC: qnt.fake_quant %{{.*}} uniform<si4 narrow, axis = 0, scales = [0.2857142857142857, 0.071428571428571425]> : tensor<2x1x1x2xf32>
// BAD: error: qnt-fake-quantize: weight-bits must be 0 or 2..8, got 9
func.func @weights(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[[1.0, -2.0]]], [[[0.5, 0.25]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %c : tensor<1x4x4x2xf32>
}
