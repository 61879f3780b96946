// RUN: qnt-opt %s -split-input-file -verify-diagnostics --allow-unregistered-dialect
// One case per verifier error of the qnt dialect (attributes, ops and the
// qnt.stats discardable attribute).

func.func @case0(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{storage type 'i8' must be signed (si<N>) or unsigned (ui<N>)}}
  %0 = qnt.quantize %x uniform<i8, scale = 0.1> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case1(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{storage width 9 is not supported: expected 2..8, 16 or 32}}
  %0 = qnt.quantize %x uniform<si9, scale = 0.1> : tensor<2x3xf32> -> tensor<2x3xi16>
  return
}

// -----

func.func @case2(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{storage width 1 is not supported: expected 2..8, 16 or 32}}
  %0 = qnt.quantize %x uniform<si1, scale = 0.1> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case3(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{narrow range needs a signed storage type, got 'ui8'}}
  %0 = qnt.quantize %x uniform<ui8 narrow, scale = 0.1> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case4(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected at least one scale}}
  %0 = qnt.quantize %x uniform<si8, axis = 1, scales = []> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case5(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis must be non-negative, got -1}}
  %0 = qnt.quantize %x uniform<si8, axis = -1, scales = [1.0]> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case6(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected 3 zero point(s), one per scale, got 1}}
  %0 = qnt.quantize %x uniform<si8, axis = 1, scales = [1.0, 2.0, 3.0], zero_points = [0]> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case7(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{scale #0 must be finite and > 0, got 0.000000e+00}}
  %0 = qnt.quantize %x uniform<si8, scale = 0.0> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case8(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{scale #1 must be finite and > 0, got -2.000000e+00}}
  %0 = qnt.quantize %x uniform<si8, axis = 1, scales = [1.0, -2.0, 1.0]> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case9(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{scale #0 must be finite and > 0, got INF}}
  %0 = qnt.quantize %x uniform<si8, scale = 0x7FF0000000000000> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case10(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{zero point #0 = -128 is outside the storage range [-127, 127]}}
  %0 = qnt.quantize %x uniform<si8 narrow, scale = 1.0, zero_point = -128> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case11(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{zero point #0 = 16 is outside the storage range [0, 15]}}
  %0 = qnt.quantize %x uniform<ui4, scale = 1.0, zero_point = 16> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case12(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{integer operand/result element type 'i8' is narrower than the storage type 'si16'}}
  %0 = qnt.quantize %x uniform<si16, scale = 1.0> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case13(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{quantization axis 2 is out of range for integer operand/result of type 'tensor<2x3xi8>'}}
  %0 = qnt.quantize %x uniform<si8, axis = 2, scales = [1.0]> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case14(%x: tensor<2x?xf32>) {
  // expected-error @+1 {{quantization axis 1 of integer operand/result must have a static size}}
  %0 = qnt.quantize %x uniform<si8, axis = 1, scales = [1.0]> : tensor<2x?xf32> -> tensor<2x?xi8>
  return
}

// -----

func.func @case15(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected 3 scales for dimension 1 of integer operand/result, got 2}}
  %0 = qnt.quantize %x uniform<si8, axis = 1, scales = [1.0, 2.0]> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case16(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{integer type 'tensor<3x2xi8>' and float type 'tensor<2x3xf32>' must have the same shape}}
  %0 = qnt.quantize %x uniform<si8, scale = 1.0> : tensor<2x3xf32> -> tensor<3x2xi8>
  return
}

// -----

func.func @case17(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{expected quantization parameters 'uniform<...>' or 'codebook<...>', got 'affine'}}
  %0 = qnt.quantize %x affine<si8, scale = 1.0> : tensor<2x3xf32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case18(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{threshold must be finite and >= 0, got -5.000000e-01}}
  %0 = qnt.quantize %x codebook<ternary, threshold = -0.5, scales = dense<1.0> : tensor<1x1x1x1xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi8>
  return
}

// -----

func.func @case19(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{a binary codebook has no threshold, got 5.000000e-01}}
  %0 = qnt.quantize %x codebook<binary, threshold = 0.5, scales = dense<1.0> : tensor<1x1x1x1xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi8>
  return
}

// -----

func.func @case20(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{expected at least one scale}}
  %0 = qnt.quantize %x codebook<ternary, threshold = 0.5, scales = dense<> : tensor<0xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi8>
  return
}

// -----

func.func @case21(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{scale #1 must be finite and > 0, got 0.000000e+00}}
  %0 = qnt.quantize %x codebook<ternary, threshold = 0.5, scales = dense<[[[[1.0, 0.0]]]]> : tensor<1x1x1x2xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi8>
  return
}

// -----

func.func @case22(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{codebook scales of type 'tensor<3x3xf32>' must have the rank of the tensor ('tensor<3x3x2x4xf32>')}}
  %0 = qnt.quantize %x codebook<ternary, threshold = 0.5, scales = dense<1.0> : tensor<3x3xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi8>
  return
}

// -----

func.func @case23(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{codebook scales of type 'tensor<1x1x1x2xf32>' do not broadcast against the tensor ('tensor<3x3x2x4xf32>') in dimension 3}}
  %0 = qnt.quantize %x codebook<ternary, threshold = 0.5, scales = dense<1.0> : tensor<1x1x1x2xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi8>
  return
}

// -----

func.func @case24(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{'qnt.quantize' op result #0 must be ranked tensor of signless integer values}}
  %0 = qnt.quantize %x codebook<ternary, threshold = 0.5, scales = dense<1.0> : tensor<1x1x1x1xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xf32>
  return
}

// -----

func.func @case25(%x: tensor<3x3x2x4xf32>) {
  // expected-error @+1 {{codebook codes need at least 2 bits, got 'i1'}}
  %0 = qnt.quantize %x codebook<binary, threshold = 0.0, scales = dense<1.0> : tensor<1x1x1x1xf32>> : tensor<3x3x2x4xf32> -> tensor<3x3x2x4xi1>
  return
}

// -----

func.func @case26(%x: tensor<2x3xi8>) {
  // expected-error @+1 {{'qnt.dequantize' op integer type 'tensor<2x3xi8>' and float type 'tensor<3x2xf32>' must have the same shape}}
  %0 = qnt.dequantize %x uniform<si8, scale = 1.0> : tensor<2x3xi8> -> tensor<3x2xf32>
  return
}

// -----

func.func @case27(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.fake_quant' op expected 3 scales for dimension 1 of the tensor, got 1}}
  %0 = qnt.fake_quant %x uniform<si8, axis = 1, scales = [1.0]> : tensor<2x3xf32>
  return
}

// -----

func.func @case28(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op has 1 lower and 2 upper bounds}}
  %0 = qnt.clip %x min [0.0] max [1.0, 2.0] method minmax : tensor<2x3xf32>
  return
}

// -----

func.func @case29(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op needs at least one bound pair}}
  %0 = qnt.clip %x min [] max [] method minmax : tensor<2x3xf32>
  return
}

// -----

func.func @case30(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op axis 2 is out of range for 'tensor<2x3xf32>'}}
  %0 = qnt.clip %x axis 2 min [0.0] max [1.0] method minmax : tensor<2x3xf32>
  return
}

// -----

func.func @case31(%x: tensor<2x?xf32>) {
  // expected-error @+1 {{'qnt.clip' op dimension 1 must be static for per-axis 'min/max'}}
  %0 = qnt.clip %x axis 1 min [0.0] max [1.0] method minmax : tensor<2x?xf32>
  return
}

// -----

func.func @case32(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op expected 3 'min/max' value(s) for dimension 1, got 2}}
  %0 = qnt.clip %x axis 1 min [0.0, 0.0] max [1.0, 1.0] method minmax : tensor<2x3xf32>
  return
}

// -----

func.func @case33(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op a per-tensor clip takes one bound pair, got 2 (set 'axis' for per-channel bounds)}}
  %0 = qnt.clip %x min [0.0, 0.0] max [1.0, 1.0] method minmax : tensor<2x3xf32>
  return
}

// -----

func.func @case34(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op bounds of channel 0 must be finite, got [-INF, 1.000000e+00]}}
  %0 = qnt.clip %x min [0xFFF0000000000000] max [1.0] method minmax : tensor<2x3xf32>
  return
}

// -----

func.func @case35(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op lower bound 2.000000e+00 is greater than upper bound 1.000000e+00 for channel 1}}
  %0 = qnt.clip %x axis 1 min [0.0, 2.0, 0.0] max [1.0, 1.0, 1.0] method kl : tensor<2x3xf32>
  return
}

// -----

func.func @case36(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.clip' op bits must be in 1..16, got 17}}
  %0 = qnt.clip %x min [0.0] max [1.0] method mse bits 17 : tensor<2x3xf32>
  return
}

// -----

func.func @case37(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{expected ::mlir::qnt::ClipMethod to be one of: manual, minmax, percentile, mse, kl, aciq_laplace, aciq_gaussian, pact}}
  // expected-error @+1 {{failed to parse Qnt_ClipMethodAttr parameter 'value'}}
  %0 = qnt.clip %x min [0.0] max [1.0] method magic : tensor<2x3xf32>
  return
}

// -----

func.func @case38(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.pow2_scale' op expected 3 'shifts' value(s) for dimension 1, got 2}}
  %0 = qnt.pow2_scale %x axis 1 shifts [1, 2] : tensor<2x3xf32>
  return
}

// -----

func.func @case39(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.pow2_scale' op shift of channel 2 = 65 is outside [-64, 64]}}
  %0 = qnt.pow2_scale %x axis 1 shifts [1, 2, 65] : tensor<2x3xf32>
  return
}

// -----

func.func @case40(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.pow2_scale' op axis 4 is out of range for 'tensor<2x3xf32>'}}
  %0 = qnt.pow2_scale %x axis 4 shifts [1] : tensor<2x3xf32>
  return
}

// -----

func.func @case41(%x: tensor<2x3xi64>) {
  // expected-error @+1 {{'qnt.requantize' op input element type must be i8, i16 or i32, got 'i64'}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [0, 1] : tensor<2x3xi64> -> tensor<2x3xi8>
  return
}

// -----

func.func @case42(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op result element width must be in 2..32, got 'i64'}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi64>
  return
}

// -----

func.func @case43(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op input 'tensor<2x3xi32>' and result 'tensor<3x2xi8>' must have the same shape}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [0, 1] : tensor<2x3xi32> -> tensor<3x2xi8>
  return
}

// -----

func.func @case44(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op needs at least one multiplier and one shift}}
  %0 = qnt.requantize %x multiplier [] shift [0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case45(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op expected 1 or 3 'multiplier' value(s) for dimension 1, got 2}}
  %0 = qnt.requantize %x axis 1 multiplier [1, 2] shift [0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case46(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op expected 1 or 3 'shift' value(s) for dimension 1, got 2}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [0, 1] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case47(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op expected 3 'channel_shift' value(s) for dimension 1, got 1}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [0] channel_shift [1] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case48(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op per-tensor requantization takes one multiplier and one shift, got 2 and 1 (set 'axis' for per-channel values)}}
  %0 = qnt.requantize %x multiplier [1, 2] shift [0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case49(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op 'channel_shift', 'channel_output_zp', 'channel_clamp_min' and 'channel_clamp_max' need 'axis'}}
  %0 = qnt.requantize %x multiplier [1] shift [0] channel_shift [1, 2, 3] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @requantize_channel_grid_no_axis(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'channel_shift', 'channel_output_zp', 'channel_clamp_min' and 'channel_clamp_max' need 'axis'}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [-128, 127] channel_clamp_max [1, 2, 3] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @requantize_channel_zp_length(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{expected 3 'channel_output_zp' value(s) for dimension 1, got 2}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [0] channel_output_zp [1, 2] clamp [-128, 127] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @requantize_channel_bound_outside(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{clamp bounds [-128, 5] of slice 2 are not an interval within [-128, 0]}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [0] clamp [-128, 0] channel_clamp_max [-120, -125, 5] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @requantize_channel_bounds_empty(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{clamp bounds [-100, -110] of slice 0 are not an interval within [-128, 127]}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [0] clamp [-128, 127] channel_clamp_min [-100, -128, -128] channel_clamp_max [-110, -125, 5] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @requantize_channel_zp_range(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{output zero point 300 of slice 1 is not representable in 'i8'}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [0] output_zp 100 channel_output_zp [0, 200, 0] clamp [-128, 127] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case50(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op multiplier #0 = 2147483648 is outside [0, 2^31 - 1]}}
  %0 = qnt.requantize %x multiplier [2147483648] shift [0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case51(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op multiplier #0 = -1 is outside [0, 2^31 - 1]}}
  %0 = qnt.requantize %x multiplier [-1] shift [0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case52(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op channel_shift #1 = 32 is outside [0, 31]}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [0] channel_shift [0, 32, 0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case53(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op total right shift 32 of channel 1 is outside [-31, 31] for rounding 'tflite'}}
  %0 = qnt.requantize %x axis 1 multiplier [1] shift [20] channel_shift [0, 12, 0] clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case54(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op total right shift -30 of channel 0 is outside [-29, 31] for rounding 'double_round'}}
  %0 = qnt.requantize %x multiplier [1] shift [-30] clamp [0, 1] rounding double_round : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case55(%x: tensor<2x3xi8>) {
  // expected-error @+1 {{'qnt.requantize' op input_zp 128 is not representable in 'i8'}}
  %0 = qnt.requantize %x input_zp 128 multiplier [1] shift [0] clamp [0, 1] : tensor<2x3xi8> -> tensor<2x3xi8>
  return
}

// -----

func.func @case56(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op output_zp 256 is not representable in 'i8' ([-128, 255])}}
  %0 = qnt.requantize %x multiplier [1] shift [0] output_zp 256 clamp [0, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case57(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op clamp_min -129 is not representable in 'i8' ([-128, 255])}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [-129, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case58(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op clamp_max 256 is not representable in 'i8' ([-128, 255])}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [0, 256] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case59(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op clamp_min 5 is greater than clamp_max 1}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [5, 1] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case60(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'qnt.requantize' op clamp range [-128, 255] does not fit in 8 bits}}
  %0 = qnt.requantize %x multiplier [1] shift [0] clamp [-128, 255] : tensor<2x3xi32> -> tensor<2x3xi8>
  return
}

// -----

func.func @case61(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{counts must be non-negative (count = -1, nan = 0, inf = 0)}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = -1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>} : tensor<2x3xf32>
  return
}

// -----

func.func @case62(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{statistic 'max' must be finite, got INF}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 1, min = 0.0, max = 0x7FF0000000000000, mean = 0.0, std = 0.0, mad = 0.0>} : tensor<2x3xf32>
  return
}

// -----

func.func @case63(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{statistics of no values cannot have a histogram}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 0, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0, hist = <lo = 0.0, hi = 1.0, bins = [0]>>} : tensor<2x3xf32>
  return
}

// -----

func.func @case64(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{min 2.000000e+00 is greater than max 1.000000e+00}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 1, min = 2.0, max = 1.0, mean = 1.5, std = 0.0, mad = 0.0>} : tensor<2x3xf32>
  return
}

// -----

func.func @case65(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{mean 1.500000e+00 is outside [min, max] = [0.000000e+00, 1.000000e+00]}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 1, min = 0.0, max = 1.0, mean = 1.5, std = 0.0, mad = 0.0>} : tensor<2x3xf32>
  return
}

// -----

func.func @case66(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{std and mad must be >= 0, got std = -1.000000e+00, mad = 0.000000e+00}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 1, min = 0.0, max = 1.0, mean = 0.5, std = -1.0, mad = 0.0>} : tensor<2x3xf32>
  return
}

// -----

func.func @case67(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{histogram range [5.000000e-01, 1.000000e+00] does not cover [min, max] = [0.000000e+00, 1.000000e+00]}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 2, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5, hist = <lo = 0.5, hi = 1.0, bins = [2]>>} : tensor<2x3xf32>
  return
}

// -----

func.func @case68(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{histogram holds 3 values but count is 2}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 2, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5, hist = <lo = 0.0, hi = 1.0, bins = [1, 2]>>} : tensor<2x3xf32>
  return
}

// -----

func.func @case69(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{histogram range [1.000000e+00, 1.000000e+00] must be finite with lo < hi}}
  // expected-error @+1 {{failed to parse Qnt_StatsAttr parameter 'hist'}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 2, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5, hist = <lo = 1.0, hi = 1.0, bins = [2]>>} : tensor<2x3xf32>
  return
}

// -----

func.func @case71(%x: tensor<2x3xf32>) {
  // expected-error @+2 {{histogram bin #1 has negative count -1}}
  // expected-error @+1 {{failed to parse Qnt_StatsAttr parameter 'hist'}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 2, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5, hist = <lo = 0.0, hi = 1.0, bins = [3, -1]>>} : tensor<2x3xf32>
  return
}

// -----

func.func @case72(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{axis must be non-negative, got -1}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.channel_stats<axis = -1, channels = [#qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>]>} : tensor<2x3xf32>
  return
}

// -----

func.func @case74(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.stats' of result #0: axis 2 is out of range for rank 2}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.channel_stats<axis = 2, channels = [#qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>]>} : tensor<2x3xf32>
  return
}

// -----

func.func @case75(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.stats' of result #0: has 2 channels but dimension 1 has size 3}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.channel_stats<axis = 1, channels = [#qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>, #qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>]>} : tensor<2x3xf32>
  return
}

// -----

func.func @case76(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'arith.addi' op 'qnt.stats' of result #0: statistics describe float values, but the result has type 'tensor<2x3xi32>'}}
  %0 = arith.addi %x, %x {qnt.stats = #qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>} : tensor<2x3xi32>
  return
}

// -----

func.func @case77(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.stats' of result #0: expected #qnt.stats or #qnt.channel_stats, got 1.000000e+00 : f32}}
  %0 = arith.addf %x, %x {qnt.stats = 1.0 : f32} : tensor<2x3xf32>
  return
}

// -----

func.func @case78(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.stats' has 2 entries for 1 results}}
  %0 = arith.addf %x, %x {qnt.stats = [#qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>, #qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>]} : tensor<2x3xf32>
  return
}

// -----

func.func @case79(%x: tensor<*xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.stats' of result #0: per-channel statistics need a ranked tensor result}}
  %0 = arith.addf %x, %x {qnt.stats = #qnt.channel_stats<axis = 0, channels = [#qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>]>} : tensor<*xf32>
  return
}

// -----

func.func @case80(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{unknown qnt discardable attribute 'qnt.stat'}}
  %0 = arith.addf %x, %x {qnt.stat = #qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>} : tensor<2x3xf32>
  return
}

// -----

func.func @case81(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'test.sink' op 'qnt.stats' needs an operation with results}}
  "test.sink"(%x) {qnt.stats = #qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>} : (tensor<2x3xf32>) -> ()
  return
}

// -----

func.func @case82(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'test.two' op 'qnt.stats' on an operation with 2 results must be an array with one entry per result}}
  %0:2 = "test.two"() {qnt.stats = #qnt.stats<count = 1, min = 0.0, max = 0.0, mean = 0.0, std = 0.0, mad = 0.0>} : () -> (tensor<2xf32>, tensor<2xf32>)
  return
}

// -----

func.func @case83(%x: tensor<1x2xf32>) {
  // expected-error @+1 {{'qnt.clip' op channel_bits needs 'axis' and 'bits'}}
  %0 = qnt.clip %x min [0.0] max [1.0] method aciq_laplace bits 4 channel_bits [4] : tensor<1x2xf32>
  return
}

// -----

func.func @case84(%x: tensor<1x2xf32>) {
  // expected-error @+1 {{'qnt.clip' op has 3 channel_bits for 2 channels}}
  %0 = qnt.clip %x axis 1 min [0.0, 0.0] max [1.0, 1.0] method aciq_laplace bits 4 channel_bits [4, 4, 4] : tensor<1x2xf32>
  return
}

// -----

func.func @case85(%x: tensor<1x2xf32>) {
  // expected-error @+1 {{'qnt.clip' op channel_bits of channel 1 must be in 1..16, got 0}}
  %0 = qnt.clip %x axis 1 min [0.0, 0.0] max [1.0, 1.0] method aciq_laplace bits 4 channel_bits [8, 0] : tensor<1x2xf32>
  return
}

// -----

func.func @case86(%p: tensor<2xi8>) {
  // expected-error @+1 {{'qnt.unpack' op bits must be 1, 2 or 4, got 3}}
  %0 = qnt.unpack %p bits 3 : tensor<2xi8> -> tensor<4xi8>
  return
}

// -----

func.func @case87(%p: tensor<2xi8>) {
  // expected-error @+1 {{'qnt.unpack' op packs 5 4-bit values in 3 bytes, got 2}}
  %0 = qnt.unpack %p bits 4 : tensor<2xi8> -> tensor<5xi8>
  return
}

// -----

func.func @case88(%x: tensor<2xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.result_params' needs one integer tensor result}}
  %0 = arith.addf %x, %x {qnt.result_params = #qnt.uniform<si8, scale = 0.5>} : tensor<2xf32>
  return
}

// -----

func.func @case89(%x: tensor<2xi8>) {
  // expected-error @+1 {{'arith.addi' op 'qnt.result_params' must be a #qnt.uniform}}
  %0 = arith.addi %x, %x {qnt.result_params = 1 : i64} : tensor<2xi8>
  return
}

// -----

func.func @case90(%x: tensor<2xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.precision' has an unknown key 'bitz'}}
  %0 = arith.addf %x, %x {qnt.precision = {bitz = 4 : i64}} : tensor<2xf32>
  return
}

// -----

func.func @case91(%x: tensor<2xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.precision' weight_bits must be an integer in 2..8}}
  %0 = arith.addf %x, %x {qnt.precision = {weight_bits = 9 : i64}} : tensor<2xf32>
  return
}

// -----

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.consumed}) {
    // expected-error @+1 {{'transform.qnt.annotate_precision' op unknown clip_method 'magic'}}
    %1 = transform.qnt.annotate_precision %root {clip_method = "magic"} : (!transform.any_op) -> !transform.any_op
    transform.yield
  }
}

// -----

func.func @case92(%x: tensor<2xf32>) {
  // expected-error @+1 {{'arith.addf' op 'qnt.precision' clip_method must name a method (minmax, percentile, mse, kl, aciq_laplace, aciq_gaussian, pact or auto)}}
  %0 = arith.addf %x, %x {qnt.precision = {clip_method = "manual"}} : tensor<2xf32>
  return
}

// -----

func.func @parallel_mark_not_on_a_loop(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'qnt.parallel' must be a unit attribute on scf.for}}
  %0 = arith.addf %x, %x {qnt.parallel} : tensor<2x3xf32>
  return
}
