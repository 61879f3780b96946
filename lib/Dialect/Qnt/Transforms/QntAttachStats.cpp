//===- QntAttachStats.cpp - statistics from JSON onto producers -----------===//

#include "qnt/Dialect/Qnt/IR/QntAttrs.h"
#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Activations.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTATTACHSTATS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// #qnt.stats from one JSON statistics object, or a null attribute with an
/// error on `op`.
StatsAttr parseStats(Operation *op, const llvm::json::Object &s,
                     size_t index, StringRef kind = "activation") {
  auto fail = [&](StringRef what) {
    op->emitError() << "qnt-attach-stats: " << kind << " " << index << ": "
                    << what;
    return StatsAttr();
  };
  auto count = s.getInteger("count");
  if (!count)
    return fail("missing 'count'");
  auto emit = [&]() {
    return op->emitError() << "qnt-attach-stats: " << kind << " " << index
                           << ": ";
  };
  function_ref<InFlightDiagnostic()> emitFn(emit);
  auto number = [&](StringRef key) -> std::optional<double> {
    return *count == 0 ? std::optional<double>(0.0) : s.getNumber(key);
  };
  auto mn = number("min"), mx = number("max"), mean = number("mean"),
       std = number("std"), mad = number("mad");
  if (!mn || !mx || !mean || !std || !mad)
    return fail("missing one of min, max, mean, std, mad");
  HistogramAttr hist;
  if (const llvm::json::Object *h = s.getObject("hist")) {
    auto lo = h->getNumber("lo"), hi = h->getNumber("hi");
    const llvm::json::Array *bins = h->getArray("bins");
    if (!lo || !hi || !bins)
      return fail("histogram needs lo, hi and bins");
    SmallVector<int64_t> counts;
    for (const llvm::json::Value &b : *bins) {
      auto c = b.getAsInteger();
      if (!c)
        return fail("histogram bins must be integers");
      counts.push_back(*c);
    }
    hist = HistogramAttr::getChecked(emitFn, op->getContext(), APFloat(*lo),
                                     APFloat(*hi), ArrayRef<int64_t>(counts));
    if (!hist)
      return StatsAttr();
  }
  return StatsAttr::getChecked(
      emitFn, op->getContext(), int64_t(*count), APFloat(*mn), APFloat(*mx),
      APFloat(*mean), APFloat(*std), APFloat(*mad),
      int64_t(s.getInteger("nan").value_or(0)),
      int64_t(s.getInteger("inf").value_or(0)), hist);
}

std::string locationText(Location loc) {
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  return text;
}

struct QntAttachStatsPass
    : public qnt::impl::QntAttachStatsBase<QntAttachStatsPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>(funcName);
    if (!func || func.isExternal()) {
      module.emitError() << "qnt-attach-stats: no function '" << funcName
                         << "'";
      return signalPassFailure();
    }
    auto buffer = llvm::MemoryBuffer::getFile(statsFile);
    if (!buffer) {
      module.emitError() << "qnt-attach-stats: cannot read '" << statsFile
                         << "': " << buffer.getError().message();
      return signalPassFailure();
    }
    llvm::Expected<llvm::json::Value> json =
        llvm::json::parse((*buffer)->getBuffer());
    if (!json) {
      module.emitError() << "qnt-attach-stats: '" << statsFile
                         << "' is not valid JSON: "
                         << llvm::toString(json.takeError());
      return signalPassFailure();
    }
    const llvm::json::Object *root = json->getAsObject();
    const llvm::json::Array *entries =
        root ? root->getArray("activations") : nullptr;
    if (!entries) {
      module.emitError() << "qnt-attach-stats: '" << statsFile
                         << "' has no 'activations' array";
      return signalPassFailure();
    }
    SmallVector<OpResult> activations = collectActivations(func);
    if (entries->size() != activations.size()) {
      func.emitError() << "qnt-attach-stats: '" << statsFile << "' describes "
                       << entries->size() << " activations, the function has "
                       << activations.size();
      return signalPassFailure();
    }
    // Check and build everything first: a failure attaches nothing.
    SmallVector<Attribute> stats;
    for (auto [i, entry] : llvm::enumerate(*entries)) {
      Operation *op = activations[i].getOwner();
      const llvm::json::Object *e = entry.getAsObject();
      const llvm::json::Object *s = e ? e->getObject("stats") : nullptr;
      if (!s) {
        op->emitError() << "qnt-attach-stats: activation " << i
                        << " has no 'stats' object";
        return signalPassFailure();
      }
      if (auto name = e->getString("op");
          name && *name != op->getName().getStringRef()) {
        op->emitError() << "qnt-attach-stats: activation " << i
                        << " was calibrated on '" << *name
                        << "', the program has '" << op->getName() << "'";
        return signalPassFailure();
      }
      if (auto loc = e->getString("loc");
          loc && *loc != locationText(op->getLoc())) {
        op->emitError() << "qnt-attach-stats: activation " << i
                        << " was calibrated at " << *loc;
        return signalPassFailure();
      }
      if (perChannel) {
        // One #qnt.stats per channel along 'axis' (calibrate --per-channel).
        const llvm::json::Array *channels = e->getArray("channels");
        auto axis = e->getInteger("axis");
        if (!channels || !axis) {
          op->emitError() << "qnt-attach-stats: activation " << i
                          << " has no per-channel statistics ('axis' and "
                             "'channels'); calibrate per channel";
          return signalPassFailure();
        }
        SmallVector<StatsAttr> perChannelStats;
        for (const llvm::json::Value &c : *channels) {
          const llvm::json::Object *co = c.getAsObject();
          StatsAttr attr = co ? parseStats(op, *co, i) : StatsAttr();
          if (!attr) {
            if (!co)
              op->emitError() << "qnt-attach-stats: activation " << i
                              << ": a channel entry is not an object";
            return signalPassFailure();
          }
          perChannelStats.push_back(attr);
        }
        auto type = cast<ShapedType>(activations[i].getType());
        if (*axis < 0 || *axis >= type.getRank() ||
            type.getDimSize(*axis) != int64_t(perChannelStats.size())) {
          op->emitError() << "qnt-attach-stats: activation " << i << ": "
                          << perChannelStats.size()
                          << " channels along axis " << *axis
                          << " do not match its type " << type;
          return signalPassFailure();
        }
        stats.push_back(ChannelStatsAttr::get(&getContext(), *axis,
                                              perChannelStats));
        continue;
      }
      StatsAttr attr = parseStats(op, *s, i);
      if (!attr)
        return signalPassFailure();
      stats.push_back(attr);
    }
    // Optional statistics of the function's arguments (the model inputs),
    // attached as the argument attribute qnt.stats.
    SmallVector<std::pair<unsigned, StatsAttr>> argStats;
    if (const llvm::json::Array *args = root->getArray("arguments")) {
      for (auto [i, entry] : llvm::enumerate(*args)) {
        const llvm::json::Object *e = entry.getAsObject();
        auto index = e ? e->getInteger("index") : std::nullopt;
        const llvm::json::Object *s = e ? e->getObject("stats") : nullptr;
        if (!index || !s || *index < 0 ||
            *index >= int64_t(func.getNumArguments())) {
          func.emitError() << "qnt-attach-stats: argument entry " << i
                           << " needs an 'index' below "
                           << func.getNumArguments() << " and a 'stats' object";
          return signalPassFailure();
        }
        StatsAttr attr = parseStats(func, *s, i, "argument");
        if (!attr)
          return signalPassFailure();
        argStats.emplace_back(unsigned(*index), attr);
      }
    }
    for (auto [index, attr] : argStats)
      func.setArgAttr(index, QntDialect::getStatsAttrName(), attr);
    for (auto [result, attr] : llvm::zip(activations, stats)) {
      Operation *op = result.getOwner();
      if (op->getNumResults() == 1) {
        op->setAttr(QntDialect::getStatsAttrName(), attr);
      } else {
        SmallVector<Attribute> perResult(op->getNumResults(),
                                         UnitAttr::get(&getContext()));
        if (auto existing = op->getAttrOfType<ArrayAttr>(
                QntDialect::getStatsAttrName()))
          perResult.assign(existing.begin(), existing.end());
        perResult[result.getResultNumber()] = attr;
        op->setAttr(QntDialect::getStatsAttrName(),
                    ArrayAttr::get(&getContext(), perResult));
      }
    }
  }
};
} // namespace
