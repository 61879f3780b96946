//===- QntAttrs.cpp - qnt attributes --------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntAttrs.h"
#include "qnt/Dialect/Qnt/IR/QntDialect.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;

#include "qnt/Dialect/Qnt/IR/QntEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "qnt/Dialect/Qnt/IR/QntAttrs.cpp.inc"

void QntDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "qnt/Dialect/Qnt/IR/QntAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// UniformAttr
//===----------------------------------------------------------------------===//

static bool isSupportedStorageWidth(unsigned width) {
  return (width >= 2 && width <= 8) || width == 16 || width == 32;
}

int64_t UniformAttr::getQMin() const {
  unsigned bits = getBitWidth();
  if (!isSigned())
    return 0;
  int64_t lowest = -(int64_t(1) << (bits - 1));
  return getNarrowRange() ? lowest + 1 : lowest;
}

int64_t UniformAttr::getQMax() const {
  unsigned bits = getBitWidth();
  return isSigned() ? (int64_t(1) << (bits - 1)) - 1
                    : (int64_t(1) << bits) - 1;
}

LogicalResult
UniformAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                    IntegerType storageType, bool narrowRange,
                    DenseF64ArrayAttr scaleArray, ArrayRef<int64_t> zeroPoints,
                    std::optional<int64_t> axis) {
  if (!scaleArray)
    return emitError() << "expected scales";
  ArrayRef<double> scales = scaleArray.asArrayRef();
  unsigned bits = storageType.getWidth();
  if (storageType.isSignless())
    return emitError() << "storage type " << storageType
                       << " must be signed (si<N>) or unsigned (ui<N>)";
  if (!isSupportedStorageWidth(bits))
    return emitError() << "storage width " << bits
                       << " is not supported: expected 2..8, 16 or 32";
  if (narrowRange && !storageType.isSigned())
    return emitError() << "narrow range needs a signed storage type, got "
                       << storageType;
  if (scales.empty())
    return emitError() << "expected at least one scale";
  if (!axis && scales.size() != 1)
    return emitError() << "per-tensor parameters need exactly one scale, got "
                       << scales.size();
  if (axis && *axis < 0)
    return emitError() << "axis must be non-negative, got " << *axis;
  if (zeroPoints.size() != scales.size())
    return emitError() << "expected " << scales.size()
                       << " zero point(s), one per scale, got "
                       << zeroPoints.size();
  for (auto [i, scale] : llvm::enumerate(scales))
    if (!std::isfinite(scale) || scale <= 0.0)
      return emitError() << "scale #" << i << " must be finite and > 0, got "
                         << scale;
  int64_t qmin = 0, qmax = (int64_t(1) << bits) - 1;
  if (storageType.isSigned()) {
    qmin = -(int64_t(1) << (bits - 1)) + (narrowRange ? 1 : 0);
    qmax = (int64_t(1) << (bits - 1)) - 1;
  }
  for (auto [i, zp] : llvm::enumerate(zeroPoints))
    if (zp < qmin || zp > qmax)
      return emitError() << "zero point #" << i << " = " << zp
                         << " is outside the storage range [" << qmin << ", "
                         << qmax << "]";
  return success();
}

LogicalResult
UniformAttr::verifyForType(function_ref<InFlightDiagnostic()> emitError,
                           ShapedType type, StringRef what) const {
  if (auto intType = dyn_cast<IntegerType>(type.getElementType())) {
    if (intType.getWidth() < getBitWidth())
      return emitError() << what << " element type " << intType
                         << " is narrower than the storage type "
                         << getStorageType();
  }
  if (!isPerAxis())
    return success();
  int64_t axis = *getAxis();
  if (!type.hasRank() || axis >= type.getRank())
    return emitError() << "quantization axis " << axis
                       << " is out of range for " << what << " of type "
                       << type;
  int64_t dim = type.getDimSize(axis);
  if (ShapedType::isDynamic(dim))
    return emitError() << "quantization axis " << axis << " of " << what
                       << " must have a static size";
  if (dim != static_cast<int64_t>(getScales().size()))
    return emitError() << "expected " << dim << " scales for dimension "
                       << axis << " of " << what << ", got "
                       << getScales().size();
  return success();
}

// Syntax:
//   #qnt.uniform<si8 [narrow], scale = S [, zero_point = Z]>
//   #qnt.uniform<si8 [narrow], axis = A, scales = [..] [, zero_points = [..]]>
Attribute UniformAttr::parse(AsmParser &parser, Type) {
  MLIRContext *ctx = parser.getContext();
  auto loc = parser.getCurrentLocation();
  IntegerType storageType;
  if (parser.parseLess() || parser.parseType(storageType))
    return {};
  bool narrow = succeeded(parser.parseOptionalKeyword("narrow"));
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  std::optional<int64_t> axis;
  if (parser.parseComma())
    return {};
  auto parseDouble = [&](double &v) { return parser.parseFloat(v); };
  if (succeeded(parser.parseOptionalKeyword("axis"))) {
    int64_t a;
    if (parser.parseEqual() || parser.parseInteger(a) || parser.parseComma() ||
        parser.parseKeyword("scales") || parser.parseEqual() ||
        parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() {
          return parseDouble(scales.emplace_back());
        }))
      return {};
    axis = a;
    if (succeeded(parser.parseOptionalComma())) {
      if (parser.parseKeyword("zero_points") || parser.parseEqual() ||
          parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, [&]() {
            return parser.parseInteger(zeroPoints.emplace_back());
          }))
        return {};
    } else {
      zeroPoints.assign(scales.size(), 0);
    }
  } else {
    double scale;
    int64_t zp = 0;
    if (parser.parseKeyword("scale") || parser.parseEqual() ||
        parseDouble(scale))
      return {};
    if (succeeded(parser.parseOptionalComma()) &&
        (parser.parseKeyword("zero_point") || parser.parseEqual() ||
         parser.parseInteger(zp)))
      return {};
    scales.push_back(scale);
    zeroPoints.push_back(zp);
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<UniformAttr>(
      loc, ctx, storageType, narrow, DenseF64ArrayAttr::get(ctx, scales),
      zeroPoints, axis);
}

void UniformAttr::print(AsmPrinter &printer) const {
  printer << "<" << getStorageType();
  if (getNarrowRange())
    printer << " narrow";
  bool allZero = llvm::all_of(getZeroPoints(), [](int64_t z) { return z == 0; });
  if (isPerAxis()) {
    printer << ", axis = " << *getAxis() << ", scales = [";
    llvm::interleaveComma(getScales(), printer);
    printer << "]";
    if (!allZero) {
      printer << ", zero_points = [";
      llvm::interleaveComma(getZeroPoints(), printer);
      printer << "]";
    }
  } else {
    printer << ", scale = " << getScales().front();
    if (!allZero)
      printer << ", zero_point = " << getZeroPoints().front();
  }
  printer << ">";
}

//===----------------------------------------------------------------------===//
// CodebookAttr
//===----------------------------------------------------------------------===//

LogicalResult
CodebookAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                     CodebookKind kind, APFloat thresholdValue,
                     DenseFPElementsAttr scales) {
  double threshold = thresholdValue.convertToDouble();
  if (!std::isfinite(threshold) || threshold < 0.0)
    return emitError() << "threshold must be finite and >= 0, got "
                       << threshold;
  if (kind == CodebookKind::binary && threshold != 0.0)
    return emitError() << "a binary codebook has no threshold, got "
                       << threshold;
  if (scales.getNumElements() == 0)
    return emitError() << "expected at least one scale";
  for (auto [i, scale] : llvm::enumerate(scales.getValues<APFloat>())) {
    double v = scale.convertToDouble();
    if (!std::isfinite(v) || v <= 0.0)
      return emitError() << "scale #" << i << " must be finite and > 0, got "
                         << v;
  }
  return success();
}

LogicalResult
CodebookAttr::verifyForType(function_ref<InFlightDiagnostic()> emitError,
                            ShapedType type, StringRef what) const {
  auto scalesType = getScales().getType();
  if (!type.hasRank() || scalesType.getRank() != type.getRank())
    return emitError() << "codebook scales of type " << scalesType
                       << " must have the rank of " << what << " (" << type
                       << ")";
  for (int64_t d = 0, e = type.getRank(); d < e; ++d) {
    int64_t s = scalesType.getDimSize(d);
    if (s != 1 && s != type.getDimSize(d))
      return emitError() << "codebook scales of type " << scalesType
                         << " do not broadcast against " << what << " ("
                         << type << ") in dimension " << d;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// HistogramAttr, StatsAttr, ChannelStatsAttr
//===----------------------------------------------------------------------===//

int64_t HistogramAttr::getTotal() const {
  int64_t total = 0;
  for (int64_t b : getBins())
    total += b;
  return total;
}

LogicalResult
HistogramAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      APFloat loValue, APFloat hiValue,
                      ArrayRef<int64_t> bins) {
  double lo = loValue.convertToDouble(), hi = hiValue.convertToDouble();
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi))
    return emitError() << "histogram range [" << lo << ", " << hi
                       << "] must be finite with lo < hi";
  if (bins.empty())
    return emitError() << "histogram needs at least one bin";
  for (auto [i, b] : llvm::enumerate(bins))
    if (b < 0)
      return emitError() << "histogram bin #" << i << " has negative count "
                         << b;
  return success();
}

LogicalResult StatsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                int64_t count, APFloat minValue,
                                APFloat maxValue, APFloat meanValue,
                                APFloat stdValue, APFloat madValue,
                                int64_t nan, int64_t inf, HistogramAttr hist) {
  double min = minValue.convertToDouble(), max = maxValue.convertToDouble();
  double mean = meanValue.convertToDouble(), std = stdValue.convertToDouble();
  double mad = madValue.convertToDouble();
  if (count < 0 || nan < 0 || inf < 0)
    return emitError() << "counts must be non-negative (count = " << count
                       << ", nan = " << nan << ", inf = " << inf << ")";
  for (auto [name, v] : {std::pair<const char *, double>{"min", min},
                         {"max", max},
                         {"mean", mean},
                         {"std", std},
                         {"mad", mad}})
    if (!std::isfinite(v))
      return emitError() << "statistic '" << name << "' must be finite, got "
                         << v;
  if (count == 0)
    return hist ? emitError() << "statistics of no values cannot have a "
                                 "histogram"
                : success();
  if (min > max)
    return emitError() << "min " << min << " is greater than max " << max;
  // Accumulated means can land an ulp outside [min, max].
  double slack = 1e-6 * std::max(1.0, std::max(std::fabs(min), std::fabs(max)));
  if (mean < min - slack || mean > max + slack)
    return emitError() << "mean " << mean << " is outside [min, max] = ["
                       << min << ", " << max << "]";
  if (std < 0.0 || mad < 0.0)
    return emitError() << "std and mad must be >= 0, got std = " << std
                       << ", mad = " << mad;
  if (hist) {
    double lo = hist.getLo().convertToDouble();
    double hi = hist.getHi().convertToDouble();
    if (lo > min || hi < max)
      return emitError() << "histogram range [" << lo << ", " << hi
                         << "] does not cover [min, max] = ["
                         << min << ", " << max << "]";
    if (hist.getTotal() != count)
      return emitError() << "histogram holds " << hist.getTotal()
                         << " values but count is " << count;
  }
  return success();
}

LogicalResult
ChannelStatsAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                         int64_t axis, ArrayRef<StatsAttr> channels) {
  if (axis < 0)
    return emitError() << "axis must be non-negative, got " << axis;
  if (channels.empty())
    return emitError() << "per-channel statistics need at least one channel";
  return success();
}
