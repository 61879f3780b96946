//===- QntQuantize.cpp - float TOSA with clips -> integer program ---------===//
//
// Rewrites a float TOSA function whose activations carry `qnt.clip` (with
// `bits`) into an integer program:
//
//   * a clipped float value that is not produced in integers (a model input)
//     becomes `qnt.quantize`;
//   * conv2d / depthwise_conv2d / matmul with a quantized input and constant
//     f32 weights become the same TOSA op on i8 codes with an i32
//     accumulator; weights are quantized symmetrically (per tensor or per
//     output channel), the bias is rounded to the accumulator scale and the
//     input zero point is folded into it (-zx * sum_k w_q), so the integer op
//     has zero points 0 and an explicit zero-point padding (tosa.pad);
//   * the accumulator's epilogue (reshapes, a constant bias add, ReLU/ReLU6
//     clamps, the next clip) folds into one `qnt.requantize`: multiplier and
//     shift from S_x S_w / S_y, clamps into its bounds;
//   * global average pooling is an i32 sum whose 1/N and zero point fold
//     into the requantization; max pooling and reshapes run on the codes;
//   * values still needed in float (function results, ops qnt cannot
//     quantize) get `qnt.dequantize`.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/FixedPoint.h"
#include "qnt/Dialect/Qnt/Utils/LayerOverrides.h"
#include "qnt/Dialect/Qnt/Utils/QuantParams.h"
#include "qnt/Dialect/Qnt/Utils/ValueRanges.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Dialect/Tosa/Utils/ConversionUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <limits>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTQUANTIZE
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

struct Accumulator;

/// A float value computed in integers: codes on an affine grid, per tensor
/// or per channel (along the last dimension).
struct QValue {
  Value codes;
  UniformAttr params;
  bool perChannel() const { return params.isPerAxis(); }
  double scale() const {
    assert(!perChannel() && "per-tensor grid expected");
    return params.getScales()[0];
  }
  int64_t zp() const {
    assert(!perChannel() && "per-tensor grid expected");
    return params.getZeroPoints()[0];
  }
  /// The accumulator (i8 codes, bias -z) holding the same values.
  Accumulator toAccumulator() const;
};

/// A float value held as an i32 accumulator: real = scale[c] *
/// 2^-channelShift[c] * (acc[c] + bias[c]) along the last dimension, with an
/// optional float clamp still to apply. `bias` is added when the accumulator
/// is requantized; `channelShift` (WESS) becomes the requantization's
/// per-channel extra right shift, so one multiplier can serve every channel.
struct Accumulator {
  /// A residual add of two quantized activations whose integers are built
  /// when its output grid is known (`residual-add=single-rounding`): `acc`
  /// is null until then; `scales` is the default form's (tflite) S_t.
  struct PendingSum {
    Operation *add; // the float tosa.add (erased in finish)
    QValue a, b;
  };

  Value acc;
  std::optional<PendingSum> sum;
  SmallVector<double> scales;       // one per channel (last dim) or one
  SmallVector<int64_t> bias;        // empty, or one per channel / one
  SmallVector<int64_t> channelShift; // empty, or one per channel
  double clampLo = -INFINITY, clampHi = INFINITY;
  /// The bounds of `acc` (without `bias`) per channel, or one, for every
  /// input in its storage type's range, as the lowering derives them from
  /// the IR (ValueRanges.h): lets requantize() choose multipliers whose
  /// product with the accumulator fits in i32. Empty when unknown.
  SmallVector<IntRange> range;

  /// The real value of one unit of channel c.
  double scaleOf(int64_t c) const {
    double s = scales[scales.size() == 1 ? 0 : c];
    return channelShift.empty() ? s : std::ldexp(s, -int(channelShift[c]));
  }
  bool perChannel() const { return scales.size() > 1 || !channelShift.empty(); }
};

Accumulator QValue::toAccumulator() const {
  Accumulator a;
  a.acc = codes;
  for (auto [s, z] : llvm::zip(params.getScales(), params.getZeroPoints())) {
    a.scales.push_back(s);
    a.bias.push_back(-z);
  }
  Type storage = cast<RankedTensorType>(codes.getType()).getElementType();
  if (unsigned w = storage.getIntOrFloatBitWidth(); w <= 16)
    a.range.push_back(signedRange(w));
  return a;
}

/// `params` with its axis moved to `axis` (the same per-slice values).
UniformAttr withAxis(UniformAttr params, int64_t axis) {
  return UniformAttr::get(params.getContext(), params.getStorageType(),
                          params.getNarrowRange(), params.getScaleArray(),
                          params.getZeroPoints(), axis);
}

RankedTensorType withElementType(Type t, Type element) {
  auto ranked = cast<RankedTensorType>(t);
  return RankedTensorType::get(ranked.getShape(), element);
}

Value intConst(OpBuilder &b, Location loc, RankedTensorType type,
               ArrayRef<int64_t> values) {
  auto eltType = cast<IntegerType>(type.getElementType());
  SmallVector<APInt> data;
  for (int64_t v : values)
    data.push_back(APInt(eltType.getWidth(), v, /*isSigned=*/true));
  return tosa::ConstOp::create(b, loc, type,
                               DenseElementsAttr::get(type, data));
}

/// acc + bias along the last dimension (`bias`: one value, or one per
/// channel), as a tosa.add with a broadcast i32 constant.
Value addChannelBias(OpBuilder &b, Location loc, Value acc,
                     ArrayRef<int64_t> bias) {
  auto accType = cast<RankedTensorType>(acc.getType());
  int64_t channels = accType.getShape().back();
  SmallVector<int64_t> shape(accType.getRank(), 1);
  shape.back() = channels;
  SmallVector<int64_t> values(channels);
  for (int64_t c = 0; c < channels; ++c)
    values[c] = bias[bias.size() == 1 ? 0 : c];
  Value k = intConst(b, loc, RankedTensorType::get(shape, b.getI32Type()),
                     values);
  return tosa::AddOp::create(b, loc, accType, acc, k);
}

Value zeroPoint(OpBuilder &b, Location loc, int64_t v) {
  auto type = RankedTensorType::get({1}, b.getI8Type());
  return intConst(b, loc, type, {v});
}

struct QntQuantizePass : public qnt::impl::QntQuantizeBase<QntQuantizePass> {
  using Base::Base;

  DenseMap<Value, QValue> codes;
  DenseMap<Value, Accumulator> accumulators;
  /// Original ops whose results now live in `codes`/`accumulators`.
  SetVector<Operation *> replaced;
  RoundingMode roundingMode = RoundingMode::single_round;
  /// residual-add=single-rounding (else tflite).
  bool singleRoundingAdds = true;
  /// Residual adds in the default (tflite) form, built once per add.
  DenseMap<Operation *, Value> settledSums;
  std::optional<SyqMode> syqMode;
  SyqGroup syqGroupKind = SyqGroup::Pixel;
  /// Layers that keep uniform weights under a codebook (first and last,
  /// and those with a per-layer width).
  llvm::SmallPtrSet<Operation *, 2> uniformLayers;
  /// Per-layer weight widths (layer-weight-bits).
  DenseMap<Operation *, unsigned> layerBits;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // One pass instance runs on every function of a module in turn: the
    // previous function's ops (erased in finish) must not stay in the maps.
    codes.clear();
    accumulators.clear();
    replaced.clear();
    settledSums.clear();
    uniformLayers.clear();
    layerBits.clear();
    if (weightBits < 2 || weightBits > 8) {
      func.emitError() << "qnt-quantize: weight-bits must be in 2..8, got "
                       << static_cast<unsigned>(weightBits);
      return signalPassFailure();
    }
    auto mode = symbolizeRoundingMode(rounding);
    if (!mode) {
      func.emitError() << "qnt-quantize: unknown rounding '"
                       << static_cast<std::string>(rounding)
                       << "' (expected tflite, single_round or double_round)";
      return signalPassFailure();
    }
    roundingMode = *mode;
    if (residualAdd != "single-rounding" && residualAdd != "tflite") {
      func.emitError() << "qnt-quantize: unknown residual-add '"
                       << static_cast<std::string>(residualAdd)
                       << "' (expected single-rounding or tflite)";
      return signalPassFailure();
    }
    singleRoundingAdds = residualAdd == "single-rounding";
    if (minMultiplierBits < 1 || minMultiplierBits > 31) {
      func.emitError() << "qnt-quantize: min-multiplier-bits must be in "
                          "1..31, got "
                       << static_cast<unsigned>(minMultiplierBits);
      return signalPassFailure();
    }
    if (weightCodebook != "none") {
      if (weightCodebook == "binary")
        syqMode = SyqMode::Binary;
      else if (weightCodebook == "ternary")
        syqMode = SyqMode::Ternary;
      else {
        func.emitError() << "qnt-quantize: unknown weight-codebook '"
                         << static_cast<std::string>(weightCodebook)
                         << "' (expected none, binary or ternary)";
        return signalPassFailure();
      }
      auto group = llvm::StringSwitch<std::optional<SyqGroup>>(syqGroup)
                       .Case("pixel", SyqGroup::Pixel)
                       .Case("row", SyqGroup::Row)
                       .Case("channel", SyqGroup::Channel)
                       .Case("layer", SyqGroup::Layer)
                       .Default(std::nullopt);
      if (!group || !(syqEta >= 0.0 && syqEta < 1.0)) {
        func.emitError() << "qnt-quantize: syq-group must be pixel, row, "
                            "channel or layer and syq-eta in [0, 1), got '"
                         << static_cast<std::string>(syqGroup) << "', "
                         << static_cast<double>(syqEta);
        return signalPassFailure();
      }
      syqGroupKind = *group;
    }
    if (func.isExternal())
      return;
    // SYQ keeps the first and last weighted layers uniform.
    SmallVector<Operation *> layers;
    func.walk([&](Operation *op) {
      if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(op) &&
          succeeded(getConstantFloats(op->getOperand(1))))
        layers.push_back(op);
    });
    if (syqMode && syqKeepFirstLast && !layers.empty()) {
      uniformLayers.insert(layers.front());
      uniformLayers.insert(layers.back());
    }
    // Mixed precision: per-layer uniform weight widths.
    auto overrides = LayerOverrides::parse(func, "qnt-quantize: layer-weight-bits",
                                           layerWeightBits, 2, 8);
    if (failed(overrides))
      return signalPassFailure();
    for (Operation *op : layers)
      if (auto b = overrides->lookup(op->getLoc(), op == layers.front(),
                                     op == layers.back(), false)) {
        layerBits[op] = *b;
        uniformLayers.insert(op);
      }
    if (failed(overrides->checkAllUsed(func)))
      return signalPassFailure();
    // Per-op choices (transform.qnt.annotate_precision) come last.
    for (Operation *op : layers)
      if (auto precision = op->getAttrOfType<DictionaryAttr>(
              QntDialect::getPrecisionAttrName()))
        if (auto b = precision.getAs<IntegerAttr>("weight_bits")) {
          layerBits[op] = b.getInt();
          uniformLayers.insert(op);
        }
    SmallVector<Operation *> ops;
    for (Operation &op : func.getBody().getOps())
      ops.push_back(&op);
    for (Operation *op : ops)
      if (failed(visit(op)))
        return signalPassFailure();
    if (failed(finish(func)))
      return signalPassFailure();
  }

  //===--------------------------------------------------------------------===//
  // Dispatch
  //===--------------------------------------------------------------------===//

  LogicalResult visit(Operation *op) {
    if (auto clip = dyn_cast<ClipOp>(op))
      return visitClip(clip);
    if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(op))
      return visitContraction(op);
    if (auto pool = dyn_cast<tosa::AvgPool2dOp>(op))
      return visitAvgPool(pool);
    if (isa<tosa::MaxPool2dOp, tosa::ReshapeOp, tosa::TransposeOp>(op))
      return visitDataMovement(op);
    if (auto clamp = dyn_cast<tosa::ClampOp>(op))
      return visitClamp(clamp);
    if (auto add = dyn_cast<tosa::AddOp>(op))
      return visitAdd(add);
    if (auto concat = dyn_cast<tosa::ConcatOp>(op))
      return visitConcat(concat);
    if (auto scale = dyn_cast<Pow2ScaleOp>(op))
      return visitPow2Scale(scale);
    return success(); // stays in float; inputs dequantized in finish()
  }

  //===--------------------------------------------------------------------===//
  // Activations: clips decide the grid
  //===--------------------------------------------------------------------===//

  LogicalResult visitClip(ClipOp clip) {
    auto bits = clip.getBits();
    if (!bits)
      return success(); // a manual float clamp: stays float
    if (*bits < 2 || *bits > 8)
      return clip.emitError() << "qnt-quantize: activation bits " << *bits
                              << " outside 2..8";
    auto clipType = cast<RankedTensorType>(clip.getType());
    if (auto axis = clip.getAxis();
        axis && int64_t(*axis) != clipType.getRank() - 1)
      return clip.emitError()
             << "qnt-quantize: per-channel activation clips must be along the "
                "last (channel) dimension, got axis "
             << *axis;
    // Per channel: each channel its own scale (and, with channel_bits, its
    // own width: codes [qmin, qmin + 2^M_c - 1] in the widest storage).
    UniformAttr params = clipParams(clip, /*signedStorage=*/true);
    SmallVector<int64_t> channelMax;
    if (auto channelBits = clip.getChannelBits())
      for (int64_t m : *channelBits)
        channelMax.push_back(params.getQMin() + (int64_t(1) << m) - 1);
    Value input = clip.getInput();
    OpBuilder b(clip);
    Location loc = clip.getLoc();
    auto codeType = withElementType(clip.getType(), b.getI8Type());

    if (auto it = accumulators.find(input); it != accumulators.end()) {
      // A clip between a matmul and its bias add only measured the
      // accumulator: the bias is added in i32 first.
      if (feedsBiasAdd(clip.getResult())) {
        accumulators[clip.getResult()] = it->second;
        replaced.insert(clip);
        return success();
      }
      FailureOr<Value> q =
          requantize(b, loc, it->second, params, codeType, channelMax);
      if (failed(q))
        return clip.emitError() << "qnt-quantize: cannot requantize";
      recordGrid(*q, params);
      codes[clip.getResult()] = {*q, params};
      replaced.insert(clip);
      return success();
    }
    if (auto it = codes.find(input); it != codes.end()) {
      QValue in = it->second;
      if (in.params == params && channelMax.empty()) {
        codes[clip.getResult()] = in;
      } else {
        FailureOr<Value> q = requantize(b, loc, in.toAccumulator(), params,
                                        codeType, channelMax);
        if (failed(q))
          return clip.emitError() << "qnt-quantize: cannot requantize";
        recordGrid(*q, params);
        codes[clip.getResult()] = {*q, params};
      }
      replaced.insert(clip);
      return success();
    }
    if (!channelMax.empty())
      return clip.emitError()
             << "qnt-quantize: per-channel widths (channel_bits) need an "
                "integer producer (a convolution, matmul or pooling), not a "
                "float value";
    Value q = QuantizeOp::create(b, loc, codeType, input, params);
    codes[clip.getResult()] = {q, params};
    replaced.insert(clip);
    return success();
  }

  /// The grid of a requantization's codes, for reports (per-layer SQNR).
  static void recordGrid(Value codesValue, UniformAttr params) {
    if (Operation *def = codesValue.getDefiningOp())
      def->setAttr(QntDialect::getResultParamsAttrName(), params);
  }

  /// Whether `v` reaches, through single-use reshapes, a tosa.add with a
  /// constant (a bias).
  static bool feedsBiasAdd(Value v) {
    while (v.hasOneUse()) {
      Operation *user = *v.getUsers().begin();
      if (isa<tosa::ReshapeOp, Pow2ScaleOp>(user)) {
        v = user->getResult(0);
        continue;
      }
      if (auto add = dyn_cast<tosa::AddOp>(user)) {
        Value other = add.getInput1() == v ? add.getInput2() : add.getInput1();
        return succeeded(getConstantFloats(other));
      }
      return false;
    }
    return false;
  }

  //===--------------------------------------------------------------------===//
  // Convolutions and matmuls
  //===--------------------------------------------------------------------===//

  LogicalResult visitContraction(Operation *op) {
    auto it = codes.find(op->getOperand(0));
    if (it == codes.end())
      return success(); // float input: the layer stays float
    QValue x = it->second;
    auto weights = getConstantFloats(op->getOperand(1));
    if (failed(weights))
      return success(); // non-constant weights: stays float
    WeightLayout layout = isa<tosa::Conv2DOp>(op) ? WeightLayout::ConvOHWI
                          : isa<tosa::DepthwiseConv2DOp>(op)
                              ? WeightLayout::DepthwiseHWCM
                              : WeightLayout::MatmulBKN;
    auto &[w, shape] = *weights;
    // A per-channel input grid: its scales s_c fold into the weights (times
    // s_c / max s), so the integer layer reads the codes at one scale.
    double xScale;
    if (x.perChannel()) {
      if (int64_t(x.params.getScales().size()) !=
          numInputChannels(layout, shape))
        return op->emitError()
               << "qnt-quantize: the per-channel input grid has "
               << x.params.getScales().size() << " channels, the weights read "
               << numInputChannels(layout, shape);
      auto [factors, ref] = inputScaleFold(x.params);
      xScale = ref;
      for (auto [i, v] : llvm::enumerate(w))
        v = float(double(v) * factors[inputChannelOf(layout, shape, i)]);
    } else {
      xScale = x.scale();
    }
    auto inputZp = [&](int64_t i) {
      return x.params.getZeroPoint(
          x.perChannel() ? inputChannelOf(layout, shape, i) : 0);
    };
    std::optional<SyqWeights> syq;
    if (syqMode && !uniformLayers.contains(op))
      syq = quantizeWeightsSyq(w, shape, layout, *syqMode, syqGroupKind,
                               syqEta);
    unsigned bits =
        layerBits.lookup(op) ? layerBits.lookup(op) : unsigned(weightBits);
    QuantizedWeights qw =
        syq ? syq->weights
        : weightAsymmetric
            ? quantizeWeightsAsymmetric(w, shape, layout, bits,
                                        weightPerChannel)
            : quantizeWeightsSymmetric(w, shape, layout, bits,
                                       weightPerChannel);
    int64_t channels = numOutputChannels(layout, shape);
    SmallVector<double> accScales;
    for (double sw : qw.scales)
      accScales.push_back(xScale * sw);
    // Zero-point terms: sum_k (x_k - zx_k)(w_k - zw) = sum x w - zw sum x
    //   - sum zx_k w_k + zw sum zx_k. The last two are constants (the bias);
    // zw sum x (asymmetric weights) is computed from window sums below.
    SmallVector<int64_t> bias(channels, 0);
    for (auto [i, q] : llvm::enumerate(qw.codes)) {
      int64_t o = outputChannelOf(layout, shape, i);
      bias[o] += inputZp(i) * (qw.zeroPointOf(o) - int64_t(q));
    }
    if (!isa<tosa::MatMulOp>(op)) {
      auto floatBias = getConstantFloats(op->getOperand(2));
      if (failed(floatBias))
        return op->emitError()
               << "qnt-quantize: the bias must be a constant f32 tensor";
      for (int64_t c = 0; c < channels; ++c) {
        float bf = floatBias->first[floatBias->first.size() == 1 ? 0 : c];
        double s = accScales[accScales.size() == 1 ? 0 : c];
        double r = std::nearbyint(double(bf) / s);
        if (!(std::fabs(r) < 0x1p30))
          return op->emitError()
                 << "qnt-quantize: bias of channel " << c << " (" << bf
                 << ") does not fit the i32 accumulator at scale " << s
                 << " (degenerate input or weight range)";
        bias[c] += int64_t(r);
      }
    }

    OpBuilder b(op);
    Location loc = op->getLoc();
    auto weightType = withElementType(op->getOperand(1).getType(),
                                      b.getI8Type());
    Value wq;
    if (syq && !syq->multipliers.empty()) {
      // SYQ codes t (stored packed later) times the subgroups' multipliers
      // m_g, at run time: t m_g in i32, narrowed to the i8 weight.
      SmallVector<int64_t> t(syq->codes.begin(), syq->codes.end());
      Value codesConst = intConst(b, loc, weightType, t);
      auto groupType = RankedTensorType::get(syq->groupShape, b.getI8Type());
      Value mult = intConst(b, loc, groupType, syq->multipliers);
      Value product = tosa::MulOp::create(
          b, loc, withElementType(weightType, b.getI32Type()), codesConst,
          mult, intConst(b, loc, RankedTensorType::get({1}, b.getI8Type()),
                         {0}));
      wq = tosa::CastOp::create(b, loc, weightType, product);
    } else {
      SmallVector<int64_t> codes64(qw.codes.begin(), qw.codes.end());
      wq = intConst(b, loc, weightType, codes64);
    }
    Value zero = zeroPoint(b, loc, 0);
    auto accType = withElementType(op->getResult(0).getType(), b.getI32Type());
    Value input = x.codes;
    Accumulator a;
    a.scales = accScales;
    if (auto mm = dyn_cast<tosa::MatMulOp>(op)) {
      a.acc = tosa::MatMulOp::create(b, loc, accType, input, wq, zero, zero);
      a.bias = bias;
    } else {
      // Explicit zero-point padding: padded positions hold zx, so the
      // folded -zx * sum_k w_q term is exact at the borders too.
      DenseI64ArrayAttr pad = op->getAttrOfType<DenseI64ArrayAttr>("pad");
      if (llvm::any_of(pad.asArrayRef(), [](int64_t p) { return p != 0; })) {
        if (!llvm::all_equal(x.params.getZeroPoints()))
          return op->emitError()
                 << "qnt-quantize: a padded convolution needs one input zero "
                    "point, but the per-channel input grid has several "
                    "(two-sided per-channel clips)";
        auto inType = cast<RankedTensorType>(input.getType());
        ArrayRef<int64_t> p = pad.asArrayRef();
        SmallVector<int64_t> padding = {0, 0, p[0], p[1], p[2], p[3], 0, 0};
        SmallVector<int64_t> padded(inType.getShape());
        padded[1] += p[0] + p[1];
        padded[2] += p[2] + p[3];
        ImplicitLocOpBuilder ib(loc, b);
        Value padShape = tosa::getTosaConstShape(ib, padding);
        input = tosa::PadOp::create(
            b, loc, RankedTensorType::get(padded, b.getI8Type()), input,
            padShape, zeroPoint(b, loc, x.params.getZeroPoint(0)));
      }
      auto biasType = RankedTensorType::get({channels}, b.getI32Type());
      Value biasConst = intConst(b, loc, biasType, bias);
      auto noPad = b.getDenseI64ArrayAttr({0, 0, 0, 0});
      auto accTypeAttr = TypeAttr::get(b.getI32Type());
      if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
        a.acc = tosa::Conv2DOp::create(b, loc, accType, input, wq, biasConst,
                                       zero, zero, noPad, conv.getStrideAttr(),
                                       conv.getDilationAttr(), accTypeAttr);
      else {
        auto dw = cast<tosa::DepthwiseConv2DOp>(op);
        a.acc = tosa::DepthwiseConv2DOp::create(
            b, loc, accType, input, wq, biasConst, zero, zero, noPad,
            dw.getStrideAttr(), dw.getDilationAttr(), accTypeAttr);
      }
    }
    a.acc.getDefiningOp()->setAttrs(filteredAttrs(op, a.acc.getDefiningOp()));
    bool asymmetric =
        llvm::any_of(qw.zeroPoints, [](int64_t z) { return z != 0; });
    if (!asymmetric && !(syq && !syq->multipliers.empty())) {
      // The accumulators' bounds over every input code of the storage type
      // (the conv's bias included; a matmul's bias is added later).
      IntRange in = signedRange(cast<RankedTensorType>(input.getType())
                                    .getElementType()
                                    .getIntOrFloatBitWidth());
      SmallVector<SmallVector<int64_t>> perChannel(channels);
      for (auto [i, q] : llvm::enumerate(qw.codes))
        perChannel[outputChannelOf(layout, shape, i)].push_back(int64_t(q));
      for (int64_t c = 0; c < channels; ++c) {
        int64_t b0 = isa<tosa::MatMulOp>(op) ? 0 : bias[c];
        a.range.push_back(accumulatorRange(perChannel[c], {b0, b0}, in));
      }
    }
    if (asymmetric) {
      // Asymmetric weights: acc -= zw[c] * (sum of the inputs in c's window).
      Value sums = windowSums(b, loc, op, input, shape);
      SmallVector<int64_t> zwShape(accType.getRank(), 1);
      zwShape.back() = channels;
      SmallVector<int64_t> zw;
      for (int64_t c = 0; c < channels; ++c)
        zw.push_back(qw.zeroPointOf(c));
      Value zwConst =
          intConst(b, loc, RankedTensorType::get(zwShape, b.getI32Type()), zw);
      Value term = tosa::MulOp::create(
          b, loc, accType, sums, zwConst,
          intConst(b, loc, RankedTensorType::get({1}, b.getI8Type()), {0}));
      a.acc = tosa::SubOp::create(b, loc, accType, a.acc, term);
    }
    accumulators[op->getResult(0)] = a;
    replaced.insert(op);
    return success();
  }

  /// The i32 sum of the (padded) input codes each output reads: a
  /// convolution with all-one weights (one output channel; a depthwise one
  /// per channel) or, for a matmul, the sum over K.
  Value windowSums(OpBuilder &b, Location loc, Operation *op, Value input,
                   ArrayRef<int64_t> weightShape) {
    auto accType = cast<RankedTensorType>(op->getResult(0).getType());
    Type i32 = b.getI32Type(), i8 = b.getI8Type();
    auto inType = cast<RankedTensorType>(input.getType());
    if (isa<tosa::MatMulOp>(op)) {
      SmallVector<int64_t> shape(inType.getShape());
      Value wide = tosa::CastOp::create(
          b, loc, RankedTensorType::get(shape, i32), input);
      shape.back() = 1;
      return tosa::ReduceSumOp::create(b, loc,
                                       RankedTensorType::get(shape, i32), wide,
                                       b.getI32IntegerAttr(2));
    }
    SmallVector<int64_t> onesShape(weightShape);
    SmallVector<int64_t> resultShape(accType.getShape());
    if (isa<tosa::Conv2DOp>(op)) {
      onesShape[0] = 1;
      resultShape.back() = 1;
    }
    auto onesType = RankedTensorType::get(onesShape, i8);
    Value ones = intConst(b, loc, onesType,
                          SmallVector<int64_t>(onesType.getNumElements(), 1));
    Value zeroBias = intConst(
        b, loc, RankedTensorType::get({resultShape.back()}, i32),
        SmallVector<int64_t>(resultShape.back(), 0));
    Value zero = zeroPoint(b, loc, 0);
    auto resultType = RankedTensorType::get(resultShape, i32);
    auto noPad = b.getDenseI64ArrayAttr({0, 0, 0, 0});
    auto accTypeAttr = TypeAttr::get(i32);
    if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
      return tosa::Conv2DOp::create(b, loc, resultType, input, ones, zeroBias,
                                    zero, zero, noPad, conv.getStrideAttr(),
                                    conv.getDilationAttr(), accTypeAttr);
    auto dw = cast<tosa::DepthwiseConv2DOp>(op);
    return tosa::DepthwiseConv2DOp::create(
        b, loc, resultType, input, ones, zeroBias, zero, zero, noPad,
        dw.getStrideAttr(), dw.getDilationAttr(), accTypeAttr);
  }

  /// Keep the new op's own attributes, plus the original's discardable
  /// ones other than statistics (names, user annotations).
  static SmallVector<NamedAttribute> filteredAttrs(Operation *from,
                                                   Operation *to) {
    SmallVector<NamedAttribute> attrs(to->getAttrs());
    for (NamedAttribute a : from->getDiscardableAttrs())
      if (a.getName() != QntDialect::getStatsAttrName())
        attrs.push_back(a);
    return attrs;
  }

  //===--------------------------------------------------------------------===//
  // Pooling, data movement, clamps, bias adds
  //===--------------------------------------------------------------------===//

  LogicalResult visitAvgPool(tosa::AvgPool2dOp pool) {
    auto it = codes.find(pool.getInput());
    if (it == codes.end())
      return success();
    QValue x = it->second;
    auto inType = cast<RankedTensorType>(pool.getInput().getType());
    ArrayRef<int64_t> kernel = pool.getKernel();
    bool global = kernel[0] == inType.getDimSize(1) &&
                  kernel[1] == inType.getDimSize(2) &&
                  llvm::all_of(pool.getPad(), [](int64_t p) { return p == 0; });
    if (!global)
      return success(); // windowed average pooling stays float (documented)
    OpBuilder b(pool);
    Location loc = pool.getLoc();
    auto wide = withElementType(inType, b.getI32Type());
    Value sum = tosa::CastOp::create(b, loc, wide, x.codes);
    for (int32_t axis : {1, 2}) {
      SmallVector<int64_t> shape(cast<RankedTensorType>(sum.getType()).getShape());
      shape[axis] = 1;
      sum = tosa::ReduceSumOp::create(
          b, loc, RankedTensorType::get(shape, b.getI32Type()), sum,
          b.getI32IntegerAttr(axis));
    }
    int64_t n = kernel[0] * kernel[1];
    Accumulator a = x.toAccumulator();
    a.acc = sum;
    a.range.clear(); // a reduction: not read by the lowering's bounds
    for (auto [s, z] : llvm::zip(a.scales, a.bias)) {
      s /= double(n);
      z *= n;
    }
    accumulators[pool.getResult()] = a;
    replaced.insert(pool);
    return success();
  }

  LogicalResult visitDataMovement(Operation *op) {
    Value in = op->getOperand(0);
    OpBuilder b(op);
    auto rebuild = [&](Value newInput, Type element) {
      IRMapping map;
      map.map(in, newInput);
      Operation *clone = b.clone(*op, map);
      clone->getResult(0).setType(
          withElementType(op->getResult(0).getType(), element));
      clone->removeAttr(QntDialect::getStatsAttrName());
      return clone->getResult(0);
    };
    if (auto it = codes.find(in); it != codes.end()) {
      UniformAttr params = it->second.params;
      if (it->second.perChannel() && !isa<tosa::MaxPool2dOp>(op)) {
        // Per-channel grids are along the last dimension: a reshape must
        // keep it (and the grid moves to the new last axis).
        auto inType = cast<RankedTensorType>(in.getType());
        auto outType = cast<RankedTensorType>(op->getResult(0).getType());
        if (isa<tosa::TransposeOp>(op) ||
            inType.getShape().back() != outType.getShape().back())
          return success(); // stays float (dequantized per channel)
        params = withAxis(params, outType.getRank() - 1);
      }
      codes[op->getResult(0)] = {rebuild(it->second.codes, b.getI8Type()),
                                 params};
      replaced.insert(op);
      return success();
    }
    if (auto it = accumulators.find(in);
        it != accumulators.end() && !isa<tosa::MaxPool2dOp>(op)) {
      // Accumulator channels are the last dimension: a reshape must keep it.
      auto inType = cast<RankedTensorType>(in.getType());
      auto outType = cast<RankedTensorType>(op->getResult(0).getType());
      if (isa<tosa::TransposeOp>(op) ||
          inType.getShape().back() != outType.getShape().back())
        return success(); // materialized as float in finish()
      Accumulator a = it->second;
      settle(a);
      a.acc = rebuild(a.acc, b.getI32Type());
      accumulators[op->getResult(0)] = a;
      replaced.insert(op);
      return success();
    }
    return success();
  }

  LogicalResult visitClamp(tosa::ClampOp clamp) {
    auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
    auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
    if (!lo || !hi)
      return success();
    Value in = clamp.getInput();
    if (auto it = accumulators.find(in); it != accumulators.end()) {
      Accumulator a = it->second;
      a.clampLo = std::max(a.clampLo, lo.getValueAsDouble());
      a.clampHi = std::min(a.clampHi, hi.getValueAsDouble());
      accumulators[clamp.getResult()] = a;
      replaced.insert(clamp);
      return success();
    }
    if (auto it = codes.find(in); it != codes.end()) {
      QValue x = it->second;
      auto [qlo, qhi] = clampBounds(x.params, 0, lo.getValueAsDouble(),
                                    hi.getValueAsDouble());
      for (size_t c = 1, e = x.params.getScales().size(); c < e; ++c)
        if (clampBounds(x.params, c, lo.getValueAsDouble(),
                        hi.getValueAsDouble()) != std::pair(qlo, qhi))
          return success(); // per-channel bounds: stays float
      OpBuilder b(clamp);
      Value c = tosa::ClampOp::create(
          b, clamp.getLoc(), x.codes.getType(), x.codes,
          b.getIntegerAttr(b.getI8Type(), qlo),
          b.getIntegerAttr(b.getI8Type(), qhi),
          clamp.getNanModeAttr());
      codes[clamp.getResult()] = {c, x.params};
      replaced.insert(clamp);
    }
    return success();
  }

  /// The multiplier of `x`'s rescale to the finer scale `st`.
  std::optional<FixedPointMultiplier> rescaleMultiplier(QValue x, double st) {
    auto m = quantizeMultiplier(x.scale() / st);
    if (!m || m->shift < (roundingMode == RoundingMode::tflite ? -31 : -29))
      return std::nullopt;
    return m;
  }

  /// Codes `x` as i32 values on the finer scale `st`: (x - z_x) * S_x / st
  /// by an integer requantization (S_x / st is a power of two times at most
  /// 2^20, so the rounding error is below half a unit of `st`).
  Value rescaleToI32(OpBuilder &b, Location loc, QValue x, double st) {
    FixedPointMultiplier m = *rescaleMultiplier(x, st);
    auto type = withElementType(x.codes.getType(), b.getI32Type());
    return RequantizeOp::create(
               b, loc, type, x.codes, IntegerAttr(),
               b.getI64IntegerAttr(x.zp()),
               b.getDenseI64ArrayAttr({m.multiplier}),
               b.getDenseI64ArrayAttr({m.shift}), DenseI64ArrayAttr(),
               b.getI64IntegerAttr(0),
               b.getI64IntegerAttr(std::numeric_limits<int32_t>::min()),
               b.getI64IntegerAttr(std::numeric_limits<int32_t>::max()),
               RoundingModeAttr::get(b.getContext(), roundingMode),
               DenseI64ArrayAttr(), DenseI64ArrayAttr(), DenseI64ArrayAttr())
        .getResult();
  }

  /// The scale S_t = max(S_a, S_b) / 2^20 of a residual add's default form.
  static double residualScale(QValue a, QValue b) {
    return std::ldexp(std::max(a.scale(), b.scale()), -20);
  }

  /// A residual add of two quantized activations (same shape, per-tensor
  /// grids). With `residual-add=tflite` both are brought to one i32 scale
  /// S_t = max(S_a, S_b) / 2^20 (as TFLite does: |values| stay below 2^29)
  /// and added; the sum is an accumulator at S_t, so the ReLU and the clip
  /// after it fold into one requantization. With `single-rounding` the sum
  /// waits for that requantization (`singleRoundingSum`), and falls back to
  /// the tflite form (`settle`) where it cannot apply.
  LogicalResult visitResidualAdd(tosa::AddOp add, QValue a, QValue b) {
    if (a.perChannel() || b.perChannel())
      return success(); // per-channel grids: stays float (documented)
    auto type = cast<RankedTensorType>(add.getType());
    if (cast<RankedTensorType>(add.getInput1().getType()).getShape() !=
            type.getShape() ||
        cast<RankedTensorType>(add.getInput2().getType()).getShape() !=
            type.getShape())
      return success(); // broadcasting adds stay float
    double st = residualScale(a, b);
    if (!rescaleMultiplier(a, st) || !rescaleMultiplier(b, st))
      return add.emitError() << "qnt-quantize: the input scales of this add ("
                             << a.scale() << ", " << b.scale()
                             << ") differ too much";
    Accumulator acc;
    acc.scales = {st};
    acc.sum = Accumulator::PendingSum{add, a, b};
    if (!singleRoundingAdds)
      settle(acc);
    accumulators[add.getResult()] = acc;
    replaced.insert(add);
    return success();
  }

  /// Builds a pending residual add in the default (tflite) form, just
  /// before the float add (its inputs' codes dominate it, and every user of
  /// the add follows it); once per add.
  void settle(Accumulator &acc) {
    if (!acc.sum)
      return;
    Accumulator::PendingSum sum = *acc.sum;
    acc.sum.reset();
    Value &built = settledSums[sum.add];
    if (!built) {
      OpBuilder b(sum.add);
      Location loc = sum.add->getLoc();
      double st = residualScale(sum.a, sum.b);
      auto type = withElementType(sum.add->getResult(0).getType(),
                                  b.getI32Type());
      built = tosa::AddOp::create(b, loc, type, rescaleToI32(b, loc, sum.a, st),
                                  rescaleToI32(b, loc, sum.b, st));
    }
    acc.acc = built;
  }

  /// A pending residual add requantized to the per-tensor grid `out` in one
  /// rounding: with So = S_out and s = min(floor(log2(2^20 So / max(S_a,
  /// S_b))), 31), integer multipliers M_x = round(2^s S_x / So) <= 2^20 make
  ///   acc = 2 M_a a + 2 M_b b   (i32, exact: |acc| < 2^29)
  /// an accumulator on So / 2^(s+1) with bias -(2 M_a z_a + 2 M_b z_b), so
  /// its requantization has multiplier 2^30 and shift s: a rounding shift,
  /// without the 64-bit product a 29-bit input needs (the factor 2 makes
  /// tflite's doubling high multiply by 2^30 exact). The error against the
  /// real sum is at most 255 * 2^-(s+1) output units before that rounding
  /// (s >= 14: below 0.008); a smaller s (an output grid 64x finer than the
  /// coarser input's) keeps the tflite form.
  std::optional<Accumulator> singleRoundingSum(OpBuilder &b, Location loc,
                                               const Accumulator &acc,
                                               UniformAttr out,
                                               ArrayRef<int64_t> channelMax) {
    // (A pending sum has no bias or channel shift: adding one settles it.)
    assert(acc.bias.empty() && acc.channelShift.empty());
    if (!acc.sum || out.isPerAxis() || !channelMax.empty())
      return std::nullopt;
    const Accumulator::PendingSum &sum = *acc.sum;
    double so = out.getScale(0);
    double ratio = std::ldexp(so / std::max(sum.a.scale(), sum.b.scale()), 20);
    if (!(ratio >= 0x1p14))
      return std::nullopt;
    int s = std::min(int(std::floor(std::log2(ratio))), 31);
    int64_t m[2];
    const QValue inputs[2] = {sum.a, sum.b};
    for (int i = 0; i < 2; ++i) {
      m[i] = int64_t(std::nearbyint(std::ldexp(inputs[i].scale() / so, s)));
      if (m[i] > (int64_t(1) << 20))
        return std::nullopt; // log2 rounded up
    }
    auto type = withElementType(sum.add->getResult(0).getType(),
                                b.getI32Type());
    Value shift = zeroPoint(b, loc, 0); // tosa.mul's shift operand
    SmallVector<int64_t> ones(type.getRank(), 1);
    auto scaled = [&](QValue x, int64_t mult) -> Value {
      Value wide = tosa::CastOp::create(b, loc, type, x.codes);
      Value k = intConst(b, loc, RankedTensorType::get(ones, b.getI32Type()),
                         {2 * mult});
      return tosa::MulOp::create(b, loc, type, wide, k, shift);
    };
    Accumulator r;
    r.acc = tosa::AddOp::create(b, loc, type, scaled(sum.a, m[0]),
                                scaled(sum.b, m[1]));
    r.scales = {std::ldexp(so, -(s + 1))};
    r.bias = {-2 * (m[0] * sum.a.zp() + m[1] * sum.b.zp())};
    r.clampLo = acc.clampLo;
    r.clampHi = acc.clampHi;
    return r;
  }

  /// Concatenation of activations on one grid (and constants, quantized onto
  /// it: a channel padding of zeros is exact) stays on that grid.
  LogicalResult visitConcat(tosa::ConcatOp concat) {
    std::optional<QValue> grid;
    for (Value in : concat.getInput1()) {
      auto it = codes.find(in);
      if (it == codes.end())
        continue;
      if (grid && grid->params != it->second.params)
        return success(); // different grids: stays float (documented)
      grid = it->second;
    }
    if (!grid || grid->perChannel())
      return success(); // per-channel grids: stays float (documented)
    OpBuilder b(concat);
    Location loc = concat.getLoc();
    SmallVector<Value> inputs;
    for (Value in : concat.getInput1()) {
      if (auto it = codes.find(in); it != codes.end()) {
        inputs.push_back(it->second.codes);
        continue;
      }
      auto constant = getConstantFloats(in);
      if (failed(constant))
        return success(); // a float operand: the concat stays float
      auto [lo, hi] = clampBounds(grid->params, 0, -INFINITY, INFINITY);
      SmallVector<int64_t> q;
      for (float v : constant->first)
        q.push_back(std::clamp<int64_t>(
            int64_t(std::nearbyint(double(v) / grid->scale())) + grid->zp(),
            lo, hi));
      inputs.push_back(intConst(
          b, loc, withElementType(in.getType(), b.getI8Type()), q));
    }
    Value c = tosa::ConcatOp::create(
        b, loc, withElementType(concat.getType(), b.getI8Type()), inputs,
        concat.getAxisAttr());
    codes[concat.getResult()] = {c, grid->params};
    replaced.insert(concat);
    return success();
  }

  LogicalResult visitAdd(tosa::AddOp add) {
    auto ia = codes.find(add.getInput1()), ib = codes.find(add.getInput2());
    if (ia != codes.end() && ib != codes.end())
      return visitResidualAdd(add, ia->second, ib->second);
    for (auto [mine, other] : {std::pair(add.getInput1(), add.getInput2()),
                               std::pair(add.getInput2(), add.getInput1())}) {
      auto it = accumulators.find(mine);
      if (it == accumulators.end())
        continue;
      auto constant = getConstantFloats(other);
      if (failed(constant))
        return success();
      auto &[data, shape] = *constant;
      auto accShape = cast<RankedTensorType>(mine.getType()).getShape();
      int64_t channels = accShape.back();
      // Only a per-channel (last dim) or scalar constant folds into the
      // accumulator's bias.
      int64_t elements = data.size();
      if (elements != 1 && elements != channels)
        return success();
      if (elements == channels && (shape.empty() || shape.back() != channels))
        return success();
      Accumulator a = it->second;
      settle(a); // the bias is in units of its S_t
      SmallVector<int64_t> bias(channels, 0);
      for (int64_t c = 0; c < channels; ++c) {
        if (!a.bias.empty())
          bias[c] = a.bias[a.bias.size() == 1 ? 0 : c];
        double s = a.scaleOf(c);
        double r = std::nearbyint(double(data[elements == 1 ? 0 : c]) / s);
        if (!(std::fabs(r) < 0x1p30))
          return add.emitError() << "qnt-quantize: bias " << c
                                 << " does not fit the i32 accumulator";
        bias[c] += int64_t(r);
      }
      a.bias = bias;
      accumulators[add.getResult()] = a;
      replaced.insert(add);
      return success();
    }
    return success();
  }

  /// WESS: a power-of-two rescaling of an accumulator's channels becomes
  /// extra right shifts of its requantization.
  LogicalResult visitPow2Scale(Pow2ScaleOp op) {
    auto it = accumulators.find(op.getInput());
    if (it == accumulators.end())
      return success(); // stays float
    Accumulator a = it->second;
    settle(a);
    auto type = cast<RankedTensorType>(op.getType());
    if (int64_t(op.getAxis()) != type.getRank() - 1 ||
        std::isfinite(a.clampLo) || std::isfinite(a.clampHi) ||
        llvm::any_of(op.getShifts(), [](int64_t s) { return s > 0; }))
      return success(); // only right shifts of unclamped channels fold
    int64_t channels = type.getShape().back();
    if (a.channelShift.empty())
      a.channelShift.assign(channels, 0);
    for (auto [c, s] : llvm::enumerate(op.getShifts()))
      a.channelShift[c] -= s;
    accumulators[op.getResult()] = a;
    replaced.insert(op);
    return success();
  }

  //===--------------------------------------------------------------------===//
  // Requantization
  //===--------------------------------------------------------------------===//

  /// Integer bounds of the float clamp [lo, hi] on `params`' grid
  /// (rounding is monotonic, so clamping then quantizing equals quantizing
  /// then clamping to the quantized bounds).
  /// `c` is the slice of a per-channel grid, `qmax` a smaller largest code
  /// (a channel's own width).
  static std::pair<int64_t, int64_t>
  clampBounds(UniformAttr params, size_t c, double lo, double hi,
              std::optional<int64_t> qmax = std::nullopt) {
    double s = params.getScale(c);
    int64_t zp = params.getZeroPoint(c);
    int64_t qlo = params.getQMin(), qhi = qmax.value_or(params.getQMax());
    if (std::isfinite(lo))
      qlo = std::clamp<int64_t>(zp + int64_t(std::nearbyint(lo / s)), qlo, qhi);
    if (std::isfinite(hi))
      qhi = std::clamp<int64_t>(zp + int64_t(std::nearbyint(hi / s)), qlo, qhi);
    return {qlo, qhi};
  }

  /// `min-multiplier-bits`: rounds the multipliers to the most significant
  /// bits (at least that many) that let the lowering requantize with one
  /// i32 product (FixedPoint.h, i32Rescale) over the accumulator's bounds,
  /// per slice; unchanged where some channel cannot (a wide accumulator),
  /// or where the bounds are unknown. Among those, the most bits that also
  /// let the output zero point `zps` (per channel, or one) fold into the
  /// rounding constants (foldsZeroPoint: the clamp to the i8 range is then
  /// the saturating narrowing itself), when there are at least the minimum;
  /// that costs a bit or so of a multiplier of 11 or more.
  void shortenMultipliers(const Accumulator &a, int64_t channels,
                          ArrayRef<int64_t> zps,
                          SmallVector<int64_t> &multipliers,
                          SmallVector<int64_t> &shifts) {
    if (minMultiplierBits >= 31 || a.range.empty())
      return;
    // a = acc + bias, per channel.
    auto rangeOf = [&](int64_t c) {
      IntRange r = a.range[a.range.size() == 1 ? 0 : c];
      int64_t b = a.bias.empty() ? 0 : a.bias[a.bias.size() == 1 ? 0 : c];
      return IntRange{r.lo + b, r.hi + b};
    };
    // The channels each slice's multiplier serves (one slice: all of them,
    // each with its own WESS shift).
    size_t slices = multipliers.size();
    SmallVector<int64_t> newMult(multipliers), newShift(shifts);
    for (size_t sl = 0; sl < slices; ++sl) {
      // Whether every channel of the slice has the i32 form (`folded`:
      // with its output zero point folded in).
      auto fits = [&](FixedPointMultiplier m, bool folded) {
        for (int64_t c = 0; c < channels; ++c) {
          if (slices > 1 && size_t(c) != sl)
            continue;
          int64_t k = a.channelShift.empty() ? 0 : a.channelShift[c];
          IntRange r = rangeOf(c);
          std::optional<I32Rescale> f = i32Rescale(
              m.multiplier, int(m.shift + k), roundingMode, r.lo, r.hi);
          if (!f || (folded && !foldsZeroPoint(*f, zps[zps.size() == 1 ? 0 : c],
                                               r.lo, r.hi)))
            return false;
        }
        return true;
      };
      FixedPointMultiplier full{int32_t(multipliers[sl]), int32_t(shifts[sl])};
      std::optional<FixedPointMultiplier> best, unfolded;
      for (int bits = 31; bits >= int(minMultiplierBits) && !best; --bits) {
        FixedPointMultiplier m = roundMultiplierBits(full, bits);
        if (!unfolded && fits(m, /*folded=*/false))
          unfolded = m;
        if (fits(m, /*folded=*/true))
          best = m;
      }
      if (!best)
        best = unfolded;
      if (!best)
        return; // one slice keeps the 64-bit product: keep full precision
      newMult[sl] = best->multiplier;
      newShift[sl] = best->shift;
    }
    multipliers = newMult;
    shifts = newShift;
  }

  /// `channelMax`: empty, or the largest code of each channel of a
  /// per-channel `out` (per-channel widths).
  FailureOr<Value> requantize(OpBuilder &b, Location loc, Accumulator a,
                              UniformAttr out, RankedTensorType codeType,
                              ArrayRef<int64_t> channelMax = {}) {
    if (a.sum) {
      if (auto single = singleRoundingSum(b, loc, a, out, channelMax))
        a = *single;
      else
        settle(a);
    }
    Value acc = a.acc;
    auto accType = cast<RankedTensorType>(acc.getType());
    // A uniform bias is the requantization's input zero point; a
    // per-channel one is an i32 add.
    int64_t inputZp = 0;
    bool uniformBias = !a.bias.empty() &&
                       llvm::all_equal(a.bias);
    if (uniformBias) {
      inputZp = -a.bias[0];
    } else if (!a.bias.empty()) {
      if (!accType.getElementType().isInteger(32)) {
        accType = withElementType(accType, b.getI32Type());
        acc = tosa::CastOp::create(b, loc, accType, acc);
      }
      acc = addChannelBias(b, loc, acc, a.bias);
    }
    int64_t channels = accType.getShape().back();
    size_t slices = out.isPerAxis() ? channels : a.scales.size();
    SmallVector<int64_t> multipliers, shifts;
    int minShift = roundingMode == RoundingMode::tflite ? -31 : -29;
    for (size_t c = 0; c < slices; ++c) {
      double s = a.scales[a.scales.size() == 1 ? 0 : c];
      auto m = quantizeMultiplier(s / out.getScale(c));
      if (!m || m->shift < minShift)
        return failure();
      if (m->shift > 31) // |M| < 2^-62: every output is the zero point
        m = FixedPointMultiplier{0, 0};
      multipliers.push_back(m->multiplier);
      shifts.push_back(m->shift);
    }
    // Zero point and bounds per output slice.
    SmallVector<int64_t> zps, los, his;
    for (size_t c = 0, e = out.isPerAxis() ? channels : 1; c < e; ++c) {
      auto [lo, hi] = clampBounds(
          out, c, a.clampLo, a.clampHi,
          channelMax.empty() ? std::optional<int64_t>() : channelMax[c]);
      zps.push_back(out.getZeroPoint(c));
      los.push_back(lo);
      his.push_back(hi);
    }
    shortenMultipliers(a, channels, zps, multipliers, shifts);
    std::optional<int64_t> axis;
    if (a.perChannel() || out.isPerAxis())
      axis = accType.getRank() - 1;
    int64_t outputZp = zps[0], qlo = los[0], qhi = his[0];
    DenseI64ArrayAttr channelZp, channelLo, channelHi;
    if (!llvm::all_equal(zps)) {
      outputZp = 0;
      channelZp = b.getDenseI64ArrayAttr(zps);
    }
    if (!llvm::all_equal(los)) {
      qlo = out.getQMin();
      channelLo = b.getDenseI64ArrayAttr(los);
    }
    if (!llvm::all_equal(his)) {
      qhi = out.getQMax();
      channelHi = b.getDenseI64ArrayAttr(his);
    }
    DenseI64ArrayAttr channelShift;
    if (!a.channelShift.empty()) {
      SmallVector<int64_t> k(a.channelShift);
      for (auto [c, kc] : llvm::enumerate(k)) {
        int64_t n = shifts[shifts.size() == 1 ? 0 : c];
        if (n + kc > 31) {
          // |a * M0 * 2^-(31 + n + kc)| < 2^(62 - 31 - 31) = 1 anyway: the
          // channel is (nearly) constant at the zero point.
          emitRemark(loc) << "qnt-quantize: channel " << c
                          << " right shift " << n + kc
                          << " capped at 31 (its outputs are within one step "
                             "of the zero point)";
          kc = 31 - n;
        }
      }
      channelShift = b.getDenseI64ArrayAttr(k);
    }
    auto op = RequantizeOp::create(
        b, loc, codeType, acc,
        axis ? b.getI64IntegerAttr(*axis) : IntegerAttr(),
        b.getI64IntegerAttr(inputZp), b.getDenseI64ArrayAttr(multipliers),
        b.getDenseI64ArrayAttr(shifts), channelShift,
        b.getI64IntegerAttr(outputZp), b.getI64IntegerAttr(qlo),
        b.getI64IntegerAttr(qhi),
        RoundingModeAttr::get(b.getContext(), roundingMode), channelZp,
        channelLo, channelHi);
    return op.getResult();
  }

  //===--------------------------------------------------------------------===//
  // Float boundary and clean-up
  //===--------------------------------------------------------------------===//

  LogicalResult finish(func::FuncOp func) {
    // Uses of replaced values by ops that stay float get a dequantized
    // value.
    for (Operation *op : replaced) {
      for (Value result : op->getResults()) {
        SmallVector<OpOperand *> floatUses;
        for (OpOperand &use : result.getUses())
          if (!replaced.contains(use.getOwner()))
            floatUses.push_back(&use);
        if (floatUses.empty())
          continue;
        FailureOr<Value> f = toFloat(result);
        if (failed(f))
          return failure();
        for (OpOperand *use : floatUses)
          use->set(*f);
      }
    }
    for (Operation *op : llvm::reverse(replaced)) {
      if (!op->use_empty())
        return op->emitError("qnt-quantize: internal error: a replaced op "
                             "still has users");
      op->erase();
    }
    // Float weights and biases that fed the replaced ops.
    IRRewriter rewriter(&getContext());
    (void)runRegionDCE(rewriter, func->getRegions());
    return success();
  }

  FailureOr<Value> toFloat(Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    OpBuilder b(&getContext());
    if (auto it = codes.find(v); it != codes.end()) {
      b.setInsertionPointAfterValue(it->second.codes);
      return DequantizeOp::create(b, v.getLoc(), type, it->second.codes,
                                  it->second.params)
          .getResult();
    }
    auto it = accumulators.find(v);
    assert(it != accumulators.end() && "replaced value without integers");
    Accumulator a = it->second;
    settle(a);
    b.setInsertionPointAfterValue(a.acc);
    Location loc = v.getLoc();
    Value acc = a.acc;
    auto accType = cast<RankedTensorType>(acc.getType());
    if (!a.bias.empty())
      acc = addChannelBias(b, loc, acc, a.bias);
    std::optional<int64_t> axis;
    SmallVector<double> scales(a.scales);
    if (a.perChannel()) {
      axis = accType.getRank() - 1;
      scales.clear();
      for (int64_t c = 0, e = accType.getShape().back(); c < e; ++c)
        scales.push_back(a.scaleOf(c));
    }
    auto params = UniformAttr::get(
        &getContext(), IntegerType::get(&getContext(), 32, IntegerType::Signed),
        false, DenseF64ArrayAttr::get(&getContext(), scales),
        SmallVector<int64_t>(scales.size(), 0), axis);
    Value f = DequantizeOp::create(b, loc, type, acc, params);
    if (std::isfinite(a.clampLo) || std::isfinite(a.clampHi)) {
      auto ft = cast<FloatType>(type.getElementType());
      f = tosa::ClampOp::create(
          b, loc, type, f,
          b.getFloatAttr(ft, std::isfinite(a.clampLo) ? a.clampLo : -3.4e38),
          b.getFloatAttr(ft, std::isfinite(a.clampHi) ? a.clampHi : 3.4e38));
    }
    return f;
  }
};
} // namespace
