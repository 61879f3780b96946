//===- Passes.td - qnt transformation passes ---------------*- tablegen -*-===//

#ifndef QNT_DIALECT_QNT_TRANSFORMS_PASSES_TD
#define QNT_DIALECT_QNT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QntImportQuant : Pass<"qnt-import-quant"> {
  let summary = "Convert upstream quant dialect casts to qnt ops";
  let description = [{
    Rewrites `quant.qcast` and `quant.dcast` on tensors of `!quant.uniform`
    types (per tensor or per axis) into `qnt.quantize` / `qnt.dequantize` on
    signless integer storage, joined to the rest of the program by
    `quant.scast`, which cancel in pairs when both ends are converted:

    ```mlir
    // before
    %q = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8:f32, 0.5:3>>
    // after
    %s = qnt.quantize %x uniform<si8, scale = 5.000000e-01, zero_point = 3>
           : tensor<4xf32> -> tensor<4xi8>
    %q = quant.scast %s : tensor<4xi8> to tensor<4x!quant.uniform<i8:f32, 0.5:3>>
    ```

    The storage range of the quant type gives qnt's bit width (e.g.
    `i8<-8:7>` is 4-bit signed, `i8<-127:127>` is 8-bit narrow). A type qnt
    cannot express (a range that is not a full or narrow n-bit range, or
    sub-channel blocks) is an error naming the type.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect", "::mlir::qnt::QntDialect"];
}

def QntExportQuant : Pass<"qnt-export-quant"> {
  let summary = "Convert qnt quantize/dequantize to upstream quant dialect casts";
  let description = [{
    The inverse of `qnt-import-quant`: `qnt.quantize` / `qnt.dequantize` with
    `#qnt.uniform` parameters become `quant.qcast` / `quant.dcast` through
    `!quant.uniform` types and `quant.scast`, so that compilers consuming the
    upstream quant dialect can take qnt's output. Ops whose parameters have no
    upstream form (codebooks, 16/32-bit storage with narrow range) are left
    unchanged with a remark.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
}

def QntStripStats : Pass<"qnt-strip-stats"> {
  let summary = "Remove calibration statistics attributes";
  let description = [{
    Removes every `qnt.stats` attribute, e.g. before handing a quantized
    module to a compiler that does not know the qnt dialect.
  }];
}

#endif // QNT_DIALECT_QNT_TRANSFORMS_PASSES_TD
