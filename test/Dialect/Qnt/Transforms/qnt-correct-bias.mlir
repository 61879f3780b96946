// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-correct-bias{weight-per-channel=false}))" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-correct-bias))" | FileCheck %s --check-prefix=PERCH
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-correct-bias{weight-bits=1}))" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-correct-bias{source=stats weight-per-channel=false}))" | FileCheck %s --check-prefix=STATS
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-correct-bias{source=data}))" 2>&1 | FileCheck %s --check-prefix=SRC

// SRC: qnt-correct-bias: unknown source 'data' (expected prior or stats)

// BAD: qnt-correct-bias: weight-bits must be in 2..8, got 1

// Layer 2 weights [[0.3, 1.0], [0.3, 0.0]], 8-bit per tensor: scale 1/127,
// Q(0.3) = round(38.1) / 127 = 0.2992126, error -7.874e-4; Q(1.0) and Q(0)
// exact. Its input is ReLU(N(0, 1)) per channel: E[x] = phi(0) = 0.3989423.
// Each bias moves by -(Q(W) - W) E[x] = +3.1413254e-4. Per channel, output
// 1 has scale 0.3 / 127 and 0.3 is exact: only output 0 moves. The first
// layer's input is a function argument: nothing known, left alone.
// CHECK-LABEL: func @relu_prior
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<3.14132543E-4> : tensor<2xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %[[B]],
// PERCH-LABEL: func @relu_prior
// PERCH: %[[B:.*]] = "tosa.const"() <{values = dense<[3.14132543E-4, 0.000000e+00]> : tensor<2xf32>}>
// PERCH: tosa.conv2d %{{.*}}, %{{.*}}, %[[B]],
func.func @relu_prior(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x2xf32> {
  %w1 = "tosa.const"() {values = dense<0.3> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[0.3, 1.0]]], [[[0.3, 0.0]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 0.0, 0.0>, gamma = array<f32: 1.0, 1.0>}} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %c2 : tensor<1x4x4x2xf32>
}

// -----

// source=stats: E[x] measured. Layer 1 reads the model input (whose
// #qnt.stats it could use): left alone, as with priors. Layer 2 reads a
// clamp with per-channel means [0.5, 2.0]: weights [0.3, 1.0] (per tensor,
// Q(0.3) error -7.874e-4) move its bias by +7.874e-4 * 0.5 = 3.937e-4. The
// BatchNorm prior is not used.
// STATS-LABEL: func @measured
// STATS: %[[B1:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<2xf32>}>
// STATS: tosa.conv2d %{{.*}}, %{{.*}}, %[[B1]],
// STATS: %[[B2:.*]] = "tosa.const"() <{values = dense<3.93706752E-4> : tensor<1xf32>}>
// STATS: tosa.conv2d %{{.*}}, %{{.*}}, %[[B2]],
// CHECK-LABEL: func @measured
// PERCH-LABEL: func @measured
func.func @measured(%x: tensor<1x4x4x1xf32> {qnt.stats = #qnt.stats<count = 16, min = 0.0, max = 1.0, mean = 0.25, std = 0.25, mad = 0.25>}) -> tensor<1x4x4x1xf32> {
  %w1 = "tosa.const"() {values = dense<[[[[1.0]]], [[[0.3]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[0.3, 1.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 0.0, 0.0>, gamma = array<f32: 1.0, 1.0>}} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 6.0 : f32, qnt.stats = #qnt.channel_stats<axis = 3, channels = [#qnt.stats<count = 16, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5>, #qnt.stats<count = 16, min = 0.0, max = 4.0, mean = 2.0, std = 1.0, mad = 1.0>]>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %r, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c2 : tensor<1x4x4x1xf32>
}

// -----

// The input is a per-channel clip with per-channel widths: qnt-quantize
// folds its scales (2/15 and 1/6: factors [0.8, 1]) into the weights, so
// the correction is for those weights. w' = [f32(0.3 * 0.8) = 0.24000001,
// 1.0], 8-bit per tensor: scale 1/127, Q(0.24000001) = 30/127, in the
// original units 30/127/0.8 = 0.29527559 (error -4.7244214e-3, six times
// the unfolded one); E[x] = phi(0) = 0.39894228: bias +1.8847714e-3.
// CHECK-LABEL: func @folded_input
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<0.00188477{{[0-9]*}}> : tensor<1xf32>}>
// CHECK: tosa.conv2d %{{.*}}, %{{.*}}, %[[B]],
// PERCH-LABEL: func @folded_input
// PERCH: %[[B:.*]] = "tosa.const"() <{values = dense<0.00188477{{[0-9]*}}> : tensor<1xf32>}>
func.func @folded_input(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %w1 = "tosa.const"() {values = dense<0.3> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
  %b1 = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w2 = "tosa.const"() {values = dense<[[[[0.3, 1.0]]]]> : tensor<1x1x1x2xf32>} : () -> tensor<1x1x1x2xf32>
  %b2 = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, qnt.batchnorm = {beta = array<f32: 0.0, 0.0>, gamma = array<f32: 1.0, 1.0>}} : (tensor<1x4x4x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  %r = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %k = qnt.clip %r axis 3 min [0.0, 0.0] max [2.0, 0.5] method aciq_laplace bits 3 channel_bits [4, 2] : tensor<1x4x4x2xf32>
  %c2 = tosa.conv2d %k, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x1xf32>
  return %c2 : tensor<1x4x4x1xf32>
}
