// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=minmax bits=8}))" | FileCheck %s --check-prefix=MINMAX
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=percentile percentile=99 bits=8}))" | FileCheck %s --check-prefix=PCT
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=aciq_laplace bits=2}))" | FileCheck %s --check-prefix=LAPLACE
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=aciq_gaussian bits=2}))" | FileCheck %s --check-prefix=GAUSS
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=mse bits=2}))" | FileCheck %s --check-prefix=MSE
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=kl bits=2}))" | FileCheck %s --check-prefix=KL
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=pact bits=4}))" | FileCheck %s --check-prefix=PACT
// RUN: qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=auto bits=2}))" | FileCheck %s --check-prefix=AUTO
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{method=magic}))" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{per-channel=true}))" 2>&1 | FileCheck %s --check-prefix=NOCHAN

// Expected values come from an independent Python implementation of the
// rules in docs/clipping.md (ACIQ: Lambert W / bisection from scratch).
// Two-sided: stats around 0 in [-4, 4]; one-sided: a ReLU6 clamp in [0, 6].
// MINMAX-LABEL: func @two_sided
// MINMAX: %[[A:.*]] = tosa.add
// MINMAX: %[[C:.*]] = qnt.clip %[[A]] min [-4.000000e+00] max [4.000000e+00] method minmax bits 8 : tensor<1x8xf32>
// MINMAX: tosa.mul %[[C]], %[[C]]
// MINMAX-LABEL: func @one_sided
// MINMAX: %[[R:.*]] = tosa.clamp
// MINMAX: %[[D:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [6.000000e+00] method minmax bits 8 : tensor<1x8xf32>
// MINMAX: return %[[D]]
// PCT-LABEL: func @two_sided
// PCT: %[[A:.*]] = tosa.add
// PCT: %[[C:.*]] = qnt.clip %[[A]] min [-3.000000e+00] max [3.000000e+00] method percentile bits 8 : tensor<1x8xf32>
// PCT: tosa.mul %[[C]], %[[C]]
// PCT-LABEL: func @one_sided
// PCT: %[[R:.*]] = tosa.clamp
// PCT: %[[D:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [{{.*}}] method percentile bits 8 : tensor<1x8xf32>
// PCT: return %[[D]]
// LAPLACE-LABEL: func @two_sided
// LAPLACE: %[[A:.*]] = tosa.add
// LAPLACE: %[[C:.*]] = qnt.clip %[[A]] min [-2.264546e+00] max [2.264546e+00] method aciq_laplace bits 2 : tensor<1x8xf32>
// LAPLACE: tosa.mul %[[C]], %[[C]]
// LAPLACE-LABEL: func @one_sided
// LAPLACE: %[[R:.*]] = tosa.clamp
// LAPLACE: %[[D:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [4.50750{{[67]}}e+00] method aciq_laplace bits 2 : tensor<1x8xf32>
// LAPLACE: return %[[D]]
// GAUSS-LABEL: func @two_sided
// GAUSS: %[[A:.*]] = tosa.add
// GAUSS: %[[C:.*]] = qnt.clip %[[A]] min [-1.710635e+00] max [1.710635e+00] method aciq_gaussian bits 2 : tensor<1x8xf32>
// GAUSS: tosa.mul %[[C]], %[[C]]
// GAUSS-LABEL: func @one_sided
// GAUSS: %[[R:.*]] = tosa.clamp
// GAUSS: %[[D:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [3.581911e+00] method aciq_gaussian bits 2 : tensor<1x8xf32>
// GAUSS: return %[[D]]
// MSE-LABEL: func @two_sided
// MSE: %[[A:.*]] = tosa.add
// MSE: %[[C:.*]] = qnt.clip %[[A]] min [-2.023438e+00] max [2.023438e+00] method mse bits 2 : tensor<1x8xf32>
// MSE: tosa.mul %[[C]], %[[C]]
// MSE-LABEL: func @one_sided
// MSE: %[[R:.*]] = tosa.clamp
// MSE: %[[D:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [3.996094e+00] method mse bits 2 : tensor<1x8xf32>
// MSE: return %[[D]]
// KL-LABEL: func @two_sided
// KL: %[[A:.*]] = tosa.add
// KL: %[[C:.*]] = qnt.clip %[[A]] min [-1.000000e+00] max [1.000000e+00] method kl bits 2 : tensor<1x8xf32>
// KL: tosa.mul %[[C]], %[[C]]
// KL-LABEL: func @one_sided
// KL: %[[R:.*]] = tosa.clamp
// One-sided KL leaves the bin at the lower bound out (its values are on the
// grid): P over bins 1.. = [30, 15, 10, 4, 1]; by hand, KL(T = 4) = 0.0144 <
// KL(T = 5) = 0.0147 < KL(T = 6) = 0.0585.
// KL: %[[D:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [4.000000e+00] method kl bits 2 : tensor<1x8xf32>
// KL: return %[[D]]
// PACT-LABEL: func @two_sided
// PACT: %[[A:.*]] = tosa.add
// PACT: %[[C:.*]] = qnt.clip %[[A]] min [-4.000000e+00] max [4.000000e+00] method minmax bits 4 : tensor<1x8xf32>
// PACT: tosa.mul %[[C]], %[[C]]
// PACT-LABEL: func @one_sided
// PACT: %[[R:.*]] = tosa.clamp
// PACT: %[[D:.*]] = qnt.clip %[[R]] min [0.000000e+00] max [6.000000e+00] method pact bits 4 : tensor<1x8xf32>
// PACT: return %[[D]]
// auto picks, per tensor, the lowest estimated MSE; at 2 bits that is the
// MSE search itself on the two-sided tensor.
// AUTO-LABEL: func @two_sided
// AUTO: qnt.clip %{{.*}} min [-2.023438e+00] max [2.023438e+00] method mse bits 2
// BAD: error: qnt-insert-clips: unknown method 'magic'
// NOCHAN: error: qnt-insert-clips: per-channel clips need #qnt.channel_stats

func.func @two_sided(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %a = tosa.add %x, %x {qnt.stats = #qnt.stats<count = 100, min = -4.0, max = 4.0, mean = 0.0, std = 1.0, mad = 0.8, hist = <lo = -4.0, hi = 4.0, bins = [1, 4, 15, 30, 30, 15, 4, 1]>>} : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  %s = "tosa.const"() {values = dense<0> : tensor<1xi8>} : () -> tensor<1xi8>
  %b = tosa.mul %a, %a, %s : (tensor<1x8xf32>, tensor<1x8xf32>, tensor<1xi8>) -> tensor<1x8xf32>
  return %b : tensor<1x8xf32>
}
func.func @one_sided(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %r = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32, qnt.stats = #qnt.stats<count = 100, min = 0.0, max = 6.0, mean = 1.0, std = 1.2, mad = 0.9, hist = <lo = 0.0, hi = 6.0, bins = [40, 30, 15, 10, 4, 1]>>} : (tensor<1x8xf32>) -> tensor<1x8xf32>
  return %r : tensor<1x8xf32>
}
// RUN: not qnt-opt %s -pass-pipeline="builtin.module(func.func(qnt-insert-clips{bits=17}))" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: qnt-insert-clips: bits must be in 1..16 and percentile in (50, 100], got bits = 17, percentile = 9.999000e+01
// The per-layer report.
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-insert-clips{method=aciq_laplace bits=2 report-file=%t.json})" -o /dev/null && FileCheck %s --check-prefix=REPORT < %t.json
// REPORT: "bits": 2
// REPORT: "function": "two_sided"
// REPORT: "method": "aciq_laplace"
// REPORT: "op": "tosa.add"
// REPORT: "bits": 2
// REPORT: "calibrated_max": 6
// REPORT: "calibrated_min": 0
// REPORT: "estimated_mse": {
// REPORT-DAG: "aciq_gaussian":
// REPORT-DAG: "kl":
// REPORT-DAG: "minmax":
// REPORT-DAG: "mse":
// REPORT: "function": "one_sided"
// REPORT: "loc": "loc(
// REPORT: "method": "aciq_laplace"
// REPORT: "op": "tosa.clamp"

// Function arguments (model inputs) carry their statistics as an argument
// attribute; the clip goes at the top of the body.
// MINMAX-LABEL: func @input
// MINMAX-NEXT: %[[I:.*]] = qnt.clip %arg0 min [0.000000e+00] max [1.000000e+00] method minmax bits 8 : tensor<1x8xf32>
// MINMAX-NEXT: tosa.add %[[I]], %[[I]]
func.func @input(%x: tensor<1x8xf32> {qnt.stats = #qnt.stats<count = 8, min = 0.0, max = 1.0, mean = 0.5, std = 0.3, mad = 0.25, hist = <lo = 0.0, hi = 1.0, bins = [2, 2, 2, 2]>>}) -> tensor<1x8xf32> {
  %a = tosa.add %x, %x : (tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<1x8xf32>
  return %a : tensor<1x8xf32>
}
