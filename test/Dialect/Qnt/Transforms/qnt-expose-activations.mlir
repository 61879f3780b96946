// RUN: qnt-opt %s -qnt-expose-activations | FileCheck %s
// RUN: not qnt-opt %s -qnt-expose-activations=func-name=missing 2>&1 | FileCheck %s --check-prefix=MISSING

// Computing ops' float results become extra results in program order;
// constants, reshapes and the integer result are skipped, and so is %a2,
// whose only user is a clamp (the clamp folds into its requantization).
// CHECK-LABEL: func.func @forward
// CHECK-SAME: -> (tensor<1x4xf32> {qnt.name = "out"}, tensor<1x4xf32> {qnt.activation = "tosa.add", qnt.loc = "loc(\22add\22)", qnt.name = "act0"}, tensor<1x4xf32> {qnt.activation = "tosa.clamp", qnt.loc = "loc(\22relu\22)", qnt.name = "act1"}, tensor<1x4xf32> {qnt.activation = "tosa.clamp", qnt.loc = "loc(\22relu2\22)", qnt.name = "act2"})
// CHECK: %[[A:.*]] = tosa.add
// CHECK: %[[C:.*]] = tosa.clamp %[[A]]
// CHECK: %[[M:.*]] = tosa.add %[[A]], %[[C]]
// CHECK: %[[C2:.*]] = tosa.clamp %[[M]]
// CHECK: return %{{.*}}, %[[A]], %[[C]], %[[C2]]
// MISSING: error: qnt-expose-activations: no function 'missing'
func.func @forward(%x: tensor<1x4xf32>, %i: tensor<4xi32>) -> (tensor<1x4xf32> {qnt.name = "out"}) {
  %c = "tosa.const"() {values = dense<1.0> : tensor<1x4xf32>} : () -> tensor<1x4xf32>
  %a = tosa.add %x, %c : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("add")
  %r = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("relu")
  %a2 = tosa.add %a, %r : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32> loc("add2")
  %r2 = tosa.clamp %a2 {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32> loc("relu2")
  %s = tosa.const_shape {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %r2, %s : (tensor<1x4xf32>, !tosa.shape<2>) -> tensor<1x4xf32>
  %n = tosa.add %i, %i : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %y : tensor<1x4xf32>
}
