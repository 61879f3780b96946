// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=minmax share-input-grid=true}))" | FileCheck %s
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=minmax}))" | FileCheck %s --check-prefix=ALL

// share-input-grid: max pooling and a concatenation of one activation with
// constants (channel padding with zeros) keep their input's grid: no clip of
// their own, even with statistics (by default they are clipped like any
// activation).
// CHECK-LABEL: func @pool_pad_channels
// CHECK: %[[R:.*]] = tosa.clamp
// CHECK: %[[C:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [6.000000e+00]
// CHECK: %[[P:.*]] = tosa.max_pool2d %[[C]]
// CHECK: %[[K:.*]] = tosa.concat %[[P]], %{{.*}}
// CHECK-NOT: qnt.clip
// CHECK: return %[[K]]
// ALL-LABEL: func @pool_pad_channels
// ALL: tosa.max_pool2d
// ALL: qnt.clip {{.*}} min [0.000000e+00] max [5.000000e+00]
// ALL: tosa.concat
// ALL: qnt.clip {{.*}} min [0.000000e+00] max [4.000000e+00]
func.func @pool_pad_channels(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x2x3xf32> {
  %r = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32, qnt.stats = #qnt.stats<count = 32, min = 0.0, max = 6.0, mean = 1.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 6.0, bins = [16, 8, 4, 2, 1, 1]>>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %p = tosa.max_pool2d %r {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, qnt.stats = #qnt.stats<count = 8, min = 0.0, max = 5.0, mean = 2.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 5.0, bins = [2, 2, 2, 2]>>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1x2x2x1xf32>}> : () -> tensor<1x2x2x1xf32>
  %k = tosa.concat %p, %z {axis = 3 : i32, qnt.stats = #qnt.stats<count = 12, min = 0.0, max = 4.0, mean = 1.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 4.0, bins = [6, 2, 2, 2]>>} : (tensor<1x2x2x2xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x3xf32>
  return %k : tensor<1x2x2x3xf32>
}

// -----

// A concatenation of two activations needs a grid of its own: clipped.
// CHECK-LABEL: func @two_activations
// CHECK: %[[K:.*]] = tosa.concat
// CHECK: %[[C:.*]] = qnt.clip %[[K]] min [-3.000000e+00] max [3.000000e+00]
// CHECK: return %[[C]]
func.func @two_activations(%x: tensor<1x2xf32>, %y: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %k = tosa.concat %x, %y {axis = 1 : i32, qnt.stats = #qnt.stats<count = 4, min = -3.0, max = 3.0, mean = 0.0, std = 1.2, mad = 0.9, hist = <lo = -3.0, hi = 3.0, bins = [1, 1, 1, 1]>>} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x4xf32>
  return %k : tensor<1x4xf32>
}

// -----

// Pooling an input that will not be on a grid (no statistics): the pool's
// own clip gives the grid.
// CHECK-LABEL: func @pool_of_unclipped
// CHECK: %[[P:.*]] = tosa.max_pool2d
// CHECK: %[[C:.*]] = qnt.clip %[[P]] min [0.000000e+00] max [5.000000e+00]
// CHECK: return %[[C]]
func.func @pool_of_unclipped(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  %p = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, qnt.stats = #qnt.stats<count = 8, min = 0.0, max = 5.0, mean = 2.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 5.0, bins = [2, 2, 2, 2]>>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %p : tensor<1x2x2x2xf32>
}
