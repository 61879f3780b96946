// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-quantize-recipe{recipe=w8a8-per-tensor})" | FileCheck %s --check-prefix=OWN
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-quantize-recipe{recipe=w8a8-per-tensor share-input-grid=true})" | FileCheck %s --check-prefix=SHARE

// Max pooling then channel padding (a concat with zeros). By default each
// result gets a clip fitted to its own range, so each is requantized to its
// own grid; with share-input-grid both stay on the ReLU6's grid (the zero
// channel becomes its zero point) and the output is dequantized from it.
// OWN: %[[A:.*]] = qnt.requantize {{.*}} output_zp -128
// OWN: %[[P:.*]] = tosa.max_pool2d %[[A]]
// OWN: %[[B:.*]] = qnt.requantize %[[P]]
// OWN: %[[K:.*]] = tosa.concat %[[B]], %{{.*}}
// OWN: %[[C:.*]] = qnt.requantize %[[K]]
// OWN: qnt.dequantize %[[C]]
// SHARE: %[[A:.*]] = qnt.requantize {{.*}} output_zp -128 {{.*}}scale = [[S:[0-9.e-]+]], zero_point = -128
// SHARE: %[[P:.*]] = tosa.max_pool2d %[[A]]
// SHARE-NEXT: %[[K:.*]] = tosa.concat %[[P]], %{{.*}}
// SHARE-NEXT: qnt.dequantize %[[K]] uniform<si8, scale = [[S]], zero_point = -128>
func.func @pool_pad_channels(%x: tensor<1x4x4x2xf32> {qnt.stats = #qnt.stats<count = 34, min = -1.0, max = 6.0, mean = 1.0, std = 1.2, mad = 0.9, hist = <lo = -1.0, hi = 6.0, bins = [2, 16, 8, 4, 2, 1, 1]>>}) -> tensor<1x2x2x3xf32> {
  %r = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32, qnt.stats = #qnt.stats<count = 32, min = 0.0, max = 6.0, mean = 1.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 6.0, bins = [16, 8, 4, 2, 1, 1]>>} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  %p = tosa.max_pool2d %r {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>, qnt.stats = #qnt.stats<count = 8, min = 0.0, max = 5.0, mean = 2.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 5.0, bins = [2, 2, 2, 2]>>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1x2x2x1xf32>}> : () -> tensor<1x2x2x1xf32>
  %k = tosa.concat %p, %z {axis = 3 : i32, qnt.stats = #qnt.stats<count = 12, min = 0.0, max = 4.0, mean = 1.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 4.0, bins = [6, 2, 2, 2]>>} : (tensor<1x2x2x2xf32>, tensor<1x2x2x1xf32>) -> tensor<1x2x2x3xf32>
  return %k : tensor<1x2x2x3xf32>
}
