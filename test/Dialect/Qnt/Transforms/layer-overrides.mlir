// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=minmax bits=8 layer-bits=input=6,conv.b=4},qnt-quantize{weight-bits=8 weight-per-channel=false layer-weight-bits=first=4,conv.b=3}),canonicalize)" | FileCheck %s
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{layer-bits=conv.zzz=4}))" 2>&1 | FileCheck %s --check-prefix=UNUSED
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{layer-bits=conv.a}))" 2>&1 | FileCheck %s --check-prefix=FORM
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips,qnt-quantize{layer-weight-bits=last=9}))" 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=minmax bits=8},qnt-quantize{weight-per-channel=false weight-codebook=ternary syq-keep-first-last=false layer-weight-bits=conv.a=8}),canonicalize)" | FileCheck %s --check-prefix=SYQ

// Mixed precision by name. Activations: the input at 6 bits (63 levels over
// [0, 1]), conv.b's output at 4 bits (15 levels over [-2, 2]), the rest 8.
// Weights (per tensor): the first layer (conv.a) at 4 bits, codes in [-7,
// 7] (0.5 / f32(1 / 7) = 3.4999998 -> 3, 1.0 -> 7), conv.b at 3 bits
// ([-3, 3]).
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}3]]], {{\[\[\[}}7]]]]> : tensor<2x1x1x1xi8>}>
// CHECK-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}3, -3]]]]> : tensor<1x1x1x2xi8>}>
// CHECK: qnt.quantize %arg0 uniform<si6, scale = 0.015873015873015872, zero_point = -32>
// CHECK: tosa.conv2d
// CHECK: qnt.requantize {{.*}} -> tensor<1x2x2x2xi8>
// CHECK: tosa.conv2d
// CHECK: qnt.requantize %{{.*}} clamp [-8, 7]
// CHECK: qnt.dequantize %{{.*}} uniform<si4, scale = 0.26666666666666666>
//
// With SYQ ternary, a layer given a width stays uniform at that width.
// SYQ-DAG: dense<{{\[\[\[\[}}64]]], {{\[\[\[}}127]]]]> : tensor<2x1x1x1xi8>
// SYQ-DAG: dense<{{\[\[\[\[}}1, -1]]]]> : tensor<1x1x1x2xi8>
//
// UNUSED: error: qnt-insert-clips: layer-bits: 'conv.zzz=4' matches no layer
// FORM: error: qnt-insert-clips: layer-bits: expected KEY=BITS, got 'conv.a'
// RANGE: error: qnt-quantize: layer-weight-bits: bits for 'last' must be in 2..8, got 9
func.func @forward(%x: tensor<1x2x2x1xf32> {qnt.stats = #qnt.stats<count = 4, min = 0.0, max = 1.0, mean = 0.5, std = 0.3, mad = 0.25>}) -> tensor<1x2x2x1xf32> {
  %w = "tosa.const"() {values = dense<[[[[0.5]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %a = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.stats = #qnt.stats<count = 8, min = -2.0, max = 2.0, mean = 0.0, std = 1.0, mad = 0.8>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("conv.a")
  %w2 = "tosa.const"() {values = dense<[[[[1.0, -1.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c = tosa.conv2d %a, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.stats = #qnt.stats<count = 4, min = -2.0, max = 2.0, mean = 0.0, std = 1.0, mad = 0.8>} : (tensor<1x2x2x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32> loc("conv.b")
  return %c : tensor<1x2x2x1xf32>
}
