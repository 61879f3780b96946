//===- QntFoldBatchnorm.cpp - fold per-channel affine into convolutions ---===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTFOLDBATCHNORM
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The f32 values of a constant tensor, or failure.
FailureOr<SmallVector<float>> floatValues(Value v) {
  auto elements = getConstantElements(v);
  if (failed(elements) ||
      !cast<ShapedType>(elements->getType()).getElementType().isF32())
    return failure();
  auto bytes = getConstantBytes(*elements);
  if (failed(bytes))
    return failure();
  SmallVector<float> out(bytes->size() / sizeof(float));
  std::memcpy(out.data(), bytes->data(), bytes->size());
  return out;
}

/// Per-output-channel values of a constant that broadcasts only along the
/// last dimension (shape [1, ..., 1, C] or [C] or a single value).
FailureOr<SmallVector<float>> channelValues(Value v, int64_t channels) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape())
    return failure();
  for (int64_t d = 0; d + 1 < type.getRank(); ++d)
    if (type.getDimSize(d) != 1)
      return failure();
  int64_t last = type.getRank() ? type.getShape().back() : 1;
  if (last != 1 && last != channels)
    return failure();
  auto values = floatValues(v);
  if (failed(values))
    return failure();
  if (values->size() == 1)
    values->assign(channels, values->front());
  return values;
}

/// The constant operand of a binary op whose other operand is `other`.
Value otherOperand(Operation *op, Value other) {
  return op->getOperand(0) == other ? op->getOperand(1) : op->getOperand(0);
}

/// Output channel of each weight element: OHWI for conv2d (dimension 0),
/// HWCM for depthwise (c * M + m).
int64_t outputChannelOf(int64_t linear, ArrayRef<int64_t> shape,
                        bool depthwise) {
  if (!depthwise)
    return linear / (shape[1] * shape[2] * shape[3]);
  return linear % (shape[2] * shape[3]);
}

template <typename ConvOp>
struct FoldAffineIntoConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern<ConvOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    constexpr bool depthwise = std::is_same_v<ConvOp, tosa::DepthwiseConv2DOp>;
    auto resultType = cast<RankedTensorType>(conv.getType());
    if (!resultType.getElementType().isF32() || !resultType.hasStaticShape())
      return rewriter.notifyMatchFailure(conv, "not a static f32 convolution");
    if (!conv->hasOneUse())
      return rewriter.notifyMatchFailure(conv, "convolution has other users");
    int64_t channels = resultType.getShape().back();

    // conv -> [mul by f] -> [add s]
    Operation *user = *conv->getUsers().begin();
    SmallVector<float> scale(channels, 1.0f), shift(channels, 0.0f);
    Operation *last = nullptr;
    if (auto mul = dyn_cast<tosa::MulOp>(user)) {
      APInt shiftValue;
      if (!matchPattern(mul.getShift(), m_ConstantInt(&shiftValue)) ||
          !shiftValue.isZero())
        return rewriter.notifyMatchFailure(mul, "multiply with a shift");
      auto f = channelValues(otherOperand(mul, conv), channels);
      if (failed(f) || mul.getType() != resultType)
        return rewriter.notifyMatchFailure(mul, "not a per-channel constant");
      scale = *f;
      last = mul;
      if (mul->hasOneUse())
        if (auto add = dyn_cast<tosa::AddOp>(*mul->getUsers().begin()))
          if (auto s = channelValues(otherOperand(add, mul), channels);
              succeeded(s) && add.getType() == resultType) {
            shift = *s;
            last = add;
          }
    } else if (auto add = dyn_cast<tosa::AddOp>(user)) {
      auto s = channelValues(otherOperand(add, conv), channels);
      if (failed(s) || add.getType() != resultType)
        return rewriter.notifyMatchFailure(add, "not a per-channel constant");
      shift = *s;
      last = add;
    } else {
      return rewriter.notifyMatchFailure(conv, "no multiply or add to fold");
    }

    auto weights = floatValues(conv.getWeight());
    auto bias = floatValues(conv.getBias());
    if (failed(weights) || failed(bias))
      return rewriter.notifyMatchFailure(conv, "weights or bias not constant");
    auto weightType = cast<RankedTensorType>(conv.getWeight().getType());
    for (auto [i, w] : llvm::enumerate(*weights))
      w *= scale[outputChannelOf(i, weightType.getShape(), depthwise)];
    SmallVector<float> newBias(channels);
    for (int64_t c = 0; c < channels; ++c)
      newBias[c] = (*bias)[bias->size() == 1 ? 0 : c] * scale[c] + shift[c];

    Location loc = conv.getLoc();
    auto newWeights = tosa::ConstOp::create(
        rewriter, loc, weightType,
        DenseElementsAttr::get(weightType, ArrayRef<float>(*weights)));
    auto biasType = RankedTensorType::get({channels}, rewriter.getF32Type());
    auto newBiasOp = tosa::ConstOp::create(
        rewriter, loc, biasType,
        DenseElementsAttr::get(biasType, ArrayRef<float>(newBias)));
    rewriter.setInsertionPoint(conv);
    auto folded = ConvOp::create(
        rewriter, FusedLoc::get(rewriter.getContext(), {loc, last->getLoc()}),
        resultType, conv.getInput(), newWeights, newBiasOp,
        conv.getInputZp(), conv.getWeightZp(), conv.getPadAttr(),
        conv.getStrideAttr(), conv.getDilationAttr(), conv.getAccTypeAttr(),
        conv.getLocalBoundAttr());
    // The BatchNorm's output distribution (set by the importer on its add)
    // now describes the convolution's output.
    if (Attribute prior = last->getAttr(kBatchnormAttrName))
      folded->setAttr(kBatchnormAttrName, prior);
    rewriter.replaceOp(last, folded.getResult());
    return success();
  }
};

/// BatchNorm after a fully connected layer: `tosa.mul(x, f)` where x comes
/// from a tosa.matmul with constant weights through single-use reshapes
/// (keeping the last dimension) and bias adds of per-channel constants.
/// The weights' columns and those biases are scaled by f and the multiply
/// disappears; a following shift add stays as one more bias add.
struct FoldScaleIntoMatmul : OpRewritePattern<tosa::MulOp> {
  using OpRewritePattern<tosa::MulOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::MulOp mul,
                                PatternRewriter &rewriter) const override {
    APInt shiftValue;
    if (!matchPattern(mul.getShift(), m_ConstantInt(&shiftValue)) ||
        !shiftValue.isZero())
      return rewriter.notifyMatchFailure(mul, "multiply with a shift");
    auto type = dyn_cast<RankedTensorType>(mul.getType());
    if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
        type.getRank() == 0)
      return rewriter.notifyMatchFailure(mul, "not a static f32 tensor");
    int64_t channels = type.getShape().back();
    for (Value x : {mul.getInput1(), mul.getInput2()}) {
      auto f = channelValues(otherOperand(mul, x), channels);
      if (failed(f) || x.getType() != type)
        continue;
      // Walk up to the matmul.
      SmallVector<tosa::AddOp> biases;
      Value v = x;
      Operation *matmul = nullptr;
      while (Operation *def = v.getDefiningOp()) {
        if (!v.hasOneUse())
          break;
        if (auto reshape = dyn_cast<tosa::ReshapeOp>(def)) {
          if (cast<RankedTensorType>(reshape.getInput1().getType())
                  .getShape()
                  .back() != channels)
            break;
          v = reshape.getInput1();
          continue;
        }
        if (auto add = dyn_cast<tosa::AddOp>(def)) {
          Value in = add.getInput1(), other = add.getInput2();
          if (succeeded(getConstantFloats(in)))
            std::swap(in, other);
          if (failed(channelValues(other, channels)) ||
              add.getType() != in.getType())
            break;
          biases.push_back(add);
          v = in;
          continue;
        }
        if (isa<tosa::MatMulOp>(def))
          matmul = def;
        break;
      }
      if (!matmul)
        continue;
      auto layer = LinearLayer::read(matmul);
      if (failed(layer) || layer->numOutputChannels() != channels)
        continue;
      SmallVector<double> factors(f->begin(), f->end());
      layer->scaleOutputChannels(factors);
      layer->write(rewriter);
      for (tosa::AddOp add : biases) {
        unsigned index = succeeded(getConstantFloats(add.getInput2())) ? 1 : 0;
        auto constant = getConstantFloats(add->getOperand(index));
        auto values = channelValues(add->getOperand(index), channels);
        SmallVector<float> scaled(*values);
        for (auto [c, b] : llvm::enumerate(scaled))
          b *= (*f)[c];
        // Keep the constant's rank (broadcasting) with one value per channel.
        SmallVector<int64_t> shape(constant->second.size(), 1);
        if (shape.empty())
          shape.push_back(1);
        shape.back() = channels;
        auto ctype = RankedTensorType::get(shape, rewriter.getF32Type());
        rewriter.setInsertionPoint(add);
        Value c = tosa::ConstOp::create(
            rewriter, add.getLoc(), ctype,
            DenseElementsAttr::get(ctype, ArrayRef<float>(scaled)));
        rewriter.modifyOpInPlace(add, [&] { add->setOperand(index, c); });
      }
      rewriter.replaceOp(mul, x);
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "not a per-channel scale of a "
                                            "matmul's output");
  }
};

struct QntFoldBatchnormPass
    : public qnt::impl::QntFoldBatchnormBase<QntFoldBatchnormPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldAffineIntoConv<tosa::Conv2DOp>,
                 FoldAffineIntoConv<tosa::DepthwiseConv2DOp>,
                 FoldScaleIntoMatmul>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
