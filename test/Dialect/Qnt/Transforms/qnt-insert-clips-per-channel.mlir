// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=aciq_laplace bits=2 per-channel=true}))" | FileCheck %s --check-prefix=CHAN
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=aciq_laplace bits=2 per-channel=true allocate-bits=true}))" | FileCheck %s --check-prefix=ALLOC
// RUN: qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=aciq_laplace bits=2 per-channel=true allocate-bits=true},qnt-fake-quantize))" | FileCheck %s --check-prefix=FQ
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=mse bits=2 per-channel=true allocate-bits=true}))" 2>&1 | FileCheck %s --check-prefix=BADM
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=aciq_laplace bits=2 allocate-bits=true}))" 2>&1 | FileCheck %s --check-prefix=BADM
// RUN: not qnt-opt %s -split-input-file -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=aciq_laplace bits=2 per-channel=true allocate-bits=true},qnt-quantize))" 2>&1 | FileCheck %s --check-prefix=NOINT

// Four one-sided channels (a ReLU), mean 0 and mad b = [0.1, 1, 2, 6].
// Expected values from an independent Python computation (scipy's Lambert
// W for r_L(M), the solution of t e^t = 3 4^M).
//
// Per channel at 2 bits (one-sided: r_L(3) = 3.8972): hi = r_L(3) b.
// CHAN-LABEL: func @relu
// CHAN: qnt.clip %{{.*}} axis 3 min [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00] max [3.897229e-01, 3.897229e+00, 7.794459e+00, 2.338338e+01] method aciq_laplace bits 2 : tensor<1x2x2x4xf32>
//
// Allocation (mean 2 bits): alpha_c = r_L(3) b_c, the ideal real widths
// log2(4 alpha_c^(2/3) / sum alpha^(2/3)) + 2 = [-0.82, 1.39, 2.06, 3.11]
// round and clamp to [1, 1, 2, 3] (total 7); the missing bit goes to the
// largest shortfall (channel 1: 0.39) -> [1, 2, 2, 3]. Each channel's range
// is chosen again for its own width: hi_c = r_L(M_c + 1) b_c.
// ALLOC-LABEL: func @relu
// ALLOC: qnt.clip %{{.*}} axis 3 min [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00] max [2.830683e-01, 3.897229e+00, 7.794459e+00, 3.017184e+01] method aciq_laplace bits 2 channel_bits [1, 2, 2, 3] : tensor<1x2x2x4xf32>
//
// Simulated quantization: each channel on its own grid, scale hi_c / (2^M_c
// - 1), stored in the widest (3 bits).
// FQ-LABEL: func @relu
// FQ: qnt.fake_quant %{{.*}} uniform<ui3, axis = 3, scales = [0.28306829{{[0-9]*}}, 1.29907648{{[0-9]*}}, 2.59815297{{[0-9]*}}, 4.31026297{{[0-9]*}}]>
//
// BADM: error: qnt-insert-clips: allocate-bits needs per-channel=true, method aciq_laplace or aciq_gaussian and bits (the mean) in 2..8; channels get 1..8 bits
// NOINT: error: qnt-quantize: per-channel widths (channel_bits) need an integer producer (a convolution, matmul or pooling), not a float value
func.func @relu(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> {
  %r = tosa.clamp %x {min_val = 0.0 : f32, max_val = 1.0e+3 : f32, qnt.stats = #qnt.channel_stats<axis = 3, channels = [
    #qnt.stats<count = 4, min = 0.0, max = 100.0, mean = 0.0, std = 0.2, mad = 0.1>,
    #qnt.stats<count = 4, min = 0.0, max = 100.0, mean = 0.0, std = 2.0, mad = 1.0>,
    #qnt.stats<count = 4, min = 0.0, max = 100.0, mean = 0.0, std = 4.0, mad = 2.0>,
    #qnt.stats<count = 4, min = 0.0, max = 100.0, mean = 0.0, std = 12.0, mad = 6.0>]>} : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32>
  return %r : tensor<1x2x2x4xf32>
}

// -----

// Model inputs are calibrated per tensor: in per-channel mode their clip is
// per tensor (no axis, no channel_bits); the activation still gets its
// per-channel clip. Input: r_L(3) = 3.8972 (one-sided), mad 0.25 around
// mean 0.5 -> 0.5 + 0.974307 = 1.474307, within [0, 1] -> 1.
// CHAN-LABEL: func @input
// CHAN: qnt.clip %arg0 min [0.000000e+00] max [1.000000e+00] method aciq_laplace bits 2 : tensor<1x2xf32>
// CHAN: qnt.clip %{{.*}} axis 1 min
// ALLOC-LABEL: func @input
// ALLOC: qnt.clip %arg0 min [0.000000e+00] max [1.000000e+00] method aciq_laplace bits 2 : tensor<1x2xf32>
// ALLOC: qnt.clip %{{.*}} axis 1 min {{.*}} channel_bits [2, 2]
func.func @input(%x: tensor<1x2xf32> {qnt.stats = #qnt.stats<count = 8, min = 0.0, max = 1.0, mean = 0.5, std = 0.3, mad = 0.25>}) -> tensor<1x2xf32> {
  %a = tosa.add %x, %x {qnt.stats = #qnt.channel_stats<axis = 1, channels = [
    #qnt.stats<count = 4, min = -1.0, max = 1.0, mean = 0.0, std = 0.5, mad = 0.4>,
    #qnt.stats<count = 4, min = -1.0, max = 1.0, mean = 0.0, std = 0.5, mad = 0.4>]>} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x2xf32>
  return %a : tensor<1x2xf32>
}
