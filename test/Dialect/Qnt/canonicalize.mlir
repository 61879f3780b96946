// RUN: qnt-opt %s -canonicalize -split-input-file | FileCheck %s

// CHECK-LABEL: func @quantize_of_dequantize
// CHECK-SAME: (%[[Q:.*]]: tensor<4xi8>)
// CHECK-NEXT: return %[[Q]]
func.func @quantize_of_dequantize(%q: tensor<4xi8>) -> tensor<4xi8> {
  %x = qnt.dequantize %q uniform<si8, scale = 0.5> : tensor<4xi8> -> tensor<4xf32>
  %r = qnt.quantize %x uniform<si8, scale = 0.5> : tensor<4xf32> -> tensor<4xi8>
  return %r : tensor<4xi8>
}

// -----

// Different parameters: a real requantization, kept.
// CHECK-LABEL: func @quantize_of_dequantize_other_params
// CHECK: qnt.dequantize
// CHECK: qnt.quantize
func.func @quantize_of_dequantize_other_params(%q: tensor<4xi8>) -> tensor<4xi8> {
  %x = qnt.dequantize %q uniform<si8, scale = 0.5> : tensor<4xi8> -> tensor<4xf32>
  %r = qnt.quantize %x uniform<si8, scale = 0.25> : tensor<4xf32> -> tensor<4xi8>
  return %r : tensor<4xi8>
}

// -----

// CHECK-LABEL: func @dequantize_of_quantize
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[F:.*]] = qnt.fake_quant %[[X]] uniform<ui8, scale = 1.000000e-01, zero_point = 7> : tensor<4xf32>
// CHECK-NEXT: return %[[F]]
func.func @dequantize_of_quantize(%x: tensor<4xf32>) -> tensor<4xf32> {
  %q = qnt.quantize %x uniform<ui8, scale = 0.1, zero_point = 7> : tensor<4xf32> -> tensor<4xi8>
  %r = qnt.dequantize %q uniform<ui8, scale = 0.1, zero_point = 7> : tensor<4xi8> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @fake_quant_idempotent
// CHECK: %[[F:.*]] = qnt.fake_quant
// CHECK-NEXT: return %[[F]]
func.func @fake_quant_idempotent(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnt.fake_quant %x uniform<si4, scale = 0.1> : tensor<4xf32>
  %b = qnt.fake_quant %a uniform<si4, scale = 0.1> : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @fake_quant_different
// CHECK-COUNT-2: qnt.fake_quant
func.func @fake_quant_different(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnt.fake_quant %x uniform<si4, scale = 0.1> : tensor<4xf32>
  %b = qnt.fake_quant %a uniform<si8, scale = 0.1> : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// The intersection equals the outer clip: its method is kept.
// CHECK-LABEL: func @clip_of_clip_outer
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[C:.*]] = qnt.clip %[[X]] min [1.000000e+00] max [4.000000e+00] method aciq_laplace bits 4 : tensor<4xf32>
// CHECK-NEXT: return %[[C]]
func.func @clip_of_clip_outer(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnt.clip %x min [0.0] max [6.0] method pact : tensor<4xf32>
  %b = qnt.clip %a min [1.0] max [4.0] method aciq_laplace bits 4 : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// The intersection equals the inner clip.
// CHECK-LABEL: func @clip_of_clip_inner
// CHECK-NEXT: qnt.clip %{{.*}} min [0.000000e+00] max [6.000000e+00] method pact : tensor<4xf32>
// CHECK-NEXT: return
func.func @clip_of_clip_inner(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnt.clip %x min [0.0] max [6.0] method pact : tensor<4xf32>
  %b = qnt.clip %a min [-10.0] max [10.0] method minmax : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// Overlapping ranges: the intersection was chosen by neither method.
// CHECK-LABEL: func @clip_of_clip_mixed
// CHECK-NEXT: qnt.clip %{{.*}} min [0.000000e+00] max [4.000000e+00] method manual : tensor<4xf32>
func.func @clip_of_clip_mixed(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnt.clip %x min [0.0] max [6.0] method pact : tensor<4xf32>
  %b = qnt.clip %a min [-1.0] max [4.0] method aciq_laplace bits 4 : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// A per-tensor clip broadcasts against a per-channel one; the mixed result
// was chosen by neither method alone.
// CHECK-LABEL: func @clip_of_clip_per_channel
// CHECK-NEXT: qnt.clip %{{.*}} axis 1 min [0.000000e+00, 0.000000e+00] max [2.000000e+00, 3.000000e+00] method manual : tensor<2x2xf32>
// CHECK-NEXT: return
func.func @clip_of_clip_per_channel(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %a = qnt.clip %x axis 1 min [-1.0, -1.0] max [2.0, 8.0] method kl : tensor<2x2xf32>
  %b = qnt.clip %a min [0.0] max [3.0] method mse : tensor<2x2xf32>
  return %b : tensor<2x2xf32>
}

// -----

// Disjoint ranges make a constant, not an intersection: both clips stay.
// CHECK-LABEL: func @clip_of_clip_disjoint
// CHECK-COUNT-2: qnt.clip
func.func @clip_of_clip_disjoint(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnt.clip %x min [0.0] max [1.0] method manual : tensor<4xf32>
  %b = qnt.clip %a min [2.0] max [3.0] method manual : tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

// CHECK-LABEL: func @pow2_scale_merge
// CHECK-NEXT: qnt.pow2_scale %{{.*}} axis 1 shifts [3, -1] : tensor<2x2xf32>
// CHECK-NEXT: return
func.func @pow2_scale_merge(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %a = qnt.pow2_scale %x axis 1 shifts [1, 2] : tensor<2x2xf32>
  %b = qnt.pow2_scale %a axis 1 shifts [2, -3] : tensor<2x2xf32>
  return %b : tensor<2x2xf32>
}

// -----

// WESS scaling followed by its inverse cancels entirely.
// CHECK-LABEL: func @pow2_scale_inverse
// CHECK-SAME: (%[[X:.*]]: tensor<2x2xf32>)
// CHECK-NEXT: return %[[X]]
func.func @pow2_scale_inverse(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %a = qnt.pow2_scale %x axis 1 shifts [4, 7] : tensor<2x2xf32>
  %b = qnt.pow2_scale %a axis 1 shifts [-4, -7] : tensor<2x2xf32>
  return %b : tensor<2x2xf32>
}

// -----

// Different axes do not merge.
// CHECK-LABEL: func @pow2_scale_axes
// CHECK-COUNT-2: qnt.pow2_scale
func.func @pow2_scale_axes(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %a = qnt.pow2_scale %x axis 0 shifts [1, 2] : tensor<2x2xf32>
  %b = qnt.pow2_scale %a axis 1 shifts [2, -3] : tensor<2x2xf32>
  return %b : tensor<2x2xf32>
}
