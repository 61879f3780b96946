// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8 debug-line-tables=true})" --mlir-print-debuginfo | FileCheck %s
// RUN: qnt-opt %s -pass-pipeline="builtin.module(qnt-float-to-llvm{vector-width=8})" --mlir-print-debuginfo | FileCheck %s --check-prefix=PLAIN

// debug-line-tables=true gives the lowered function a debug-info
// subprogram (line tables only), and the vector add keeps the location of
// the tosa.add it came from (its line here): mlir-translate turns that into
// the library's line table. Without the option there is no debug info.
// CHECK: llvm.func @forward
// CHECK: llvm.fadd {{.*}} : vector<8xf32> loc([[ADD:#loc[0-9]*]])
// CHECK-DAG: [[ADD]] = loc("{{.*}}qnt-float-to-llvm-debug-lines.mlir":[[# @LINE + 5]]:
// CHECK-DAG: #di_compile_unit = #llvm.di_compile_unit<{{.*}}emissionKind = LineTablesOnly>
// CHECK-DAG: #di_subprogram{{[0-9]*}} = #llvm.di_subprogram<{{.*}}name = "forward"
// PLAIN-NOT: di_subprogram
func.func @forward(%x: tensor<8xf32>) -> tensor<8xf32> {
  %y = tosa.add %x, %x : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %y : tensor<8xf32>
}
