// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31 weight-codebook=ternary syq-keep-first-last=false},qnt-pack-weights),canonicalize)" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31 weight-codebook=ternary syq-group=channel syq-keep-first-last=false}),canonicalize)" | FileCheck %s --check-prefix=CHAN
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31 weight-codebook=binary syq-group=layer syq-keep-first-last=false}),canonicalize)" | FileCheck %s --check-prefix=BIN
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31 weight-codebook=ternary}),canonicalize)" | FileCheck %s --check-prefix=KEEP
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31 weight-codebook=ternary syq-eta=0 syq-keep-first-last=false}),canonicalize)" | FileCheck %s --check-prefix=ETA0
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31 weight-codebook=quaternary}))" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-quantize{min-multiplier-bits=31 weight-codebook=ternary syq-group=diagonal}))" 2>&1 | FileCheck %s --check-prefix=BADG

// SYQ ternary, pixel-wise (one scale per kernel position). Weights (OHWI,
// one output channel): (0,0) [0.5, -0.02], (0,1) [1.0, 0.3], (1,0) [-0.1,
// 0.2], (1,1) [0.01, -0.6]; threshold 0.05 * max|W| = 0.05, so the codes are
// t = [1, 0, 1, 1, -1, 1, 0, -1]. Scales (mean |w| over non-zero codes):
// a = [0.5, 0.65, 0.15, 0.6]; S = 0.65 / 127; multipliers m = round(a / S)
// = [98, 127, 29, 117]. The codes are stored 2 bits each: [1, 0, 1, 1] ->
// 0b01010001 = 81, [-1, 1, 0, -1] -> 0b11000111 = -57. The zero-point term
// in the bias: -zx sum(t m) = 128 * 235 = 30080. All by hand.
// CHECK-DAG: %[[BIAS:.*]] = "tosa.const"() <{values = dense<30080> : tensor<1xi32>}>
// CHECK-DAG: %[[T:.*]] = "tosa.const"() <{values = dense<[81, -57]> : tensor<2xi8>}>
// CHECK-DAG: %[[M:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}98], [127]], {{\[\[}}29], [117]]]]> : tensor<1x2x2x1xi8>}>
// CHECK: %[[U:.*]] = qnt.unpack %[[T]] bits 2 : tensor<2xi8> -> tensor<1x2x2x2xi8>
// CHECK: %[[P:.*]] = tosa.mul %[[U]], %[[M]], %{{.*}} : (tensor<1x2x2x2xi8>, tensor<1x2x2x1xi8>, tensor<1xi8>) -> tensor<1x2x2x2xi32>
// CHECK: %[[W:.*]] = tosa.cast %[[P]] : (tensor<1x2x2x2xi32>) -> tensor<1x2x2x2xi8>
// CHECK: tosa.conv2d %{{.*}}, %[[W]], %[[BIAS]]
// The requantization scale is S_x S / S_y = 0.01 * (0.65 / 127) / (8 / 255).
// CHECK: qnt.requantize %{{.*}} multiplier [1793740689] shift [9] clamp [-128, 127]
//
// Per output channel: one scale a = mean of the six non-zero |w| =
// 2.71 / 6; the codes t are the weights, the scale the requantization's.
// CHAN: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, 0], [1, 1]], {{\[\[}}-1, 1], [0, -1]]]]> : tensor<1x2x2x2xi8>}>
// CHAN: tosa.conv2d %{{.*}}, %[[W]]
// CHAN-NOT: tosa.mul
//
// Binary, one scale for the layer: every weight is +-1 (sign) and the
// scale a = mean |w| = 2.73 / 8 goes into the requantization:
// 0.01 * (2.73 / 8) / (8 / 255) = 0.108773 ~ 1868713427 * 2^-31 * 2^-3 (the
// last digits differ: the weights are f32).
// BIN: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1, -1], [1, 1]], {{\[\[}}-1, 1], [1, -1]]]]> : tensor<1x2x2x2xi8>}>
// BIN-NOT: tosa.mul
// BIN: tosa.conv2d %{{.*}}, %[[W]]
// BIN: qnt.requantize %{{.*}} multiplier [18687134{{[0-9][0-9]}}] shift [3]
//
// By default the first and the last weighted layer stay uniform (8-bit).
// KEEP-NOT: tosa.mul
// KEEP: dense<{{\[\[\[\[}}64, -3], [127, 38]]
// BAD: error: qnt-quantize: unknown weight-codebook 'quaternary' (expected none, binary or ternary)
// BADG: error: qnt-quantize: syq-group must be pixel, row, channel or layer and syq-eta in [0, 1), got 'diagonal', 5.000000e-02

func.func @conv(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x1xf32> {
  %c = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x4x4x2xf32>
  %w = "tosa.const"() {values = dense<[[[[0.5, -0.02], [1.0, 0.3]], [[-0.1, 0.2], [0.01, -0.6]]]]> : tensor<1x2x2x2xf32>} : () -> tensor<1x2x2x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %c, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x2x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  %o = qnt.clip %y min [-4.0] max [4.0] method manual bits 8 : tensor<1x4x4x1xf32>
  return %o : tensor<1x4x4x1xf32>
}

// -----

// A trained SYQ layer: every weight is 0 or +-a_g (pixel (0,0): a = 0.25,
// pixel (0,1): a = 0.01). With syq-eta=0 the codes are sign(w) where w != 0
// and the scales the trained a_g: t = [1, -1, 0, 1], m = [127, round(0.01 /
// 0.25 * 127) = 5]. With the default eta 0.05 the 0.01 weight (below 0.05 *
// 0.25) would be dropped.
// ETA0-LABEL: func @trained
// ETA0-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}127], [5]]]]> : tensor<1x1x2x1xi8>}>
// ETA0-DAG: "tosa.const"() <{values = dense<{{\[\[\[\[}}1, -1], [0, 1]]]]> : tensor<1x1x2x2xi8>}>
// ETA0: tosa.mul
// CHECK-LABEL: func @trained
// CHECK: "tosa.const"() <{values = dense<{{\[\[\[\[}}127], [1]]]]> : tensor<1x1x2x1xi8>}>
func.func @trained(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  %c = qnt.clip %x min [0.0] max [2.55] method manual bits 8 : tensor<1x1x2x2xf32>
  %w = "tosa.const"() {values = dense<[[[[0.25, -0.25], [0.0, 0.01]]]]> : tensor<1x1x2x2xf32>} : () -> tensor<1x1x2x2xf32>
  %b = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %y = tosa.conv2d %c, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  %o = qnt.clip %y min [-1.0] max [1.0] method manual bits 8 : tensor<1x1x1x1xf32>
  return %o : tensor<1x1x1x1xf32>
}
