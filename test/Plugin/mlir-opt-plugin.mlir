// Upstream mlir-opt (not qnt-opt) loads qnt's dialect and passes from the
// plugin, round-trips qnt IR and runs a qnt pass.
// The transform extension comes with the dialect: a qnt transform script
// runs under upstream mlir-opt too.
// RUN: mlir-opt %S/../Dialect/Qnt/Transforms/transform-annotate-precision.mlir --load-dialect-plugin=%qnt_lib_dir/QntPlugin.so --load-pass-plugin=%qnt_lib_dir/QntPlugin.so -transform-interpreter=entry-point=clips_only | FileCheck %S/../Dialect/Qnt/Transforms/transform-annotate-precision.mlir --check-prefix=CLIPS
// RUN: mlir-opt %s --load-dialect-plugin=%qnt_lib_dir/QntPlugin.so --load-pass-plugin=%qnt_lib_dir/QntPlugin.so | mlir-opt --load-dialect-plugin=%qnt_lib_dir/QntPlugin.so | FileCheck %s --check-prefix=ROUNDTRIP
// RUN: mlir-opt %s --load-dialect-plugin=%qnt_lib_dir/QntPlugin.so --load-pass-plugin=%qnt_lib_dir/QntPlugin.so --pass-pipeline="builtin.module(qnt-strip-stats,canonicalize)" | FileCheck %s --check-prefix=PASS

// ROUNDTRIP-LABEL: func @f
// ROUNDTRIP: arith.addf {{.*}} {qnt.stats = #qnt.stats<count = 8, min = -1.000000e+00
// ROUNDTRIP: qnt.clip %{{.*}} min [-1.000000e+00] max [1.000000e+00] method aciq_laplace bits 8
// ROUNDTRIP: qnt.quantize %{{.*}} uniform<si8, scale = 7.812500e-03>
// ROUNDTRIP: qnt.dequantize %{{.*}} uniform<si8, scale = 7.812500e-03>

// PASS-LABEL: func @f
// PASS-NOT: qnt.stats
// PASS: qnt.clip
// PASS-NEXT: %[[F:.*]] = qnt.fake_quant %{{.*}} uniform<si8, scale = 7.812500e-03> : tensor<8xf32>
// PASS-NEXT: return %[[F]]
func.func @f(%x: tensor<8xf32>) -> tensor<8xf32> {
  %a = arith.addf %x, %x {qnt.stats = #qnt.stats<count = 8, min = -1.0, max = 1.0, mean = 0.0, std = 0.5, mad = 0.4>} : tensor<8xf32>
  %c = qnt.clip %a min [-1.0] max [1.0] method aciq_laplace bits 8 : tensor<8xf32>
  %q = qnt.quantize %c uniform<si8, scale = 0.0078125> : tensor<8xf32> -> tensor<8xi8>
  %d = qnt.dequantize %q uniform<si8, scale = 0.0078125> : tensor<8xi8> -> tensor<8xf32>
  return %d : tensor<8xf32>
}
