// RUN: qnt-opt %s -split-input-file -verify-diagnostics -transform-interpreter -o /dev/null

module attributes {transform.with_named_sequence} {
  func.func @relu(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
    %r = tosa.clamp %x {min_val = 0.0 : f32, max_val = 3.40282347e+38 : f32} : (tensor<1x2xf32>) -> tensor<1x2xf32>
    return %r : tensor<1x2xf32>
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %clamps = transform.structured.match ops{["tosa.clamp"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{'tosa.clamp' is not a convolution or matmul with constant weights}}
    transform.qnt.wess %clamps : !transform.any_op
    transform.yield
  }
}

// -----

// The last layer feeds no layer: nothing to equalize.
module attributes {transform.with_named_sequence} {
  func.func @last(%x: tensor<1x2x2x1xf32>) -> tensor<1x2x2x2xf32> {
    %z = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
    %w = "tosa.const"() {values = dense<[[[[4.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>} : () -> tensor<2x1x1x1xf32>
    %b = "tosa.const"() {values = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
    %a = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
    return %a : tensor<1x2x2x2xf32>
  }
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %convs = transform.structured.match ops{["tosa.conv2d"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{no targeted layer could be equalized with the layer it feeds}}
    transform.qnt.equalize %convs : !transform.any_op
    transform.yield
  }
}

// -----

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %convs = transform.structured.match ops{["tosa.conv2d"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @+1 {{tolerance must be positive}}
    transform.qnt.equalize %convs {tolerance = 0.0} : !transform.any_op
    transform.yield
  }
}
