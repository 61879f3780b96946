// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-fold-batchnorm))" | FileCheck %s

// BatchNorm in linalg form, as mlir-opt's tosa-to-linalg-named,tosa-to-linalg
// lowers conv2d + mul + add: the multiply by f = [2, -1] folds into the FHWC
// filter (output channel = dim 0): [[1, 2]], [[3, 4]] -> [[2, 4]], [[-3, -4]],
// and into the broadcast bias [10, 20] -> [20, -20]; the add stays.
#map = affine_map<(d0, d1, d2, d3) -> (d3)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>
// CHECK-LABEL: func @conv_bias_mul_add
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00, 4.000000e+00]]], {{\[\[\[}}-3.000000e+00, -4.000000e+00]]]]> : tensor<2x1x1x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[2.000000e+01, -2.000000e+01]> : tensor<2xf32>
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<2xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_fhwc {{.*}} ins(%{{.*}}, %[[W]] : {{.*}}) outs(%[[INIT]] : tensor<1x4x4x2xf32>)
// CHECK-NOT: arith.mulf
// CHECK: linalg.generic {{.*}} ins(%[[C]], %{{.*}} : tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>)
// CHECK: arith.addf
func.func @conv_bias_mul_add(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %cst = arith.constant dense<[[[[5.000000e-01, 1.000000e+00]]]]> : tensor<1x1x1x2xf32>
  %cst_0 = arith.constant dense<[[[[2.000000e+00, -1.000000e+00]]]]> : tensor<1x1x1x2xf32>
  %cst_1 = arith.constant dense<[[[[1.000000e+00, 2.000000e+00]]], [[[3.000000e+00, 4.000000e+00]]]]> : tensor<2x1x1x2xf32>
  %cst_2 = arith.constant dense<[1.000000e+01, 2.000000e+01]> : tensor<2xf32>
  %0 = tensor.empty() : tensor<1x4x4x2xf32>
  %1 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%cst_2 : tensor<2xf32>) outs(%0 : tensor<1x4x4x2xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<1x4x4x2xf32>
  %2 = linalg.conv_2d_nhwc_fhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %cst_1 : tensor<1x4x4x2xf32>, tensor<2x1x1x2xf32>) outs(%1 : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %3 = tensor.empty() : tensor<1x4x4x2xf32>
  %4 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%2, %cst_0 : tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) outs(%3 : tensor<1x4x4x2xf32>) {
  ^bb0(%in: f32, %in_3: f32, %out: f32):
    %7 = arith.mulf %in, %in_3 : f32
    linalg.yield %7 : f32
  } -> tensor<1x4x4x2xf32>
  %5 = tensor.empty() : tensor<1x4x4x2xf32>
  %6 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%4, %cst : tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) outs(%5 : tensor<1x4x4x2xf32>) {
  ^bb0(%in: f32, %in_3: f32, %out: f32):
    %7 = arith.addf %in, %in_3 : f32
    linalg.yield %7 : f32
  } -> tensor<1x4x4x2xf32>
  return %6 : tensor<1x4x4x2xf32>
}

// -----

// Depthwise HWC filter (channel = dim 2) with a zero-filled init, scale
// constant of shape [C] read by (d3), operands in the other order:
// [[[1, 2]]] * [3, -4] -> [[[3, -8]]].
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func @depthwise_fill
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[}}3.000000e+00, -8.000000e+00]]]> : tensor<1x1x2xf32>
// CHECK: %[[C:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %[[W]] : {{.*}})
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]
func.func @depthwise_fill(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = arith.constant dense<[[[1.0, 2.0]]]> : tensor<1x1x2xf32>
  %f = arith.constant dense<[3.0, -4.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2xf32>) outs(%init : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %e2 = tensor.empty() : tensor<1x4x4x2xf32>
  %m = linalg.generic {indexing_maps = [#ch, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%f, %c : tensor<2xf32>, tensor<1x4x4x2xf32>) outs(%e2 : tensor<1x4x4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<1x4x4x2xf32>
  return %m : tensor<1x4x4x2xf32>
}

// -----

// Not a constant scale: left alone.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func @dynamic_scale
// CHECK: arith.mulf
func.func @dynamic_scale(%x: tensor<1x4x4x2xf32>, %f: tensor<2xf32>) -> tensor<1x4x4x2xf32> {
  %w = arith.constant dense<[[[1.0, 2.0]]]> : tensor<1x1x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2xf32>) outs(%init : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %m = linalg.generic {indexing_maps = [#ch, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%f, %c : tensor<2xf32>, tensor<1x4x4x2xf32>) outs(%e : tensor<1x4x4x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<1x4x4x2xf32>
  return %m : tensor<1x4x4x2xf32>
}

// -----

// Depthwise as tosa-to-linalg lowers it: depthwise_conv_2d_nhwc_hwcm (zero
// fill), collapse of [C, M], bias add, then the multiply by f = [2, -1]:
// filter [[[[1], [2]]]] -> [[[[2], [-2]]]], bias [10, 20] -> [20, -20].
#dmap = affine_map<(d0, d1, d2, d3) -> (d3)>
#dmap1 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#dmap2 = affine_map<(d0, d1, d2, d3) -> (d0, 0, 0, d3)>
// CHECK-LABEL: func @depthwise_hwcm_bias
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00], [-2.000000e+00]]]]> : tensor<1x1x2x1xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[2.000000e+01, -2.000000e+01]> : tensor<2xf32>
// CHECK: %[[C:.*]] = linalg.depthwise_conv_2d_nhwc_hwcm {{.*}} ins(%{{.*}}, %[[W]] : {{.*}})
// CHECK: %[[S:.*]] = tensor.collapse_shape %[[C]]
// CHECK: linalg.generic {{.*}} ins(%[[B]], %[[S]] : tensor<2xf32>, tensor<1x4x4x2xf32>)
// CHECK-NOT: arith.mulf
// CHECK: return
func.func @depthwise_hwcm_bias(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %cst = arith.constant dense<[[[[5.000000e-01, 1.000000e+00]]]]> : tensor<1x1x1x2xf32>
  %cst_0 = arith.constant dense<[[[[2.000000e+00, -1.000000e+00]]]]> : tensor<1x1x1x2xf32>
  %cst_1 = arith.constant 0.000000e+00 : f32
  %cst_2 = arith.constant dense<[[[[1.000000e+00], [2.000000e+00]]]]> : tensor<1x1x2x1xf32>
  %cst_3 = arith.constant dense<[1.000000e+01, 2.000000e+01]> : tensor<2xf32>
  %0 = tensor.empty() : tensor<1x4x4x2x1xf32>
  %1 = linalg.fill ins(%cst_1 : f32) outs(%0 : tensor<1x4x4x2x1xf32>) -> tensor<1x4x4x2x1xf32>
  %2 = tensor.empty() : tensor<1x4x4x2xf32>
  %3 = linalg.depthwise_conv_2d_nhwc_hwcm {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%arg0, %cst_2 : tensor<1x4x4x2xf32>, tensor<1x1x2x1xf32>) outs(%1 : tensor<1x4x4x2x1xf32>) -> tensor<1x4x4x2x1xf32>
  %collapsed = tensor.collapse_shape %3 [[0], [1], [2], [3, 4]] : tensor<1x4x4x2x1xf32> into tensor<1x4x4x2xf32>
  %4 = linalg.generic {indexing_maps = [#dmap, #dmap1, #dmap1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%cst_3, %collapsed : tensor<2xf32>, tensor<1x4x4x2xf32>) outs(%2 : tensor<1x4x4x2xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %9 = arith.addf %in, %in_4 : f32
    linalg.yield %9 : f32
  } -> tensor<1x4x4x2xf32>
  %5 = tensor.empty() : tensor<1x4x4x2xf32>
  %6 = linalg.generic {indexing_maps = [#dmap1, #dmap2, #dmap1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%4, %cst_0 : tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) outs(%5 : tensor<1x4x4x2xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %9 = arith.mulf %in, %in_4 : f32
    linalg.yield %9 : f32
  } -> tensor<1x4x4x2xf32>
  %7 = tensor.empty() : tensor<1x4x4x2xf32>
  %8 = linalg.generic {indexing_maps = [#dmap1, #dmap2, #dmap1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%6, %cst : tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) outs(%7 : tensor<1x4x4x2xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %9 = arith.addf %in, %in_4 : f32
    linalg.yield %9 : f32
  } -> tensor<1x4x4x2xf32>
  return %8 : tensor<1x4x4x2xf32>
}
