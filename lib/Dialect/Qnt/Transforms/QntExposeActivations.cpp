//===- QntExposeActivations.cpp - calibration build -----------------------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/Activations.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTEXPOSEACTIVATIONS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {
struct QntExposeActivationsPass
    : public qnt::impl::QntExposeActivationsBase<QntExposeActivationsPass> {
  using Base::Base;
  void runOnOperation() override {
    auto func = getOperation().lookupSymbol<func::FuncOp>(funcName);
    if (!func || func.isExternal()) {
      getOperation().emitError()
          << "qnt-expose-activations: no function '" << funcName << "'";
      return signalPassFailure();
    }
    if (!func.getBody().hasOneBlock()) {
      func.emitError() << "qnt-expose-activations: expected a single block";
      return signalPassFailure();
    }
    SmallVector<OpResult> activations = collectActivations(func);
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<Value> results(ret.getOperands());
    SmallVector<Type> types(func.getFunctionType().getResults());
    for (OpResult a : activations) {
      results.push_back(a);
      types.push_back(a.getType());
    }
    ret->setOperands(results);
    // New results say which activation they are: a name, the producing op
    // and its location (qnt-attach-stats checks both).
    SmallVector<DictionaryAttr> resultAttrs;
    func.getAllResultAttrs(resultAttrs);
    resultAttrs.resize(types.size() - activations.size(),
                       DictionaryAttr::get(&getContext()));
    Builder b(&getContext());
    for (auto [k, a] : llvm::enumerate(activations)) {
      std::string loc;
      llvm::raw_string_ostream os(loc);
      a.getOwner()->getLoc().print(os);
      resultAttrs.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("qnt.name", b.getStringAttr("act" + Twine(k))),
           b.getNamedAttr("qnt.activation",
                          b.getStringAttr(a.getOwner()->getName().getStringRef())),
           b.getNamedAttr("qnt.loc", b.getStringAttr(loc))}));
    }
    func.setType(FunctionType::get(&getContext(),
                                   func.getFunctionType().getInputs(), types));
    func.setAllResultAttrs(resultAttrs);
  }
};
} // namespace
