//===- QntParallelizeKernels.cpp - kernels' marked loops to scf.parallel --===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTPARALLELIZEKERNELS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// Work estimates saturate here (nothing overflows; anything this large
/// runs in parallel).
constexpr int64_t kHuge = int64_t(1) << 50;

int64_t saturatingMul(int64_t a, int64_t b) {
  return (a != 0 && b > kHuge / a) ? kHuge : std::min(a * b, kHuge);
}

/// A constant upper bound on `v - base` (value-bounds analysis; LLVM 22
/// has no value-bounds model for arith.minsi, so a minimum is bounded by
/// its smaller bounded operand here).
std::optional<int64_t> spanBound(Value v, Value base) {
  if (auto min = v.getDefiningOp<arith::MinSIOp>()) {
    std::optional<int64_t> l = spanBound(min.getLhs(), base);
    std::optional<int64_t> r = spanBound(min.getRhs(), base);
    if (l && r)
      return std::min(*l, *r);
    return l ? l : r;
  }
  AffineExpr d0, d1;
  bindDims(v.getContext(), d0, d1);
  ValueBoundsConstraintSet::Variable span(AffineMap::get(2, 0, d0 - d1),
                                          ValueRange{v, base});
  FailureOr<int64_t> bound = ValueBoundsConstraintSet::computeConstantBound(
      presburger::BoundType::UB, span, /*stopCondition=*/nullptr,
      /*closedUB=*/true);
  if (failed(bound))
    return std::nullopt;
  return *bound;
}

/// The largest number of iterations `loop` can run: its constant trip
/// count, else a proven bound on `ub - lb` over the step; nullopt if
/// neither is known.
std::optional<int64_t> maxTripCount(scf::ForOp loop) {
  if (std::optional<APInt> n = loop.getStaticTripCount())
    return int64_t(std::min<uint64_t>(n->getZExtValue(), kHuge));
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  if (!step || *step <= 0)
    return std::nullopt;
  std::optional<int64_t> span =
      spanBound(loop.getUpperBound(), loop.getLowerBound());
  if (!span)
    return std::nullopt;
  return *span <= 0 ? 0 : *span / *step + (*span % *step != 0);
}

std::optional<int64_t> regionWork(Region &region);

/// Operations `op` runs: 1, or for a loop its trip count times its body's
/// work, for a linalg op or memref.copy left on buffers the elements it
/// writes (it becomes loops), for other ops with regions (scf.if) 1 plus
/// all of them; nullopt when a nested loop's trip count is unknown.
std::optional<int64_t> opWork(Operation *op) {
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    std::optional<int64_t> trips = maxTripCount(loop);
    std::optional<int64_t> body = regionWork(loop.getRegion());
    if (!trips || !body)
      return std::nullopt;
    return saturatingMul(*trips, *body + 1);
  }
  Value written;
  if (auto copy = dyn_cast<memref::CopyOp>(op))
    written = copy.getTarget();
  else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
           linalgOp && linalgOp.getNumDpsInits() == 1)
    written = linalgOp.getDpsInits()[0];
  if (written) {
    auto type = dyn_cast<MemRefType>(written.getType());
    if (!type || !type.hasStaticShape())
      return std::nullopt;
    return std::min(std::max<int64_t>(1, type.getNumElements()), kHuge);
  }
  int64_t work = 1;
  for (Region &region : op->getRegions()) {
    std::optional<int64_t> w = regionWork(region);
    if (!w)
      return std::nullopt;
    work = std::min(work + *w, kHuge);
  }
  return work;
}

std::optional<int64_t> regionWork(Region &region) {
  int64_t work = 0;
  for (Block &block : region)
    for (Operation &op : block) {
      std::optional<int64_t> w = opWork(&op);
      if (!w)
        return std::nullopt;
      work = std::min(work + *w, kHuge);
    }
  return work;
}

struct QntParallelizeKernelsPass
    : public qnt::impl::QntParallelizeKernelsBase<QntParallelizeKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minWork < 0) {
      getOperation().emitError()
          << "qnt-parallelize-kernels: min-work must be >= 0, got "
          << int64_t(minWork);
      return signalPassFailure();
    }
    SmallVector<scf::ForOp> marked;
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->hasAttr(QntDialect::getParallelAttrName()))
        marked.push_back(loop);
    });
    for (scf::ForOp loop : marked) {
      loop->removeAttr(QntDialect::getParallelAttrName());
      if (loop.getNumResults() != 0) {
        loop.emitRemark() << "qnt-parallelize-kernels: the loop still carries "
                             "values after bufferization; it stays sequential";
        continue;
      }
      // Too little work to pay for the threads' fork and join (an
      // unknown estimate counts as enough).
      if (minWork > 0) {
        std::optional<int64_t> work = opWork(loop);
        if (work && *work < minWork)
          continue;
      }
      OpBuilder b(loop);
      auto par = scf::ParallelOp::create(
          b, loop.getLoc(), ValueRange{loop.getLowerBound()},
          ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
      // Move the body over: the induction variable becomes the parallel
      // one, scf.yield the parallel op's (empty) reduce terminator.
      Block *body = par.getBody();
      body->getOperations().splice(body->begin(),
                                   loop.getBody()->getOperations(),
                                   loop.getBody()->begin(),
                                   std::prev(loop.getBody()->end()));
      loop.getInductionVar().replaceAllUsesWith(par.getInductionVars()[0]);
      loop.erase();
    }
  }
};
} // namespace
