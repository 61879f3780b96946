//===- QntFoldBatchnorm.cpp - fold per-channel affine into convolutions ---===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/IRMapping.h"
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

//===----------------------------------------------------------------------===//
// linalg on tensors
//===----------------------------------------------------------------------===//

/// The f32 values of an arith.constant (dense or resource), or failure.
FailureOr<std::pair<SmallVector<float>, RankedTensorType>>
arithConstantFloats(Value v) {
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!cst || !type || !type.getElementType().isF32() ||
      !type.hasStaticShape())
    return failure();
  auto values = floatValues(v);
  if (failed(values))
    return failure();
  return std::make_pair(std::move(*values), type);
}

/// Per-channel values of a generic's input that reads only the last loop
/// dimension: indexing map results all constant 0 except a final d_last.
FailureOr<SmallVector<float>> channelOperand(linalg::GenericOp g,
                                             OpOperand *operand,
                                             int64_t channels) {
  AffineMap map = g.getMatchingIndexingMap(operand);
  unsigned last = map.getNumDims() - 1;
  auto type = dyn_cast<RankedTensorType>(operand->get().getType());
  if (!type || map.getNumResults() == 0)
    return failure();
  // Every operand dimension but the last has size 1 (whatever indexes it,
  // e.g. (d0, 0, 0, d3) with a batch of 1); the last is read by d_last.
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (i + 1 < map.getNumResults()) {
      if (type.getDimSize(i) != 1)
        return failure();
      continue;
    }
    auto dim = dyn_cast<AffineDimExpr>(e);
    if (!dim || dim.getPosition() != last)
      return failure();
  }
  auto values = arithConstantFloats(operand->get());
  if (failed(values) || int64_t(values->first.size()) != channels)
    return failure();
  return values->first;
}

/// Whether `g` is an all-parallel generic with two inputs and one init
/// whose body is `yield BinOp(in0, in1)` (either order).
template <typename BinOp>
bool isElementwiseBinary(linalg::GenericOp g) {
  if (g.getNumDpsInputs() != 2 || g.getNumDpsInits() != 1 ||
      g.getNumParallelLoops() != g.getNumLoops())
    return false;
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto op = yield.getNumOperands() == 1
                ? yield.getOperand(0).getDefiningOp<BinOp>()
                : BinOp();
  if (!op || body.getOperations().size() != 2)
    return false;
  auto lhs = dyn_cast<BlockArgument>(op.getLhs());
  auto rhs = dyn_cast<BlockArgument>(op.getRhs());
  return lhs && rhs && lhs != rhs && lhs.getArgNumber() < 2 &&
         rhs.getArgNumber() < 2;
}

/// Whether `g` adds a per-channel constant to another value (identity
/// map, same type as the result): the index of the constant input, or -1.
int channelBiasAddIndex(linalg::GenericOp g, int64_t channels) {
  if (!isElementwiseBinary<arith::AddFOp>(g))
    return -1;
  for (int k : {0, 1}) {
    OpOperand *value = g.getDpsInputOperand(1 - k);
    if (g.getMatchingIndexingMap(value).isIdentity() &&
        value->get().getType() == g.getResult(0).getType() &&
        succeeded(channelOperand(g, g.getDpsInputOperand(k), channels)))
      return k;
  }
  return -1;
}

/// Whether `c` only merges trailing dimensions into its last one (HWCM
/// depthwise output [N, H, W, C, M] -> [N, H, W, C*M]).
bool mergesTrailingOnly(tensor::CollapseShapeOp c) {
  auto groups = c.getReassociationIndices();
  for (size_t i = 0; i + 1 < groups.size(); ++i)
    if (groups[i].size() != 1)
      return false;
  return true;
}

/// BatchNorm's multiply in linalg form (TOSA lowered by another compiler):
/// a linalg.generic computing conv * f[c] (f an arith.constant read along
/// the channel dimension) where conv is a linalg 2-D or depthwise
/// convolution with a constant filter whose init is a zero fill or a
/// broadcast bias constant. Folds f into the filter and the bias; the
/// multiply disappears (a following add stays a bias add).
struct FoldScaleIntoLinalgConv : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern<linalg::GenericOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp mul,
                                PatternRewriter &rewriter) const override {
    if (!isElementwiseBinary<arith::MulFOp>(mul))
      return rewriter.notifyMatchFailure(mul, "not an elementwise in0 * in1");
    auto resultType = cast<RankedTensorType>(mul.getResult(0).getType());
    int64_t channels = resultType.getShape().back();
    for (unsigned k : {0u, 1u}) {
      OpOperand *convOperand = mul.getDpsInputOperand(k);
      OpOperand *scaleOperand = mul.getDpsInputOperand(1 - k);
      if (!mul.getMatchingIndexingMap(convOperand).isIdentity() ||
          convOperand->get().getType() != resultType)
        continue;
      // Between the convolution and the multiply: bias adds of per-channel
      // constants (scaled too) and a collapse of HWCM's [C, M] dimensions.
      SmallVector<Operation *> chain;
      Value v = convOperand->get();
      while (Operation *def = v.getDefiningOp()) {
        if (!v.hasOneUse())
          break;
        if (auto g = dyn_cast<linalg::GenericOp>(def)) {
          int index = channelBiasAddIndex(g, channels);
          if (index < 0)
            break;
          chain.push_back(g);
          v = g.getDpsInputOperand(1 - index)->get();
          continue;
        }
        if (auto c = dyn_cast<tensor::CollapseShapeOp>(def);
            c && mergesTrailingOnly(c)) {
          chain.push_back(c);
          v = c.getSrc();
          continue;
        }
        break;
      }
      Operation *conv = v.getDefiningOp();
      if (!conv || !v.hasOneUse())
        continue;
      // Output channel of each filter element.
      std::function<int64_t(int64_t, ArrayRef<int64_t>)> channelOf;
      if (isa<linalg::Conv2DNhwcFhwcOp>(conv))
        channelOf = [](int64_t i, ArrayRef<int64_t> s) {
          return i / (s[1] * s[2] * s[3]);
        };
      else if (isa<linalg::Conv2DNhwcHwcfOp>(conv))
        channelOf = [](int64_t i, ArrayRef<int64_t> s) { return i % s[3]; };
      else if (isa<linalg::DepthwiseConv2DNhwcHwcOp>(conv))
        channelOf = [](int64_t i, ArrayRef<int64_t> s) { return i % s[2]; };
      else if (isa<linalg::DepthwiseConv2DNhwcHwcmOp>(conv))
        channelOf = [](int64_t i, ArrayRef<int64_t> s) {
          return i % (s[2] * s[3]);
        };
      else
        continue;
      auto f = channelOperand(mul, scaleOperand, channels);
      auto linalgConv = cast<linalg::LinalgOp>(conv);
      Value filterValue = linalgConv.getDpsInputOperand(1)->get();
      auto filter = arithConstantFloats(filterValue);
      if (failed(f) || failed(filter))
        continue;
      // The init: a zero fill, or a broadcast of a per-channel constant.
      Value init = linalgConv.getDpsInitOperand(0)->get();
      Value newInit = init;
      if (auto fill = init.getDefiningOp<linalg::FillOp>()) {
        FloatAttr value;
        if (!matchPattern(fill.getInputs()[0], m_Constant(&value)) ||
            !value.getValue().isZero())
          continue;
      } else if (auto bcast = init.getDefiningOp<linalg::GenericOp>()) {
        Block &bb = bcast.getRegion().front();
        if (bcast.getNumDpsInputs() != 1 || bb.getOperations().size() != 1 ||
            cast<linalg::YieldOp>(bb.getTerminator()).getOperand(0) !=
                bb.getArgument(0) ||
            !init.hasOneUse())
          continue;
        auto bias = channelOperand(bcast, bcast.getDpsInputOperand(0), channels);
        if (failed(bias))
          continue;
        auto biasType =
            cast<RankedTensorType>(bcast.getDpsInputOperand(0)->get().getType());
        SmallVector<float> scaled(*bias);
        for (auto [c, b] : llvm::enumerate(scaled))
          b *= (*f)[c];
        rewriter.setInsertionPoint(bcast);
        Value newBias = arith::ConstantOp::create(
            rewriter, bcast.getLoc(), biasType,
            DenseElementsAttr::get(biasType, ArrayRef<float>(scaled)));
        IRMapping map;
        map.map(bcast.getDpsInputOperand(0)->get(), newBias);
        newInit = rewriter.clone(*bcast, map)->getResult(0);
      } else {
        continue;
      }
      auto &[w, wType] = *filter;
      for (auto [i, v] : llvm::enumerate(w))
        v *= (*f)[channelOf(i, wType.getShape())];
      rewriter.setInsertionPoint(conv);
      Value newFilter = arith::ConstantOp::create(
          rewriter, conv->getLoc(), wType,
          DenseElementsAttr::get(wType, ArrayRef<float>(w)));
      IRMapping map;
      map.map(filterValue, newFilter);
      map.map(init, newInit);
      Operation *folded = rewriter.clone(*conv, map);
      folded->setLoc(FusedLoc::get(rewriter.getContext(),
                                   {conv->getLoc(), mul.getLoc()}));
      // Rebuild the path to the multiply on the new convolution.
      Value current = folded->getResult(0);
      for (Operation *op : llvm::reverse(chain)) {
        rewriter.setInsertionPoint(op);
        IRMapping step;
        if (auto c = dyn_cast<tensor::CollapseShapeOp>(op)) {
          step.map(c.getSrc(), current);
        } else {
          auto g = cast<linalg::GenericOp>(op);
          int index = channelBiasAddIndex(g, channels);
          OpOperand *constOperand = g.getDpsInputOperand(index);
          auto bias = channelOperand(g, constOperand, channels);
          SmallVector<float> scaled(*bias);
          for (auto [c, b] : llvm::enumerate(scaled))
            b *= (*f)[c];
          auto type = cast<RankedTensorType>(constOperand->get().getType());
          Value newBias = arith::ConstantOp::create(
              rewriter, g.getLoc(), type,
              DenseElementsAttr::get(type, ArrayRef<float>(scaled)));
          step.map(g.getDpsInputOperand(1 - index)->get(), current);
          step.map(constOperand->get(), newBias);
        }
        current = rewriter.clone(*op, step)->getResult(0);
      }
      rewriter.replaceOp(mul, current);
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "not a per-channel scale of a "
                                            "constant-filter convolution");
  }
};

struct QntFoldBatchnormPass
    : public qnt::impl::QntFoldBatchnormBase<QntFoldBatchnormPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldAffineIntoConv<tosa::Conv2DOp>,
                 FoldAffineIntoConv<tosa::DepthwiseConv2DOp>,
                 FoldScaleIntoMatmul, FoldScaleIntoLinalgConv>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
