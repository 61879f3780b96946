// RUN: qnt-opt %s -split-input-file -verify-diagnostics -pass-pipeline="builtin.module(func.func(qnt-check-integer-only))" | FileCheck %s

// Floats only at the boundary: accepted and unchanged.
// CHECK-LABEL: func.func @integer_only
// CHECK: qnt.quantize
// CHECK: qnt.requantize
// CHECK: qnt.dequantize
func.func @integer_only(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %q = qnt.quantize %x uniform<si8, scale = 0.1> : tensor<1x4xf32> -> tensor<1x4xi8>
  %w = tosa.cast %q : (tensor<1x4xi8>) -> tensor<1x4xi32>
  %r = qnt.requantize %w multiplier [1073741824] shift [0] clamp [-128, 127] : tensor<1x4xi32> -> tensor<1x4xi8>
  %d = qnt.dequantize %r uniform<si8, scale = 0.05> : tensor<1x4xi8> -> tensor<1x4xf32>
  return %d : tensor<1x4xf32>
}

// -----

// A float op between dequantize and quantize (a layer left in float).
func.func @float_island(%x: tensor<1x4xf32>) -> tensor<1x4xi8> {
  %q = qnt.quantize %x uniform<si8, scale = 0.1> : tensor<1x4xf32> -> tensor<1x4xi8>
  %d = qnt.dequantize %q uniform<si8, scale = 0.1> : tensor<1x4xi8> -> tensor<1x4xf32>
  // expected-error @+1 {{qnt-check-integer-only: 'tosa.exp' has a floating-point result of type 'tensor<1x4xf32>' inside the integer program}}
  %e = tosa.exp %d : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %r = qnt.quantize %e uniform<si8, scale = 0.1> : tensor<1x4xf32> -> tensor<1x4xi8>
  return %r : tensor<1x4xi8>
}

// -----

// Float arithmetic nested in a region is found too (linalg before
// convert-qnt-to-linalg); every float op is reported.
func.func @nested(%x: tensor<4xi32>) -> tensor<4xi32> {
  %e = tensor.empty() : tensor<4xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : tensor<4xi32>) outs(%e : tensor<4xi32>) {
  ^bb0(%a: i32, %b: i32):
    // expected-error @+1 {{qnt-check-integer-only: 'arith.sitofp' has a floating-point result of type 'f32'}}
    %f = arith.sitofp %a : i32 to f32
    // expected-error @+1 {{qnt-check-integer-only: 'arith.fptosi' has a floating-point operand of type 'f32'}}
    %i = arith.fptosi %f : f32 to i32
    linalg.yield %i : i32
  }-> tensor<4xi32>
  return %r : tensor<4xi32>
}
