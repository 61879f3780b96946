// RUN: qnt-opt %s -qnt-attach-stats=stats-file=%S/Inputs/stats.json | FileCheck %s
// RUN: not qnt-opt %s -qnt-attach-stats=stats-file=%S/Inputs/stats-wrong-op.json 2>&1 | FileCheck %s --check-prefix=WRONG
// RUN: not qnt-opt %s -qnt-attach-stats=stats-file=%S/Inputs/stats-bad-hist.json 2>&1 | FileCheck %s --check-prefix=HIST
// RUN: not qnt-opt %s -qnt-attach-stats=stats-file=%S/Inputs/stats-bad-arg.json 2>&1 | FileCheck %s --check-prefix=BADARG
// RUN: not qnt-opt %s -qnt-attach-stats=stats-file=%S/Inputs/none.json 2>&1 | FileCheck %s --check-prefix=NOFILE

// CHECK-LABEL: func.func @forward
// CHECK-SAME: %arg0: tensor<1x4xf32> {qnt.stats = #qnt.stats<count = 4, min = 0.000000e+00, max = 1.000000e+00, mean = 5.000000e-01, std = 2.500000e-01, mad = 2.000000e-01>}
// CHECK: tosa.add {{.*}} {qnt.stats = #qnt.stats<count = 4, min = -1.000000e+00, max = 2.000000e+00, mean = 5.000000e-01, std = 1.000000e+00, mad = 7.500000e-01, nan = 1, hist = <lo = -1.000000e+00, hi = 3.000000e+00, bins = [1, 0, 2, 1]>>}
// CHECK: tosa.clamp {{.*}} qnt.stats = #qnt.stats<count = 4, min = 0.000000e+00, max = 2.000000e+00, mean = 7.500000e-01, std = 8.000000e-01, mad = 0.69999999999999996>
// WRONG: error: {{.*}}qnt-attach-stats: activation 0 was calibrated on 'tosa.mul', the program has 'tosa.add'
// HIST: error: {{.*}}qnt-attach-stats: activation 0: histogram holds 5 values but count is 2
// BADARG: error: {{.*}}qnt-attach-stats: argument entry 0 needs an 'index' below 1 and a 'stats' object
// NOFILE: error: qnt-attach-stats: cannot read '{{.*}}none.json': No such file or directory
func.func @forward(%x: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %c = "tosa.const"() {values = dense<1.0> : tensor<1x4xf32>} : () -> tensor<1x4xf32>
  %a = tosa.add %x, %c : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("add")
  %r = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("relu")
  return %r, %a : tensor<1x4xf32>, tensor<1x4xf32>
}
