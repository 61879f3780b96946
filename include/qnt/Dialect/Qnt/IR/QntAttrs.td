//===- QntAttrs.td - qnt attributes and enums --------------*- tablegen -*-===//

#ifndef QNT_DIALECT_QNT_IR_QNTATTRS_TD
#define QNT_DIALECT_QNT_IR_QNTATTRS_TD

include "qnt/Dialect/Qnt/IR/QntDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Qnt_ClipMethod : I32EnumAttr<"ClipMethod",
    "how a clipping range was chosen", [
      I32EnumAttrCase<"manual", 0>,
      I32EnumAttrCase<"minmax", 1>,
      I32EnumAttrCase<"percentile", 2>,
      I32EnumAttrCase<"mse", 3>,
      I32EnumAttrCase<"kl", 4>,
      I32EnumAttrCase<"aciq_laplace", 5>,
      I32EnumAttrCase<"aciq_gaussian", 6>,
      I32EnumAttrCase<"pact", 7>
    ]> {
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}
def Qnt_ClipMethodAttr : EnumAttr<Qnt_Dialect, Qnt_ClipMethod, "clip_method">;

def Qnt_RoundingMode : I32EnumAttr<"RoundingMode",
    "rounding of the fixed-point requantization", [
      I32EnumAttrCase<"tflite", 0>,
      I32EnumAttrCase<"single_round", 1>,
      I32EnumAttrCase<"double_round", 2>
    ]> {
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}
def Qnt_RoundingModeAttr : EnumAttr<Qnt_Dialect, Qnt_RoundingMode, "rounding">;

def Qnt_CodebookKind : I32EnumAttr<"CodebookKind",
    "symmetric codebook of SYQ weights", [
      I32EnumAttrCase<"binary", 0>,
      I32EnumAttrCase<"ternary", 1>
    ]> {
  let cppNamespace = "::mlir::qnt";
  let genSpecializedAttr = 0;
}

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

class Qnt_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Qnt_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Qnt_UniformAttr : Qnt_Attr<"Uniform", "uniform"> {
  let summary = "Affine (uniform) quantization parameters";
  let description = [{
    Parameters of an affine quantizer `q = clamp(round(x / scale) + zp, qmin, qmax)`,
    `x ~= (q - zp) * scale`, per tensor or per slice along one axis.

    * The storage type `si<b>` / `ui<b>` gives the bit width `b` (2..8, 16
      or 32) and the signedness. Values are held in signless integer tensors
      of at least `b` bits (`i8` for 2..8 bits); `qmin`/`qmax` follow from
      `b`, the signedness and `narrow`.
    * `narrow` (signed only) drops the most negative value, making the grid
      symmetric: `[-(2^(b-1) - 1), 2^(b-1) - 1]`.
    * Per tensor: `scale = s, zero_point = z`. Per axis: `axis = a,
      scales = [...], zero_points = [...]`, one entry per slice.

    Verified: the storage width is one of 2..8, 16, 32; every scale is finite
    and > 0; every zero point lies in `[qmin, qmax]`; per tensor has exactly
    one scale, per axis as many zero points as scales and a non-negative axis.

    ```mlir
    #qnt.uniform<si8, scale = 0.05>
    #qnt.uniform<ui4, scale = 0.5, zero_point = 3>
    #qnt.uniform<si8 narrow, axis = 3, scales = [0.01, 0.02]>
    ```

    Parameters expressible in the upstream quant dialect convert to and from
    `!quant.uniform` (see the `qnt-import-quant` and `qnt-export-quant` passes).
  }];
  let parameters = (ins
    "::mlir::IntegerType":$storageType,
    "bool":$narrowRange,
    "::mlir::DenseF64ArrayAttr":$scaleArray,
    ArrayRefParameter<"int64_t">:$zeroPoints,
    OptionalParameter<"std::optional<int64_t>">:$axis
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    ::llvm::ArrayRef<double> getScales() const {
      return getScaleArray().asArrayRef();
    }
    unsigned getBitWidth() const { return getStorageType().getWidth(); }
    bool isSigned() const { return getStorageType().isSigned(); }
    bool isPerAxis() const { return getAxis().has_value(); }
    /// Smallest and largest representable code.
    int64_t getQMin() const;
    int64_t getQMax() const;
    /// Scale and zero point of slice `i` (or of the tensor when per tensor).
    double getScale(size_t i) const { return getScales()[isPerAxis() ? i : 0]; }
    int64_t getZeroPoint(size_t i) const {
      return getZeroPoints()[isPerAxis() ? i : 0];
    }
    /// Checks these parameters against a tensor type (axis in range, one
    /// scale per slice, storage fits the element type). `what` names the
    /// tensor in diagnostics.
    ::mlir::LogicalResult verifyForType(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        ::mlir::ShapedType type, ::llvm::StringRef what) const;
  }];
}

def Qnt_CodebookAttr : Qnt_Attr<"Codebook", "codebook"> {
  let summary = "Symmetric binary/ternary codebook with per-subgroup scales (SYQ)";
  let description = [{
    SYQ weights: codes in `{-1, +1}` (binary) or `{-1, 0, +1}` (ternary),
    each multiplied by the scale of its subgroup. `scales` is a float tensor
    whose shape broadcasts against the weight shape (size 1 on dimensions that
    are not grouped): e.g. `tensor<3x3x1x1xf32>` gives one scale per kernel
    position of an HWCF weight ("pixel-wise"), `tensor<1x1x1x16xf32>` one per
    output channel. Quantization maps `|w| > threshold` to `sign(w)` and the rest
    to 0 (ternary); binary codes are `w >= 0 ? +1 : -1`.

    Verified: every scale is finite and > 0; `threshold` is finite and >= 0;
    the shape of `scales` broadcasts against the quantized tensor (checked by
    the ops that use it).

    ```mlir
    #qnt.codebook<ternary, threshold = 0.01, scales = dense<[[[[0.5]]]]> : tensor<1x1x1x1xf32>>
    ```
  }];
  let parameters = (ins
    EnumParameter<Qnt_CodebookKind>:$kind,
    "::llvm::APFloat":$threshold,
    "::mlir::DenseFPElementsAttr":$scales
  );
  let assemblyFormat = "`<` $kind `,` `threshold` `=` $threshold `,` `scales` `=` $scales `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Checks that the scales broadcast against `type`.
    ::mlir::LogicalResult verifyForType(
        ::llvm::function_ref<::mlir::InFlightDiagnostic()> emitError,
        ::mlir::ShapedType type, ::llvm::StringRef what) const;
  }];
}

def Qnt_HistogramAttr : Qnt_Attr<"Histogram", "histogram"> {
  let summary = "Equal-width histogram of a tensor's finite values";
  let description = [{
    `bins` counts over `[lo, hi]` split into `bins.size()` equal bins; the
    last bin is closed on the right.

    Verified: `lo` and `hi` finite with `lo < hi`, at least one bin, no
    negative count.
  }];
  let parameters = (ins "::llvm::APFloat":$lo, "::llvm::APFloat":$hi,
                        ArrayRefParameter<"int64_t">:$bins);
  let assemblyFormat = [{
    `<` `lo` `=` $lo `,` `hi` `=` $hi `,` `bins` `=` `[` $bins `]` `>`
  }];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getTotal() const;
  }];
}

def Qnt_StatsAttr : Qnt_Attr<"Stats", "stats"> {
  let summary = "Calibration statistics of a float tensor";
  let description = [{
    Statistics over the finite values seen during calibration: `count`,
    `min`, `max`, `mean`, `std` (standard deviation), `mad` (mean absolute
    deviation from the mean: the Laplace `b` estimator of ACIQ), the number of
    NaN and infinite values seen (`nan`, `inf`, never folded into the other
    fields) and an optional histogram.

    Verified: all values finite; `count >= 0`, `nan >= 0`, `inf >= 0`; when
    `count > 0`: `min <= mean <= max`, `std >= 0`, `mad >= 0`; the histogram
    covers `[min, max]` and holds exactly `count` values.

    ```mlir
    #qnt.stats<count = 4, min = -1.0, max = 2.0, mean = 0.5, std = 1.0, mad = 0.75>
    ```
  }];
  let parameters = (ins
    "int64_t":$count, "::llvm::APFloat":$min, "::llvm::APFloat":$max,
    "::llvm::APFloat":$mean, "::llvm::APFloat":$std, "::llvm::APFloat":$mad,
    DefaultValuedParameter<"int64_t", "0">:$nan,
    DefaultValuedParameter<"int64_t", "0">:$inf,
    OptionalParameter<"::mlir::qnt::HistogramAttr">:$hist
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    double getMinValue() const { return getMin().convertToDouble(); }
    double getMaxValue() const { return getMax().convertToDouble(); }
    double getMeanValue() const { return getMean().convertToDouble(); }
    double getStdValue() const { return getStd().convertToDouble(); }
    double getMadValue() const { return getMad().convertToDouble(); }
  }];
}

def Qnt_ChannelStatsAttr : Qnt_Attr<"ChannelStats", "channel_stats"> {
  let summary = "Per-channel calibration statistics";
  let description = [{
    One `#qnt.stats` per slice of the tensor along `axis`.

    Verified: non-negative axis and at least one channel; the number of
    channels matches the attached value's dimension (checked where attached).

    ```mlir
    #qnt.channel_stats<axis = 1, channels = [#qnt.stats<...>, #qnt.stats<...>]>
    ```
  }];
  let parameters = (ins "int64_t":$axis,
                        ArrayRefParameter<"::mlir::qnt::StatsAttr">:$channels);
  let assemblyFormat = [{
    `<` `axis` `=` $axis `,` `channels` `=` `[` $channels `]` `>`
  }];
  let genVerifyDecl = 1;
}

#endif // QNT_DIALECT_QNT_IR_QNTATTRS_TD
