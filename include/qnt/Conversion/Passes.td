//===- Passes.td - qnt conversion passes -------------------*- tablegen -*-===//

#ifndef QNT_CONVERSION_PASSES_TD
#define QNT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQntToLinalg : Pass<"convert-qnt-to-linalg"> {
  let summary = "Lower qnt's element-wise ops to linalg.generic on tensors";
  let description = [{
    Lowers `qnt.clip`, `qnt.quantize`, `qnt.dequantize`, `qnt.fake_quant`,
    `qnt.pow2_scale` and `qnt.requantize` to `linalg.generic` ops with arith
    and math bodies; per-channel parameters become constant tensors indexed
    along the op's axis. `qnt.requantize` is lowered with integer arithmetic
    only, bit-exact with `qnt/Dialect/Qnt/Utils/FixedPoint.h` for every
    rounding mode. Float arithmetic happens in the op's float element type
    (`x / scale` with the scale rounded to that type).

    The patterns are available to other compilers through
    `populateQntToLinalgConversionPatterns`.

    ```mlir
    %q = qnt.quantize %x uniform<si8, scale = 0.5> : tensor<4xf32> -> tensor<4xi8>
    // becomes a linalg.generic computing
    //   clamp(roundeven(x / 0.5), -128, 127) as i8 (NaN -> zero point)
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // QNT_CONVERSION_PASSES_TD
