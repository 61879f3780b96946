// RUN: qnt-opt %s -qnt-strip-stats | FileCheck %s

// Statistics go, on ops and on function arguments; other attributes stay.
// CHECK-LABEL: func.func @f
// CHECK-SAME: (%{{.*}}: tensor<4xf32> {qnt.name = "input"})
// CHECK-NOT: qnt.stats
// CHECK: tosa.clamp %{{.*}} {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32}
// CHECK-NOT: qnt.stats
func.func @f(%x: tensor<4xf32> {qnt.name = "input", qnt.stats = #qnt.stats<count = 4, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5>}) -> tensor<4xf32> {
  %r = tosa.clamp %x {min_val = 0.0 : f32, max_val = 6.0 : f32, qnt.stats = #qnt.stats<count = 4, min = 0.0, max = 1.0, mean = 0.5, std = 0.5, mad = 0.5>} : (tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
