//===- QntPrepareConvolutions.cpp - conv layouts for qnt's kernels --------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTPREPARECONVOLUTIONS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The strides and dilations of a convolution, for its rewritten form.
template <typename ConvOp>
SmallVector<NamedAttribute> windowAttrs(PatternRewriter &rewriter, ConvOp op) {
  return {rewriter.getNamedAttr("strides", op.getStrides()),
          rewriter.getNamedAttr("dilations", op.getDilations())};
}

/// conv_2d_nhwc_fhwc -> conv_2d_nhwc_hwcf, permuting a constant filter at
/// compile time (upstream's transposeConv2D for other filters).
struct ConvFhwcToHwcf : OpRewritePattern<linalg::Conv2DNhwcFhwcOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::Conv2DNhwcFhwcOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    Value filter = op.getDpsInputs()[1];
    auto constant = getConstantElements(filter);
    if (failed(constant)) {
      if (failed(linalg::transposeConv2D(rewriter, op)))
        return rewriter.notifyMatchFailure(op, "cannot transpose the filter");
      return success();
    }
    auto permuted = permuteConstant(*constant, {1, 2, 3, 0});
    if (failed(permuted))
      return rewriter.notifyMatchFailure(op, "filter data not readable");
    Value newFilter =
        arith::ConstantOp::create(rewriter, op.getLoc(), *permuted);
    auto conv = linalg::Conv2DNhwcHwcfOp::create(
        rewriter, op.getLoc(), op->getResultTypes(),
        ValueRange{op.getDpsInputs()[0], newFilter}, op.getDpsInits(),
        windowAttrs(rewriter, op));
    rewriter.replaceOp(op, conv->getResults());
    return success();
  }
};

/// depthwise_conv_2d_nhwc_hwcm -> depthwise_conv_2d_nhwc_hwc: with
/// multiplier 1 by collapsing the filter and output; with a multiplier M > 1
/// (qnt-int8-depthwise-kernels and the float tiling take only the HWC form)
/// on an input whose channels are each repeated M times (linalg.broadcast,
/// then collapsed: channel c M + m of the copy is channel c), so that output
/// channel c M + m, filter channel c M + m and input channel c M + m line up
/// as the HWC form needs.
struct DepthwiseHwcmToHwc
    : OpRewritePattern<linalg::DepthwiseConv2DNhwcHwcmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNhwcHwcmOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    Value input = op.getDpsInputs()[0];
    Value filter = op.getDpsInputs()[1];
    auto inputType = cast<RankedTensorType>(input.getType());
    auto filterType = cast<RankedTensorType>(filter.getType());
    const int64_t multiplier = filterType.getDimSize(3);
    Location loc = op.getLoc();
    SmallVector<ReassociationIndices> filterMap = {{0}, {1}, {2, 3}};
    SmallVector<ReassociationIndices> outMap = {{0}, {1}, {2}, {3, 4}};
    if (multiplier != 1 &&
        (!inputType.hasStaticShape() || ShapedType::isDynamic(multiplier)))
      return rewriter.notifyMatchFailure(op, "dynamic shape");
    // A constant filter's data, read before any IR is created.
    std::optional<SmallVector<char>> filterBytes;
    if (auto constant = getConstantElements(filter); succeeded(constant)) {
      auto bytes = getConstantBytes(*constant);
      if (failed(bytes))
        return rewriter.notifyMatchFailure(op, "filter data not readable");
      filterBytes = std::move(*bytes);
    }
    if (multiplier != 1) {
      SmallVector<int64_t> repeated(inputType.getShape());
      repeated.push_back(multiplier);
      Value empty = tensor::EmptyOp::create(rewriter, loc, repeated,
                                            inputType.getElementType());
      Value copies =
          linalg::BroadcastOp::create(rewriter, loc, input, empty,
                                      ArrayRef<int64_t>{4})
              ->getResult(0);
      SmallVector<int64_t> collapsed(inputType.getShape());
      collapsed.back() *= multiplier;
      input = tensor::CollapseShapeOp::create(
          rewriter, loc,
          RankedTensorType::get(collapsed, inputType.getElementType()),
          copies, outMap);
    }
    Value newFilter;
    auto collapsedFilterType = RankedTensorType::get(
        {filterType.getDimSize(0), filterType.getDimSize(1),
         filterType.getDimSize(2) * multiplier},
        filterType.getElementType());
    if (filterBytes) {
      newFilter = arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::getFromRawBuffer(collapsedFilterType,
                                              *filterBytes));
    } else {
      newFilter = tensor::CollapseShapeOp::create(
          rewriter, loc, collapsedFilterType, filter, filterMap);
    }
    Value init = op.getDpsInits()[0];
    auto initType = cast<RankedTensorType>(init.getType());
    auto collapsedInitType = RankedTensorType::get(
        {initType.getDimSize(0), initType.getDimSize(1),
         initType.getDimSize(2), initType.getDimSize(3) * multiplier},
        initType.getElementType());
    Value newInit = tensor::CollapseShapeOp::create(rewriter, loc,
                                                    collapsedInitType, init,
                                                    outMap);
    auto conv = linalg::DepthwiseConv2DNhwcHwcOp::create(
        rewriter, loc, TypeRange{collapsedInitType},
        ValueRange{input, newFilter}, ValueRange{newInit},
        windowAttrs(rewriter, op));
    rewriter.replaceOpWithNewOp<tensor::ExpandShapeOp>(
        op, initType, conv->getResult(0), outMap);
    return success();
  }
};

struct QntPrepareConvolutionsPass
    : public qnt::impl::QntPrepareConvolutionsBase<QntPrepareConvolutionsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvFhwcToHwcf, DepthwiseHwcmToHwc>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
