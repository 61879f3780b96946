//===- Layers.cpp - constant-weight layers and the links between them -----===//

#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include "qnt/Dialect/Qnt/IR/QntOps.h"

#include "mlir/IR/Matchers.h"

#include <cfloat>
#include <cmath>

using namespace mlir;
using namespace mlir::qnt;

FailureOr<LinearLayer> LinearLayer::read(Operation *op) {
  LinearLayer layer;
  layer.op = op;
  if (isa<tosa::Conv2DOp>(op))
    layer.layout = WeightLayout::ConvOHWI;
  else if (isa<tosa::DepthwiseConv2DOp>(op))
    layer.layout = WeightLayout::DepthwiseHWCM;
  else if (isa<tosa::MatMulOp>(op))
    layer.layout = WeightLayout::MatmulBKN;
  else
    return failure();
  auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!resultType || !resultType.getElementType().isF32())
    return failure();
  auto weights = getConstantFloats(op->getOperand(1));
  if (failed(weights))
    return failure();
  layer.weights = std::move(weights->first);
  layer.shape = std::move(weights->second);
  if (layer.layout == WeightLayout::MatmulBKN) {
    if (layer.shape.size() != 3 || layer.shape[0] != 1)
      return failure(); // batched weights: not a fully connected layer
    return layer;
  }
  auto bias = getConstantFloats(op->getOperand(2));
  if (failed(bias))
    return failure();
  int64_t channels = layer.numOutputChannels();
  if (bias->first.size() == 1)
    layer.bias.assign(channels, bias->first.front());
  else if (int64_t(bias->first.size()) == channels)
    layer.bias = std::move(bias->first);
  else
    return failure();
  return layer;
}

int64_t LinearLayer::numOutputChannels() const {
  return qnt::numOutputChannels(layout, shape);
}

int64_t LinearLayer::numInputChannels() const {
  return qnt::numInputChannels(layout, shape);
}

int64_t LinearLayer::outputChannelOf(int64_t flatIndex) const {
  return qnt::outputChannelOf(layout, shape, flatIndex);
}

int64_t LinearLayer::inputChannelOf(int64_t flatIndex) const {
  return qnt::inputChannelOf(layout, shape, flatIndex);
}

/// max |w| per channel, with `channelOf` mapping a flat index to one.
template <typename ChannelOf>
static SmallVector<double> maxAbsPerChannel(ArrayRef<float> weights,
                                            int64_t channels,
                                            ChannelOf channelOf) {
  SmallVector<double> r(channels, 0.0);
  for (auto [i, w] : llvm::enumerate(weights)) {
    double &m = r[channelOf(i)];
    m = std::max(m, double(std::fabs(w)));
  }
  return r;
}

SmallVector<double> LinearLayer::outputRanges() const {
  return maxAbsPerChannel(weights, numOutputChannels(),
                          [&](int64_t i) { return outputChannelOf(i); });
}

SmallVector<double> LinearLayer::inputRanges() const {
  return maxAbsPerChannel(weights, numInputChannels(),
                          [&](int64_t i) { return inputChannelOf(i); });
}

void LinearLayer::scaleOutputChannels(ArrayRef<double> factors) {
  for (auto [i, w] : llvm::enumerate(weights))
    w = float(double(w) * factors[outputChannelOf(i)]);
  for (auto [c, b] : llvm::enumerate(bias))
    b = float(double(b) * factors[c]);
}

void LinearLayer::scaleInputChannels(ArrayRef<double> factors) {
  for (auto [i, w] : llvm::enumerate(weights))
    w = float(double(w) * factors[inputChannelOf(i)]);
}

void LinearLayer::write(OpBuilder &b) const {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Location loc = op->getLoc();
  auto weightType = cast<RankedTensorType>(op->getOperand(1).getType());
  Value w = tosa::ConstOp::create(
      b, loc, weightType,
      DenseElementsAttr::get(weightType, ArrayRef<float>(weights)));
  op->setOperand(1, w);
  if (layout == WeightLayout::MatmulBKN)
    return;
  auto biasType =
      RankedTensorType::get({int64_t(bias.size())}, b.getF32Type());
  Value bc = tosa::ConstOp::create(
      b, loc, biasType, DenseElementsAttr::get(biasType, ArrayRef<float>(bias)));
  op->setOperand(2, bc);
}

SmallVector<Operation *> mlir::qnt::collectLayerOps(Operation *root) {
  SmallVector<Operation *> ops;
  root->walk([&](Operation *op) {
    if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(op))
      ops.push_back(op);
  });
  return ops;
}

static bool isZeroPad(tosa::PadOp pad) {
  auto type = cast<RankedTensorType>(pad.getType());
  int64_t rank = type.getRank();
  // Padding only the spatial dimensions of NHWC keeps channels apart.
  DenseIntElementsAttr padding;
  if (!matchPattern(pad.getPadding(), m_Constant(&padding)))
    return false;
  SmallVector<int64_t> p;
  for (const APInt &v : padding.getValues<APInt>())
    p.push_back(v.getSExtValue());
  if (int64_t(p.size()) != 2 * rank || p[2 * rank - 1] != 0 ||
      p[2 * rank - 2] != 0)
    return false;
  auto value = getConstantFloats(pad.getPadConst());
  return succeeded(value) && llvm::all_of(value->first, [](float v) {
           return v == 0.0f;
         });
}

std::optional<LayerLink> mlir::qnt::findNextLayer(Operation *layer) {
  LayerLink link;
  link.from = layer;
  Value v = layer->getResult(0);
  auto channelsOf = [](Value x) {
    return cast<RankedTensorType>(x.getType()).getShape().back();
  };
  int64_t channels = channelsOf(v);
  while (true) {
    if (!v.hasOneUse())
      return std::nullopt;
    Operation *user = *v.getUsers().begin();
    if (isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(user)) {
      if (user->getOperand(0) != v || failed(LinearLayer::read(user)))
        return std::nullopt;
      link.to = user;
      return link;
    }
    if (auto clamp = dyn_cast<tosa::ClampOp>(user)) {
      if (link.activation)
        return std::nullopt;
      link.activation = clamp;
    } else if (auto pad = dyn_cast<tosa::PadOp>(user)) {
      if (!isZeroPad(pad))
        return std::nullopt;
    } else if (!isa<tosa::AvgPool2dOp, tosa::MaxPool2dOp, tosa::ReshapeOp>(
                   user)) {
      return std::nullopt;
    }
    auto type = dyn_cast<RankedTensorType>(user->getResult(0).getType());
    if (!type || type.getRank() == 0 || channelsOf(user->getResult(0)) != channels)
      return std::nullopt;
    link.between.push_back(user);
    v = user->getResult(0);
  }
}

static std::optional<std::pair<double, double>> clampRange(tosa::ClampOp c) {
  auto lo = dyn_cast<FloatAttr>(c.getMinValAttr());
  auto hi = dyn_cast<FloatAttr>(c.getMaxValAttr());
  if (!lo || !hi)
    return std::nullopt;
  return std::make_pair(lo.getValueAsDouble(), hi.getValueAsDouble());
}

bool mlir::qnt::isRelu(tosa::ClampOp clamp) {
  auto r = clampRange(clamp);
  return r && r->first == 0.0 && r->second >= double(FLT_MAX);
}

bool mlir::qnt::isBoundedRelu(tosa::ClampOp clamp) {
  auto r = clampRange(clamp);
  return r && r->first == 0.0 && r->second > 0.0 &&
         r->second < double(FLT_MAX);
}

void mlir::qnt::makeRelu(tosa::ClampOp clamp) {
  Builder b(clamp.getContext());
  clamp.setMaxValAttr(b.getF32FloatAttr(FLT_MAX));
}

std::optional<BatchnormPrior> mlir::qnt::getBatchnormPrior(Operation *op,
                                                           int64_t channels) {
  auto dict = op->getAttrOfType<DictionaryAttr>(kBatchnormAttrName);
  if (!dict)
    return std::nullopt;
  auto beta = dyn_cast_or_null<DenseF32ArrayAttr>(dict.get("beta"));
  auto gamma = dyn_cast_or_null<DenseF32ArrayAttr>(dict.get("gamma"));
  if (!beta || !gamma || beta.size() != channels || gamma.size() != channels)
    return std::nullopt;
  BatchnormPrior prior;
  prior.beta.assign(beta.asArrayRef().begin(), beta.asArrayRef().end());
  prior.gamma.assign(gamma.asArrayRef().begin(), gamma.asArrayRef().end());
  return prior;
}

void mlir::qnt::setBatchnormPrior(Operation *op, const BatchnormPrior &prior) {
  Builder b(op->getContext());
  op->setAttr(kBatchnormAttrName,
              b.getDictionaryAttr(
                  {b.getNamedAttr("beta", b.getDenseF32ArrayAttr(prior.beta)),
                   b.getNamedAttr("gamma",
                                  b.getDenseF32ArrayAttr(prior.gamma))}));
}

std::optional<std::pair<tosa::AddOp, unsigned>>
mlir::qnt::matmulBiasAdd(Operation *matmul) {
  Value v = matmul->getResult(0);
  int64_t channels = cast<RankedTensorType>(v.getType()).getShape().back();
  while (v.hasOneUse()) {
    Operation *user = *v.getUsers().begin();
    // (A clip there measured the accumulator; qnt-quantize drops it.)
    if (isa<tosa::ReshapeOp, Pow2ScaleOp, ClipOp>(user)) {
      if (cast<RankedTensorType>(user->getResult(0).getType())
              .getShape()
              .back() != channels)
        return std::nullopt;
      v = user->getResult(0);
      continue;
    }
    auto add = dyn_cast<tosa::AddOp>(user);
    if (!add)
      return std::nullopt;
    unsigned other = add.getInput1() == v ? 1 : 0;
    auto c = getConstantFloats(add->getOperand(other));
    if (failed(c) || int64_t(c->first.size()) != channels ||
        c->second.empty() || c->second.back() != channels)
      return std::nullopt;
    return std::make_pair(add, other);
  }
  return std::nullopt;
}

void mlir::qnt::addToMatmulBias(OpBuilder &b, std::pair<tosa::AddOp, unsigned> biasAdd,
                                ArrayRef<double> delta) {
  auto [add, index] = biasAdd;
  auto constant = getConstantFloats(add->getOperand(index));
  SmallVector<float> bias = constant->first;
  for (auto [o, v] : llvm::enumerate(bias))
    v = float(double(v) + delta[o]);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(add);
  auto type = cast<RankedTensorType>(add->getOperand(index).getType());
  add->setOperand(index,
                  tosa::ConstOp::create(
                      b, add.getLoc(), type,
                      DenseElementsAttr::get(type, ArrayRef<float>(bias))));
}

static double normalPdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI); }
static double normalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }


/// E[clamp(X, lo, hi)] for X ~ N(mu, sigma^2); lo/hi may be infinite.
double mlir::qnt::clampedNormalMean(double mu, double sigma, double lo,
                                    double hi) {
  sigma = std::fabs(sigma);
  if (!(sigma > 0.0))
    return std::clamp(mu, lo, hi);
  double a = (lo - mu) / sigma, b = (hi - mu) / sigma;
  double pa = std::isfinite(lo) ? normalCdf(a) : 0.0;
  double pb = std::isfinite(hi) ? normalCdf(b) : 1.0;
  double da = std::isfinite(lo) ? normalPdf(a) : 0.0;
  double db = std::isfinite(hi) ? normalPdf(b) : 0.0;
  double mean = mu * (pb - pa) + sigma * (da - db);
  if (std::isfinite(lo))
    mean += lo * pa;
  if (std::isfinite(hi))
    mean += hi * (1.0 - pb);
  return mean;
}

