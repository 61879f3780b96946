//===- QntInt8DepthwiseKernels.cpp - channel-vectorized int8 depthwise ----===//
//
// An i8 x i8 -> i32 depthwise convolution (NHWC input, [KH, KW, C] constant
// filter) becomes a kernel vectorized along channels: per output row, per
// block of `lanes` channels, tiles of at most `ow-tile` output columns (of
// equal width, as few as the interior columns need) are held in
// vector<lanes x i32> accumulators; filter rows two at a time (`pair-rows`),
// the two rows' channels interleaved as i16 against interleaved weights,
// vpmaddwd's plain form; a row left over (and the border columns and rows)
// per filter tap, one weight vector (sign-extended to i32 at compile time)
// and per column one sign-extending load of `lanes` input channels, a
// multiply and an add. The taps are unrolled. The accumulators start from
// the bias (or zero, or the init),
// and the element-wise consumer (the requantization) runs on them before
// the narrow store, as in qnt-int8-matmul-kernels.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/KernelUtils.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTINT8DEPTHWISEKERNELS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// A supported depthwise convolution.
struct DepthwiseShape {
  int64_t n, oh, ow, c, kh, kw;
  int64_t strideH, strideW, dilationH, dilationW;
  Value input, init;
  bool zeroInit = false;
  Value bias;                   // 1-D [C] the init broadcasts, or null
  SmallVector<int32_t> weights; // [KH][KW][C], sign-extended
  /// Implicit padding: `input` is the source [N, H, W, C] of a constant
  /// spatial tensor.pad (low padding padTop / padLeft, value padValue) that
  /// the kernel reads through; the padded tensor is never built.
  bool padded = false;
  int64_t h = 0, w = 0, padTop = 0, padLeft = 0;
  int32_t padValue = 0;
};

/// `input` as the source of a tensor.pad of H and W only, by a constant,
/// that the kernel can read around (its padded positions hold `padValue`).
void matchImplicitPadding(DepthwiseShape &s) {
  auto pad = s.input.getDefiningOp<tensor::PadOp>();
  if (!pad)
    return;
  auto source = dyn_cast<RankedTensorType>(pad.getSourceType());
  Value value = pad.getConstantPaddingValue();
  IntegerAttr padAttr;
  if (!source || !source.hasStaticShape() || !value ||
      !matchPattern(value, m_Constant(&padAttr)))
    return;
  SmallVector<int64_t> low, high;
  for (OpFoldResult v : pad.getMixedLowPad())
    if (std::optional<int64_t> c = getConstantIntValue(v))
      low.push_back(*c);
  for (OpFoldResult v : pad.getMixedHighPad())
    if (std::optional<int64_t> c = getConstantIntValue(v))
      high.push_back(*c);
  if (low.size() != 4 || high.size() != 4 || low[0] || high[0] || low[3] ||
      high[3] || llvm::any_of(low, [](int64_t v) { return v < 0; }) ||
      llvm::any_of(high, [](int64_t v) { return v < 0; }))
    return;
  s.padded = true;
  s.input = pad.getSource();
  s.h = source.getDimSize(1);
  s.w = source.getDimSize(2);
  s.padTop = low[1];
  s.padLeft = low[2];
  s.padValue = int32_t(padAttr.getValue().getSExtValue());
}

std::optional<DepthwiseShape> matchDepthwise(linalg::DepthwiseConv2DNhwcHwcOp op) {
  if (!op.hasPureTensorSemantics())
    return std::nullopt;
  Value input = op.getDpsInputs()[0], filter = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  auto it = dyn_cast<RankedTensorType>(input.getType());
  auto ft = dyn_cast<RankedTensorType>(filter.getType());
  auto ot = dyn_cast<RankedTensorType>(init.getType());
  if (!it || !ft || !ot || !it.hasStaticShape() || !ot.hasStaticShape() ||
      !it.getElementType().isInteger(8) || !ft.getElementType().isInteger(8) ||
      !ot.getElementType().isInteger(32))
    return std::nullopt;
  DenseIntElementsAttr w;
  if (!matchPattern(filter, m_Constant(&w)))
    return std::nullopt;
  DepthwiseShape s;
  s.n = ot.getDimSize(0);
  s.oh = ot.getDimSize(1);
  s.ow = ot.getDimSize(2);
  s.c = ot.getDimSize(3);
  s.kh = ft.getDimSize(0);
  s.kw = ft.getDimSize(1);
  auto strides = op.getStrides().getValues<int64_t>();
  auto dilations = op.getDilations().getValues<int64_t>();
  s.strideH = strides[0];
  s.strideW = strides[1];
  s.dilationH = dilations[0];
  s.dilationW = dilations[1];
  for (const APInt &v : w.getValues<APInt>())
    s.weights.push_back(int32_t(v.getSExtValue()));
  s.input = input;
  AccumulatorStart start = classifyAccumulatorStart(init);
  s.zeroInit = start.zero;
  s.bias = start.bias;
  s.init = start.init;
  return s;
}

struct QntInt8DepthwiseKernelsPass
    : public qnt::impl::QntInt8DepthwiseKernelsBase<
          QntInt8DepthwiseKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (lanes < 1 || owTile < 1) {
      getOperation().emitError()
          << "qnt-int8-depthwise-kernels: lanes and ow-tile must be positive";
      return signalPassFailure();
    }
    SmallVector<linalg::DepthwiseConv2DNhwcHwcOp> work;
    getOperation().walk([&](linalg::DepthwiseConv2DNhwcHwcOp op) {
      if (matchDepthwise(op))
        work.push_back(op);
    });
    // Matched again when rewritten, not before: an earlier rewrite replaces
    // the epilogue whose result may be this op's input (two kernels in a
    // row), so what was matched up front would point at erased IR.
    for (linalg::DepthwiseConv2DNhwcHwcOp op : work) {
      auto shape = matchDepthwise(op);
      if (!shape)
        continue;
      if (implicitPadding)
        matchImplicitPadding(*shape);
      rewrite(op, *shape,
              fuseEpilogue ? matchKernelEpilogue(op.getResult(0))
                           : std::nullopt);
    }
  }

  void rewrite(linalg::DepthwiseConv2DNhwcHwcOp op, const DepthwiseShape &s,
               std::optional<KernelEpilogue> epilogue) {
    OpBuilder b(epilogue ? epilogue->op.getOperation() : op.getOperation());
    Location loc = op.getLoc();
    Type i8 = b.getI8Type(), i32 = b.getI32Type();
    const int64_t L = lanes;
    // Channel blocks of L (the last one overlapping the one before when C
    // is not a multiple of L).
    const VectorBlocks channels{s.c, L};
    const int64_t blocks = channels.count();
    const bool full = channels.allWhole();
    auto accType = VectorType::get({L}, i32);
    auto inType = VectorType::get({L}, i8);

    // The filter, sign-extended at compile time: [KH][KW][C] i32.
    auto wType = RankedTensorType::get({s.kh, s.kw, s.c}, i32);
    Value weights = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(wType, ArrayRef<int32_t>(s.weights)));
    Value out = epilogue ? epilogue->op.getDpsInits()[0] : s.init;

    auto idx = [&](OpBuilder &bb, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(bb, loc, v);
    };
    auto affine = [&](OpBuilder &bb, Value x, int64_t mul, int64_t add) {
      Value v = x;
      if (mul != 1)
        v = arith::MulIOp::create(bb, loc, v, idx(bb, mul));
      if (add != 0)
        v = arith::AddIOp::create(bb, loc, v, idx(bb, add));
      return v;
    };
    Value zeroAcc = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(accType, b.getI32IntegerAttr(0)));
    Value padI8 = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 0));
    Value padI32 = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    auto read = [&](OpBuilder &bb, VectorType type, Value t, ValueRange at,
                    Value pad) {
      return vector::TransferReadOp::create(bb, loc, type, t, at, pad,
                                            ArrayRef<bool>{full})
          .getResult();
    };

    // Pairs of filter rows (kh, kh + 1) for vpmaddwd: per (pair, kw), the
    // two rows' weights interleaved per channel as i16, [KH/2][KW][2C].
    // Only with 8 lanes: qnt-select-x86-intrinsics turns the 16 x i16 form
    // into the AVX2 instruction; LLVM 22 does not form the 512-bit one from
    // 32 lanes (for an AVX-512 target it keeps as many vpmulld as one tap
    // at a time and adds shuffles: 208 against 196 vector instructions on
    // test/Pipelines/qnt-float-to-llvm-depthwise.mlir at 32 channels;
    // counted, not timed: no AVX-512 here).
    const int64_t pairs = pairRows && L == 8 ? s.kh / 2 : 0;
    auto pairType = VectorType::get({2 * L}, b.getI16Type());
    Value pairWeights;
    if (pairs) {
      SmallVector<int16_t> wp;
      wp.reserve(pairs * s.kw * 2 * s.c);
      for (int64_t p = 0; p < pairs; ++p)
        for (int64_t kw = 0; kw < s.kw; ++kw)
          for (int64_t c = 0; c < s.c; ++c)
            for (int64_t r = 0; r < 2; ++r)
              wp.push_back(
                  int16_t(s.weights[((2 * p + r) * s.kw + kw) * s.c + c]));
      auto wpType =
          RankedTensorType::get({pairs, s.kw, 2 * s.c}, b.getI16Type());
      pairWeights = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(wpType, ArrayRef<int16_t>(wp)));
    }

    // Implicit padding: a padded input row contributes, per channel, the sum
    // over kw of w * padValue (a compile-time vector per kh); a padded
    // column tap reads padValue instead of the input.
    Value rowCorr, padVec;
    if (s.padded) {
      SmallVector<int32_t> corr(s.kh * s.c, 0);
      for (int64_t kh = 0; kh < s.kh; ++kh)
        for (int64_t kw = 0; kw < s.kw; ++kw)
          for (int64_t c = 0; c < s.c; ++c)
            corr[kh * s.c + c] +=
                s.weights[(kh * s.kw + kw) * s.c + c] * s.padValue;
      auto corrType = RankedTensorType::get({s.kh, s.c}, i32);
      rowCorr = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(corrType, ArrayRef<int32_t>(corr)));
      padVec = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(accType, b.getI32IntegerAttr(s.padValue)));
    }

    // 0 <= v < size, for an input row or column index.
    auto inRange = [&](OpBuilder &bb, Value v, int64_t size) -> Value {
      return arith::AndIOp::create(
          bb, loc,
          arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::sge, v,
                                idx(bb, 0)),
          arith::CmpIOp::create(bb, loc, arith::CmpIPredicate::slt, v,
                                idx(bb, size)));
    };

    // The input rows of output row `oh` (one per kh), and, with implicit
    // padding, whether each is inside the input.
    struct Rows {
      Value oh;                         // the output row
      SmallVector<Value> index, inside; // per kh
      bool check = false;               // some row may be padding
    };

    // One loop over output columns [lo, hi) in steps of `tile`, carrying the
    // output tensor. `checkCols`: some taps of these columns may be padding
    // (tile 1).
    auto columnLoop = [&](OpBuilder &b3, Value n, const Rows &rows, Value c0,
                          ArrayRef<Value> params, Value startBias, int64_t lo,
                          int64_t hi, int64_t tile, bool checkCols,
                          Value tensor) -> Value {
      if (lo >= hi)
        return tensor;
      auto loop = scf::ForOp::create(
          b3, loc, idx(b3, lo), idx(b3, hi), idx(b3, tile),
          ValueRange{tensor},
          [&](OpBuilder &b4, Location, Value ow, ValueRange args) {
            SmallVector<Value> acc(tile, zeroAcc);
            for (int64_t t = 0; t < tile; ++t) {
              if (startBias)
                acc[t] = startBias;
              else if (!s.zeroInit)
                acc[t] = read(b4, accType, s.init,
                              {n, rows.oh, affine(b4, ow, 1, t), c0}, padI32);
            }
            Value col0 = affine(b4, ow, s.strideW, -s.padLeft);
            // The taps of filter row kh on accumulators `in`.
            auto taps = [&](OpBuilder &b5, int64_t kh,
                            SmallVector<Value> in) {
              Value row = rows.index[kh];
              for (int64_t kw = 0; kw < s.kw; ++kw) {
                Value w = read(b5, accType, weights,
                               {idx(b5, kh), idx(b5, kw), c0}, padI32);
                for (int64_t t = 0; t < tile; ++t) {
                  Value col = affine(b5, col0, 1,
                                     t * s.strideW + kw * s.dilationW);
                  Value inside;
                  if (checkCols) {
                    inside = inRange(b5, col, s.w);
                    col = arith::SelectOp::create(b5, loc, inside, col,
                                                  idx(b5, 0));
                  }
                  Value x = arith::ExtSIOp::create(
                      b5, loc, accType,
                      read(b5, inType, s.input, {n, row, col, c0}, padI8));
                  if (checkCols)
                    x = arith::SelectOp::create(b5, loc, inside, x, padVec);
                  in[t] = arith::AddIOp::create(
                      b5, loc, in[t], arith::MulIOp::create(b5, loc, x, w));
                }
              }
              return in;
            };
            // Two filter rows at once: per tap column, the rows' `L`
            // channels interleaved and widened to i16 (x0[c], x1[c], ...)
            // against the interleaved weights, the plain form of vpmaddwd
            // (even lanes times even lanes plus odd times odd, exact i32
            // sums of two i8 x i8 products).
            auto pairTaps = [&](OpBuilder &b5, int64_t kh,
                                SmallVector<Value> in) {
              SmallVector<int64_t> interleave;
              for (int64_t i = 0; i < L; ++i)
                interleave.append({i, L + i});
              Value c2 = affine(b5, c0, 2, 0);
              for (int64_t kw = 0; kw < s.kw; ++kw) {
                Value w = read(b5, pairType, pairWeights,
                               {idx(b5, kh / 2), idx(b5, kw), c2},
                               arith::ConstantOp::create(
                                   b5, loc, b5.getI16IntegerAttr(0)));
                Value wEven = groupLanes(b5, loc, w, 2, 0),
                      wOdd = groupLanes(b5, loc, w, 2, 1);
                for (int64_t t = 0; t < tile; ++t) {
                  Value col = affine(b5, col0, 1,
                                     t * s.strideW + kw * s.dilationW);
                  Value x0 = read(b5, inType, s.input,
                                  {n, rows.index[kh], col, c0}, padI8);
                  Value x1 = read(b5, inType, s.input,
                                  {n, rows.index[kh + 1], col, c0}, padI8);
                  Value x = arith::ExtSIOp::create(
                      b5, loc, pairType,
                      vector::ShuffleOp::create(b5, loc, x0, x1, interleave));
                  Value even = arith::MulIOp::create(
                      b5, loc, groupLanes(b5, loc, x, 2, 0), wEven);
                  Value odd = arith::MulIOp::create(
                      b5, loc, groupLanes(b5, loc, x, 2, 1), wOdd);
                  Value sum = arith::AddIOp::create(b5, loc, even, odd);
                  in[t] = arith::AddIOp::create(b5, loc, in[t], sum);
                }
              }
              return in;
            };
            for (int64_t kh = 0; kh < s.kh; ++kh) {
              // Rows known to be inside, columns too: filter rows in pairs.
              if (!rows.check && !checkCols && kh / 2 < pairs) {
                acc = pairTaps(b4, kh, acc);
                ++kh;
                continue;
              }
              if (!rows.check) {
                acc = taps(b4, kh, acc);
                continue;
              }
              // (The result types come from the yields.)
              auto branch = scf::IfOp::create(
                  b4, loc, rows.inside[kh],
                  [&](OpBuilder &b5, Location) {
                    scf::YieldOp::create(b5, loc, ValueRange(taps(b5, kh, acc)));
                  },
                  [&](OpBuilder &b5, Location) {
                    Value corr = read(b5, accType, rowCorr, {idx(b5, kh), c0},
                                      padI32);
                    SmallVector<Value> out;
                    for (Value a : acc)
                      out.push_back(arith::AddIOp::create(b5, loc, a, corr));
                    scf::YieldOp::create(b5, loc, out);
                  });
              acc.assign(branch.getResults().begin(), branch.getResults().end());
            }
            Value result = args[0];
            for (int64_t t = 0; t < tile; ++t) {
              Value v = acc[t];
              if (epilogue)
                v = applyKernelEpilogue(b4, loc, *epilogue, v, params);
              result = vector::TransferWriteOp::create(
                           b4, loc, v, result,
                           ValueRange{n, rows.oh, affine(b4, ow, 1, t), c0},
                           ArrayRef<bool>{full})
                           .getResult();
            }
            scf::YieldOp::create(b4, loc, result);
          });
      return loop.getResult(0);
    };
    // Output columns whose taps are all inside the input: [owLo, owHi).
    int64_t owLo = 0, owHi = s.ow;
    if (s.padded) {
      owLo = std::min(s.ow, (s.padLeft + s.strideW - 1) / s.strideW);
      int64_t last = s.w - 1 - (s.kw - 1) * s.dilationW + s.padLeft;
      owHi = last < 0 ? 0 : std::min(s.ow, last / s.strideW + 1);
      owHi = std::max(owHi, owLo);
    }
    // The interior columns in as few tiles of at most ow-tile as possible,
    // of equal width but the last (26 columns at ow-tile 8: 7, 7, 7 and 5,
    // not 8, 8, 8 and 2, whose narrow tile shares few input loads).
    int64_t interior = std::max<int64_t>(owHi - owLo, 1);
    int64_t tiles = (interior + owTile - 1) / owTile;
    int64_t tile = (interior + tiles - 1) / tiles;
    int64_t mainEnd = owLo + (owHi - owLo) / tile * tile;
    // All column loops of one output row and channel block.
    auto columns = [&](OpBuilder &b3, Value n, const Rows &rows, Value c0,
                       ArrayRef<Value> params, Value bias, Value t) {
      t = columnLoop(b3, n, rows, c0, params, bias, 0, owLo, 1, true, t);
      t = columnLoop(b3, n, rows, c0, params, bias, owLo, mainEnd, tile,
                     false, t);
      // The interior columns left over, as one tile of their own (they
      // share their input columns' loads across the filter taps too).
      t = columnLoop(b3, n, rows, c0, params, bias, mainEnd, owHi,
                     std::max<int64_t>(owHi - mainEnd, 1), false, t);
      return columnLoop(b3, n, rows, c0, params, bias, owHi, s.ow, 1, true,
                        t);
    };

    // One loop over (batch, output row) pairs: the unit of work of
    // qnt-parallelize-kernels.
    auto rowLoop = scf::ForOp::create(
        b, loc, idx(b, 0), idx(b, s.n * s.oh), idx(b, 1), ValueRange{out},
        [&](OpBuilder &b2, Location, Value r, ValueRange a2) {
          Value n = arith::DivUIOp::create(b2, loc, r, idx(b2, s.oh));
          Rows rows;
          rows.oh = arith::RemUIOp::create(b2, loc, r, idx(b2, s.oh));
          Value row0 = affine(b2, rows.oh, s.strideH, -s.padTop);
          Value allInside;
          for (int64_t kh = 0; kh < s.kh; ++kh) {
            Value row = affine(b2, row0, 1, kh * s.dilationH);
            rows.index.push_back(row);
            if (!s.padded)
              continue;
            Value inside = inRange(b2, row, s.h);
            rows.inside.push_back(inside);
            allInside = allInside
                            ? arith::AndIOp::create(b2, loc, allInside, inside)
                            : inside;
          }
          auto cLoop = scf::ForOp::create(
              b2, loc, idx(b2, 0), idx(b2, blocks * L), idx(b2, L),
              ValueRange{a2[0]},
              [&](OpBuilder &b3, Location, Value c0, ValueRange a3) {
                c0 = channels.start(b3, loc, c0);
                // Per channel block: the bias and the epilogue's
                // parameters.
                Value bias;
                if (s.bias)
                  bias = read(b3, accType, s.bias, {c0}, padI32);
                SmallVector<Value> params;
                if (epilogue)
                  for (OpOperand *in : epilogue->op.getDpsInputOperands()) {
                    if (in->getOperandNumber() == epilogue->accInput) {
                      params.push_back(Value());
                      continue;
                    }
                    Type et = getElementTypeOrSelf(in->get().getType());
                    params.push_back(
                        read(b3, VectorType::get({L}, et), in->get(), {c0},
                             arith::ConstantOp::create(b3, loc,
                                                       b3.getZeroAttr(et))));
                  }
                if (!s.padded) {
                  scf::YieldOp::create(
                      b3, loc, columns(b3, n, rows, c0, params, bias, a3[0]));
                  return;
                }
                // Rows inside the input run without row checks.
                auto split = scf::IfOp::create(
                    b3, loc, allInside,
                    [&](OpBuilder &b4, Location) {
                      scf::YieldOp::create(
                          b4, loc,
                          columns(b4, n, rows, c0, params, bias, a3[0]));
                    },
                    [&](OpBuilder &b4, Location) {
                      Rows checked = rows;
                      checked.check = true;
                      scf::YieldOp::create(
                          b4, loc,
                          columns(b4, n, checked, c0, params, bias, a3[0]));
                    });
                scf::YieldOp::create(b3, loc, split.getResult(0));
              });
          scf::YieldOp::create(b2, loc, cLoop.getResult(0));
        });
    rowLoop->setAttr(QntDialect::getParallelAttrName(), b.getUnitAttr());

    Value replaced = epilogue ? epilogue->op.getResult(0) : op.getResult(0);
    replaced.replaceAllUsesWith(rowLoop.getResult(0));
    if (epilogue)
      epilogue->op->erase();
    Operation *initDef = op.getDpsInits()[0].getDefiningOp();
    Operation *padDef = op.getDpsInputs()[0].getDefiningOp();
    op->erase();
    if (s.bias && initDef && initDef->use_empty())
      initDef->erase();
    if (s.padded && padDef && padDef->use_empty())
      padDef->erase();
  }
};
} // namespace
