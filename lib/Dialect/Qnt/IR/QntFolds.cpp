//===- QntFolds.cpp - qnt folders and canonicalization patterns -----------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::qnt;

//===----------------------------------------------------------------------===//
// quantize(dequantize(q, p), p) -> q
//===----------------------------------------------------------------------===//

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  auto dequant = getInput().getDefiningOp<DequantizeOp>();
  if (!dequant || dequant.getParams() != getParams() ||
      dequant.getInput().getType() != getType())
    return {};
  return dequant.getInput();
}

//===----------------------------------------------------------------------===//
// fake_quant(fake_quant(x, p), p) -> fake_quant(x, p)
//===----------------------------------------------------------------------===//

OpFoldResult FakeQuantOp::fold(FoldAdaptor) {
  auto inner = getInput().getDefiningOp<FakeQuantOp>();
  if (inner && inner.getParams() == getParams())
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// dequantize(quantize(x, p), p) -> fake_quant(x, p)
//===----------------------------------------------------------------------===//

namespace {
struct DequantizeOfQuantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto quant = op.getInput().getDefiningOp<QuantizeOp>();
    if (!quant)
      return rewriter.notifyMatchFailure(op, "input is not a qnt.quantize");
    if (quant.getParams() != op.getParams() ||
        quant.getInput().getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "parameters or types differ");
    rewriter.replaceOpWithNewOp<FakeQuantOp>(op, op.getType(),
                                             quant.getInput(), op.getParams());
    return success();
  }
};
} // namespace

void DequantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                               MLIRContext *context) {
  results.add<DequantizeOfQuantize>(context);
}

//===----------------------------------------------------------------------===//
// clip(clip(x)) -> clip(x) with the intersection of the ranges
//===----------------------------------------------------------------------===//

namespace {
struct ClipOfClip : OpRewritePattern<ClipOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ClipOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ClipOp>();
    if (!inner)
      return rewriter.notifyMatchFailure(op, "input is not a qnt.clip");
    // Merge when both are per tensor, both use the same axis, or one of them
    // is per tensor (its bounds broadcast).
    if (op.getAxis() && inner.getAxis() && *op.getAxis() != *inner.getAxis())
      return rewriter.notifyMatchFailure(op, "clips use different axes");
    size_t n = std::max(op.getMin().size(), inner.getMin().size());
    auto at = [](ArrayRef<double> v, size_t i) {
      return v[v.size() == 1 ? 0 : i];
    };
    SmallVector<double> lo(n), hi(n);
    bool sameAsOuter = true, sameAsInner = true;
    for (size_t i = 0; i < n; ++i) {
      double olo = at(op.getMin(), i), ohi = at(op.getMax(), i);
      double ilo = at(inner.getMin(), i), ihi = at(inner.getMax(), i);
      lo[i] = std::max(olo, ilo);
      hi[i] = std::min(ohi, ihi);
      // Disjoint ranges give a constant, not an intersection: leave them.
      if (lo[i] > hi[i])
        return rewriter.notifyMatchFailure(op, "ranges are disjoint");
      sameAsOuter &= lo[i] == olo && hi[i] == ohi;
      sameAsInner &= lo[i] == ilo && hi[i] == ihi;
    }
    ClipMethodAttr method = op.getMethodAttr();
    IntegerAttr bits = op.getBitsAttr();
    DenseI64ArrayAttr channelBits = op.getChannelBitsAttr();
    if (!sameAsOuter) {
      method = sameAsInner ? inner.getMethodAttr()
                           : ClipMethodAttr::get(getContext(),
                                                 ClipMethod::manual);
      bits = sameAsInner ? inner.getBitsAttr() : IntegerAttr();
      channelBits = sameAsInner ? inner.getChannelBitsAttr() : nullptr;
    }
    IntegerAttr axis = op.getAxisAttr() ? op.getAxisAttr() : inner.getAxisAttr();
    rewriter.replaceOpWithNewOp<ClipOp>(
        op, op.getType(), inner.getInput(), rewriter.getDenseF64ArrayAttr(lo),
        rewriter.getDenseF64ArrayAttr(hi), n == 1 ? IntegerAttr() : axis,
        method, bits, n == 1 ? DenseI64ArrayAttr() : channelBits);
    return success();
  }
};
} // namespace

void ClipOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<ClipOfClip>(context);
}

//===----------------------------------------------------------------------===//
// pow2_scale
//===----------------------------------------------------------------------===//

OpFoldResult Pow2ScaleOp::fold(FoldAdaptor) {
  if (llvm::all_of(getShifts(), [](int64_t s) { return s == 0; }))
    return getInput();
  return {};
}

namespace {
/// pow2_scale(pow2_scale(x, a), b) -> pow2_scale(x, a + b) along one axis.
struct Pow2ScaleOfPow2Scale : OpRewritePattern<Pow2ScaleOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Pow2ScaleOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<Pow2ScaleOp>();
    if (!inner || inner.getAxis() != op.getAxis())
      return rewriter.notifyMatchFailure(op, "no pow2_scale on the same axis");
    SmallVector<int64_t> sum;
    for (auto [a, b] : llvm::zip_equal(inner.getShifts(), op.getShifts())) {
      sum.push_back(a + b);
      if (sum.back() < -64 || sum.back() > 64)
        return rewriter.notifyMatchFailure(op, "combined shift out of range");
    }
    rewriter.replaceOpWithNewOp<Pow2ScaleOp>(op, op.getType(), inner.getInput(),
                                             op.getAxisAttr(),
                                             rewriter.getDenseI64ArrayAttr(sum));
    return success();
  }
};
} // namespace

void Pow2ScaleOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<Pow2ScaleOfPow2Scale>(context);
}
