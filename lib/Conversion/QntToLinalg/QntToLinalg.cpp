//===- QntToLinalg.cpp - lower qnt element-wise ops to linalg -------------===//

#include "qnt/Conversion/Passes.h"
#include "qnt/Conversion/QntToLinalg/QntToLinalg.h"
#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Utils/FixedPoint.h"
#include "qnt/Dialect/Qnt/Utils/ValueRanges.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_CONVERTQNTTOLINALG
#include "qnt/Conversion/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// One parameter per slice along the op's axis (or one for the tensor).
/// Per-tensor values become constants in the loop body; per-slice values a
/// 1-D constant tensor read through an (axis) indexing map.
struct Param {
  Type type; // scalar element type
  SmallVector<Attribute> values;
};

Param floatParam(FloatType type, ArrayRef<double> values) {
  Param p{type, {}};
  for (double v : values)
    p.values.push_back(FloatAttr::get(type, v));
  return p;
}

Param intParam(Type type, ArrayRef<int64_t> values) {
  Param p{type, {}};
  for (int64_t v : values)
    p.values.push_back(IntegerAttr::get(type, v));
  return p;
}

using BodyFn = function_ref<Value(OpBuilder &, Location, Value,
                                  ArrayRef<Value>)>;

/// result[i] = body(input[i], params at slice i[axis]) as a linalg.generic.
Value buildElementwise(OpBuilder &b, Location loc, Value input,
                       Type resultElementType, std::optional<int64_t> axis,
                       ArrayRef<Param> params, BodyFn body) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  SmallVector<Value> inputs = {input};
  SmallVector<AffineMap> maps = {identity};
  SmallVector<int> paramSlot; // block argument index, or -1 for a constant
  for (const Param &p : params) {
    if (p.values.size() == 1) {
      paramSlot.push_back(-1);
      continue;
    }
    auto tensorType =
        RankedTensorType::get({int64_t(p.values.size())}, p.type);
    inputs.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(tensorType, p.values)));
    maps.push_back(AffineMap::get(rank, 0, getAffineDimExpr(*axis, ctx)));
    paramSlot.push_back(inputs.size() - 1);
  }
  maps.push_back(identity);
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                       resultElementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> values;
        for (auto [p, slot] : llvm::zip(params, paramSlot))
          values.push_back(slot < 0 ? arith::ConstantOp::create(
                                          nb, nloc, cast<TypedAttr>(p.values[0]))
                                          .getResult()
                                    : args[slot]);
        Value result = body(nb, nloc, args[0], values);
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

Value constInt(OpBuilder &b, Location loc, Type type, int64_t v) {
  return arith::ConstantOp::create(b, loc, IntegerAttr::get(type, v));
}

Value constFloat(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, FloatAttr::get(type, v));
}

/// clamp(x, lo, hi) for i64 values with constant bounds.
Value clampI64(OpBuilder &b, Location loc, Value x, int64_t lo, int64_t hi) {
  Type i64 = b.getI64Type();
  x = arith::MaxSIOp::create(b, loc, x, constInt(b, loc, i64, lo));
  return arith::MinSIOp::create(b, loc, x, constInt(b, loc, i64, hi));
}

/// Integer `x` (any width) to i64, by the signedness of the codes.
Value extendCodes(OpBuilder &b, Location loc, Value x, bool isSigned) {
  Type i64 = b.getI64Type();
  if (x.getType() == i64)
    return x;
  return isSigned ? arith::ExtSIOp::create(b, loc, i64, x).getResult()
                  : arith::ExtUIOp::create(b, loc, i64, x).getResult();
}

/// i64 to the result integer type (truncation keeps the low bits: codes are
/// already clamped to the storage range).
Value toResult(OpBuilder &b, Location loc, Value x, Type type) {
  if (x.getType() == type)
    return x;
  return arith::TruncIOp::create(b, loc, type, x);
}

//===----------------------------------------------------------------------===//
// Uniform quantization bodies (shared by quantize, dequantize, fake_quant)
//===----------------------------------------------------------------------===//

/// roundeven(x / s), NaN -> 0 (the float step both quantization forms share).
Value roundedQuotient(OpBuilder &b, Location loc, Value x, Value scale) {
  Type ft = x.getType();
  Value y = arith::DivFOp::create(b, loc, x, scale);
  Value isNan = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, y, y);
  y = arith::SelectOp::create(b, loc, isNan, constFloat(b, loc, ft, 0.0), y);
  return math::RoundEvenOp::create(b, loc, y);
}

/// q = clamp(roundeven(x / s), qmin - zp, qmax - zp) + zp as i64; NaN -> zp.
Value quantizeBody(OpBuilder &b, Location loc, Value x, Value scale, Value zp,
                   UniformAttr params) {
  Type ft = x.getType();
  Value r = roundedQuotient(b, loc, x, scale);
  // Keep fptosi defined (|r| < 2^62) before the exact integer clamp.
  r = arith::MaximumFOp::create(b, loc, r, constFloat(b, loc, ft, -0x1p62));
  r = arith::MinimumFOp::create(b, loc, r, constFloat(b, loc, ft, 0x1p62));
  Type i64 = b.getI64Type();
  Value q = arith::FPToSIOp::create(b, loc, i64, r);
  q = arith::AddIOp::create(b, loc, q, zp);
  return clampI64(b, loc, q, params.getQMin(), params.getQMax());
}

/// quantizeBody in i32 when that is exact: f32 (or wider) inputs and zero
/// points and code bounds within +-2^24 (exact in f32). The rounded value
/// is clamped in float to [qmin - max(zp), qmax - min(zp)], which holds
/// every channel's [qmin - zp, qmax - zp] (the integer clamp after the zero
/// point gives the same codes as the i64 form), so fptosi to i32 is defined
/// and vectorizes (AVX2 has no packed f32 -> i64 conversion: the i64 form
/// was scalarized). Returns null when the i64 form is needed.
Value quantizeBodyI32(OpBuilder &b, Location loc, Value x, Value scale,
                      Value zp, UniformAttr params) {
  auto ft = cast<FloatType>(x.getType());
  constexpr int64_t kExact = int64_t(1) << 24;
  int64_t qmin = params.getQMin(), qmax = params.getQMax();
  ArrayRef<int64_t> zps = params.getZeroPoints();
  if (ft.getWidth() < 32 || zps.empty() || qmin < -kExact || qmax > kExact)
    return {};
  auto [zpMin, zpMax] = std::minmax_element(zps.begin(), zps.end());
  if (*zpMin < -kExact || *zpMax > kExact)
    return {};
  Value r = roundedQuotient(b, loc, x, scale);
  r = arith::MaximumFOp::create(b, loc, r,
                                constFloat(b, loc, ft, double(qmin - *zpMax)));
  r = arith::MinimumFOp::create(b, loc, r,
                                constFloat(b, loc, ft, double(qmax - *zpMin)));
  Type i32 = b.getI32Type();
  Value q = arith::FPToSIOp::create(b, loc, i32, r);
  q = arith::AddIOp::create(b, loc, q,
                            arith::TruncIOp::create(b, loc, i32, zp));
  q = arith::MaxSIOp::create(b, loc, q, constInt(b, loc, i32, qmin));
  return arith::MinSIOp::create(b, loc, q, constInt(b, loc, i32, qmax));
}

/// x = (q - zp) * s, with q already widened to i64.
Value dequantizeBody(OpBuilder &b, Location loc, Value q64, Value scale,
                     Value zp) {
  Value centered = arith::SubIOp::create(b, loc, q64, zp);
  Value f = arith::SIToFPOp::create(b, loc, scale.getType(), centered);
  return arith::MulFOp::create(b, loc, f, scale);
}

SmallVector<Param> uniformParams(UniformAttr params, FloatType ft) {
  return {floatParam(ft, params.getScales()),
          intParam(IntegerType::get(ft.getContext(), 64),
                   params.getZeroPoints())};
}

//===----------------------------------------------------------------------===//
// Codebook bodies
//===----------------------------------------------------------------------===//

/// Codebook scales as a constant tensor broadcast against `type`.
std::pair<Value, AffineMap> codebookScales(OpBuilder &b, Location loc,
                                           CodebookAttr codebook,
                                           RankedTensorType type,
                                           FloatType ft) {
  DenseFPElementsAttr scales = codebook.getScales();
  auto scalesType = RankedTensorType::get(scales.getType().getShape(), ft);
  SmallVector<APFloat> values;
  for (APFloat v : scales.getValues<APFloat>()) {
    bool lost;
    v.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(v);
  }
  Value constant = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(scalesType, values));
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < type.getRank(); ++d)
    exprs.push_back(scalesType.getDimSize(d) == 1
                        ? getAffineConstantExpr(0, b.getContext())
                        : getAffineDimExpr(d, b.getContext()));
  return {constant, AffineMap::get(type.getRank(), 0, exprs, b.getContext())};
}

/// Codes of a codebook: ternary |x| > t ? sign(x) : 0; binary x >= 0 ? 1 : -1.
Value codebookQuantizeBody(OpBuilder &b, Location loc, Value x,
                           CodebookAttr codebook) {
  Type ft = x.getType();
  Type i64 = b.getI64Type();
  Value zero = constFloat(b, loc, ft, 0.0);
  Value one = constInt(b, loc, i64, 1), minusOne = constInt(b, loc, i64, -1);
  Value nonNegative =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, x, zero);
  Value sign = arith::SelectOp::create(b, loc, nonNegative, one, minusOne);
  if (codebook.getKind() == CodebookKind::binary)
    return sign;
  Value magnitude = math::AbsFOp::create(b, loc, x);
  Value threshold = constFloat(
      b, loc, ft, codebook.getThreshold().convertToDouble());
  Value large = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                      magnitude, threshold);
  return arith::SelectOp::create(b, loc, large, sign,
                                 constInt(b, loc, i64, 0));
}

/// Applies a codebook op with a scales operand: body(x, scale) elementwise.
Value buildCodebookElementwise(
    OpBuilder &b, Location loc, Value input, Type resultElementType,
    CodebookAttr codebook, FloatType ft,
    function_ref<Value(OpBuilder &, Location, Value, Value)> body) {
  auto type = cast<RankedTensorType>(input.getType());
  auto [scales, scalesMap] = codebookScales(b, loc, codebook, type, ft);
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(),
                                       resultElementType);
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, ValueRange{input, scales},
             ValueRange{init}, ArrayRef<AffineMap>{identity, scalesMap, identity},
             iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc,
                                       body(nb, nloc, args[0], args[1]));
             })
      .getResult(0);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

struct LowerClip : OpRewritePattern<ClipOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ClipOp op,
                                PatternRewriter &rewriter) const override {
    auto ft = cast<FloatType>(op.getType().getElementType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getInput(), ft, op.getAxis(),
        {floatParam(ft, op.getMin()), floatParam(ft, op.getMax())},
        [](OpBuilder &b, Location loc, Value x, ArrayRef<Value> p) -> Value {
          Value lo = arith::MaximumFOp::create(b, loc, x, p[0]);
          return arith::MinimumFOp::create(b, loc, lo, p[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Lowers one of quantize/dequantize/fake_quant: `uniformBody(x, scale, zp,
/// params)` per element for #qnt.uniform, `codebookBody(x, scale, params)`
/// for #qnt.codebook (scale: the element's subgroup scale).
using UniformBodyFn = function_ref<Value(OpBuilder &, Location, Value, Value,
                                         Value, UniformAttr)>;
using CodebookBodyFn = function_ref<Value(OpBuilder &, Location, Value, Value,
                                          CodebookAttr)>;

Value lowerQuantOp(OpBuilder &b, Location loc, Value input,
                   Type resultElementType, FloatType ft, Attribute params,
                   UniformBodyFn uniformBody, CodebookBodyFn codebookBody) {
  if (auto uniform = dyn_cast<UniformAttr>(params))
    return buildElementwise(
        b, loc, input, resultElementType, uniform.getAxis(),
        uniformParams(uniform, ft),
        [&](OpBuilder &nb, Location l, Value x, ArrayRef<Value> p) {
          return uniformBody(nb, l, x, p[0], p[1], uniform);
        });
  auto codebook = cast<CodebookAttr>(params);
  return buildCodebookElementwise(
      b, loc, input, resultElementType, codebook, ft,
      [&](OpBuilder &nb, Location l, Value x, Value scale) {
        return codebookBody(nb, l, x, scale, codebook);
      });
}

/// (q as i64) * scale for codebook codes.
Value codebookValue(OpBuilder &b, Location loc, Value q64, Value scale) {
  Value f = arith::SIToFPOp::create(b, loc, scale.getType(), q64);
  return arith::MulFOp::create(b, loc, f, scale);
}

struct LowerQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto ft = cast<FloatType>(op.getInput().getType().getElementType());
    Type resultType = op.getType().getElementType();
    rewriter.replaceOp(
        op, lowerQuantOp(
                rewriter, op.getLoc(), op.getInput(), resultType, ft,
                op.getParams(),
                [&](OpBuilder &b, Location l, Value x, Value s, Value zp,
                    UniformAttr u) {
                  Value q;
                  if (resultType.getIntOrFloatBitWidth() <= 32)
                    q = quantizeBodyI32(b, l, x, s, zp, u);
                  if (!q)
                    q = quantizeBody(b, l, x, s, zp, u);
                  return toResult(b, l, q, resultType);
                },
                [&](OpBuilder &b, Location l, Value x, Value, CodebookAttr c) {
                  return toResult(b, l, codebookQuantizeBody(b, l, x, c),
                                  resultType);
                }));
    return success();
  }
};

struct LowerDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto ft = cast<FloatType>(op.getType().getElementType());
    rewriter.replaceOp(
        op, lowerQuantOp(
                rewriter, op.getLoc(), op.getInput(), ft, ft, op.getParams(),
                [](OpBuilder &b, Location l, Value q, Value s, Value zp,
                   UniformAttr u) {
                  return dequantizeBody(b, l, extendCodes(b, l, q, u.isSigned()),
                                        s, zp);
                },
                [](OpBuilder &b, Location l, Value q, Value s, CodebookAttr) {
                  return codebookValue(
                      b, l, extendCodes(b, l, q, /*isSigned=*/true), s);
                }));
    return success();
  }
};

struct LowerFakeQuant : OpRewritePattern<FakeQuantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FakeQuantOp op,
                                PatternRewriter &rewriter) const override {
    auto ft = cast<FloatType>(op.getType().getElementType());
    rewriter.replaceOp(
        op, lowerQuantOp(
                rewriter, op.getLoc(), op.getInput(), ft, ft, op.getParams(),
                [](OpBuilder &b, Location l, Value x, Value s, Value zp,
                   UniformAttr u) {
                  return dequantizeBody(b, l, quantizeBody(b, l, x, s, zp, u),
                                        s, zp);
                },
                [](OpBuilder &b, Location l, Value x, Value s, CodebookAttr c) {
                  return codebookValue(b, l, codebookQuantizeBody(b, l, x, c),
                                       s);
                }));
    return success();
  }
};

struct LowerPow2Scale : OpRewritePattern<Pow2ScaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Pow2ScaleOp op,
                                PatternRewriter &rewriter) const override {
    auto ft = cast<FloatType>(op.getType().getElementType());
    SmallVector<double> factors;
    for (int64_t k : op.getShifts())
      factors.push_back(std::ldexp(1.0, k));
    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getInput(), ft, op.getAxis(),
        {floatParam(ft, factors)},
        [](OpBuilder &b, Location loc, Value x, ArrayRef<Value> p) -> Value {
          return arith::MulFOp::create(b, loc, x, p[0]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One parameter of `type` per vector of per-slice values; a vector whose
/// slices all agree collapses to one value (a constant in the body), in
/// place.
SmallVector<Param> collapsedParams(Type type,
                                   ArrayRef<SmallVector<int64_t> *> all) {
  SmallVector<Param> params;
  for (SmallVector<int64_t> *v : all) {
    if (llvm::all_equal(*v))
      v->resize(1);
    params.push_back(intParam(type, *v));
  }
  return params;
}

/// a = x - input_zp as i32 (x: i32 or narrower, sign-extended), saturated
/// to the i32 range: only i32 inputs can leave it.
Value offsetInputI32(OpBuilder &b, Location loc, Value x, int64_t inputZp) {
  Type i32 = b.getI32Type();
  auto c = [&](int64_t v) { return constInt(b, loc, i32, v); };
  unsigned inWidth = x.getType().getIntOrFloatBitWidth();
  Value a = x;
  if (inWidth < 32)
    a = arith::ExtSIOp::create(b, loc, i32, a);
  if (inputZp != 0) {
    if (inWidth == 32 && inputZp > 0)
      a = arith::MaxSIOp::create(b, loc, a, c(INT32_MIN + inputZp));
    else if (inWidth == 32)
      a = arith::MinSIOp::create(b, loc, a, c(INT32_MAX + inputZp));
    a = arith::SubIOp::create(b, loc, a, c(inputZp));
  }
  return a;
}

/// The range [lo, hi] of a = x - input_zp for an input of `inWidth` bits
/// narrower than i32 (exact); nullopt for i32 inputs.
std::optional<std::pair<int64_t, int64_t>> narrowInputRange(unsigned inWidth,
                                                            int64_t inputZp) {
  if (inWidth >= 32)
    return std::nullopt;
  return std::pair(-(int64_t(1) << (inWidth - 1)) - inputZp,
                   (int64_t(1) << (inWidth - 1)) - 1 - inputZp);
}

/// The `tflite` requantization in i32 lanes, bit-identical to the i64 form
/// below (FixedPoint.cpp) for every input the verifier accepts (total shifts
/// in [-31, 31], multipliers in [0, 2^31 - 1]); vector units have no fast
/// i64 multiply, min/max or arithmetic right shift. Per slice, everything
/// that only depends on the shift is a compile-time parameter:
///   a    = x - input_zp, saturated to i32 (one max/min with a constant)
///   a   <<= left, saturated: a > INT32_MAX >> left -> INT32_MAX,
///         a < INT32_MIN >> left -> INT32_MIN   (only if some left > 0)
///   high = (a * m + 2^30) >> 31   (= gemmlowp's SaturatingRoundingDoubling-
///          HighMul: its nudge-and-truncate is floor((a m + 2^30) / 2^31) for
///          either sign; the only i64 step, and it fits in i32; for an
///          input narrower than i32 whose shift stays in i32, two i32
///          multiplies instead: splitHighProduct, FixedPoint.h)
///   r    = (high >> right) + ((high & mask) > half + (high < 0))
///   y    = clamp(r, lo - z, hi - z) + z   (bounds saturated to i32, so the
///          add cannot overflow)
Value requantizeTfliteI32(OpBuilder &b, Location loc, RequantizeOp op,
                          Type resultType, ArrayRef<int64_t> mult,
                          ArrayRef<int64_t> shift, ArrayRef<int64_t> outputZp,
                          ArrayRef<int64_t> lo, ArrayRef<int64_t> hi) {
  Type i32 = b.getI32Type();
  size_t channels = std::max({mult.size(), shift.size(), outputZp.size(),
                              lo.size(), hi.size()});
  auto at = [](ArrayRef<int64_t> v, size_t c) {
    return v.size() == 1 ? v[0] : v[c];
  };
  SmallVector<int64_t> m, left, loL, hiL, right, mask, half, loZ, hiZ, zp;
  for (size_t c = 0; c < channels; ++c) {
    int64_t n = at(shift, c), z = at(outputZp, c);
    int64_t l = std::max<int64_t>(-n, 0), r = std::max<int64_t>(n, 0);
    m.push_back(at(mult, c));
    left.push_back(l);
    loL.push_back(INT32_MIN >> l);
    hiL.push_back(INT32_MAX >> l);
    right.push_back(r);
    mask.push_back((int64_t(1) << r) - 1);
    half.push_back(((int64_t(1) << r) - 1) >> 1);
    zp.push_back(z);
    loZ.push_back(std::clamp<int64_t>(at(lo, c) - z, INT32_MIN, INT32_MAX));
    hiZ.push_back(std::clamp<int64_t>(at(hi, c) - z, INT32_MIN, INT32_MAX));
  }
  int64_t inputZp = static_cast<int64_t>(op.getInputZp());
  unsigned inWidth = op.getInput().getType().getElementTypeBitWidth();
  // The range of a = x - input_zp for inputs narrower than i32 (exact, no
  // saturation): a left shift that keeps it inside i32 needs no clamp.
  bool mayOverflowLeft = true;
  if (auto range = narrowInputRange(inWidth, inputZp)) {
    mayOverflowLeft = false;
    for (size_t c = 0; c < channels; ++c)
      mayOverflowLeft |= range->first < loL[c] || range->second > hiL[c];
  }
  bool anyLeft = llvm::any_of(left, [](int64_t l) { return l > 0; });
  bool noRight = llvm::all_of(right, [](int64_t r) { return r == 0; });
  // m = 2^30 (a scale ratio that is a power of two): the high product
  // floor((a 2^30 + 2^30) / 2^31) is floor((a + 1) / 2) = (a >> 1) + (a & 1),
  // without the i64 multiply.
  bool halving = llvm::all_of(m, [](int64_t v) { return v == (1ll << 30); });
  // A narrow input whose left shift stays in i32: the high product in i32
  // lanes without the i64 step (splitHighProduct: two i32 multiplies;
  // vector units multiply i64 only on every other lane, plus shuffles). It
  // takes the unshifted a, the shift being part of the split.
  SmallVector<int64_t> spHigh, spLow, spRoundHigh, spRoundLow, spLowShift,
      spHighShift;
  bool split = false;
  if (auto range = narrowInputRange(inWidth, inputZp);
      range && !mayOverflowLeft && !halving) {
    split = true;
    for (size_t c = 0; c < channels; ++c) {
      std::optional<SplitHighProduct> sp =
          splitHighProduct(int32_t(m[c]), int(left[c]), range->first,
                           range->second);
      if (!sp) {
        split = false;
        break;
      }
      spHigh.push_back(sp->high);
      spLow.push_back(sp->low);
      spRoundHigh.push_back(sp->roundHigh);
      spRoundLow.push_back(sp->roundLow);
      spLowShift.push_back(sp->lowShift);
      spHighShift.push_back(sp->highShift);
    }
  }
  auto allZero = [](ArrayRef<int64_t> v) {
    return llvm::all_of(v, [](int64_t x) { return x == 0; });
  };
  // With the split the multiplier itself is not read: one (dead) value
  // instead of a per-channel parameter.
  if (split)
    m.assign(1, 0);
  SmallVector<SmallVector<int64_t> *> all = {&m,     &right, &mask, &half,
                                             &zp,    &loZ,   &hiZ};
  if (anyLeft && !split)
    all.append({&left, &loL, &hiL});
  // The split's parameters follow (p[first + 0..5]).
  const size_t first = all.size();
  if (split)
    all.append({&spHigh, &spLow, &spRoundHigh, &spRoundLow, &spLowShift,
                &spHighShift});
  bool roundHighZero = allZero(spRoundHigh), roundLowZero = allZero(spRoundLow),
       highShiftZero = allZero(spHighShift);
  SmallVector<Param> params = collapsedParams(i32, all);
  return buildElementwise(
      b, loc, op.getInput(), resultType,
      std::optional<int64_t>(op.getAxis().value_or(0)), params,
      [&](OpBuilder &b, Location loc, Value x, ArrayRef<Value> p) {
        auto c = [&](int64_t v) { return constInt(b, loc, i32, v); };
        Value a = offsetInputI32(b, loc, x, inputZp);
        // (With the split, the left shift is part of it.)
        if (anyLeft && !split && !mayOverflowLeft) {
          a = arith::ShLIOp::create(b, loc, a, p[7]);
        } else if (anyLeft && !split) {
          Value shifted = arith::ShLIOp::create(b, loc, a, p[7]);
          Value over = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                             a, p[9]);
          Value under = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::slt, a, p[8]);
          shifted = arith::SelectOp::create(b, loc, over, c(INT32_MAX),
                                            shifted);
          a = arith::SelectOp::create(b, loc, under, c(INT32_MIN), shifted);
        }
        // high = bits [31, 63) of a * m + 2^30: i32 x i32 -> i64 products
        // (sign-extended operands: vpmuldq on x86), one add, one shift.
        Value high;
        if (split) {
          // high = (a hi + roundHigh + ((a lo + roundLow) >> lowShift))
          //        >> highShift, all in i32 (splitHighProduct).
          Value lowPart = arith::MulIOp::create(b, loc, a, p[first + 1]);
          if (!roundLowZero)
            lowPart = arith::AddIOp::create(b, loc, lowPart, p[first + 3]);
          lowPart = arith::ShRSIOp::create(b, loc, lowPart, p[first + 4]);
          high = arith::MulIOp::create(b, loc, a, p[first]);
          if (!roundHighZero)
            high = arith::AddIOp::create(b, loc, high, p[first + 2]);
          high = arith::AddIOp::create(b, loc, high, lowPart);
          if (!highShiftZero)
            high = arith::ShRSIOp::create(b, loc, high, p[first + 5]);
        } else if (halving) {
          high = arith::AddIOp::create(
              b, loc, arith::ShRSIOp::create(b, loc, a, c(1)),
              arith::AndIOp::create(b, loc, a, c(1)));
        } else {
          Type i64 = b.getI64Type();
          Value prod = arith::MulIOp::create(
              b, loc, arith::ExtSIOp::create(b, loc, i64, a),
              arith::ExtSIOp::create(b, loc, i64, p[0]));
          prod = arith::AddIOp::create(b, loc, prod,
                                       constInt(b, loc, i64, 1ll << 30));
          high = arith::TruncIOp::create(
              b, loc, i32,
              arith::ShRUIOp::create(b, loc, prod, constInt(b, loc, i64, 31)));
        }
        // RoundingDivideByPOT(high, right): nothing to do for right = 0.
        Value r = high;
        if (!noRight) {
        Value remainder = arith::AndIOp::create(b, loc, high, p[2]);
        Value threshold = arith::AddIOp::create(
            b, loc, p[3], arith::ShRUIOp::create(b, loc, high, c(31)));
        Value up = arith::ExtUIOp::create(
            b, loc, i32,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, remainder,
                                  threshold));
        r = arith::AddIOp::create(
            b, loc, arith::ShRSIOp::create(b, loc, high, p[1]), up);
        }
        r = arith::MaxSIOp::create(b, loc, r, p[5]);
        r = arith::MinSIOp::create(b, loc, r, p[6]);
        Value y = arith::AddIOp::create(b, loc, r, p[4]);
        return toResult(b, loc, y, resultType);
      });
}

/// TOSA's requantizations (apply_scale_32: floor((a m + 2^(s - 1) + d) /
/// 2^s), s = 31 + n; d = 0 for `single_round`; for `double_round` d =
/// (a >= 0 ? 2^30 : -2^30) when s > 31, else 0) in i32 lanes, bit-identical
/// to the i64 form below. Per slice:
///   a    = x - input_zp, saturated to i32, then a <<= left
///   high = (a * m + c) >> 31      (i32 x i32 -> i64 products; fits in i32)
///   high += (a >> 31) & adjust    (double_round, n >= 1: d < 0 for a < 0)
///   r    = (high >> right) + ((high >> (right - 1)) & 1)   (if right > 0)
///   y    = clamp(r, lo - z, hi - z) + z
/// For right = n >= 1 this is exact: with a m + d = high 2^31 + l, l in
/// [0, 2^31), the numerator is (high + 2^(n - 1)) 2^31 + l and l cannot
/// carry the floor over a multiple of 2^s, so the result is
/// floor((high + 2^(n - 1)) / 2^n): the shifted value plus bit n - 1 (no
/// overflow). single_round: c = 0, d = 0; a slice with n <= 0 scales the
/// numerator and denominator by 2^(1 - n) (left = 1 - n, right = 1).
/// double_round: c = 2^30, which is d for a >= 0 (a m + 2^30 - 2^31 for
/// a < 0: one less, the adjust term); a slice with n <= 0 (d = 0) is
/// floor((a 2^-n m + 2^30) / 2^31) (left = -n, right = 0). A left shift is
/// exact only if a << left stays in i32: with one on an i32 input, or on a
/// narrow input whose range does not allow it, this returns null (the i64
/// form is used).
Value requantizeTosaI32(OpBuilder &b, Location loc, RequantizeOp op,
                        Type resultType, bool doubleRound,
                        ArrayRef<int64_t> mult, ArrayRef<int64_t> shift,
                        ArrayRef<int64_t> outputZp, ArrayRef<int64_t> lo,
                        ArrayRef<int64_t> hi) {
  Type i32 = b.getI32Type();
  size_t channels = std::max({mult.size(), shift.size(), outputZp.size(),
                              lo.size(), hi.size()});
  auto at = [](ArrayRef<int64_t> v, size_t c) {
    return v.size() == 1 ? v[0] : v[c];
  };
  int64_t inputZp = static_cast<int64_t>(op.getInputZp());
  unsigned inWidth = op.getInput().getType().getElementTypeBitWidth();
  auto range = narrowInputRange(inWidth, inputZp);
  SmallVector<int64_t> m, right, below, bit, zp, loZ, hiZ, left, adjust;
  for (size_t c = 0; c < channels; ++c) {
    int64_t n = at(shift, c), z = at(outputZp, c);
    int64_t l = std::max<int64_t>((doubleRound ? 0 : 1) - n, 0);
    int64_t r = std::max<int64_t>(n, doubleRound ? 0 : 1);
    if (l > 0 && (!range || l > 31 || range->first < (INT32_MIN >> l) ||
                  range->second > (INT32_MAX >> l)))
      return Value();
    m.push_back(at(mult, c));
    right.push_back(r);
    below.push_back(std::max<int64_t>(r - 1, 0));
    bit.push_back(r > 0 ? 1 : 0);
    zp.push_back(z);
    loZ.push_back(std::clamp<int64_t>(at(lo, c) - z, INT32_MIN, INT32_MAX));
    hiZ.push_back(std::clamp<int64_t>(at(hi, c) - z, INT32_MIN, INT32_MAX));
    left.push_back(l);
    adjust.push_back(doubleRound && n >= 1 ? -1 : 0);
  }
  bool anyLeft = llvm::any_of(left, [](int64_t v) { return v > 0; });
  bool anyRight = llvm::any_of(right, [](int64_t v) { return v > 0; });
  bool anyAdjust = llvm::any_of(adjust, [](int64_t v) { return v != 0; });
  SmallVector<SmallVector<int64_t> *> all = {&m,   &right, &below, &bit, &zp,
                                             &loZ, &hiZ,   &left,  &adjust};
  SmallVector<Param> params = collapsedParams(i32, all);
  return buildElementwise(
      b, loc, op.getInput(), resultType,
      std::optional<int64_t>(op.getAxis().value_or(0)), params,
      [&](OpBuilder &b, Location loc, Value x, ArrayRef<Value> p) {
        Value a = offsetInputI32(b, loc, x, inputZp);
        Value shifted = anyLeft ? arith::ShLIOp::create(b, loc, a, p[7]) : a;
        Type i64 = b.getI64Type();
        Value prod = arith::MulIOp::create(
            b, loc, arith::ExtSIOp::create(b, loc, i64, shifted),
            arith::ExtSIOp::create(b, loc, i64, p[0]));
        if (doubleRound)
          prod = arith::AddIOp::create(b, loc, prod,
                                       constInt(b, loc, i64, 1ll << 30));
        Value r = arith::TruncIOp::create(
            b, loc, i32,
            arith::ShRUIOp::create(b, loc, prod, constInt(b, loc, i64, 31)));
        if (anyAdjust)
          r = arith::AddIOp::create(
              b, loc, r,
              arith::AndIOp::create(
                  b, loc,
                  arith::ShRSIOp::create(b, loc, a, constInt(b, loc, i32, 31)),
                  p[8]));
        if (anyRight) {
          Value up = arith::AndIOp::create(
              b, loc, arith::ShRSIOp::create(b, loc, r, p[2]), p[3]);
          r = arith::AddIOp::create(
              b, loc, arith::ShRSIOp::create(b, loc, r, p[1]), up);
        }
        r = arith::MaxSIOp::create(b, loc, r, p[5]);
        r = arith::MinSIOp::create(b, loc, r, p[6]);
        return toResult(b, loc, arith::AddIOp::create(b, loc, r, p[4]),
                        resultType);
      });
}

/// The requantization as one i32 multiply, add and shift per element
/// (FixedPoint.h, i32Rescale), where the input's range is known (a narrow
/// input's type, or the bounds of a convolution's accumulators:
/// ValueRanges.h) and every slice's multiplier has enough trailing zero
/// bits for it (as qnt-quantize's `min-multiplier-bits` makes them):
///   a = x - input_zp            (no saturation on the range)
///   r = (a * m' + (a < 0 ? roundNeg : roundPos)) >> shift
///     = (x * m' + (x < input_zp ? roundNeg' : roundPos')) >> shift
///       (the input zero point folded into the rounding constants)
///   y = clamp(r + z, lo, hi)    (each bound only where it can bind; z
///       folded into the constants too, z 2^shift, where the sums allow)
/// Bit-identical to every mode's definition; returns null where the form
/// does not exist for some slice (the general forms above are used).
Value requantizeI32Product(OpBuilder &b, Location loc, RequantizeOp op,
                           Type resultType, ArrayRef<int64_t> mult,
                           ArrayRef<int64_t> shift, ArrayRef<int64_t> outputZp,
                           ArrayRef<int64_t> lo, ArrayRef<int64_t> hi) {
  Type i32 = b.getI32Type();
  int64_t inputZp = static_cast<int64_t>(op.getInputZp());
  unsigned inWidth = op.getInput().getType().getElementTypeBitWidth();
  size_t channels = std::max({mult.size(), shift.size(), outputZp.size(),
                              lo.size(), hi.size()});
  std::optional<int64_t> axis = op.getAxis();
  // The range of x per slice (or one for the tensor).
  SmallVector<IntRange> xRange;
  if (inWidth < 32) {
    xRange.assign(1, signedRange(inWidth));
  } else {
    auto inferred =
        inferSliceRanges(op.getInput(), channels > 1 ? axis : std::nullopt);
    if (!inferred)
      return Value();
    xRange = std::move(*inferred);
  }
  if (xRange.size() > 1 && channels == 1)
    channels = xRange.size();
  auto at = [](auto v, size_t c) { return v.size() == 1 ? v[0] : v[c]; };
  SmallVector<int64_t> m, roundPos, roundNeg, rshift, zp, loZ, hiZ;
  bool signTerm = false, needMax = false, needMin = false, offset = true,
       foldZp = true;
  for (size_t c = 0; c < channels; ++c) {
    IntRange x = at(ArrayRef<IntRange>(xRange), c);
    int64_t aMin = x.lo - inputZp, aMax = x.hi - inputZp;
    if (aMin < INT32_MIN || aMax > INT32_MAX)
      return Value();
    std::optional<I32Rescale> f =
        i32Rescale(int32_t(at(mult, c)), int(at(shift, c)),
                   op.getRounding(), aMin, aMax);
    if (!f)
      return Value();
    m.push_back(f->multiplier);
    // a m' + round = x m' + (round - input_zp m'): the zero point folds into
    // the constants (the i32 arithmetic wraps, and the sum fits).
    roundPos.push_back(int32_t(uint32_t(f->roundPos) -
                               uint32_t(inputZp) * uint32_t(f->multiplier)));
    roundNeg.push_back(int32_t(uint32_t(f->roundNeg) -
                               uint32_t(inputZp) * uint32_t(f->multiplier)));
    rshift.push_back(f->shift);
    signTerm |= f->roundNeg != f->roundPos && aMin < 0;
    // The range of r (monotone in a), and whether r + z stays in i32.
    auto eval = [&](int64_t a) {
      return (a * f->multiplier + (a < 0 ? f->roundNeg : f->roundPos)) >>
             f->shift;
    };
    int64_t rMin = eval(aMin), rMax = eval(aMax), z = at(outputZp, c);
    int64_t l = at(lo, c), h = at(hi, c);
    offset &= rMin + z >= INT32_MIN && rMax + z <= INT32_MAX;
    needMax |= rMin + z < l;
    needMin |= rMax + z > h;
    // r + z = (a m' + round + z 2^shift) >> shift: the zero point can go
    // into the rounding constants too if the sums stay in i32. Then the
    // clamp is the last step, and a clamp to the i8 range is the
    // saturating narrowing itself (vpackssdw / vpacksswb on x86).
    foldZp &= foldsZeroPoint(*f, z, aMin, aMax);
    zp.push_back(z);
    loZ.push_back(l);
    hiZ.push_back(h);
  }
  bool anyZp = !llvm::all_of(zp, [](int64_t v) { return v == 0; });
  if (anyZp && foldZp) {
    for (size_t c = 0; c < channels; ++c) {
      uint32_t zs = uint32_t(zp[c]) << rshift[c];
      roundPos[c] = int32_t(uint32_t(roundPos[c]) + zs);
      roundNeg[c] = int32_t(uint32_t(roundNeg[c]) + zs);
      zp[c] = 0;
    }
    anyZp = false;
  }
  if (!offset) {
    // Clamp before the zero point (bounds saturated to i32), as the
    // general forms do.
    for (size_t c = 0; c < channels; ++c) {
      loZ[c] = std::clamp<int64_t>(loZ[c] - zp[c], INT32_MIN, INT32_MAX);
      hiZ[c] = std::clamp<int64_t>(hiZ[c] - zp[c], INT32_MIN, INT32_MAX);
    }
    needMax = needMin = true;
  }
  SmallVector<SmallVector<int64_t> *> all = {&m,  &roundPos, &roundNeg, &rshift,
                                             &zp, &loZ,      &hiZ};
  SmallVector<Param> params = collapsedParams(i32, all);
  return buildElementwise(
      b, loc, op.getInput(), resultType,
      std::optional<int64_t>(axis.value_or(0)), params,
      [&](OpBuilder &b, Location loc, Value x, ArrayRef<Value> p) {
        Value a = x;
        if (inWidth < 32)
          a = arith::ExtSIOp::create(b, loc, i32, a);
        Value round = p[1];
        if (signTerm) {
          // a < 0, i.e. x < input_zp.
          Value negative = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::slt, a,
              constInt(b, loc, i32, inputZp));
          round = arith::SelectOp::create(b, loc, negative, p[2], p[1]);
        }
        Value r = arith::MulIOp::create(b, loc, a, p[0]);
        r = arith::AddIOp::create(b, loc, r, round);
        r = arith::ShRSIOp::create(b, loc, r, p[3]);
        if (offset && anyZp)
          r = arith::AddIOp::create(b, loc, r, p[4]);
        if (needMax)
          r = arith::MaxSIOp::create(b, loc, r, p[5]);
        if (needMin)
          r = arith::MinSIOp::create(b, loc, r, p[6]);
        if (!offset && anyZp)
          r = arith::AddIOp::create(b, loc, r, p[4]);
        return toResult(b, loc, r, resultType);
      });
}

/// Integer-only requantization, mirroring FixedPoint.cpp step by step
/// (i64; the `tflite` mode, and the TOSA modes where their i32 form is
/// exact, use the equivalent i32 forms above).
struct LowerRequantize : OpRewritePattern<RequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RequantizeOp op,
                                PatternRewriter &rewriter) const override {
    Type i64 = rewriter.getI64Type();
    Type resultType = op.getType().getElementType();
    size_t channels = std::max(
        {op.getMultiplier().size(), op.getShift().size(),
         op.getChannelShift() ? op.getChannelShift()->size() : size_t(1)});
    if (op.hasChannelGrid())
      channels = op.getInput().getType().getDimSize(*op.getAxis());
    SmallVector<int64_t> mult, shift, outputZp, lo, hi;
    for (size_t c = 0; c < channels; ++c) {
      mult.push_back(op.getMultiplierFor(c));
      shift.push_back(op.getTotalShiftFor(c));
      outputZp.push_back(op.getOutputZpFor(c));
      lo.push_back(op.getClampMinFor(c));
      hi.push_back(op.getClampMaxFor(c));
    }
    // Per-tensor values collapse to one constant in the body.
    auto collapse = [](SmallVector<int64_t> &v) {
      if (llvm::all_equal(v))
        v.resize(1);
    };
    collapse(mult);
    collapse(shift);
    collapse(outputZp);
    collapse(lo);
    collapse(hi);
    int64_t inputZp = static_cast<int64_t>(op.getInputZp());
    RoundingMode mode = op.getRounding();
    bool inputSigned = true; // accumulators and i8/i16 inputs are signed
    if (Value r = requantizeI32Product(rewriter, op.getLoc(), op, resultType,
                                       mult, shift, outputZp, lo, hi)) {
      rewriter.replaceOp(op, r);
      return success();
    }
    if (mode == RoundingMode::tflite) {
      rewriter.replaceOp(op, requantizeTfliteI32(rewriter, op.getLoc(), op,
                                                 resultType, mult, shift,
                                                 outputZp, lo, hi));
      return success();
    }
    if (Value r = requantizeTosaI32(
            rewriter, op.getLoc(), op, resultType,
            mode == RoundingMode::double_round, mult, shift, outputZp, lo,
            hi)) {
      rewriter.replaceOp(op, r);
      return success();
    }

    Value result = buildElementwise(
        rewriter, op.getLoc(), op.getInput(), resultType,
        // Collapsed (per-tensor) parameters never read the axis.
        std::optional<int64_t>(op.getAxis().value_or(0)),
        {intParam(i64, mult), intParam(i64, shift), intParam(i64, outputZp),
         intParam(i64, lo), intParam(i64, hi)},
        [&](OpBuilder &b, Location loc, Value x, ArrayRef<Value> p) {
          Value m = p[0], n = p[1];
          auto c = [&](int64_t v) { return constInt(b, loc, i64, v); };
          Value a = arith::SubIOp::create(
              b, loc, extendCodes(b, loc, x, inputSigned), c(inputZp));
          a = clampI64(b, loc, a, INT32_MIN, INT32_MAX);
          Value scaled;
          if (mode == RoundingMode::tflite) {
            // left = max(-n, 0), right = max(n, 0)
            Value zero = c(0);
            Value left = arith::MaxSIOp::create(
                b, loc, arith::SubIOp::create(b, loc, zero, n), zero);
            Value right = arith::MaxSIOp::create(b, loc, n, zero);
            Value shifted = clampI64(
                b, loc, arith::ShLIOp::create(b, loc, a, left), INT32_MIN,
                INT32_MAX);
            // SaturatingRoundingDoublingHighMul; m <= 2^31 - 1, so the
            // INT32_MIN * INT32_MIN case cannot occur.
            Value ab = arith::MulIOp::create(b, loc, shifted, m);
            Value nonNeg = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::sge, ab, zero);
            Value nudge = arith::SelectOp::create(b, loc, nonNeg, c(1ll << 30),
                                                  c(1 - (1ll << 30)));
            Value high = arith::DivSIOp::create(
                b, loc, arith::AddIOp::create(b, loc, ab, nudge), c(1ll << 31));
            // RoundingDivideByPOT(high, right)
            Value one = c(1);
            Value mask = arith::SubIOp::create(
                b, loc, arith::ShLIOp::create(b, loc, one, right), one);
            Value remainder = arith::AndIOp::create(b, loc, high, mask);
            Value negative = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::slt, high, zero);
            Value threshold = arith::AddIOp::create(
                b, loc, arith::ShRSIOp::create(b, loc, mask, one),
                arith::ExtUIOp::create(b, loc, i64, negative));
            Value up = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                             remainder, threshold);
            scaled = arith::AddIOp::create(
                b, loc, arith::ShRSIOp::create(b, loc, high, right),
                arith::ExtUIOp::create(b, loc, i64, up));
          } else {
            // TOSA apply_scale_32 with shift s = 31 + n (2..62).
            Value s = arith::AddIOp::create(b, loc, n, c(31));
            Value one = c(1);
            Value round = arith::ShLIOp::create(
                b, loc, one, arith::SubIOp::create(b, loc, s, one));
            if (mode == RoundingMode::double_round) {
              Value big = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::sgt, s, c(31));
              Value nonNeg = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::sge, a, c(0));
              Value adj = arith::SelectOp::create(b, loc, nonNeg, c(1ll << 30),
                                                  c(-(1ll << 30)));
              adj = arith::SelectOp::create(b, loc, big, adj, c(0));
              round = arith::AddIOp::create(b, loc, round, adj);
            }
            Value prod = arith::AddIOp::create(
                b, loc, arith::MulIOp::create(b, loc, a, m), round);
            scaled = clampI64(b, loc, arith::ShRSIOp::create(b, loc, prod, s),
                              INT32_MIN, INT32_MAX);
          }
          Value y = arith::AddIOp::create(b, loc, scaled, p[2]);
          y = arith::MaxSIOp::create(b, loc, y, p[3]);
          y = arith::MinSIOp::create(b, loc, y, p[4]);
          return toResult(b, loc, y, resultType);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Sub-byte codes: one linalg.generic over the result computes each
/// element's row-major index i, reads byte i / k of the packed tensor and
/// sign-extends its bits [(i mod k) b, (i mod k) b + b) (k = 8 / b).
struct LowerUnpack : OpRewritePattern<UnpackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(UnpackOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = op.getOutput().getType();
    int64_t rank = resultType.getRank();
    int64_t bits = static_cast<int64_t>(op.getBits());
    int64_t perByte = 8 / bits;
    Value packed = op.getPacked();
    Value init = tensor::EmptyOp::create(rewriter, loc, resultType.getShape(),
                                         rewriter.getI8Type());
    SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    ArrayRef<int64_t> shape = resultType.getShape();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, ValueRange{}, ValueRange{init},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange) {
          auto index = [&](int64_t v) {
            return arith::ConstantIndexOp::create(b, l, v).getResult();
          };
          // Row-major flat index of this element.
          Value flat = index(0);
          for (int64_t d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(b, l, d);
            flat = arith::AddIOp::create(
                b, l, arith::MulIOp::create(b, l, flat, index(shape[d])), i);
          }
          Value byteIndex =
              arith::DivUIOp::create(b, l, flat, index(perByte));
          Value slot = arith::RemUIOp::create(b, l, flat, index(perByte));
          Value byte = tensor::ExtractOp::create(b, l, packed, byteIndex);
          // (byte << (8 - b - slot b)) >>s (8 - b): the field, sign-extended.
          Value slotBits = arith::MulIOp::create(b, l, slot, index(bits));
          Value left = arith::SubIOp::create(b, l, index(8 - bits), slotBits);
          Type i8 = b.getI8Type();
          Value left8 = arith::IndexCastOp::create(b, l, i8, left);
          Value shifted = arith::ShLIOp::create(b, l, byte, left8);
          Value right = arith::ConstantIntOp::create(b, l, i8, 8 - bits);
          Value v = arith::ShRSIOp::create(b, l, shifted, right);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

struct ConvertQntToLinalgPass
    : public qnt::impl::ConvertQntToLinalgBase<ConvertQntToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    // Requantizations first: their 32-bit form reads the bounds of their
    // inputs off the producers, which include qnt.unpack (packed weights)
    // before it is lowered.
    RewritePatternSet first(&getContext());
    first.add<LowerRequantize>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(first))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateQntToLinalgConversionPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    WalkResult left = getOperation()->walk([](Operation *op) {
      if (isa<QntDialect>(op->getDialect())) {
        op->emitError() << "convert-qnt-to-linalg: no lowering for this op";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace

void mlir::qnt::populateQntToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerClip, LowerQuantize, LowerDequantize, LowerFakeQuant,
               LowerPow2Scale, LowerRequantize, LowerUnpack>(
      patterns.getContext());
}
