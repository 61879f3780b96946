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
    Removes every `qnt.stats` attribute (on ops and on function
    arguments), e.g. before handing a quantized module to a compiler that
    does not know the qnt dialect.
  }];
}

def QntExposeActivations : Pass<"qnt-expose-activations", "ModuleOp"> {
  let summary = "Return every activation to be quantized from the function (calibration build)";
  let description = [{
    Calibration runs the float model compiled by qnt itself. This pass makes
    a calibration build of `func-name`: every activation (the float tensor
    result of a computing op: not constants, shapes, reshapes, transposes or
    slices, which keep their input's distribution) becomes an extra function
    result, in program order, after the original results. The same
    enumeration is used by `qnt-attach-stats`, so result
    `#results + k` of the calibration build describes activation `k`.
    Each exposed op gets a remark-free `loc` unchanged, so reports can name it.
  }];
  let options = [
    Option<"funcName", "func-name", "std::string", /*default=*/"\"forward\"",
           "Function to instrument">,
  ];
}

def QntAttachStats : Pass<"qnt-attach-stats", "ModuleOp"> {
  let summary = "Attach calibration statistics (JSON) to the activations' producers";
  let description = [{
    Reads `stats-file` (written by `python3 -m qnt calibrate`, format in
    docs/calibration.md) and sets `qnt.stats` on the producer of each
    activation of `func-name`, enumerated as by `qnt-expose-activations`.
    The file names each activation's op and location; a mismatch with the
    module (a different model, or a changed program) is an error naming the
    activation, and nothing is attached.
  }];
  let options = [
    Option<"statsFile", "stats-file", "std::string", /*default=*/"",
           "JSON file with the statistics">,
    Option<"funcName", "func-name", "std::string", /*default=*/"\"forward\"",
           "Function whose activations the file describes">,
    Option<"perChannel", "per-channel", "bool", /*default=*/"false",
           "Attach each activation's per-channel statistics (its 'axis' and "
           "'channels', from calibrate --per-channel) as #qnt.channel_stats "
           "instead of the per-tensor 'stats'">,
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
}

def QntInsertClips : Pass<"qnt-insert-clips"> {
  let summary = "Insert qnt.clip on every activation with statistics";
  let description = [{
    For each result with `qnt.stats`, inserts `qnt.clip` with the range chosen
    by `method` for `bits`-bit quantization, and routes every other use
    through it. The clip records the method and bit width. Rules (exact
    definitions in docs/clipping.md):

    * `minmax`: [min, max];
    * `percentile`: the (100 - p)th and pth percentiles of the histogram;
    * `mse`: the range with the lowest estimated quantization MSE on the
      histogram among [min, max] shrunk toward the mean;
    * `kl`: TensorRT-style entropy calibration;
    * `aciq_laplace` / `aciq_gaussian`: ACIQ's analytical optimum
      `a = ratio(M) * b` (b = mad) or `ratio(M) * std`, any bit width;
    * `pact`: the bounds of the producing clamp (ReLU6, Clip, a learned
      PACT alpha) exactly; other activations fall back to `minmax`;
    * `auto`: per tensor, the method above with the lowest estimated MSE.

    A tensor is one-sided when its producer is a clamp with a non-negative
    lower bound or its minimum is >= 0; ACIQ then uses the entry for one more
    bit and keeps the minimum as the lower bound. With `per-channel`,
    `#qnt.channel_stats` give one range per channel (`axis`). With
    `allocate-bits` (ACIQ methods, per channel) the `bits` budget is spread
    over the channels by ACIQ's rule and each channel's range is chosen for
    its own width (`channel_bits` on the clip).

    ```mlir
    %r = tosa.clamp %x {..., qnt.stats = #qnt.stats<...>}
    // becomes
    %r = tosa.clamp %x {..., qnt.stats = #qnt.stats<...>}
    %c = qnt.clip %r min [0.0] max [3.1] method aciq_laplace bits 4 : tensor<...>
    ```
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"minmax\"",
           "minmax, percentile, mse, kl, aciq_laplace, aciq_gaussian, pact or auto">,
    Option<"bits", "bits", "unsigned", /*default=*/"8",
           "Bit width the ranges are chosen for (1..16)">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "Percentile for method=percentile, in (50, 100]">,
    Option<"perChannel", "per-channel", "bool", /*default=*/"false",
           "One range per channel from #qnt.channel_stats">,
    ListOption<"layerBits", "layer-bits", "std::string",
               "Per-activation widths (1..16), KEY=BITS: KEY is input (the "
               "function arguments) or text in the producer's location (an "
               "ONNX node name); the last match wins">,
    Option<"allocateBits", "allocate-bits", "bool", /*default=*/"false",
           "ACIQ per-channel bit allocation (needs per-channel and an ACIQ "
           "method): channel c gets M_c bits, 2^M_c proportional to "
           "alpha_c^(2/3), in 1..8 with mean `bits`; recorded as the clip's "
           "channel_bits">,
    Option<"reportFile", "report-file", "std::string", /*default=*/"",
           "Write a per-layer JSON report (function, op, location, method, "
           "bits, range, calibrated min/max, estimated quantization MSE of "
           "each candidate method); run the pass on the module to cover every "
           "function in one file">,
    Option<"shareInputGrid", "share-input-grid", "bool", /*default=*/"false",
           "No clip on the results of max pooling and of a concatenation of "
           "one activation with constants (when their input will be on a "
           "grid): they stay on their input's grid in qnt-quantize, saving "
           "a requantization per such tensor; by default they are clipped "
           "like any activation, a grid fitted to their own range">,
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
}

def QntFakeQuantize : Pass<"qnt-fake-quantize", "func::FuncOp"> {
  let summary = "Simulated quantization: fake_quant after clips and on weights";
  let description = [{
    The float oracle of a quantized model, for accuracy studies before
    integer code exists:

    * after every `qnt.clip` with `bits` B and range `[lo, hi]` (per tensor
      or per channel): `qnt.fake_quant` with an unsigned B-bit affine grid
      covering the range, `scale = (hi - lo) / (2^B - 1)`,
      `zero_point = round(-lo / scale)` (clamped to the grid);
    * with `weight-bits` W > 0, on the constant weights of `tosa.conv2d`,
      `tosa.depthwise_conv2d` and `tosa.matmul`: symmetric narrow-range
      signed W-bit, `scale = max|w| / (2^(W-1) - 1)`, per tensor or (with
      `weight-per-channel`) per output channel; with `weight-asymmetric`
      the full signed grid over `[min(w,0), max(w,0)]` with a zero point
      (the weights `qnt-quantize weight-asymmetric=true` produces).

    ```mlir
    %c = qnt.clip %x min [0.0] max [6.0] method pact bits 4 : tensor<...>
    // gains
    %q = qnt.fake_quant %c uniform<ui4, scale = 4.000000e-01> : tensor<...>
    ```
  }];
  let options = [
    Option<"weightBits", "weight-bits", "unsigned", /*default=*/"0",
           "Weight bit width (2..8; 0 keeps float weights)">,
    Option<"weightPerChannel", "weight-per-channel", "bool", /*default=*/"false",
           "One weight scale per output channel">,
    Option<"weightAsymmetric", "weight-asymmetric", "bool", /*default=*/"false",
           "Asymmetric weights (full signed grid over [min(w,0), max(w,0)] "
           "with a zero point) instead of symmetric narrow range">,
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
}

def QntQuantize : Pass<"qnt-quantize", "func::FuncOp"> {
  let summary = "Integer program from float TOSA with clips (weights, "
                "convolutions, fused requantization)";
  let description = [{
    Turns a float TOSA function whose activations carry `qnt.clip ... bits B`
    (from `qnt-insert-clips`) into an integer program:

    * Activations use the clip's range on a B-bit affine grid stored as
      signed codes in `i8` (`si<B>`; the same grid as `qnt-fake-quantize`):
      `scale = (max(hi,0) - min(lo,0)) / (2^B - 1)`, zero point so that 0 is
      exact. A clipped value that is not computed in integers (a model
      input) gets `qnt.quantize`.
    * `tosa.conv2d`, `tosa.depthwise_conv2d` and `tosa.matmul` with a
      quantized input and constant f32 weights become the same op on `i8`
      codes with an `i32` accumulator. Weights are symmetric, narrow range,
      `weight-bits` wide, per output channel or per tensor (or, with
      `weight-asymmetric`, on the full grid with a zero point `z_w`). The
      bias is rounded to the accumulator scale `S_x S_w[c]`, and the input
      zero point is folded into it (`-z_x sum_k w_q[c,k]`, plus `z_x z_w K`),
      so the integer op has zero points 0; padding becomes an explicit
      `tosa.pad` with the zero point. Asymmetric weights subtract
      `z_w[c] * sum_k x_k`, the window sums coming from a convolution with
      all-one weights (one output channel) or a sum over K.
    * Per-channel activation clips (`axis` = the last dimension, optionally
      with per-channel widths `channel_bits` from ACIQ bit allocation) give
      codes with a scale, zero point and width per channel: the producer's
      requantization is per channel (`channel_output_zp`,
      `channel_clamp_min/max`), and a consumer convolution or matmul folds
      `s_c / max s` into the weights that read channel c, so it runs at one
      input scale. Padding needs one zero point across channels (true for
      clips that start at 0, as after a ReLU). Residual adds and concats of
      per-channel grids stay float.
    * The accumulator's epilogue (reshapes that keep the channel dimension,
      a constant bias `tosa.add`, ReLU/ReLU6 `tosa.clamp`, and the next
      clip) becomes one `qnt.requantize`: `M = S_x S_w[c] / S_y` as a Q31
      multiplier and shift per channel, the clamp folded into its bounds. A
      clip between a matmul and its bias add is dropped (the bias is added in
      the accumulator).
    * A `tosa.add` of two quantized activations of one shape (a residual
      add) is an accumulator too, so its ReLU and clip fold the same way.
      `residual-add=single-rounding` (default): with the output scale `S_y`
      and `s = min(floor(log2(2^20 S_y / max(S_a, S_b))), 31)`, integer
      multipliers `M_x = round(2^s S_x / S_y) <= 2^20` give
      `y = clamp(z_y + round((M_a (a - z_a) + M_b (b - z_b)) / 2^s))`: `i32`
      products (`tosa.cast`, `tosa.mul`, `tosa.add`) and one rounding shift
      (`qnt.requantize` with multiplier `2^30`), error below `255 / 2^(s+1)`
      output units before that rounding. Where that cannot apply (`s < 14`,
      a per-channel output grid, an add not followed by a clip) and with
      `residual-add=tflite`: both inputs are rescaled to `i32` on
      `S_t = max(S_a, S_b) / 2^20` (`qnt.requantize`) and added, and the sum
      is requantized like an accumulator (TFLite's scheme: three roundings,
      a 64-bit product in the last).
    * Global `tosa.avg_pool2d` is an `i32` sum whose `1/N` and zero point go
      into the requantization; `tosa.max_pool2d`, reshapes and transposes
      run on the codes; a clamp of codes is an integer clamp.
    * Values still used in float (function results, ops that stay float)
      get `qnt.dequantize`; accumulators dequantize at `i32` precision.

    Everything else stays float. `qnt-check-integer-only` reports whether
    any float arithmetic is left between the quantize and the dequantize.

    ```mlir
    %c = qnt.clip %x min [0.0] max [1.0] method minmax bits 8 : tensor<1x4x4x1xf32>
    %y = tosa.conv2d %c, %w, %b, %z, %z {...} : (...) -> tensor<1x4x4x2xf32>
    %r = tosa.clamp %y {min_val = 0.0 : f32, max_val = 6.0 : f32} : ...
    %d = qnt.clip %r min [0.0] max [6.0] method pact bits 8 : ...
    // becomes
    %q = qnt.quantize %x uniform<si8, scale = ..., zero_point = -128> : ...
    %p = tosa.pad %q, %shape, %zp : (...) -> tensor<1x6x6x1xi8>
    %a = tosa.conv2d %p, %wq, %bq, %z0, %z0 {acc_type = i32, pad = ...0...}
    %y8 = qnt.requantize %a axis 3 multiplier [...] shift [...]
            output_zp -128 clamp [-128, 127] : tensor<1x4x4x2xi32> -> ...xi8>
    ```
  }];
  let options = [
    Option<"weightBits", "weight-bits", "unsigned", /*default=*/"8",
           "Weight bit width (2..8)">,
    Option<"weightPerChannel", "weight-per-channel", "bool", /*default=*/"true",
           "One weight scale per output channel (false: one per tensor)">,
    Option<"weightAsymmetric", "weight-asymmetric", "bool", /*default=*/"false",
           "Asymmetric uniform weights: the full signed weight-bits grid over "
           "[min(w,0), max(w,0)] with a zero point per tensor or channel "
           "(SYQ layers stay symmetric)">,
    Option<"rounding", "rounding", "std::string",
           /*default=*/"\"single_round\"",
           "Requantization rounding: single_round (one rounding, TOSA "
           "rescale's), tflite (gemmlowp / TFLite) or double_round">,
    Option<"residualAdd", "residual-add", "std::string",
           /*default=*/"\"single-rounding\"",
           "Residual adds of two quantized activations: single-rounding "
           "(integer multipliers, one rounding shift; no 64-bit product) or "
           "tflite (both rescaled to max(S_a, S_b) / 2^20, added, "
           "requantized)">,
    Option<"weightCodebook", "weight-codebook", "std::string",
           /*default=*/"\"none\"",
           "none (uniform weight-bits), or SYQ binary / ternary weights">,
    Option<"syqGroup", "syq-group", "std::string", /*default=*/"\"pixel\"",
           "SYQ subgroups sharing a scale: pixel (one per kernel position), "
           "row (per kernel row), channel (per output channel) or layer">,
    Option<"syqEta", "syq-eta", "double", /*default=*/"0.05",
           "SYQ ternary threshold: codes are 0 where |w| <= eta * max|W|">,
    Option<"syqKeepFirstLast", "syq-keep-first-last", "bool",
           /*default=*/"true",
           "Keep the first and the last weighted layer at weight-bits "
           "(uniform) with a codebook, as SYQ does">,
    ListOption<"layerWeightBits", "layer-weight-bits", "std::string",
               "Per-layer uniform weight widths (2..8), KEY=BITS: KEY is "
               "first, last, or text in the layer's location (an ONNX node "
               "name); the last match wins, and such a layer is never SYQ">,
    Option<"minMultiplierBits", "min-multiplier-bits", "unsigned",
           /*default=*/"11",
           "Round a requantization multiplier to fewer significant bits (at "
           "least this many, 1..31) where that lets its product with every "
           "possible accumulator fit in 32 bits (no 64-bit multiply); of "
           "those lengths the longest that also lets the output zero point "
           "fold into the rounding constants (the clamp to i8 is then the "
           "narrowing itself), else the longest; 31 keeps every multiplier "
           "at full (Q31) precision">,
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect",
                           "::mlir::tosa::TosaDialect"];
}

def QntCheckIntegerOnly : Pass<"qnt-check-integer-only", "func::FuncOp"> {
  let summary = "Fail if float arithmetic is left inside the integer program";
  let description = [{
    Checks that a quantized function could run on integer-only hardware:
    apart from `qnt.quantize` (its float input) and `qnt.dequantize` (its
    float result) and the function's own arguments and results, no op,
    nested ones included, has a floating-point operand or result. Each
    offending op gets an error (up to `max-errors`) naming the float type;
    the pass fails if there is any. The IR is not changed.

    Runs on TOSA + qnt (after `qnt-quantize`), and on linalg before
    `convert-qnt-to-linalg` (whose quantize bodies are float by nature).
  }];
  let options = [
    Option<"maxErrors", "max-errors", "unsigned", /*default=*/"10",
           "Report at most this many ops">,
  ];
}

def QntPackWeights : Pass<"qnt-pack-weights", "func::FuncOp"> {
  let summary = "Store sub-byte integer weights several per byte";
  let description = [{
    After `qnt-quantize`: each constant i8 weight of a `tosa.conv2d`,
    `tosa.depthwise_conv2d` or `tosa.matmul` whose codes all fit a signed
    1-, 2- or 4-bit integer (the narrowest that holds them, at most `bits`)
    becomes a packed constant of `ceil(N b / 8)` bytes and a `qnt.unpack`
    (row-major, first element in the low bits). 4-bit weights then take half
    a byte each in the library (1/8 of fp32). Lossless: the unpacked codes
    are the same. Weights whose codes need more bits stay one per byte.

    ```mlir
    %w = "tosa.const"() {values = dense<[[-3, 5], [-8, 7]]> : tensor<2x2xi8>} : () -> tensor<2x2xi8>
    // becomes
    %p = "tosa.const"() {values = dense<[93, 120]> : tensor<2xi8>} : () -> tensor<2xi8>
    %w = qnt.unpack %p bits 4 : tensor<2xi8> -> tensor<2x2xi8>
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4",
           "Widest packed width: 1, 2 or 4">,
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect",
                           "::mlir::tosa::TosaDialect"];
}

def QntFoldBatchnorm : Pass<"qnt-fold-batchnorm", "func::FuncOp"> {
  let summary = "Fold BatchNorm (a per-channel multiply and add) into convolutions";
  let description = [{
    Folds `tosa.add(tosa.mul(conv, f), s)` where `conv` is a `tosa.conv2d`
    or `tosa.depthwise_conv2d` with constant weights and bias, and `f`, `s`
    are constants with one value per output channel (shape `[1, ..., 1, C]`
    or `[C]`, or a single value): `W'[c] = W[c] * f[c]`, `b' = b * f + s`
    (white paper, section 5). This is how an inference BatchNormalization
    arrives from the ONNX importer (`qnt import --no-fold-bn`) or from other
    TOSA producers. A lone multiply or add is folded the same way. The
    convolution and the multiply must have no other users. A `qnt.batchnorm`
    prior on the add (set by the importer) moves onto the convolution.

    After a fully connected layer (ONNX Gemm -> BatchNormalization), the
    multiply of `tosa.matmul` (constant weights) -> reshapes -> bias adds ->
    `tosa.mul` by a per-channel constant is folded into the weights'
    columns and the bias constants; the shift add stays as a bias add.

    In linalg on tensors (TOSA lowered by another compiler): a
    `linalg.generic` multiplying the result of `linalg.conv_2d_nhwc_fhwc`,
    `conv_2d_nhwc_hwcf`, `depthwise_conv_2d_nhwc_hwc` or
    `depthwise_conv_2d_nhwc_hwcm` (constant filter; init a zero
    `linalg.fill` or a broadcast bias constant) by an `arith.constant` read
    along the channel dimension is folded into the filter and the bias.

    ```mlir
    %c = tosa.conv2d %x, %w, %b, ...
    %m = tosa.mul %c, %f, %shift : (..., tensor<1x1x1x16xf32>, ...)
    %y = tosa.add %m, %s : (..., tensor<1x1x1x16xf32>)
    // becomes
    %y = tosa.conv2d %x, %w_folded, %b_folded, ...
    ```
  }];
  let dependentDialects = ["::mlir::tosa::TosaDialect", "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def QntEqualize : Pass<"qnt-equalize", "func::FuncOp"> {
  let summary = "Cross-layer equalization of consecutive layers' weight ranges";
  let description = [{
    For each pair of layers (`tosa.conv2d`, `tosa.depthwise_conv2d` with
    constant weights and bias, followed by one of those or a `tosa.matmul`
    with constant weights) joined by a single-use path of at most one ReLU
    and any of `tosa.avg_pool2d`, `tosa.max_pool2d`, zero `tosa.pad` and
    channel-keeping `tosa.reshape`, rescales output channel i of the first
    layer by 1/s_i and input channel i of the second by s_i with
    `s_i = sqrt(r1_i / r2_i)` (r = max |w| of the channel's weights). The
    function is unchanged (ReLU, pooling and zero padding commute with a
    positive per-channel scale) and both layers' channel ranges become
    `sqrt(r1_i r2_i)`. Sweeps over all pairs repeat until no scale differs
    from 1 by more than `tolerance` (in |log s|) or `max-iterations`; chains
    such as conv -> depthwise -> conv converge to the joint optimum
    (white paper: S12 = r1 / cbrt(r1 r2 r3), S23 = cbrt(r1 r2 r3) / r3).

    A bounded ReLU (ReLU6: `tosa.clamp` [0, 6]) is not positive-homogeneous:
    such pairs are skipped with a remark, or with `relu6-to-relu` the clamp
    becomes a ReLU first (as the white paper does; this changes the float
    model: measure it). A channel with zero range on either side keeps
    s = 1 (remark). A `qnt.batchnorm` prior on the first layer is rescaled
    with it.

    ```mlir
    %a = tosa.conv2d %x, %w1, %b1, ...
    %r = tosa.clamp %a {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32}
    %y = tosa.conv2d %r, %w2, %b2, ...
    // w1[i] /= s_i, b1[i] /= s_i, w2[:, ..., i] *= s_i
    ```
  }];
  let options = [
    Option<"relu6ToRelu", "relu6-to-relu", "bool", /*default=*/"false",
           "Replace bounded ReLUs (ReLU6) between equalizable layers by ReLU">,
    Option<"maxIterations", "max-iterations", "unsigned", /*default=*/"1000",
           "At most this many sweeps over all pairs">,
    Option<"tolerance", "tolerance", "double", /*default=*/"1e-4",
           "Stop when every scale of a sweep has |log s| below this">,
  ];
  let dependentDialects = ["::mlir::tosa::TosaDialect"];
}

def QntAbsorbHighBias : Pass<"qnt-absorb-high-bias", "func::FuncOp"> {
  let summary = "Move the always-positive part of a ReLU'd bias into the next layer";
  let description = [{
    For a layer carrying a `qnt.batchnorm` prior `{beta, gamma}` (its output
    is N(beta, gamma^2) per channel), followed through a ReLU by another
    layer that reads no zero padding: `c = max(0, beta - sigmas * |gamma|)`,
    `b1 -= c`, `b2 += W2 c` (white paper, section 4.1; for a matmul the
    following bias add is updated). Exact wherever the pre-activation is at
    least c, which the prior says is all but a 0.13% tail per channel at 3
    sigmas. Pairs joined by a bounded ReLU (run `qnt-equalize
    relu6-to-relu=true` first) or with padding in the second layer are
    skipped with a remark.
  }];
  let options = [
    Option<"sigmas", "sigmas", "double", /*default=*/"3.0",
           "c = max(0, beta - sigmas * |gamma|)">,
  ];
  let dependentDialects = ["::mlir::tosa::TosaDialect"];
}

def QntWess : Pass<"qnt-wess", "func::FuncOp"> {
  let summary = "WESS: per-channel power-of-two weight pre-scaling";
  let description = [{
    For each `tosa.conv2d`, `tosa.depthwise_conv2d` and `tosa.matmul` with
    constant weights: with r_c = max |w| of output channel c and R the
    largest r_c, `k_c` is the largest integer in [0, 2^bits - 1] with
    `r_c * 2^k_c <= R`. Channel c's weights and bias are multiplied by
    2^k_c and `qnt.pow2_scale` with shifts -k_c follows the layer, so the
    float function is unchanged exactly. Per-tensor weight quantization then
    gives small channels up to 2^k_c times finer steps; `qnt-quantize`
    folds the shifts into `qnt.requantize`'s `channel_shift` with one
    multiplier per layer. All-zero channels get k = 0 (remark).

    ```mlir
    %y = tosa.conv2d %x, %w, %b, ...
    // becomes
    %c = tosa.conv2d %x, %w_scaled, %b_scaled, ...
    %y = qnt.pow2_scale %c axis 3 shifts [0, -3, -1] : tensor<1x8x8x3xf32>
    ```
  }];
  let options = [
    Option<"bits", "bits", "unsigned", /*default=*/"4",
           "Width of the unsigned shift k_c (1..5): k_c <= 2^bits - 1">,
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect", "::mlir::tosa::TosaDialect"];
}

def QntCorrectBias : Pass<"qnt-correct-bias", "func::FuncOp"> {
  let summary = "Bias correction for weight quantization (analytic or empirical)";
  let description = [{
    For each layer whose input mean is known per channel, subtracts the
    expected output shift that weight quantization causes,
    `(Q(W) - W) E[x]`, from its bias (white paper, section 4.2). `Q(W)` is
    the symmetric grid `qnt-quantize` uses for the same `weight-bits` and
    `weight-per-channel` (run this pass right before it, after `qnt-wess`).
    `E[x]`: the input is a clamp (ReLU, ReLU6, or none) of a layer with a
    `qnt.batchnorm` prior N(beta, gamma^2), through clips, reshapes, zero
    padding (border effects ignored), average pooling and `qnt.pow2_scale`;
    `E[clamp(N(mu, s^2), lo, hi)]` is computed in closed form. Layers whose
    input has no such prior (the first layer) are left alone.

    With `source=stats` (empirical), `E[x]` is measured instead: the means
    of the `#qnt.channel_stats` on the value the layer reads (through clips,
    reshapes, zero padding, average pooling), from calibration data
    (`qnt-attach-stats per-channel=true`); a `#qnt.stats` mean serves a
    one-channel input. Layers that read the model input are left alone in
    both modes (an image's mean is not stationary across positions).
  }];
  let options = [
    Option<"source", "source", "std::string", /*default=*/"\"prior\"",
           "Where E[x] comes from: prior (analytic, BatchNorm priors) or "
           "stats (measured per-channel calibration means)">,
    Option<"weightBits", "weight-bits", "unsigned", /*default=*/"8",
           "Weight bit width qnt-quantize will use (2..8)">,
    Option<"weightPerChannel", "weight-per-channel", "bool", /*default=*/"true",
           "Whether qnt-quantize will use per-channel weight scales">,
    Option<"weightAsymmetric", "weight-asymmetric", "bool", /*default=*/"false",
           "Whether qnt-quantize will use asymmetric weights">,
  ];
  let dependentDialects = ["::mlir::tosa::TosaDialect"];
}

def QntPrepareConvolutions : Pass<"qnt-prepare-convolutions", "func::FuncOp"> {
  let summary = "Bring linalg convolutions into the layouts qnt's kernels use";
  let description = [{
    TOSA lowers convolutions to `linalg.conv_2d_nhwc_fhwc` and depthwise ones
    to `linalg.depthwise_conv_2d_nhwc_hwcm`. qnt's tiling and vectorization
    work on `linalg.conv_2d_nhwc_hwcf` and `linalg.depthwise_conv_2d_nhwc_hwc`
    (which upstream decomposes into vectorizable 1-D convolutions). This pass
    rewrites the former into the latter. Constant filters (dense or
    `dense_resource`) are permuted at compile time; a non-constant filter of a
    2-D convolution gets a `linalg.transpose`. A depthwise convolution with
    a channel multiplier M > 1 becomes the HWC form on a copy of its input
    with each channel repeated M times (`linalg.broadcast` and
    `tensor.collapse_shape`), so that `qnt-int8-depthwise-kernels` and the
    float tiling take it too (a static shape is needed).

    ```mlir
    // before
    %0 = linalg.conv_2d_nhwc_fhwc ins(%x, %cst : tensor<1x10x10x4xf32>, tensor<8x3x3x4xf32>) ...
    // after: %cst_hwcf = dense<...> : tensor<3x3x4x8xf32>
    %0 = linalg.conv_2d_nhwc_hwcf ins(%x, %cst_hwcf : tensor<1x10x10x4xf32>, tensor<3x3x4x8xf32>) ...
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def QntInt8MatmulKernels : Pass<"qnt-int8-matmul-kernels", "func::FuncOp"> {
  let summary = "Register-blocked int8 matmul kernels with constant weights "
                "packed at compile time (AVX2 vpmaddwd)";
  let description = [{
    Rewrites `linalg.batch_matmul` (batch 1), `linalg.matmul` and
    `linalg.conv_2d_nhwc_fhwc` of `i8` x `i8` -> `i32` whose weights are a
    constant into a register-blocked kernel. A 1x1 convolution with stride
    and dilation 1 is the matmul of its input and output collapsed to
    `[N H W, C]`; any other convolution the matmul of its im2col patches
    `[N OH OW, KH KW C]` with the filter as `[KH KW C, F]`. Without
    dilation along W the `KW C` codes a pixel reads per filter row are
    contiguous: one vector read per pixel and filter row, widened and
    written to the pixel's patch row (a run that is not a multiple of 8
    codes is moved as a wider vector of 4, 8 or the next multiple of 8
    when the K padding takes the extra codes written after the last run,
    for every column but the last, whose reads would leave the input
    row); with dilation along W one `linalg.generic` gathers `input[n,
    oh sh + kh dh, ow sw + kw dw, c]` into `[N, OH, OW, KH, KW, C]`. The
    kernel:

    * the weights are packed at compile time into `[ceil(N/8), ceil(K/2),
      16] x i16` (sign-extended, so the loop loads them as they are):
      block `j`, K pair `p` holds `B[2p][8j + c]`, `B[2p + 1][8j + c]`
      for c = 0..7 interleaved (zeros past N and K);
    * the activations are sign-extended to `i16` (K padded to even with 0)
      once per call;
    * the loops: chunks of rows whose activations take about 256 KiB (at
      least 4 chunks when M allows; the chunk loop is marked
      `qnt.parallel`), in each chunk the column panels of `n-blocks`
      blocks (a panel of packed weights stays in L1 while the chunk's
      tiles pass), then the chunk's m-tiles; the rows after the last full
      m-tile get one tile of their own, the blocks after the last full
      panel one narrower panel (N = 24: a panel of 2 blocks and one of 1);
      with fewer column blocks than `n-blocks` the tile takes more rows
      (N <= 8 on AVX2: 12 x 1), keeping `m-tile` x `n-blocks` accumulators;
    * an `m-tile` x `n-blocks` tile of `vector<8xi32>` accumulators: for
      each K pair, one broadcast of the row's `i16` pair per row, one
      16-lane `i16` weight vector per block, and a `vpmaddwd` (exact `i16`
      products summed in pairs into `i32`) added to the accumulators, which
      start at the init's tile (or at zero for a zero fill: then the init is
      not read); the tile is written once (the last block overlapping the one
      before when N is not a multiple of 8). The `vpmaddwd` is written as
      plain vector ops (even/odd `vector.shuffle`, `arith.extsi` to `i32`,
      two `arith.muli`, one `arith.addi`), which LLVM's x86 backend selects
      as one `vpmaddwd` with AVX2; other targets get correct, slower code.

    An init that broadcasts a 1-D tensor along the rows (the bias of
    tosa-to-linalg) is not read: the accumulators start from the bias
    vector of each block. With `fuse-epilogue` (default), an element-wise
    consumer of the result (the lowered `qnt.requantize`: an all-parallel
    `linalg.generic` reading the accumulators through the identity map,
    other inputs 1-D per-column constants, a body of arith ops) is applied
    to the register tile before the store, so the kernel writes the
    narrow result and no `i32` tensor exists. Where N is a multiple of the
    lanes, a row's two adjacent blocks go through the epilogue as one
    vector of twice the lanes and one store (the narrowing packs two
    registers into one).

    With `isa=avx512vnni` the same kernel has 16 lanes (zmm) and K quads:
    the weights are packed as `[ceil(N/16), ceil(K/4), 64]`, the
    activations offset to unsigned by flipping their sign bit (`a + 128`,
    the `u8` operand of `vpdpbusd`), and the accumulators start at `init -
    128 sum_k B[k][n]` (column sums at compile time), so that `sum_k (a_k +
    128) B[k][n]` comes out as the exact product. The step per quad is the
    plain form `((((acc + p0) + p1) + p2) + p3)` with `p_t` = zero-extended
    activation lane t x sign-extended weight lane t, which
    qnt-select-x86-intrinsics turns into `vpdpbusd` (LLVM 22 does not form
    it from plain IR).

    With `isa=avxvnni` (AVX-VNNI: `vpdpbusd` on ymm, VEX-encoded) the quads
    of `avx512vnni` run on 8 lanes: weights packed as `[ceil(N/8),
    ceil(K/4), 32]`, the `m-tile` x `n-blocks` tile of AVX2, activations
    offset and accumulators compensated alike; exact for any weights (no
    saturating step), so no reordering is looked for.
    qnt-select-x86-intrinsics{avx-vnni} turns the plain quad step into
    the instruction.

    With `isa=avx2` and `saturation-free-quads` (default), a matmul on
    whose weights `vpmaddubsw` cannot saturate takes the quad form of
    `avx512vnni` on 8 lanes: weights packed as `[ceil(N/8), ceil(K/4),
    32]`, activations offset to `u8`, accumulators starting at `init - 128
    sum_k B[k][n]`. qnt-select-x86-intrinsics turns its plain form into
    `vpmaddubsw` (`u8 x s8` products summed in pairs into `i16`,
    saturating) and `vpmaddwd` by ones (the pairs of pairs into `i32`):
    four K per lane in two multiply instructions instead of two, the form
    oneDNN uses on AVX2. The pairs summed are `B[2i][n]`, `B[2i + 1][n]`;
    the sum cannot saturate when `|B[2i][n] + B[2i + 1][n]| <= 128` (`255 x
    128 < 2^15`), which holds for every pair of 7-bit weights (`[-64, 63]`,
    as onnxruntime's `reduce_range` quantizes for AVX2) and for some pairs
    of 8-bit weights. A matmul takes quads when all its pairs qualify in K
    order. A matmul or 1x1 convolution (K <= 256) may get there by
    reordering K: a maximum matching of the codes whose pairs qualify
    (Edmonds' blossom algorithm, at compile time), each matched pair
    adjacent. The codes left over either each take a zero-weight slot
    beside them in the quads, or a tail of `i16` pairs: a second K loop
    with `vpmaddwd` on the same accumulators (exact for any weights; its
    weights packed as `[ceil(N/8), ceil(K'/2), 16] i16`, not counted in the
    compensation; the quads made whole by one of those codes beside a zero
    slot, else a zero pair). The cheaper of the two by an estimate in pair
    slots (a quad slot 0.85, a tail slot 1, a tail 2.5 more: fitted to
    side-by-side timings of BlazeFace's and the bundled model's 1x1 layers
    on the AVX2 machine of docs/performance.md, where the ratio of the two
    instruction mixes' measured ceilings is 0.84), taken when below K
    rounded up to even.
    The packed weights take the order, and the copy of the activation
    rows reads each row whole, puts the quads' codes in order (offset to
    `u8`) by one `vector.shuffle` and the tail's by another (widened to
    `i16`), and writes both operands. A convolution whose im2col patches are
    read as runs of `KW C`
    codes (dilation 1 along W) may get there by reordering the codes of
    each filter row: each run is padded to an even `stride` (the padding
    slot has a zero weight and pairs with anything) and its codes are
    matched into qualifying pairs, a code moving only within its group of
    16 slots (a perfect matching, searched at compile time); the packed
    weights take that order, each run is read, put in order by one
    `vector.shuffle` (a byte shuffle within 16-byte lanes) and written
    `stride` codes wide. An RGB input's first convolution with 8-bit
    weights (BlazeFace's 5x5x3) gets the quad form this way; 17 of
    BlazeFace's 20 1x1 convolutions take quads in a K order, 12 of them with
    a tail of pairs (`bench/maddubs_pairs.py` lists which). Otherwise the
    i16 pairs, exact for any weights.

    The result equals the matmul's (exact products; `i32` additions wrap the
    same way in any order). With `isa=none` the pass does nothing (the
    portable path: qnt-tile-and-vectorize). Other matmuls are left alone.
  }];
  let options = [
    Option<"isa", "isa", "std::string", /*default=*/"\"avx2\"",
           "Kernel instruction set: avx2 (vpmaddwd, 8 lanes, K pairs), "
           "avxvnni (vpdpbusd on ymm, 8 lanes, K quads), avx512vnni "
           "(vpdpbusd, 16 lanes, K quads) or none">,
    Option<"mTile", "m-tile", "int64_t", /*default=*/"6",
           "Rows per register tile (the rows left after the last full "
           "tile get one smaller tile; with fewer than n-blocks column "
           "blocks, m-tile x n-blocks / blocks rows, keeping the "
           "accumulator count; isa=avx2's vpmaddubsw quads keep at most "
           "13 - blocks accumulators, 5 x 2 by default, as they need two "
           "registers more)">,
    Option<"nBlocks", "n-blocks", "int64_t", /*default=*/"2",
           "Column blocks (of 8 lanes, 16 with avx512vnni) per register "
           "tile (the blocks left after the last full panel get one "
           "narrower panel)">,
    Option<"fuseEpilogue", "fuse-epilogue", "bool", /*default=*/"true",
           "Apply the matmul's element-wise consumer (requantization) to "
           "the register tile before it is stored">,
    Option<"saturationFreeQuads", "saturation-free-quads", "bool",
           /*default=*/"true",
           "With isa=avx2, a matmul whose weight pairs cannot saturate "
           "vpmaddubsw (|w0 + w1| <= 128: all 7-bit weights, some 8-bit "
           "ones, possibly after reordering K or each filter row's codes) "
           "takes K quads of u8 x s8 like avx512vnni, on 8 lanes; a matmul "
           "or 1x1 convolution may take quads on the codes that pair up "
           "and i16 pairs on the rest">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::qnt::QntDialect"];
}

def QntInt8DepthwiseKernels
    : Pass<"qnt-int8-depthwise-kernels", "func::FuncOp"> {
  let summary = "Channel-vectorized int8 depthwise convolution kernels with "
                "a fused requantization";
  let description = [{
    Rewrites an `i8` x `i8` -> `i32` `linalg.depthwise_conv_2d_nhwc_hwc`
    (static shapes, a constant `[KH, KW, C]` filter, any strides and
    dilations) into loops over batch, output rows and blocks of `lanes`
    channels, around tiles of at most `ow-tile` output columns (the
    interior columns in as few tiles as that allows, of equal width but the
    last, which takes what is left: 26 at `ow-tile=8` are 7, 7, 7, 5;
    border columns one at a time) held in `vector<lanes x i32>`
    accumulators. The taps
    are unrolled. With `pair-rows` (default) and 8 lanes (AVX2), filter rows
    go two at a time where the rows and columns are inside the input: per
    filter column the
    two rows' weights interleaved per channel as `i16` at compile time, and
    per output column the two input rows' `lanes` channels read,
    interleaved and widened to `i16`; even lanes times even lanes plus odd
    times odd (the plain form of `vpmaddwd`, which qnt-select-x86-intrinsics
    selects) is added to the accumulator: half the multiplies of one tap at
    a time. A filter row left over (odd KH), rows or columns in the
    padding, and `pair-rows=false`: per tap one weight vector
    sign-extended to `i32` at compile time and per column one
    sign-extending load of `lanes` input channels, a multiply and an add.
    Channels past C are masked.

    The accumulators start from zero (a zero fill), from the bias vector
    (an init that broadcasts a 1-D tensor along the channels) or from the
    init. With `fuse-epilogue` (default) an element-wise consumer of the
    result (the lowered requantization, after elementwise fusion has merged
    the bias add into it) runs on the accumulators before the narrow store,
    as in qnt-int8-matmul-kernels. The result equals the convolution's
    (exact products; `i32` additions wrap the same way in any order). Other
    convolutions are left alone.

    With `implicit-padding` (default), an input that is a `tensor.pad` of H
    and W by a constant `p` (TOSA's explicit zero-point padding) is read
    through: the kernel reads the pad's source, and the padded tensor (a
    fill and a copy of the whole input) is not built. Columns whose taps
    all fall inside the input run the tiled loop; border columns, one at a
    time, read `p` for taps outside (a select); an output row whose input
    rows are all inside runs without checks, others add, for a filter row
    outside the input, its compile-time sum `p * sum_kw w` instead of
    loading it.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"8",
           "Channels per vector (i32 lanes: 8 for AVX2, 16 for AVX-512)">,
    Option<"owTile", "ow-tile", "int64_t", /*default=*/"8",
           "Most output columns per register tile (8: side by side on "
           "AVX2 about 6% faster than 6 on a 64-column layer; 4 and 12 "
           "slower)">,
    Option<"fuseEpilogue", "fuse-epilogue", "bool", /*default=*/"true",
           "Apply the convolution's element-wise consumer (requantization) "
           "to the accumulators before they are stored">,
    Option<"implicitPadding", "implicit-padding", "bool", /*default=*/"true",
           "Read through a constant spatial tensor.pad of the input instead "
           "of building the padded tensor">,
    Option<"pairRows", "pair-rows", "bool", /*default=*/"true",
           "Take filter rows two at a time: the two rows' channels "
           "interleaved as i16 against interleaved weights (vpmaddwd; "
           "with 8 lanes only); false: one sign-extended multiply per tap">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::qnt::QntDialect"];
}

def QntParallelizeKernels
    : Pass<"qnt-parallelize-kernels", "func::FuncOp"> {
  let summary = "Run the marked loops of qnt's kernels as scf.parallel";
  let description = [{
    After bufferization, turns every `scf.for` marked `qnt.parallel` (the
    row-tile loop of qnt-int8-matmul-kernels, the (batch, row) loop of
    qnt-int8-depthwise-kernels: iterations write disjoint parts of their
    buffers) into an `scf.parallel` with the same bounds and step, for
    `convert-scf-to-openmp`. A marked loop that still carries values (it
    was not bufferized in place) stays sequential, with a remark. The mark
    is removed either way.

    Forking and joining the threads of a parallel loop costs a few
    microseconds; a small loop loses more than it gains. A loop whose
    estimated work is below `min-work` operations therefore stays
    sequential. The estimate counts each operation of the body once per
    iteration of the loops around it, inside and including the marked
    loop (a vector operation counts once, like the instruction it
    becomes). A loop with bounds that are not constant counts with the
    largest trip count value-bounds analysis proves; if it proves none,
    the loop is taken as large enough.
  }];
  let options = [
    Option<"minWork", "min-work", "int64_t", /*default=*/"20000",
           "Estimated operations below which a marked loop stays "
           "sequential (0: every marked loop runs in parallel)">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def QntSelectX86Intrinsics
    : Pass<"qnt-select-x86-intrinsics", "func::FuncOp"> {
  let summary = "Select x86 dot-product instructions for their plain "
                "vector-op forms";
  let description = [{
    Replaces

    ```mlir
    %r = arith.addi (arith.muli (extsi (shuffle %a even)), (extsi (shuffle %b even))),
                    (arith.muli (extsi (shuffle %a odd)), (extsi (shuffle %b odd)))
    ```

    with `%a`, `%b` of type `vector<16xi16>` and `%r` of type
    `vector<8xi32>` (the form `qnt-int8-matmul-kernels` emits) by
    `llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%a, %b)`, which is the
    same function (exact products; the one overflow case wraps the same
    way). LLVM would select this itself, but not once it has simplified an
    operand that is a broadcast. Also replaces the chain

    ```mlir
    %r = ((((%acc + p0) + p1) + p2) + p3)
    p_t = arith.muli (extui (shuffle %a [t, t+4, ..., t+60])),
                     (extsi (shuffle %w [t, t+4, ..., t+60]))
    ```

    with `%a`, `%w` of type `vector<64xi8>` and `%acc`, `%r` of type
    `vector<16xi32>` (the avx512vnni kernel) by
    `llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %a, %w)`,
    which LLVM does not form from
    plain IR; the ops only the chain used are erased. The same chain on 8
    lanes (`vector<32xi8>` operands, `vector<8xi32>` accumulator: the avx2
    kernel's saturation-free quads) becomes `%acc +
    vpmaddwd(vpmaddubsw(%a, %w), 1)` (`llvm.x86.avx2.pmadd.ub.sw`, then
    `llvm.x86.avx2.pmadd.wd` by a vector of ones) when `%w` is a read
    (`vector.load` / `vector.transfer_read`) of a constant `memref.global`,
    at an even constant offset of its even-sized innermost dimension, in
    which every pair of elements `(2i, 2i + 1)` has `|w0 + w1| <= 128`:
    `vpmaddubsw` sums its `u8 x s8` products in such pairs with `i16`
    saturation, which cannot happen then (`255 x 128 < 2^15`; any two
    weights in `[-64, 63]` qualify), so the result is exact; otherwise the
    chain is left alone. And
    it rewrites the
    requantization's high product

    ```mlir
    %r = arith.trunci (arith.shrui (arith.addi (arith.muli (extsi %a), (extsi %m)), %c), %s)
    ```

    from `vector<N x i64>` to `vector<N x i32>` (1 <= s <= 32; `%m` may be
    a constant within i32; the add is optional) into its even/odd form on
    `vector<N/2 x i64>` lanes of the bitcast operands: even elements
    sign-extended in place, odd ones duplicated into the even positions and
    sign-extended the same way, two products (each one `vpmuldq`), the even
    results shifted right by s and the odd ones left by 32 - s, merged by
    masks (a `vpblendd`); with a constant multiplier both shifted right by
    s and their low halves interleaved by a shuffle (LLVM would fold the
    left shift into the constant, which then no longer fits `vpmuldq`): the same
    bits, without the widening and narrowing shuffles LLVM emits for the
    i64 form. Runs after
    bufferization (which rejects ops with unknown memory effects, as
    `llvm.call_intrinsic` is), for the kernels' target only.

    With `avx-vnni` (the target has AVX-VNNI, the VEX-encoded `vpdpbusd`
    on ymm of Intel's client cores from Alder Lake on), the chain on 8 lanes
    becomes `llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"(%acc, %a,
    %w)` instead, whatever the weights (`vpdpbusd` adds its four `u8 x s8`
    products into the `i32` lane without an intermediate saturation: exact
    like the 512-bit form). LLVM's backend cannot select that intrinsic for
    a target without AVX-VNNI (or AVX512-VNNI with AVX512VL): the option
    must follow the target, as `qnt-float-to-llvm{int8-kernels=avxvnni}`
    sets it.
  }];
  let options = [
    Option<"avxVnni", "avx-vnni", "bool", /*default=*/"false",
           "The target has AVX-VNNI: quad steps on 8 lanes become the ymm "
           "vpdpbusd (exact for any weights) instead of vpmaddubsw + "
           "vpmaddwd where the weights cannot saturate">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntTileAndVectorize : Pass<"qnt-tile-and-vectorize", "func::FuncOp"> {
  let summary = "Tile linalg ops on tensors and vectorize the tiles";
  let description = [{
    Tiles every linalg op on tensors with `scf.for` loops, with tile sizes
    chosen per op kind for the host's vector registers, decomposes
    convolution and pooling tiles with a 1x1 window position into 1-D ops,
    and vectorizes each tile with upstream's linalg vectorizer. Tile sizes
    divide the static dimensions exactly, so no masking is needed. Ops the
    vectorizer rejects stay as (tiled) linalg ops and lower to loops later.

    * 2-D convolutions (`nhwc_hwcf`): tiles of 1 x 1 x `ow-tile` x
      `vector-width` output pixels/channels, one filter tap at a time;
    * depthwise convolutions and pooling: 1 x 1 x `ow-tile` x `vector-width`
      (pooling of elements narrower than 32 bits: up to one register of
      channels, `vector-width` x 32 / bits);
    * matmuls: `m-tile` x `vector-width` x whole K;
    * element-wise and reductions: the innermost dimension by `vector-width`
      (copies and fills of elements narrower than 32 bits: by up to one
      register of them, `vector-width` x 32 / bits; an element-wise generic
      with such a result, e.g. a requantization to i8, by one register of
      its results where that divides the innermost size, so the narrowing
      packs whole registers (AVX2: two vpackssdw, one vpacksswb and one
      32-byte store per 32 i8 results instead of four 8-byte pieces); an
      element-wise generic whose operands all use the identity map and
      whose innermost size is not a multiple of those lanes is first
      collapsed to one dimension, so that only the last vector of the whole
      tensor is partial).

    Before tiling, data movement becomes linalg ops that write in place:
    a `tensor.pad` with a constant value (its unpadded trailing dimensions
    first collapsed into the last padded one, so that the interior is
    copied in contiguous rows: [N, H, W, C] as [N, H, W C]) becomes
    `linalg.fill`s of the border slabs (not of the interior, which the source overwrites; with a
    batch before the first padded dimension, one fill of the whole tensor,
    as tiny slabs under a batch loop unroll into huge code) and a
    `linalg.copy` of the source into the interior, inserted into a
    `bufferization.alloc_tensor` of its own (not `tensor.empty`, which CSE
    would share between equal pads); top-level `tensor.insert_slice`s that assemble a tensor
    from `tensor.empty` (a concatenation) write their parts into one
    allocation with `linalg.copy`, and splat constant parts anywhere with
    `linalg.fill`.
  }];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", /*default=*/"16",
           "Elements per vector along the innermost output dimension (16 f32 = one AVX-512 register)">,
    Option<"owTile", "ow-tile", "int64_t", /*default=*/"8",
           "Output pixels along the width per convolution tile">,
    Option<"mTile", "m-tile", "int64_t", /*default=*/"8",
           "Rows per matmul tile">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::qnt::QntDialect"];
}

#endif // QNT_DIALECT_QNT_TRANSFORMS_PASSES_TD
