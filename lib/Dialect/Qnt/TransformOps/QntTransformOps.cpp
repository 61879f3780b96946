//===- QntTransformOps.cpp - qnt's transform dialect extension ------------===//

#include "qnt/Dialect/Qnt/TransformOps/QntTransformOps.h"
#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Utils/Equalization.h"
#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;

#define GET_OP_CLASSES
#include "qnt/Dialect/Qnt/TransformOps/QntTransformOps.cpp.inc"


LogicalResult transform::AnnotatePrecisionOp::verify() {
  if (!getActivationBits() && !getWeightBits() && !getClipMethod())
    return emitOpError() << "sets nothing: give activation_bits, "
                            "weight_bits or clip_method";
  if (auto m = getClipMethod(); m && !qnt::QntDialect::isClipMethodName(*m))
    return emitOpError() << "unknown clip_method '" << *m << "'";
  return success();
}

DiagnosedSilenceableFailure transform::AnnotatePrecisionOp::applyToOne(
    transform::TransformRewriter &rewriter, Operation *target,
    transform::ApplyToEachResultList &results,
    transform::TransformState &state) {
  if (target->getNumResults() == 0)
    return emitSilenceableError()
           << "'" << target->getName() << "' has no result to quantize";
  StringRef name = qnt::QntDialect::getPrecisionAttrName();
  NamedAttrList entries;
  if (auto old = target->getAttrOfType<DictionaryAttr>(name))
    entries.append(old.getValue());
  Builder b(target->getContext());
  if (auto bits = getActivationBits())
    entries.set("activation_bits", b.getI64IntegerAttr(*bits));
  if (auto bits = getWeightBits())
    entries.set("weight_bits", b.getI64IntegerAttr(*bits));
  if (auto method = getClipMethod())
    entries.set("clip_method", b.getStringAttr(*method));
  target->setAttr(name, entries.getDictionary(target->getContext()));
  results.push_back(target);
  return DiagnosedSilenceableFailure::success();
}

//===----------------------------------------------------------------------===//
// EqualizeOp
//===----------------------------------------------------------------------===//

LogicalResult transform::EqualizeOp::verify() {
  if (!(getTolerance().convertToDouble() > 0.0))
    return emitOpError() << "tolerance must be positive";
  return success();
}

DiagnosedSilenceableFailure
transform::EqualizeOp::apply(transform::TransformRewriter &rewriter,
                             transform::TransformResults &results,
                             transform::TransformState &state) {
  SmallVector<Operation *> targets(state.getPayloadOps(getTarget()));
  qnt::EqualizeOptions options;
  options.relu6ToRelu = getRelu6ToRelu();
  options.maxIterations = getMaxIterations();
  options.tolerance = getTolerance().convertToDouble();
  if (!targets.empty() && qnt::equalizeLayers(targets, options) == 0)
    return emitSilenceableError()
           << "no targeted layer could be equalized with the layer it feeds";
  return DiagnosedSilenceableFailure::success();
}

void transform::EqualizeOp::getEffects(
    SmallVectorImpl<MemoryEffects::EffectInstance> &effects) {
  onlyReadsHandle(getTargetMutable(), effects);
  modifiesPayload(effects);
}

//===----------------------------------------------------------------------===//
// WessOp
//===----------------------------------------------------------------------===//

DiagnosedSilenceableFailure
transform::WessOp::apply(transform::TransformRewriter &rewriter,
                         transform::TransformResults &results,
                         transform::TransformState &state) {
  for (Operation *target : state.getPayloadOps(getTarget())) {
    if (failed(qnt::LinearLayer::read(target)))
      return emitSilenceableError()
             << "'" << target->getName()
             << "' is not a convolution or matmul with constant weights";
    qnt::applyWess(target, getBits());
  }
  return DiagnosedSilenceableFailure::success();
}

void transform::WessOp::getEffects(
    SmallVectorImpl<MemoryEffects::EffectInstance> &effects) {
  onlyReadsHandle(getTargetMutable(), effects);
  modifiesPayload(effects);
}

namespace {
class QntTransformDialectExtension
    : public transform::TransformDialectExtension<
          QntTransformDialectExtension> {
public:
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(QntTransformDialectExtension)
  using Base::Base;
  void init() {
    declareDependentDialect<qnt::QntDialect>();
    registerTransformOps<
#define GET_OP_LIST
#include "qnt/Dialect/Qnt/TransformOps/QntTransformOps.cpp.inc"
        >();
  }
};
} // namespace

void mlir::qnt::registerTransformDialectExtension(DialectRegistry &registry) {
  registry.addExtensions<QntTransformDialectExtension>();
}
