//===- QntCorrectBias.cpp - analytic bias correction -----------------------===//
//
// Weight quantization shifts each output's mean by (Q(W) - W) E[x] (Nagel et
// al. 2019, section 4.2). With E[x] known per input channel, subtracting it
// from the bias removes that bias. Q(W) is exactly what qnt-quantize will
// compute for the same weight-bits / weight-per-channel (shared code). E[x]
// is analytic: the input is a clamp [lo, hi] (ReLU, ReLU6, none) of the
// previous layer's output, which its BatchNorm prior says is N(beta,
// gamma^2); E[clamp(N(mu, s^2), lo, hi)] has a closed form.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include <cmath>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTCORRECTBIAS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// Per-channel E[x] of `input` from the BatchNorm prior of the layer that
/// produces it, through data movement, one clamp and WESS pre-scaling.
std::optional<SmallVector<double>> inputMeans(Value input) {
  double lo = -INFINITY, hi = INFINITY;
  bool clamped = false;
  SmallVector<int64_t> shifts;
  Value v = input;
  while (Operation *def = v.getDefiningOp()) {
    if (isa<ClipOp, tosa::ReshapeOp, tosa::PadOp, tosa::AvgPool2dOp>(def)) {
      // A calibrated clip is wider than the data (or nearly), zero padding
      // touches only the borders and average pooling keeps the mean.
      v = def->getOperand(0);
      continue;
    }
    if (auto clamp = dyn_cast<tosa::ClampOp>(def)) {
      auto l = dyn_cast<FloatAttr>(clamp.getMinValAttr());
      auto h = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
      if (clamped || !l || !h)
        return std::nullopt;
      lo = l.getValueAsDouble();
      hi = h.getValueAsDouble();
      clamped = true;
      v = clamp.getInput();
      continue;
    }
    if (auto scale = dyn_cast<Pow2ScaleOp>(def)) {
      if (!shifts.empty())
        return std::nullopt;
      shifts.assign(scale.getShifts().begin(), scale.getShifts().end());
      v = scale.getInput();
      continue;
    }
    auto layer = LinearLayer::read(def);
    if (failed(layer))
      return std::nullopt;
    int64_t channels = layer->numOutputChannels();
    auto prior = getBatchnormPrior(def, channels);
    if (!prior || (!shifts.empty() && int64_t(shifts.size()) != channels))
      return std::nullopt;
    SmallVector<double> means(channels);
    for (int64_t c = 0; c < channels; ++c) {
      double f = shifts.empty() ? 1.0 : std::ldexp(1.0, int(shifts[c]));
      means[c] = clampedNormalMean(prior->beta[c] * f, prior->gamma[c] * f,
                                   lo, hi);
      if (!std::isfinite(means[c]))
        return std::nullopt;
    }
    return means;
  }
  return std::nullopt; // a function argument: nothing known
}

/// Per-channel E[x] of `input` measured on calibration data: the
/// #qnt.channel_stats means of the value it comes from (through clips,
/// reshapes, zero padding and average pooling). Layers reading the model
/// input are left alone, as with priors: an image's mean is far from
/// stationary across positions (dark borders), and correcting the first
/// layer with it cost 13 points of W4 top-1 on the bundled model after CLE
/// (measured, docs/equalization.md).
std::optional<SmallVector<double>> measuredMeans(Value input,
                                                 int64_t channels) {
  Value v = input;
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<ClipOp, tosa::ReshapeOp, tosa::PadOp, tosa::AvgPool2dOp>(def) ||
        def->hasAttr(QntDialect::getStatsAttrName()))
      break;
    v = def->getOperand(0);
  }
  if (isa<BlockArgument>(v))
    return std::nullopt;
  Attribute attr = v.getDefiningOp()->getAttr(QntDialect::getStatsAttrName());
  SmallVector<double> means;
  auto rank = cast<RankedTensorType>(v.getType()).getRank();
  if (auto cs = dyn_cast_or_null<ChannelStatsAttr>(attr)) {
    if (cs.getAxis() != rank - 1 ||
        int64_t(cs.getChannels().size()) != channels)
      return std::nullopt;
    for (StatsAttr s : cs.getChannels())
      means.push_back(s.getMeanValue());
    return means;
  }
  if (auto s = dyn_cast_or_null<StatsAttr>(attr); s && channels == 1)
    return SmallVector<double>{s.getMeanValue()};
  return std::nullopt;
}

struct QntCorrectBiasPass
    : public qnt::impl::QntCorrectBiasBase<QntCorrectBiasPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    bool fromStats = source == "stats";
    if (!fromStats && source != "prior") {
      func.emitError() << "qnt-correct-bias: unknown source '"
                       << static_cast<std::string>(source)
                       << "' (expected prior or stats)";
      return signalPassFailure();
    }
    if (weightBits < 2 || weightBits > 8) {
      func.emitError() << "qnt-correct-bias: weight-bits must be in 2..8, got "
                       << static_cast<unsigned>(weightBits);
      return signalPassFailure();
    }
    OpBuilder b(&getContext());
    for (Operation *op : collectLayerOps(func)) {
      auto layer = LinearLayer::read(op);
      if (failed(layer))
        continue;
      std::optional<SmallVector<double>> means =
          fromStats ? measuredMeans(op->getOperand(0),
                                    layer->numInputChannels())
                    : inputMeans(op->getOperand(0));
      if (!means || int64_t(means->size()) != layer->numInputChannels())
        continue;
      std::optional<std::pair<tosa::AddOp, unsigned>> mmBias;
      if (layer->layout == WeightLayout::MatmulBKN) {
        mmBias = matmulBiasAdd(op);
        if (!mmBias) {
          op->emitRemark() << "qnt-correct-bias: the matmul has no constant "
                              "bias add to correct";
          continue;
        }
      }
      // The weights exactly as qnt-quantize will quantize them: a
      // per-channel input clip's scales fold into them first.
      SmallVector<float> folded(layer->weights);
      SmallVector<double> factors;
      if (auto clip = op->getOperand(0).getDefiningOp<ClipOp>();
          clip && clip.getAxis() && clip.getBits()) {
        factors = inputScaleFold(clipParams(clip, /*signedStorage=*/true)).first;
        if (int64_t(factors.size()) != layer->numInputChannels())
          factors.clear();
        for (auto [k, w] : llvm::enumerate(folded))
          if (!factors.empty())
            w = float(double(w) * factors[layer->inputChannelOf(k)]);
      }
      QuantizedWeights q =
          weightAsymmetric
              ? quantizeWeightsAsymmetric(folded, layer->shape, layer->layout,
                                          weightBits, weightPerChannel)
              : quantizeWeightsSymmetric(folded, layer->shape, layer->layout,
                                         weightBits, weightPerChannel);
      SmallVector<double> delta(layer->numOutputChannels(), 0.0);
      for (auto [k, w] : llvm::enumerate(layer->weights)) {
        int64_t o = layer->outputChannelOf(k);
        int64_t c = layer->inputChannelOf(k);
        double wq = double(int64_t(q.codes[k]) - q.zeroPointOf(o)) *
                    q.scaleOf(o) / (factors.empty() ? 1.0 : factors[c]);
        delta[o] -= (wq - double(w)) * (*means)[c];
      }
      if (mmBias) {
        addToMatmulBias(b, *mmBias, delta);
        continue;
      }
      for (auto [o, v] : llvm::enumerate(layer->bias))
        v = float(double(v) + delta[o]);
      layer->write(b);
    }
  }
};
} // namespace
