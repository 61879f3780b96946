//===- QntParallelizeKernels.cpp - kernels' marked loops to scf.parallel --===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTPARALLELIZEKERNELS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {
struct QntParallelizeKernelsPass
    : public qnt::impl::QntParallelizeKernelsBase<QntParallelizeKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
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
