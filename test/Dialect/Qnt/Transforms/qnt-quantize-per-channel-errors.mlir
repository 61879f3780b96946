// RUN: qnt-opt %s -split-input-file -verify-diagnostics -pass-pipeline="builtin.module(func.func(qnt-quantize))"

// A padded convolution needs one input zero point across channels.
func.func @padded_two_sided(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x1xf32> {
  %c0 = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x2x2x2xf32>
  %w = "tosa.const"() <{values = dense<0.5> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %c0, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  %c1 = qnt.clip %y axis 3 min [-1.0, 0.0] max [1.0, 1.0] method minmax bits 8 : tensor<1x2x2x2xf32>
  %w2 = "tosa.const"() <{values = dense<0.25> : tensor<1x3x3x2xf32>}> : () -> tensor<1x3x3x2xf32>
  %b2 = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error @+1 {{qnt-quantize: a padded convolution needs one input zero point, but the per-channel input grid has several (two-sided per-channel clips)}}
  %y2 = tosa.conv2d %c1, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<1x3x3x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x1xf32>
  %c2 = qnt.clip %y2 min [0.0] max [4.0] method minmax bits 8 : tensor<1x2x2x1xf32>
  return %c2 : tensor<1x2x2x1xf32>
}

// -----

func.func @wrong_axis(%x: tensor<1x2x2xf32>) -> tensor<1x2x2xf32> {
  %c0 = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x2x2xf32>
  %w = "tosa.const"() <{values = dense<0.5> : tensor<1x2x2xf32>}> : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.matmul %c0, %w, %z, %z : (tensor<1x2x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2xf32>
  // expected-error @+1 {{qnt-quantize: per-channel activation clips must be along the last (channel) dimension, got axis 1}}
  %c1 = qnt.clip %y axis 1 min [0.0, 0.0] max [1.0, 1.0] method minmax bits 8 : tensor<1x2x2xf32>
  return %c1 : tensor<1x2x2xf32>
}
