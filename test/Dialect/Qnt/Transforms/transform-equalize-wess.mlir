// RUN: qnt-opt %s -transform-interpreter | FileCheck %s

// A script picks the layers: cross-layer equalization for the first pair
// only, WESS for the last layer only. Worked by hand:
// * CLE of a -> b: a's output ranges r1 = [4, 1], b's input ranges r2 =
//   [max(1, 1), max(4, 1)] = [1, 4]; s = sqrt(r1 / r2) = [2, 0.5]. a's
//   channels / s: weights [2, 2], bias [0.4, 0.1] / s = [0.2, 0.2]; b's
//   input channels * s: [[1 * 2, 4 * 0.5], [1 * 2, 1 * 0.5]] = [[2, 2],
//   [2, 0.5]]; the next sweep has s = 1 (done).
// * WESS (4 bits) of c: ranges [1, 0.25], k = [0, 2] (0.25 * 2^2 <= 1):
//   channel 1 weights * 4 = [1, 0.5], bias 0.05 * 4 = 0.2, and
//   qnt.pow2_scale shifts [0, -2] after c. b is not targeted: no shift.
// CHECK-LABEL: func @three_convs
// CHECK: %[[WA:.*]] = "tosa.const"() <{values = dense<2.000000e+00> : tensor<2x1x1x1xf32>}>
// CHECK: %[[BA:.*]] = "tosa.const"() <{values = dense<2.000000e-01> : tensor<2xf32>}>
// CHECK: %[[A:.*]] = tosa.conv2d %arg0, %[[WA]], %[[BA]]
// CHECK: %[[WB:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}2.000000e+00, 2.000000e+00]]], {{\[\[\[}}2.000000e+00, 5.000000e-01]]]]> : tensor<2x1x1x2xf32>}>
// CHECK: %[[B:.*]] = tosa.conv2d %{{.*}}, %[[WB]]
// CHECK-NOT: qnt.pow2_scale
// CHECK: %[[WC:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1.000000e+00, 5.000000e-01]]], {{\[\[\[}}1.000000e+00, 5.000000e-01]]]]> : tensor<2x1x1x2xf32>}>
// CHECK: %[[BC:.*]] = "tosa.const"() <{values = dense<[1.000000e-01, 2.000000e-01]> : tensor<2xf32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %{{.*}}, %[[WC]], %[[BC]]
// CHECK: %[[S:.*]] = qnt.pow2_scale %[[C]] axis 3 shifts [0, -2]
// CHECK: return %[[S]]
module attributes {transform.with_named_sequence} {
  func.func @three_convs(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
    %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
    %wa = "tosa.const"() {values = dense<[[[[4.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
    %ba = "tosa.const"() {values = dense<[0.4, 0.1]> : tensor<2xf32>} : () -> tensor<2xf32>
    %a = tosa.conv2d %x, %wa, %ba, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
    %ra = tosa.clamp %a {min_val = 0.0 : f32, max_val = 3.40282347e+38 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
    %wb = "tosa.const"() {values = dense<[[[[1.0, 4.0]]], [[[1.0, 1.0]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
    %bb = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
    %b = tosa.conv2d %ra, %wb, %bb, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
    %rb = tosa.clamp %b {min_val = 0.0 : f32, max_val = 3.40282347e+38 : f32} : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
    %wc = "tosa.const"() {values = dense<[[[[1.0, 0.5]]], [[[0.25, 0.125]]]]> : tensor<2x1x1x2xf32>} : () -> tensor<2x1x1x2xf32>
    %bc = "tosa.const"() {values = dense<[0.1, 0.05]> : tensor<2xf32>} : () -> tensor<2xf32>
    %c = tosa.conv2d %rb, %wc, %bc, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
    return %c : tensor<1x2x2x2xf32>
  }

  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %convs = transform.structured.match ops{["tosa.conv2d"]} in %root : (!transform.any_op) -> !transform.any_op
    %a, %b, %c = transform.split_handle %convs : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op)
    transform.qnt.equalize %a : !transform.any_op
    transform.qnt.wess %c {bits = 4} : !transform.any_op
    transform.yield
  }
}
