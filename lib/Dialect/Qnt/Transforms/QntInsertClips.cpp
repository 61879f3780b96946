//===- QntInsertClips.cpp - clips from calibration statistics -------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Aciq.h"
#include "qnt/Dialect/Qnt/Utils/ClipMethods.h"
#include "qnt/Dialect/Qnt/Utils/LayerOverrides.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTINSERTCLIPS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"

/// The one activation input of an op whose result values are values of that
/// input (and of constants): max pooling, and a concatenation of one
/// activation with constants (BlazeFace's channel padding with zeros).
/// qnt-quantize keeps such a result on its input's grid. Null otherwise.
static mlir::Value gridPreservingInput(mlir::Operation *op) {
  using namespace mlir;
  if (auto pool = dyn_cast<tosa::MaxPool2dOp>(op))
    return pool.getInput();
  if (auto concat = dyn_cast<tosa::ConcatOp>(op)) {
    Value activation;
    for (Value in : concat.getInput1()) {
      Operation *def = in.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>())
        continue;
      if (activation)
        return {};
      activation = in;
    }
    return activation;
  }
  return {};
}

/// Whether `v` will be on a grid after the pass: it is clipped already, or
/// carries statistics (a clip is inserted), or is the result of a
/// grid-preserving op whose input will be on a grid.
static bool willHaveGrid(mlir::Value v, bool share) {
  using namespace mlir;
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    return func && func.getArgAttr(arg.getArgNumber(),
                                   QntDialect::getStatsAttrName());
  }
  Operation *def = v.getDefiningOp();
  if (isa<ClipOp>(def))
    return true;
  if (share)
    if (Value in = gridPreservingInput(def))
      return willHaveGrid(in, share);
  return def->hasAttr(QntDialect::getStatsAttrName());
}
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

TensorStats toTensorStats(StatsAttr s) {
  TensorStats t;
  t.count = s.getCount();
  t.min = s.getMinValue();
  t.max = s.getMaxValue();
  t.mean = s.getMeanValue();
  t.std = s.getStdValue();
  t.mad = s.getMadValue();
  if (HistogramAttr h = s.getHist()) {
    t.histLo = h.getLo().convertToDouble();
    t.histHi = h.getHi().convertToDouble();
    t.bins = h.getBins();
  }
  return t;
}

/// The float bounds of a producing clamp, if it is one.
std::optional<ClipRange> clampBounds(Operation *producer) {
  auto clamp = dyn_cast_or_null<tosa::ClampOp>(producer);
  if (!clamp)
    return std::nullopt;
  auto lo = dyn_cast<FloatAttr>(clamp.getMinValAttr());
  auto hi = dyn_cast<FloatAttr>(clamp.getMaxValAttr());
  if (!lo || !hi || !std::isfinite(lo.getValueAsDouble()) ||
      !std::isfinite(hi.getValueAsDouble()))
    return std::nullopt;
  return ClipRange{lo.getValueAsDouble(), hi.getValueAsDouble()};
}

/// The methods `auto` chooses among (and the report compares).
constexpr ClipMethod kCandidateMethods[] = {
    ClipMethod::minmax,       ClipMethod::percentile,    ClipMethod::mse,
    ClipMethod::kl,           ClipMethod::aciq_laplace,  ClipMethod::aciq_gaussian,
    ClipMethod::pact};

struct Choice {
  ClipRange range;
  ClipMethod method;
};

struct QntInsertClipsPass
    : public qnt::impl::QntInsertClipsBase<QntInsertClipsPass> {
  using Base::Base;

  /// The range for one tensor (or channel), or failure with an error on op.
  FailureOr<Choice> choose(Operation *op, const TensorStats &s, ClipMethod m,
                           unsigned bits) {
    auto clamp = clampBounds(op);
    bool oneSided = s.min >= 0.0 || (clamp && clamp->lo >= 0.0);
    auto needHist = [&]() -> LogicalResult {
      if (!s.bins.empty())
        return success();
      return op->emitError() << "qnt-insert-clips: method '"
                             << stringifyClipMethod(m)
                             << "' needs a histogram in qnt.stats";
    };
    if (s.count == 0)
      return op->emitError()
             << "qnt-insert-clips: statistics of no values (empty "
                "calibration, or only NaN/Inf)";
    switch (m) {
    case ClipMethod::minmax:
    case ClipMethod::manual:
      return Choice{clipMinMax(s), ClipMethod::minmax};
    case ClipMethod::percentile:
      if (failed(needHist()))
        return failure();
      return Choice{clipPercentile(s, percentile, oneSided), m};
    case ClipMethod::mse:
      if (failed(needHist()))
        return failure();
      return Choice{clipMse(s, bits, oneSided), m};
    case ClipMethod::kl:
      if (failed(needHist()))
        return failure();
      return Choice{clipKl(s, bits, oneSided), m};
    case ClipMethod::aciq_laplace:
      return Choice{clipAciqLaplace(s, bits, oneSided), m};
    case ClipMethod::aciq_gaussian:
      return Choice{clipAciqGaussian(s, bits, oneSided), m};
    case ClipMethod::pact:
      if (clamp)
        return Choice{*clamp, m};
      return Choice{clipMinMax(s), ClipMethod::minmax};
    }
    llvm_unreachable("unknown clip method");
  }

  FailureOr<Choice> chooseAuto(Operation *op, const TensorStats &s,
                               unsigned bits) {
    if (s.bins.empty())
      return op->emitError()
             << "qnt-insert-clips: method 'auto' needs a histogram in qnt.stats";
    std::optional<Choice> best;
    double bestMse = 0.0;
    for (ClipMethod m : kCandidateMethods) {
      auto c = choose(op, s, m, bits);
      if (failed(c))
        return failure();
      double mse = estimateQuantMse(s, c->range, bits);
      if (!best || mse < bestMse) {
        best = *c;
        bestMse = mse;
      }
    }
    return *best;
  }

  void runOnOperation() override {
    std::optional<ClipMethod> m;
    bool isAuto = method == "auto";
    if (!isAuto)
      m = symbolizeClipMethod(method);
    if ((!isAuto && !m) || (m && *m == ClipMethod::manual)) {
      getOperation()->emitError()
          << "qnt-insert-clips: unknown method '" << method
          << "' (expected minmax, percentile, mse, kl, aciq_laplace, "
             "aciq_gaussian, pact or auto)";
      return signalPassFailure();
    }
    if (bits < 1 || bits > 16 || !(percentile > 50.0 && percentile <= 100.0)) {
      getOperation()->emitError()
          << "qnt-insert-clips: bits must be in 1..16 and percentile in "
             "(50, 100], got bits = "
          << static_cast<unsigned>(bits)
          << ", percentile = " << static_cast<double>(percentile);
      return signalPassFailure();
    }
    bool allocating = allocateBits;
    if (allocating && (!perChannel || !m ||
                       (*m != ClipMethod::aciq_laplace &&
                        *m != ClipMethod::aciq_gaussian) ||
                       bits < 2 || bits > 8)) {
      getOperation()->emitError()
          << "qnt-insert-clips: allocate-bits needs per-channel=true, method "
             "aciq_laplace or aciq_gaussian and bits (the mean) in 2..8; "
             "channels get 1..8 bits";
      return signalPassFailure();
    }
    // (value, statistics, the op that reports on it): op results carry
    // qnt.stats on their producer, function arguments as an argument
    // attribute (diagnostics and the report then point at the function).
    struct Item {
      Value value;
      Attribute attr;
      Operation *op;
    };
    SmallVector<Item> work;
    getOperation()->walk([&](Operation *op) {
      // A grid-preserving op whose input will be on a grid keeps that grid:
      // a clip of its own would only add a requantization (TFLite shares
      // the grid the same way).
      if (shareInputGrid)
        if (Value in = gridPreservingInput(op); in && willHaveGrid(in, true))
          return;
      if (auto func = dyn_cast<func::FuncOp>(op)) {
        if (func.isExternal())
          return;
        for (BlockArgument arg : func.getArguments())
          if (Attribute a = func.getArgAttr(arg.getArgNumber(),
                                            QntDialect::getStatsAttrName()))
            work.push_back({arg, a, func});
        return;
      }
      Attribute attr = op->getAttr(QntDialect::getStatsAttrName());
      if (!attr)
        return;
      if (auto array = dyn_cast<ArrayAttr>(attr)) {
        for (auto [i, a] : llvm::enumerate(array))
          if (!isa<UnitAttr>(a))
            work.push_back({op->getResult(i), a, op});
      } else {
        work.push_back({op->getResult(0), attr, op});
      }
    });
    auto overrides = LayerOverrides::parse(
        getOperation(), "qnt-insert-clips: layer-bits", layerBits, 1, 16);
    if (failed(overrides))
      return signalPassFailure();
    OpBuilder b(&getContext());
    llvm::json::Array report;
    for (const Item &item : work) {
      Value value = item.value;
      Attribute attr = item.attr;
      Operation *op = item.op;
      // Already clipped (the pass ran before): leave it.
      if (value.hasOneUse() && isa<ClipOp>(*value.getUsers().begin()))
        continue;
      bool isArgument = isa<BlockArgument>(value);
      unsigned bits = overrides->lookup(value.getLoc(), false, false,
                                        isArgument)
                          .value_or(this->bits);
      // Per-op choices (transform.qnt.annotate_precision) come last.
      bool itemAuto = isAuto;
      std::optional<ClipMethod> itemMethod = m;
      if (auto precision = isArgument ? DictionaryAttr()
                                      : op->getAttrOfType<DictionaryAttr>(
                                            QntDialect::getPrecisionAttrName())) {
        if (auto b = precision.getAs<IntegerAttr>("activation_bits"))
          bits = b.getInt();
        // (The dialect verified the name: a method or `auto`.)
        if (auto name = precision.getAs<StringAttr>("clip_method")) {
          itemAuto = name.getValue() == "auto";
          itemMethod = itemAuto ? std::nullopt
                                : symbolizeClipMethod(name.getValue());
        }
      }
      auto pick = [&](const TensorStats &s) {
        return itemAuto ? chooseAuto(op, s, bits)
                        : choose(op, s, *itemMethod, bits);
      };
      SmallVector<double> lo, hi;
      SmallVector<int64_t> channelBits;
      IntegerAttr axis;
      ClipMethod recorded = ClipMethod::minmax;
      // Model inputs are calibrated per tensor (docs/calibration.md): in
      // per-channel mode an argument with per-tensor statistics gets a
      // per-tensor clip.
      bool tensorArgument = isArgument && isa<StatsAttr>(attr);
      if (perChannel && !tensorArgument) {
        auto channels = dyn_cast<ChannelStatsAttr>(attr);
        if (!channels) {
          op->emitError() << "qnt-insert-clips: per-channel clips need "
                             "#qnt.channel_stats (calibrate --per-channel)";
          return signalPassFailure();
        }
        for (StatsAttr c : channels.getChannels()) {
          auto choice = pick(toTensorStats(c));
          if (failed(choice))
            return signalPassFailure();
          lo.push_back(choice->range.lo);
          hi.push_back(choice->range.hi);
          recorded = choice->method;
        }
        axis = b.getI64IntegerAttr(channels.getAxis());
        if (allocating) {
          // ACIQ bit allocation: 2^M_c proportional to alpha_c^(2/3), the
          // alphas being the ranges just chosen for the mean width; then
          // each channel's range is chosen again for its own M_c.
          if (bits < 2 || bits > 8) {
            op->emitError() << "qnt-insert-clips: allocate-bits needs a mean "
                               "of 2..8 bits, got "
                            << bits << " (layer-bits or qnt.precision)";
            return signalPassFailure();
          }
          if (itemAuto || (*itemMethod != ClipMethod::aciq_laplace &&
                           *itemMethod != ClipMethod::aciq_gaussian)) {
            op->emitError() << "qnt-insert-clips: allocate-bits needs an "
                               "ACIQ method (qnt.precision clip_method)";
            return signalPassFailure();
          }
          SmallVector<double> alphas;
          for (auto [l, h] : llvm::zip(lo, hi))
            alphas.push_back(h - l);
          SmallVector<unsigned> alloc =
              aciqAllocateBits(alphas, bits, /*minBits=*/1, /*maxBits=*/8);
          for (auto [i, c] : llvm::enumerate(channels.getChannels())) {
            auto choice = choose(op, toTensorStats(c), *itemMethod, alloc[i]);
            if (failed(choice))
              return signalPassFailure();
            lo[i] = choice->range.lo;
            hi[i] = choice->range.hi;
            channelBits.push_back(alloc[i]);
          }
        }
      } else {
        auto stats = dyn_cast<StatsAttr>(attr);
        if (!stats) {
          op->emitError() << "qnt-insert-clips: expected per-tensor "
                             "#qnt.stats (or use per-channel)";
          return signalPassFailure();
        }
        auto choice = pick(toTensorStats(stats));
        if (failed(choice))
          return signalPassFailure();
        lo.push_back(choice->range.lo);
        hi.push_back(choice->range.hi);
        recorded = choice->method;
      }
      Location loc = op->getLoc();
      if (auto arg = dyn_cast<BlockArgument>(value)) {
        b.setInsertionPointToStart(arg.getOwner());
        loc = arg.getLoc();
      } else {
        b.setInsertionPointAfter(op);
      }
      auto clip = ClipOp::create(
          b, loc, value.getType(), value, b.getDenseF64ArrayAttr(lo),
          b.getDenseF64ArrayAttr(hi), axis,
          ClipMethodAttr::get(&getContext(), recorded),
          b.getI64IntegerAttr(bits),
          channelBits.empty() ? DenseI64ArrayAttr()
                              : b.getDenseI64ArrayAttr(channelBits));
      value.replaceAllUsesExcept(clip.getResult(), clip);
      if (!reportFile.empty()) {
        llvm::json::Object entry =
            reportEntry(op, value, attr, recorded, lo, hi, bits);
        if (!channelBits.empty())
          entry["channel_bits"] = llvm::json::Array(channelBits);
        report.push_back(std::move(entry));
      }
    }
    if (failed(overrides->checkAllUsed(getOperation())))
      return signalPassFailure();
    if (!reportFile.empty() && failed(writeReport(std::move(report))))
      return signalPassFailure();
  }

  /// One layer of the report: where, what was chosen, and (per tensor, with
  /// a histogram) the estimated MSE of every method for comparison.
  llvm::json::Object reportEntry(Operation *op, Value value, Attribute attr,
                                 ClipMethod method, ArrayRef<double> lo,
                                 ArrayRef<double> hi, unsigned bits) {
    std::string loc;
    llvm::raw_string_ostream os(loc);
    value.getLoc().print(os);
    auto arg = dyn_cast<BlockArgument>(value);
    auto func = arg ? cast<func::FuncOp>(op) : op->getParentOfType<func::FuncOp>();
    llvm::json::Object entry{
        {"function", func ? func.getName().str() : std::string()},
        {"op", arg ? "argument " + std::to_string(arg.getArgNumber())
                   : op->getName().getStringRef().str()},
        {"loc", loc},
        {"method", stringifyClipMethod(method).str()},
        {"bits", static_cast<int64_t>(bits)},
        {"min", llvm::json::Array(lo)},
        {"max", llvm::json::Array(hi)}};
    auto stats = dyn_cast<StatsAttr>(attr);
    if (!stats)
      return entry;
    TensorStats s = toTensorStats(stats);
    entry["calibrated_min"] = s.min;
    entry["calibrated_max"] = s.max;
    if (s.bins.empty() || s.count == 0)
      return entry;
    llvm::json::Object mse;
    for (ClipMethod m : kCandidateMethods) {
      auto c = choose(op, s, m, bits);
      if (succeeded(c))
        mse[stringifyClipMethod(m)] = estimateQuantMse(s, c->range, bits);
    }
    entry["estimated_mse"] = std::move(mse);
    return entry;
  }

  LogicalResult writeReport(llvm::json::Array report) {
    std::error_code ec;
    llvm::raw_fd_ostream out(reportFile, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return getOperation()->emitError()
             << "qnt-insert-clips: cannot write '" << reportFile
             << "': " << ec.message();
    out << llvm::formatv("{0:2}",
                         llvm::json::Value(llvm::json::Object{
                             {"layers", std::move(report)}}))
        << "\n";
    return success();
  }
};
} // namespace
