//===- QntDialect.cpp - qnt dialect registration --------------------------===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/IR/QntAttrs.h"
#include "qnt/Dialect/Qnt/IR/QntOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::qnt;

#include "qnt/Dialect/Qnt/IR/QntOpsDialect.cpp.inc"

void QntDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "qnt/Dialect/Qnt/IR/QntOps.cpp.inc"
      >();
}

/// Checks one statistics entry against the float result it describes.
static LogicalResult verifyStatsFor(Operation *op, Attribute attr, Value value,
                                    unsigned resultNo) {
  auto diag = [&]() {
    return op->emitOpError() << "'" << QntDialect::getStatsAttrName()
                             << "' of result #" << resultNo << ": ";
  };
  auto type = dyn_cast<ShapedType>(value.getType());
  Type elementType = type ? type.getElementType() : value.getType();
  if (!isa<FloatType>(elementType))
    return diag() << "statistics describe float values, but the result has type "
                  << value.getType();
  if (isa<StatsAttr>(attr))
    return success();
  auto channel = dyn_cast<ChannelStatsAttr>(attr);
  if (!channel)
    return diag() << "expected #qnt.stats or #qnt.channel_stats, got " << attr;
  if (!type || !type.hasRank())
    return diag() << "per-channel statistics need a ranked tensor result";
  int64_t axis = channel.getAxis();
  if (axis >= type.getRank())
    return diag() << "axis " << axis << " is out of range for rank "
                  << type.getRank();
  int64_t dim = type.getDimSize(axis);
  if (!ShapedType::isDynamic(dim) &&
      dim != static_cast<int64_t>(channel.getChannels().size()))
    return diag() << "has " << channel.getChannels().size()
                  << " channels but dimension " << axis << " has size " << dim;
  return success();
}

/// `{beta = array<f32: ...>, gamma = array<f32: ...>}` with one finite value
/// per channel of the op's single ranked result.
static LogicalResult verifyBatchnormAttr(Operation *op, Attribute value) {
  StringRef name = QntDialect::getBatchnormAttrName();
  auto dict = dyn_cast<DictionaryAttr>(value);
  auto beta = dict ? dyn_cast_or_null<DenseF32ArrayAttr>(dict.get("beta"))
                   : DenseF32ArrayAttr();
  auto gamma = dict ? dyn_cast_or_null<DenseF32ArrayAttr>(dict.get("gamma"))
                    : DenseF32ArrayAttr();
  if (!beta || !gamma || dict.size() != 2)
    return op->emitOpError()
           << "'" << name
           << "' must be {beta = array<f32: ...>, gamma = array<f32: ...>}";
  auto type = op->getNumResults() == 1
                  ? dyn_cast<RankedTensorType>(op->getResult(0).getType())
                  : RankedTensorType();
  if (!type || type.getRank() == 0 || type.isDynamicDim(type.getRank() - 1))
    return op->emitOpError() << "'" << name
                             << "' needs one result with a static last "
                                "(channel) dimension";
  int64_t channels = type.getShape().back();
  if (beta.size() != channels || gamma.size() != channels)
    return op->emitOpError() << "'" << name << "' has " << beta.size()
                             << " beta and " << gamma.size()
                             << " gamma values for " << channels
                             << " channels";
  for (ArrayRef<float> values : {beta.asArrayRef(), gamma.asArrayRef()})
    for (float v : values)
      if (!std::isfinite(v))
        return op->emitOpError() << "'" << name << "' has a non-finite value";
  return success();
}

bool QntDialect::isClipMethodName(StringRef name) {
  if (name == "auto")
    return true;
  auto method = symbolizeClipMethod(name);
  return method && *method != ClipMethod::manual;
}

LogicalResult QntDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  if (attr.getName() == getBatchnormAttrName())
    return verifyBatchnormAttr(op, attr.getValue());
  if (attr.getName() == getPrecisionAttrName()) {
    auto dict = dyn_cast<DictionaryAttr>(attr.getValue());
    if (!dict)
      return op->emitOpError() << "'" << getPrecisionAttrName()
                               << "' must be a dictionary";
    for (NamedAttribute e : dict) {
      StringRef key = e.getName().getValue();
      if (key == "activation_bits" || key == "weight_bits") {
        auto v = dyn_cast<IntegerAttr>(e.getValue());
        int64_t lo = key == "weight_bits" ? 2 : 1;
        int64_t hi = key == "weight_bits" ? 8 : 16;
        if (!v || v.getInt() < lo || v.getInt() > hi)
          return op->emitOpError() << "'" << getPrecisionAttrName() << "' "
                                   << key << " must be an integer in " << lo
                                   << ".." << hi;
      } else if (key == "clip_method") {
        auto name = dyn_cast<StringAttr>(e.getValue());
        if (!name || !isClipMethodName(name.getValue()))
          return op->emitOpError() << "'" << getPrecisionAttrName()
                                   << "' clip_method must name a method "
                                      "(minmax, percentile, mse, kl, "
                                      "aciq_laplace, aciq_gaussian, pact or "
                                      "auto)";
      } else {
        return op->emitOpError() << "'" << getPrecisionAttrName()
                                 << "' has an unknown key '" << key << "'";
      }
    }
    return success();
  }
  if (attr.getName() == getResultParamsAttrName()) {
    auto params = dyn_cast<UniformAttr>(attr.getValue());
    if (!params)
      return op->emitOpError() << "'" << getResultParamsAttrName()
                               << "' must be a #qnt.uniform";
    auto type = op->getNumResults() == 1
                    ? dyn_cast<RankedTensorType>(op->getResult(0).getType())
                    : RankedTensorType();
    if (!type || !type.getElementType().isSignlessInteger())
      return op->emitOpError() << "'" << getResultParamsAttrName()
                               << "' needs one integer tensor result";
    return params.verifyForType(
        [&]() { return op->emitOpError(); }, type, "the result");
  }
  if (attr.getName() == getParallelAttrName()) {
    if (!isa<UnitAttr>(attr.getValue()) || op->getName().getStringRef() != "scf.for")
      return op->emitOpError() << "'" << getParallelAttrName()
                               << "' must be a unit attribute on scf.for";
    return success();
  }
  if (attr.getName() != getStatsAttrName())
    return op->emitError() << "unknown qnt discardable attribute '"
                           << attr.getName().getValue() << "'";
  if (op->getNumResults() == 0)
    return op->emitOpError() << "'" << getStatsAttrName()
                             << "' needs an operation with results";
  Attribute value = attr.getValue();
  if (auto array = dyn_cast<ArrayAttr>(value)) {
    if (array.size() != op->getNumResults())
      return op->emitOpError()
             << "'" << getStatsAttrName() << "' has " << array.size()
             << " entries for " << op->getNumResults() << " results";
    for (auto [i, entry] : llvm::enumerate(array)) {
      // A unit attribute marks a result without statistics.
      if (isa<UnitAttr>(entry))
        continue;
      if (failed(verifyStatsFor(op, entry, op->getResult(i), i)))
        return failure();
    }
    return success();
  }
  if (op->getNumResults() != 1)
    return op->emitOpError() << "'" << getStatsAttrName()
                             << "' on an operation with "
                             << op->getNumResults()
                             << " results must be an array with one entry "
                                "per result";
  return verifyStatsFor(op, value, op->getResult(0), 0);
}
