//===- Equalization.cpp - weight equalization on chosen layers ------------===//
//
// Cross-layer equalization (Nagel et al., "Data-free quantization through
// weight equalization and bias correction", 2019): for two layers joined by
// a positive-homogeneous path, s_i = sqrt(r1_i / r2_i) divides output
// channel i of the first layer and multiplies input channel i of the second,
// leaving the function unchanged while making the per-channel weight ranges
// r1_i / s_i = r2_i * s_i equal. Sweeping over all pairs until the scales
// stop changing equalizes chains (conv -> depthwise -> conv triplets
// included) jointly.
//
// WESS: before per-tensor weight quantization, output channel c's weights
// (and bias) are multiplied by 2^k_c, k_c the largest integer in
// [0, 2^bits - 1] with r_c * 2^k_c <= max_c' r_c' (r_c = max |w| of the
// channel), so small channels use more of the shared grid. A
// `qnt.pow2_scale` with shifts -k_c on the layer's output restores the
// function exactly (multiplying by a power of two is exact in float barring
// overflow); qnt-quantize folds it into the requantization's per-channel
// right shift while the multiplier stays one per layer.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Utils/Equalization.h"

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;

/// The layer `op` feeds, if the pair can be equalized (a ReLU6 between
/// them becomes a ReLU with `relu6ToRelu`); remarks say why not.
static std::optional<LayerLink> equalizablePair(Operation *op,
                                                bool relu6ToRelu) {
  if (isa<tosa::MatMulOp>(op))
    return std::nullopt; // its bias is a separate add: never the first
  if (failed(LinearLayer::read(op)))
    return std::nullopt;
  std::optional<LayerLink> link = findNextLayer(op);
  if (!link)
    return std::nullopt;
  if (tosa::ClampOp act = link->activation) {
    if (isBoundedRelu(act) && relu6ToRelu) {
      makeRelu(act);
    } else if (!isRelu(act)) {
      act.emitRemark()
          << "qnt-equalize: not equalizing across this clamp: it is not "
             "positive-homogeneous"
          << (isBoundedRelu(act) ? " (pass relu6-to-relu=true to replace "
                                   "a bounded ReLU by ReLU first)"
                                 : "");
      return std::nullopt;
    }
  }
  return link;
}

unsigned mlir::qnt::equalizeLayers(ArrayRef<Operation *> firsts,
                                   const EqualizeOptions &options) {
  // Layers in program order and the equalizable pairs between them.
  llvm::MapVector<Operation *, LinearLayer> layers;
  SmallVector<std::pair<Operation *, Operation *>> pairs;
  for (Operation *op : firsts) {
    std::optional<LayerLink> link = equalizablePair(op, options.relu6ToRelu);
    if (!link)
      continue;
    layers.try_emplace(op, *LinearLayer::read(op));
    layers.try_emplace(link->to, *LinearLayer::read(link->to));
    pairs.emplace_back(op, link->to);
  }
  if (pairs.empty() || options.maxIterations == 0)
    return pairs.size(); // (0 sweeps: only the ReLU6 rewrite was asked for)

  llvm::DenseSet<std::pair<Operation *, int64_t>> reportedDegenerate;
  unsigned iteration = 0;
  for (; iteration < options.maxIterations; ++iteration) {
    double change = 0.0;
    for (auto [first, second] : pairs) {
      LinearLayer &a = layers.find(first)->second;
      LinearLayer &b = layers.find(second)->second;
      SmallVector<double> r1 = a.outputRanges(), r2 = b.inputRanges();
      SmallVector<double> s(r1.size(), 1.0), inv(r1.size(), 1.0);
      for (size_t i = 0; i < r1.size(); ++i) {
        double ratio = r1[i] / r2[i];
        if (!(r1[i] > 0.0) || !(r2[i] > 0.0) || !std::isfinite(ratio)) {
          if (reportedDegenerate.insert({first, int64_t(i)}).second)
            first->emitRemark()
                << "qnt-equalize: channel " << i
                << " left unscaled: its weight range is " << r1[i]
                << " here and " << r2[i] << " in the next layer";
          continue;
        }
        s[i] = std::sqrt(ratio);
        inv[i] = 1.0 / s[i];
        change = std::max(change, std::fabs(std::log(s[i])));
      }
      a.scaleOutputChannels(inv);
      b.scaleInputChannels(s);
      if (auto prior = getBatchnormPrior(first, r1.size())) {
        for (size_t i = 0; i < r1.size(); ++i) {
          prior->beta[i] = float(prior->beta[i] * inv[i]);
          prior->gamma[i] = float(prior->gamma[i] * inv[i]);
        }
        setBatchnormPrior(first, *prior);
      }
    }
    if (change < options.tolerance)
      break;
  }
  if (iteration == options.maxIterations)
    pairs.front().first->getParentOfType<func::FuncOp>().emitRemark()
        << "qnt-equalize: scales still changing after "
        << options.maxIterations << " sweeps (tolerance " << options.tolerance
        << ")";
  OpBuilder b(pairs.front().first->getContext());
  for (auto &[op, layer] : layers)
    layer.write(b);
  return pairs.size();
}

bool mlir::qnt::applyWess(Operation *op, unsigned bits) {
  const int64_t maxShift = (int64_t(1) << bits) - 1;
  auto layer = LinearLayer::read(op);
  if (failed(layer))
    return false;
  Value result = op->getResult(0);
  if (llvm::any_of(result.getUsers(),
                   [](Operation *u) { return isa<Pow2ScaleOp>(u); }))
    return false; // already pre-scaled
  SmallVector<double> ranges = layer->outputRanges();
  double top = 0.0;
  for (double r : ranges)
    top = std::max(top, r);
  if (!(top > 0.0) || !std::isfinite(top)) {
    op->emitRemark() << "qnt-wess: weights are all zero or not finite; "
                        "left unscaled";
    return false;
  }
  SmallVector<int64_t> k(ranges.size(), 0);
  SmallVector<double> factors(ranges.size(), 1.0);
  for (auto [c, r] : llvm::enumerate(ranges)) {
    if (!(r > 0.0)) {
      op->emitRemark() << "qnt-wess: output channel " << c
                       << " has all-zero weights; shift 0";
      continue;
    }
    while (k[c] < maxShift && std::ldexp(r, int(k[c] + 1)) <= top)
      ++k[c];
    factors[c] = std::ldexp(1.0, int(k[c]));
  }
  if (llvm::all_of(k, [](int64_t v) { return v == 0; }))
    return false;
  OpBuilder b(op->getContext());
  layer->scaleOutputChannels(factors);
  layer->write(b);
  if (auto prior = getBatchnormPrior(op, ranges.size())) {
    for (auto [c, f] : llvm::enumerate(factors)) {
      prior->beta[c] = float(prior->beta[c] * f);
      prior->gamma[c] = float(prior->gamma[c] * f);
    }
    setBatchnormPrior(op, *prior);
  }
  SmallVector<int64_t> shifts;
  for (int64_t v : k)
    shifts.push_back(-v);
  b.setInsertionPointAfter(op);
  auto type = cast<RankedTensorType>(result.getType());
  auto scale = Pow2ScaleOp::create(b, op->getLoc(), type, result,
                                   b.getI64IntegerAttr(type.getRank() - 1),
                                   b.getDenseI64ArrayAttr(shifts));
  result.replaceAllUsesExcept(scale.getResult(), scale);
  return true;
}
