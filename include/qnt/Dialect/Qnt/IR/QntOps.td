//===- QntOps.td - qnt operations --------------------------*- tablegen -*-===//

#ifndef QNT_DIALECT_QNT_IR_QNTOPS_TD
#define QNT_DIALECT_QNT_IR_QNTOPS_TD

include "qnt/Dialect/Qnt/IR/QntDialect.td"
include "qnt/Dialect/Qnt/IR/QntAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonTypeConstraints.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

class Qnt_Op<string mnemonic, list<Trait> traits = []>
    : Op<Qnt_Dialect, mnemonic, !listconcat(traits, [Pure])>;

def Qnt_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Qnt_IntTensor : RankedTensorOf<[AnySignlessInteger]>;
def Qnt_QuantParamsAttr : AnyAttrOf<[Qnt_UniformAttr, Qnt_CodebookAttr]>;

//===----------------------------------------------------------------------===//
// qnt.clip
//===----------------------------------------------------------------------===//

def Qnt_ClipOp : Qnt_Op<"clip", [SameOperandsAndResultType]> {
  let summary = "Clamp a float activation to a calibrated range";
  let description = [{
    `y = min(max(x, min[c]), max[c])`, per tensor (one bound pair) or per
    slice `c` along `axis`. `method` records how the range was chosen
    (`manual`, `minmax`, `percentile`, `mse`, `kl`, `aciq_laplace`,
    `aciq_gaussian`, `pact`) and the optional `bits` the bit width it was
    chosen for; the quantizer takes the clip as its range. A per-channel
    clip may carry `channel_bits`, one bit width per slice (ACIQ's
    per-channel bit allocation; `bits` is then their mean, the budget): each
    slice is quantized on its own `channel_bits[c]`-bit grid.

    Verified:
    * `min` and `max` have the same, non-zero length: 1 without `axis`, the
      size of dimension `axis` with it (that dimension must be static);
    * every bound is finite and `min[c] <= max[c]`;
    * `axis` is within the rank; `bits`, if given, is in 1..16;
    * `channel_bits` needs `axis` and `bits`, has one entry per slice, each
      in 1..16.

    ```mlir
    %y = qnt.clip %x min [0.0] max [6.0] method pact : tensor<1x8x8x16xf32>
    %z = qnt.clip %x axis 3 min [-1.0, -2.0] max [1.0, 2.0] method aciq_laplace bits 4 : tensor<1x4x4x2xf32>
    %w = qnt.clip %x axis 3 min [0.0, 0.0] max [0.5, 2.0] method aciq_laplace bits 4 channel_bits [3, 5] : tensor<1x4x4x2xf32>
    ```
  }];
  let arguments = (ins Qnt_FloatTensor:$input,
                       DenseF64ArrayAttr:$min,
                       DenseF64ArrayAttr:$max,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$axis,
                       Qnt_ClipMethodAttr:$method,
                       OptionalAttr<I64Attr>:$bits,
                       OptionalAttr<DenseI64ArrayAttr>:$channel_bits);
  let results = (outs Qnt_FloatTensor:$output);
  let assemblyFormat = [{
    $input (`axis` $axis^)? `min` $min `max` $max `method` `` $method
    (`bits` $bits^)? (`channel_bits` $channel_bits^)? attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    bool isPerAxis() { return getAxis().has_value(); }
  }];
}

//===----------------------------------------------------------------------===//
// qnt.quantize / qnt.dequantize / qnt.fake_quant
//===----------------------------------------------------------------------===//

def Qnt_QuantizeOp : Qnt_Op<"quantize"> {
  let summary = "Quantize a float tensor to integer codes";
  let description = [{
    With `#qnt.uniform`: `q = clamp(roundeven(x / scale) + zp, qmin, qmax)`
    (ties to even, as ONNX QuantizeLinear). With `#qnt.codebook`:
    `q = |x| > threshold ? sign(x) : 0` (ternary), `x >= 0 ? 1 : -1` (binary).
    NaN quantizes to the zero point.

    Verified: input and result have the same shape; the result's integer
    width holds the storage width; per-axis parameters match the size of
    dimension `axis`; codebook scales broadcast against the shape.

    ```mlir
    %q = qnt.quantize %x uniform<si8, scale = 0.1> : tensor<4xf32> -> tensor<4xi8>
    ```
  }];
  let arguments = (ins Qnt_FloatTensor:$input, Qnt_QuantParamsAttr:$params);
  let results = (outs Qnt_IntTensor:$output);
  let assemblyFormat = "$input custom<QuantParams>($params) attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Qnt_DequantizeOp : Qnt_Op<"dequantize"> {
  let summary = "Map integer codes back to real values";
  let description = [{
    With `#qnt.uniform`: `x = (q - zp) * scale`; with `#qnt.codebook`:
    `x = q * scale[g]` for the subgroup `g` of each element.

    Verified as `qnt.quantize`, with operand and result roles swapped.

    ```mlir
    %x = qnt.dequantize %q uniform<si8, scale = 0.1> : tensor<4xi8> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins Qnt_IntTensor:$input, Qnt_QuantParamsAttr:$params);
  let results = (outs Qnt_FloatTensor:$output);
  let assemblyFormat = "$input custom<QuantParams>($params) attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Qnt_FakeQuantOp : Qnt_Op<"fake_quant", [SameOperandsAndResultType]> {
  let summary = "Simulated quantization: dequantize(quantize(x)) in float";
  let description = [{
    The float oracle of a quantizer: the value `x` would have after
    `qnt.quantize` and `qnt.dequantize` with the same parameters.
    `fake_quant(fake_quant(x))` with equal parameters folds to the inner op.

    ```mlir
    %y = qnt.fake_quant %x uniform<ui8, scale = 0.02, zero_point = 128> : tensor<4xf32>
    ```
  }];
  let arguments = (ins Qnt_FloatTensor:$input, Qnt_QuantParamsAttr:$params);
  let results = (outs Qnt_FloatTensor:$output);
  let assemblyFormat = "$input custom<QuantParams>($params) attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// qnt.pow2_scale
//===----------------------------------------------------------------------===//

def Qnt_Pow2ScaleOp : Qnt_Op<"pow2_scale", [SameOperandsAndResultType]> {
  let summary = "Multiply each slice along an axis by a power of two";
  let description = [{
    `y[..., c, ...] = x[..., c, ...] * 2^shifts[c]` along `axis`: exact in
    float (barring overflow and underflow). WESS scales each output channel
    of a layer's weights by `2^k_c` and puts `qnt.pow2_scale` with `-k_c` on
    the layer's output, so the function is unchanged; quantization then folds
    the inverse shift into `qnt.requantize`'s `channel_shift`.

    Verified: `axis` within the rank with a static dimension, one shift per
    slice, every shift in [-64, 64].

    ```mlir
    %y = qnt.pow2_scale %x axis 3 shifts [0, -2, -5] : tensor<1x8x8x3xf32>
    ```
  }];
  let arguments = (ins Qnt_FloatTensor:$input,
                       ConfinedAttr<I64Attr, [IntNonNegative]>:$axis,
                       DenseI64ArrayAttr:$shifts);
  let results = (outs Qnt_FloatTensor:$output);
  let assemblyFormat = "$input `axis` $axis `shifts` $shifts attr-dict `:` type($input)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// qnt.requantize
//===----------------------------------------------------------------------===//

def Qnt_RequantizeOp : Qnt_Op<"requantize"> {
  let summary = "Fixed-point requantization of integer values";
  let description = [{
    Rescales integers (typically an i32 accumulator) to another quantized
    domain with integer arithmetic only. For element `x` in slice `c`:

    ```
    a = x - input_zp
    n = shift[c] + channel_shift[c]         (total right shift)
    z = output_zp + channel_output_zp[c]
    y = clamp(rescale(a, multiplier[c], n) + z, lo[c], hi[c])
    ```

    where `lo[c]`/`hi[c]` are `channel_clamp_min[c]`/`channel_clamp_max[c]`
    when given, else `clamp_min`/`clamp_max`.

    `rescale(a, m, n)` approximates `a * m * 2^(-31-n)`; `rounding` selects
    its semantics:
    * `tflite` (default; gemmlowp/TFLite): `RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(a << max(-n, 0), m), max(n, 0))`;
      `n` in [-31, 31].
    * `single_round` / `double_round`: TOSA `rescale` with `shift = 31 + n`,
      `n` in [-29, 31] (`qnt-quantize` writes `single_round` by default).

    `multiplier` and `shift` hold one value per tensor or one per slice along
    `axis`; `channel_shift` (WESS: a per-slice right shift on top of one
    per-layer multiplier) needs `axis`. A ReLU/ReLU6/clip after the layer is
    folded into `clamp_min`/`clamp_max`. Per-slice output grids (per-channel
    activations, each channel with its own scale, zero point and width, as
    ACIQ's bit allocation gives) use `channel_output_zp` and the per-slice
    bounds `channel_clamp_min`/`channel_clamp_max`, which must lie within
    `[clamp_min, clamp_max]` (the storage range).

    Verified:
    * the input is i8, i16 or i32 and the result an integer tensor of the same
      shape with width <= 32;
    * `multiplier[c]` in [0, 2^31 - 1], total shifts in the mode's range,
      `channel_shift[c]` in [0, 31];
    * per tensor: one multiplier and one shift and no `channel_shift`; with
      `axis`: static dimension `axis` of size C, and `multiplier`/`shift` of
      length 1 or C, `channel_shift`, `channel_output_zp`,
      `channel_clamp_min` and `channel_clamp_max` of length C (these need
      `axis`);
    * `input_zp` representable in the input type, `output_zp`, `clamp_min`
      and `clamp_max` in the result type, `clamp_min <= clamp_max`; every
      slice's zero point in the result type and `clamp_min <= lo[c] <= hi[c]
      <= clamp_max`.

    ```mlir
    %y = qnt.requantize %acc multiplier [1518500250] shift [7] output_zp -128
           clamp [-128, 127] : tensor<1x8xi32> -> tensor<1x8xi8>
    %w = qnt.requantize %acc axis 1 multiplier [1518500250] shift [7]
           channel_shift [0, 3] clamp [0, 127] rounding double_round
           : tensor<1x2xi32> -> tensor<1x2xi8>
    // Channel 0 on a 4-bit grid, channel 1 on a 2-bit grid, one zero point.
    %v = qnt.requantize %acc axis 1 multiplier [1518500250, 1073741824]
           shift [7, 5] output_zp -128 clamp [-128, 127]
           channel_clamp_max [-113, -125] : tensor<1x2xi32> -> tensor<1x2xi8>
    ```
  }];
  let arguments = (ins Qnt_IntTensor:$input,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$input_zp,
                       DenseI64ArrayAttr:$multiplier,
                       DenseI64ArrayAttr:$shift,
                       OptionalAttr<DenseI64ArrayAttr>:$channel_shift,
                       DefaultValuedAttr<I64Attr, "0">:$output_zp,
                       I64Attr:$clamp_min,
                       I64Attr:$clamp_max,
                       DefaultValuedAttr<Qnt_RoundingModeAttr,
                         "::mlir::qnt::RoundingMode::tflite">:$rounding,
                       OptionalAttr<DenseI64ArrayAttr>:$channel_output_zp,
                       OptionalAttr<DenseI64ArrayAttr>:$channel_clamp_min,
                       OptionalAttr<DenseI64ArrayAttr>:$channel_clamp_max);
  let results = (outs Qnt_IntTensor:$output);
  let assemblyFormat = [{
    $input (`axis` $axis^)? (`input_zp` $input_zp^)?
    `multiplier` $multiplier `shift` $shift
    (`channel_shift` $channel_shift^)? (`output_zp` $output_zp^)?
    (`channel_output_zp` $channel_output_zp^)?
    `clamp` ` ` `[` $clamp_min `,` $clamp_max `]`
    (`channel_clamp_min` $channel_clamp_min^)?
    (`channel_clamp_max` $channel_clamp_max^)? (`rounding` `` $rounding^)?
    attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isPerAxis() { return getAxis().has_value(); }
    /// Multiplier and total right shift of slice `c`.
    int64_t getMultiplierFor(size_t c) {
      auto m = getMultiplier();
      return m[m.size() == 1 ? 0 : c];
    }
    int64_t getTotalShiftFor(size_t c) {
      auto s = getShift();
      int64_t n = s[s.size() == 1 ? 0 : c];
      if (auto cs = getChannelShift())
        n += (*cs)[c];
      return n;
    }
    /// Output zero point and clamp bounds of slice `c`.
    int64_t getOutputZpFor(size_t c) {
      int64_t z = static_cast<int64_t>(getOutputZp());
      if (auto cz = getChannelOutputZp())
        z += (*cz)[c];
      return z;
    }
    int64_t getClampMinFor(size_t c) {
      if (auto lo = getChannelClampMin())
        return (*lo)[c];
      return static_cast<int64_t>(getClampMin());
    }
    int64_t getClampMaxFor(size_t c) {
      if (auto hi = getChannelClampMax())
        return (*hi)[c];
      return static_cast<int64_t>(getClampMax());
    }
    /// Whether the zero point or the bounds differ per slice.
    bool hasChannelGrid() {
      return getChannelOutputZp() || getChannelClampMin() ||
             getChannelClampMax();
    }
  }];
}

//===----------------------------------------------------------------------===//
// qnt.unpack
//===----------------------------------------------------------------------===//

def Qnt_UnpackOp : Qnt_Op<"unpack"> {
  let summary = "Sub-byte integer codes, stored several per byte, as i8";
  let description = [{
    `packed` holds the result's elements in row-major order, `k = 8 / bits`
    per byte: element `i` is bits `[(i mod k) bits, (i mod k) bits + bits)` of
    byte `i / k` (the first element in the low bits), a signed `bits`-bit
    integer, sign-extended to i8. The bytes after the last element's are 0.
    `qnt-pack-weights` stores constant 4-bit (2-bit, 1-bit) weights this way,
    so the library holds `bits / 8` of a byte per weight; the unpacking runs
    where the weights are used.

    Verified: `bits` is 1, 2 or 4; `packed` is a static 1-D i8 tensor of
    `ceil(N bits / 8)` bytes for a static i8 result of `N` elements.

    ```mlir
    // [-3, 5, -8, 7] in two bytes: 0x5D, 0x78.
    %w = qnt.unpack %p bits 4 : tensor<2xi8> -> tensor<2x2xi8>
    ```
  }];
  let arguments = (ins 1DTensorOf<[I8]>:$packed,
                       ConfinedAttr<I64Attr, [IntPositive]>:$bits);
  let results = (outs RankedTensorOf<[I8]>:$output);
  let assemblyFormat = [{
    $packed `bits` $bits attr-dict `:` type($packed) `->` type($output)
  }];
  let hasVerifier = 1;
}

#endif // QNT_DIALECT_QNT_IR_QNTOPS_TD
