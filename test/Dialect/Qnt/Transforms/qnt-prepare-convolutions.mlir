// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-prepare-convolutions))" | FileCheck %s

// The constant FHWC filter [f][h][w][c] is permuted to HWCF at compile time:
// element (f, 0, 0, c) = 10 * f + c lands at (0, 0, c, f).
// CHECK-LABEL: func @conv_fhwc_constant
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+01, 2.000000e+01], [1.000000e+00, 1.100000e+01, 2.100000e+01]]]]> : tensor<1x1x2x3xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%{{.*}}, %[[W]] : tensor<1x4x4x2xf32>, tensor<1x1x2x3xf32>)
// CHECK-NOT: conv_2d_nhwc_fhwc
func.func @conv_fhwc_constant(%x: tensor<1x4x4x2xf32>, %init: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0]]], [[[10.0, 11.0]]], [[[20.0, 21.0]]]]> : tensor<3x1x1x2xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>) outs(%init : tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32>
  return %0 : tensor<1x2x2x3xf32>
}

// -----

// dense_resource filters are read from their blob (here 3x1x1x2 f32 values
// 0, 1, 10, 11, 20, 21).
// CHECK-LABEL: func @conv_fhwc_resource
// CHECK: arith.constant dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+01, 2.000000e+01], [1.000000e+00, 1.100000e+01, 2.100000e+01]]]]> : tensor<1x1x2x3xf32>
func.func @conv_fhwc_resource(%x: tensor<1x4x4x2xf32>, %init: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %w = arith.constant dense_resource<w> : tensor<3x1x1x2xf32>
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>) outs(%init : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  return %0 : tensor<1x4x4x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F00002041000030410000A0410000A841"
    }
  }
#-}

// -----

// A filter that is not a constant is transposed at run time.
// CHECK-LABEL: func @conv_fhwc_dynamic_filter
// CHECK: linalg.transpose
// CHECK: linalg.conv_2d_nhwc_hwcf
func.func @conv_fhwc_dynamic_filter(%x: tensor<1x4x4x2xf32>, %w: tensor<3x1x1x2xf32>, %init: tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> {
  %0 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>) outs(%init : tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  return %0 : tensor<1x4x4x3xf32>
}

// -----

// CHECK-LABEL: func @depthwise_multiplier_one
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00]]]> : tensor<1x1x2xf32>
// CHECK: %[[I:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1], [2], [3, 4]] : tensor<1x4x4x2x1xf32> into tensor<1x4x4x2xf32>
// CHECK: %[[D:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %[[W]] : tensor<1x4x4x2xf32>, tensor<1x1x2xf32>) outs(%[[I]] : tensor<1x4x4x2xf32>)
// CHECK: tensor.expand_shape %[[D]] {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 4, 4, 2, 1]
func.func @depthwise_multiplier_one(%x: tensor<1x4x4x2xf32>, %init: tensor<1x4x4x2x1xf32>) -> tensor<1x4x4x2x1xf32> {
  %w = arith.constant dense<[[[[1.0], [2.0]]]]> : tensor<1x1x2x1xf32>
  %0 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2x1xf32>) outs(%init : tensor<1x4x4x2x1xf32>) -> tensor<1x4x4x2x1xf32>
  return %0 : tensor<1x4x4x2x1xf32>
}

// -----

// A channel multiplier of 2: the HWC form on the input
// with each channel repeated twice (copy channel 2 c + m is channel c), the
// filter and output collapsed the same way (filter channel 2 c + m is
// w[c][m]: 1, 2, 3, 4).
// CHECK-LABEL: func @depthwise_multiplier_two_int
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x2xi8>, %[[INIT:.*]]: tensor<1x4x4x2x2xi32>)
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}1, 2, 3, 4]]]> : tensor<1x1x4xi8>
// CHECK: %[[E:.*]] = tensor.empty() : tensor<1x4x4x2x2xi8>
// CHECK: %[[B:.*]] = linalg.broadcast ins(%[[X]] : tensor<1x4x4x2xi8>) outs(%[[E]] : tensor<1x4x4x2x2xi8>) dimensions = [4]
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[B]] {{\[\[}}0], [1], [2], [3, 4]] : tensor<1x4x4x2x2xi8> into tensor<1x4x4x4xi8>
// CHECK: %[[I:.*]] = tensor.collapse_shape %[[INIT]] {{\[\[}}0], [1], [2], [3, 4]] : tensor<1x4x4x2x2xi32> into tensor<1x4x4x4xi32>
// CHECK: %[[D:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%[[C]], %[[W]] : tensor<1x4x4x4xi8>, tensor<1x1x4xi8>) outs(%[[I]] : tensor<1x4x4x4xi32>)
// CHECK: tensor.expand_shape %[[D]] {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 4, 4, 2, 2]
// CHECK-NOT: depthwise_conv_2d_nhwc_hwcm
func.func @depthwise_multiplier_two_int(%x: tensor<1x4x4x2xi8>, %init: tensor<1x4x4x2x2xi32>) -> tensor<1x4x4x2x2xi32> {
  %w = arith.constant dense<[[[[1, 2], [3, 4]]]]> : tensor<1x1x2x2xi8>
  %0 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xi8>, tensor<1x1x2x2xi8>) outs(%init : tensor<1x4x4x2x2xi32>) -> tensor<1x4x4x2x2xi32>
  return %0 : tensor<1x4x4x2x2xi32>
}

// -----

// A float one whose filter is not a constant: the same, the filter collapsed
// at run time.
// CHECK-LABEL: func @depthwise_multiplier_two
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x4x2xf32>, %[[W:.*]]: tensor<1x1x2x2xf32>, %[[INIT:.*]]: tensor<1x4x4x2x2xf32>)
// CHECK: %[[B:.*]] = linalg.broadcast ins(%[[X]] : tensor<1x4x4x2xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[B]] {{\[\[}}0], [1], [2], [3, 4]] : tensor<1x4x4x2x2xf32> into tensor<1x4x4x4xf32>
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0], [1], [2, 3]] : tensor<1x1x2x2xf32> into tensor<1x1x4xf32>
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%[[C]], %[[F]] : tensor<1x4x4x4xf32>, tensor<1x1x4xf32>)
// CHECK-NOT: depthwise_conv_2d_nhwc_hwcm
func.func @depthwise_multiplier_two(%x: tensor<1x4x4x2xf32>, %w: tensor<1x1x2x2xf32>, %init: tensor<1x4x4x2x2xf32>) -> tensor<1x4x4x2x2xf32> {
  %0 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) outs(%init : tensor<1x4x4x2x2xf32>) -> tensor<1x4x4x2x2xf32>
  return %0 : tensor<1x4x4x2x2xf32>
}
