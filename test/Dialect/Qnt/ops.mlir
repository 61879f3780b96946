// RUN: qnt-opt %s --allow-unregistered-dialect | qnt-opt --allow-unregistered-dialect | FileCheck %s
// RUN: qnt-opt %s --allow-unregistered-dialect --mlir-print-op-generic | qnt-opt --allow-unregistered-dialect | FileCheck %s

// CHECK-LABEL: func @clip
func.func @clip(%x: tensor<1x4x4x2xf32>) -> (tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>) {
  // CHECK: qnt.clip %{{.*}} min [0.000000e+00] max [6.000000e+00] method pact : tensor<1x4x4x2xf32>
  %0 = qnt.clip %x min [0.0] max [6.0] method pact : tensor<1x4x4x2xf32>
  // CHECK: qnt.clip %{{.*}} axis 3 min [-1.000000e+00, -2.500000e-01] max [1.000000e+00, 2.000000e+00] method aciq_laplace bits 4 : tensor<1x4x4x2xf32>
  %1 = qnt.clip %x axis 3 min [-1.0, -0.25] max [1.0, 2.0] method aciq_laplace bits 4 : tensor<1x4x4x2xf32>
  // CHECK: qnt.clip %{{.*}} axis 3 min [0.000000e+00, 0.000000e+00] max [5.000000e-01, 2.000000e+00] method aciq_laplace bits 4 channel_bits [3, 5] : tensor<1x4x4x2xf32>
  %2 = qnt.clip %x axis 3 min [0.0, 0.0] max [0.5, 2.0] method aciq_laplace bits 4 channel_bits [3, 5] : tensor<1x4x4x2xf32>
  return %0, %2 : tensor<1x4x4x2xf32>, tensor<1x4x4x2xf32>
}

// CHECK-LABEL: func @quantize_uniform
func.func @quantize_uniform(%x: tensor<2x3xf32>) -> (tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x3xi16>, tensor<2x3xi32>) {
  // CHECK: qnt.quantize %{{.*}} uniform<si8, scale = 5.000000e-02> : tensor<2x3xf32> -> tensor<2x3xi8>
  %0 = qnt.quantize %x uniform<si8, scale = 0.05> : tensor<2x3xf32> -> tensor<2x3xi8>
  // CHECK: uniform<ui4, scale = 5.000000e-01, zero_point = 3>
  %1 = qnt.quantize %x uniform<ui4, scale = 0.5, zero_point = 3> : tensor<2x3xf32> -> tensor<2x3xi8>
  // CHECK: uniform<si8 narrow, axis = 1, scales = [1.000000e-02, 2.000000e-02, 4.000000e-02], zero_points = [0, 1, -1]>
  %2 = qnt.quantize %x uniform<si8 narrow, axis = 1, scales = [0.01, 0.02, 0.04], zero_points = [0, 1, -1]> : tensor<2x3xf32> -> tensor<2x3xi8>
  // CHECK: uniform<si16, axis = 0, scales = [1.000000e-03, 2.000000e-03]>
  %3 = qnt.quantize %x uniform<si16, axis = 0, scales = [0.001, 0.002]> : tensor<2x3xf32> -> tensor<2x3xi16>
  // CHECK: uniform<si32, scale = 1.000000e-04>
  %4 = qnt.quantize %x uniform<si32, scale = 1.0e-4> : tensor<2x3xf32> -> tensor<2x3xi32>
  return %0, %1, %2, %3, %4 : tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x3xi8>, tensor<2x3xi16>, tensor<2x3xi32>
}

// CHECK-LABEL: func @dequantize_and_fake_quant
func.func @dequantize_and_fake_quant(%q: tensor<4xi8>, %x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  // CHECK: qnt.dequantize %{{.*}} uniform<ui8, scale = 2.000000e-02, zero_point = 128> : tensor<4xi8> -> tensor<4xf32>
  %0 = qnt.dequantize %q uniform<ui8, scale = 0.02, zero_point = 128> : tensor<4xi8> -> tensor<4xf32>
  // CHECK: qnt.fake_quant %{{.*}} uniform<si2, scale = 1.000000e+00> : tensor<4xf32>
  %1 = qnt.fake_quant %x uniform<si2, scale = 1.0> : tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// CHECK-LABEL: func @codebook
func.func @codebook(%w: tensor<3x3x2x4xf32>) -> (tensor<3x3x2x4xi8>, tensor<3x3x2x4xf32>) {
  // CHECK: qnt.quantize %{{.*}} codebook<ternary, threshold = 5.000000e-02, scales = dense<{{.*}}> : tensor<3x3x1x1xf32>>
  %q = qnt.quantize %w codebook<ternary, threshold = 0.05, scales = dense<0.5> : tensor<3x3x1x1xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi8>
  // CHECK: qnt.dequantize %{{.*}} codebook<binary, threshold = 0.000000e+00, scales = dense<[{{.*}}]> : tensor<1x1x1x4xf32>>
  %d = qnt.dequantize %q codebook<binary, threshold = 0.0, scales = dense<[[[[0.1, 0.2, 0.3, 0.4]]]]> : tensor<1x1x1x4xf32>> : tensor<3x3x2x4xi8> -> tensor<3x3x2x4xf32>
  return %q, %d : tensor<3x3x2x4xi8>, tensor<3x3x2x4xf32>
}

// CHECK-LABEL: func @pow2_scale
func.func @pow2_scale(%x: tensor<1x2x2x3xf32>) -> tensor<1x2x2x3xf32> {
  // CHECK: qnt.pow2_scale %{{.*}} axis 3 shifts [0, -2, -15] : tensor<1x2x2x3xf32>
  %0 = qnt.pow2_scale %x axis 3 shifts [0, -2, -15] : tensor<1x2x2x3xf32>
  return %0 : tensor<1x2x2x3xf32>
}

// CHECK-LABEL: func @requantize
func.func @requantize(%acc: tensor<1x2xi32>, %a: tensor<8xi8>) -> (tensor<1x2xi8>, tensor<1x2xi8>, tensor<8xi8>, tensor<1x2xi8>) {
  // CHECK: qnt.requantize %{{.*}} multiplier [1518500250] shift [7] output_zp -128 clamp [-128, 127] : tensor<1x2xi32> -> tensor<1x2xi8>
  %0 = qnt.requantize %acc multiplier [1518500250] shift [7] output_zp -128 clamp [-128, 127] : tensor<1x2xi32> -> tensor<1x2xi8>
  // CHECK: qnt.requantize %{{.*}} axis 1 multiplier [1518500250] shift [7] channel_shift [0, 3] clamp [0, 127] rounding double_round : tensor<1x2xi32> -> tensor<1x2xi8>
  %1 = qnt.requantize %acc axis 1 multiplier [1518500250] shift [7] channel_shift [0, 3] clamp [0, 127] rounding double_round : tensor<1x2xi32> -> tensor<1x2xi8>
  // CHECK: qnt.requantize %{{.*}} input_zp 3 multiplier [1073741824] shift [-1] output_zp 5 clamp [0, 255] rounding single_round : tensor<8xi8> -> tensor<8xi8>
  %2 = qnt.requantize %a input_zp 3 multiplier [1073741824] shift [-1] output_zp 5 clamp [0, 255] rounding single_round : tensor<8xi8> -> tensor<8xi8>
  // The default rounding mode is not printed.
  // CHECK: qnt.requantize %{{.*}} axis 1 multiplier [1073741824, 2147483647] shift [0, 31] clamp [-8, 7] : tensor<1x2xi32> -> tensor<1x2xi8>
  %3 = qnt.requantize %acc axis 1 multiplier [1073741824, 2147483647] shift [0, 31] clamp [-8, 7] rounding tflite : tensor<1x2xi32> -> tensor<1x2xi8>
  return %0, %1, %2, %3 : tensor<1x2xi8>, tensor<1x2xi8>, tensor<8xi8>, tensor<1x2xi8>
}

// Per-slice output grids: zero points and bounds per channel.
// CHECK-LABEL: func @requantize_channel_grid
func.func @requantize_channel_grid(%acc: tensor<1x2xi32>) -> (tensor<1x2xi8>, tensor<1x2xi8>) {
  // CHECK: qnt.requantize %{{.*}} axis 1 multiplier [1518500250, 1073741824] shift [7, 5] output_zp -128 clamp [-128, 127] channel_clamp_max [-113, -125] : tensor<1x2xi32> -> tensor<1x2xi8>
  %0 = qnt.requantize %acc axis 1 multiplier [1518500250, 1073741824] shift [7, 5] output_zp -128 clamp [-128, 127] channel_clamp_max [-113, -125] : tensor<1x2xi32> -> tensor<1x2xi8>
  // CHECK: qnt.requantize %{{.*}} axis 1 multiplier [1073741824] shift [0] channel_output_zp [-3, 5] clamp [-128, 127] channel_clamp_min [-128, -100] channel_clamp_max [127, 100] : tensor<1x2xi32> -> tensor<1x2xi8>
  %1 = qnt.requantize %acc axis 1 multiplier [1073741824] shift [0] channel_output_zp [-3, 5] clamp [-128, 127] channel_clamp_min [-128, -100] channel_clamp_max [127, 100] : tensor<1x2xi32> -> tensor<1x2xi8>
  return %0, %1 : tensor<1x2xi8>, tensor<1x2xi8>
}

// CHECK-LABEL: func @stats
func.func @stats(%x: tensor<1x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  // CHECK: arith.addf {{.*}} {qnt.stats = #qnt.stats<count = 4, min = -1.000000e+00, max = 2.000000e+00, mean = 5.000000e-01, std = 1.000000e+00, mad = 7.500000e-01>}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 4, min = -1.0, max = 2.0, mean = 0.5, std = 1.0, mad = 0.75>} : tensor<1x2xf32>
  // CHECK: nan = 2, inf = 1, hist = <lo = -1.000000e+00, hi = 3.000000e+00, bins = [1, 0, 2, 1]>
  %1 = arith.mulf %x, %x {qnt.stats = #qnt.stats<count = 4, min = -1.0, max = 2.0, mean = 0.5, std = 1.0, mad = 0.75, nan = 2, inf = 1, hist = #qnt.histogram<lo = -1.0, hi = 3.0, bins = [1, 0, 2, 1]>>} : tensor<1x2xf32>
  // CHECK: #qnt.channel_stats<axis = 1, channels = [<count = 1, min = 1.000000e+00, max = 1.000000e+00, mean = 1.000000e+00, std = 0.000000e+00, mad = 0.000000e+00>, <count = 0
  %2 = arith.subf %x, %x {qnt.stats = #qnt.channel_stats<axis = 1, channels = [#qnt.stats<count = 1, min = 1.0, max = 1.0, mean = 1.0, std = 0.0, mad = 0.0>, #qnt.stats<count = 0, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>]>} : tensor<1x2xf32>
  return %0, %1, %2 : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

// CHECK-LABEL: func @stats_multi_result
func.func @stats_multi_result(%x: tensor<4xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  // CHECK: "test.two"() {qnt.stats = [unit, #qnt.stats<count = 2
  %b:2 = "test.two"() {qnt.stats = [unit, #qnt.stats<count = 2, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5>]} : () -> (tensor<2xf32>, tensor<2xf32>)
  return %b#0, %b#1 : tensor<2xf32>, tensor<2xf32>
}

// CHECK-LABEL: func @unpack
func.func @unpack(%p: tensor<3xi8>) -> tensor<1x5x1xi8> {
  // CHECK: qnt.unpack %{{.*}} bits 4 : tensor<3xi8> -> tensor<1x5x1xi8>
  %0 = qnt.unpack %p bits 4 : tensor<3xi8> -> tensor<1x5x1xi8>
  return %0 : tensor<1x5x1xi8>
}
