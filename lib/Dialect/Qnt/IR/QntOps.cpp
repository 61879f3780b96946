//===- QntOps.cpp - qnt operation verifiers -------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;

/// Checks that `axis` names a static dimension of `type` with `count`
/// entries (or one entry when `allowSingle`).
static LogicalResult verifyPerAxisLength(Operation *op, ShapedType type,
                                         int64_t axis, size_t count,
                                         StringRef what,
                                         bool allowSingle = false) {
  if (axis >= type.getRank())
    return op->emitOpError() << "axis " << axis << " is out of range for "
                             << type;
  int64_t dim = type.getDimSize(axis);
  if (ShapedType::isDynamic(dim))
    return op->emitOpError() << "dimension " << axis
                             << " must be static for per-axis '" << what
                             << "'";
  if (static_cast<int64_t>(count) != dim && !(allowSingle && count == 1))
    return op->emitOpError()
           << "expected " << (allowSingle ? "1 or " : "") << dim << " '"
           << what << "' value(s) for dimension " << axis << ", got " << count;
  return success();
}

/// Verifies quantization parameters of `op` against the integer-side type
/// `intType` and the float-side type `floatType`.
static LogicalResult verifyQuantParams(Operation *op, Attribute params,
                                       ShapedType intType,
                                       ShapedType floatType) {
  if (intType && floatType && intType.getShape() != floatType.getShape())
    return op->emitOpError() << "integer type " << intType
                             << " and float type " << floatType
                             << " must have the same shape";
  auto emit = [&]() { return op->emitOpError(); };
  ShapedType shapeType = floatType ? floatType : intType;
  if (auto uniform = dyn_cast<UniformAttr>(params)) {
    if (intType &&
        failed(uniform.verifyForType(emit, intType, "integer operand/result")))
      return failure();
    return uniform.verifyForType(emit, shapeType, "the tensor");
  }
  auto codebook = cast<CodebookAttr>(params);
  if (intType && cast<IntegerType>(intType.getElementType()).getWidth() < 2)
    return op->emitOpError() << "codebook codes need at least 2 bits, got "
                             << intType.getElementType();
  return codebook.verifyForType(emit, shapeType, "the tensor");
}

//===----------------------------------------------------------------------===//
// custom<QuantParams>: a #qnt.uniform or #qnt.codebook attribute
//===----------------------------------------------------------------------===//

// Printed without the `#qnt.` prefix (`uniform<...>`, `codebook<...>`): a
// full dialect attribute would swallow the op's trailing `: type`.
static ParseResult parseQuantParams(OpAsmParser &parser, Attribute &params) {
  auto loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  if (keyword == UniformAttr::getMnemonic())
    params = UniformAttr::parse(parser, Type());
  else if (keyword == CodebookAttr::getMnemonic())
    params = CodebookAttr::parse(parser, Type());
  else
    return parser.emitError(loc)
           << "expected quantization parameters 'uniform<...>' or "
              "'codebook<...>', got '"
           << keyword << "'";
  return success(static_cast<bool>(params));
}

static void printQuantParams(OpAsmPrinter &printer, Operation *,
                             Attribute params) {
  if (auto uniform = dyn_cast<UniformAttr>(params)) {
    printer << UniformAttr::getMnemonic();
    uniform.print(printer);
  } else {
    auto codebook = cast<CodebookAttr>(params);
    printer << CodebookAttr::getMnemonic();
    codebook.print(printer);
  }
}

//===----------------------------------------------------------------------===//
// ClipOp
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  ArrayRef<double> lo = getMin(), hi = getMax();
  if (lo.size() != hi.size())
    return emitOpError() << "has " << lo.size() << " lower and " << hi.size()
                         << " upper bounds";
  if (lo.empty())
    return emitOpError() << "needs at least one bound pair";
  auto type = getInput().getType();
  if (auto axis = getAxis()) {
    if (failed(verifyPerAxisLength(*this, type, *axis, lo.size(), "min/max")))
      return failure();
  } else if (lo.size() != 1) {
    return emitOpError() << "a per-tensor clip takes one bound pair, got "
                         << lo.size() << " (set 'axis' for per-channel bounds)";
  }
  for (size_t i = 0; i < lo.size(); ++i) {
    if (!std::isfinite(lo[i]) || !std::isfinite(hi[i]))
      return emitOpError() << "bounds of channel " << i
                           << " must be finite, got [" << lo[i] << ", "
                           << hi[i] << "]";
    if (lo[i] > hi[i])
      return emitOpError() << "lower bound " << lo[i]
                           << " is greater than upper bound " << hi[i]
                           << " for channel " << i;
  }
  if (auto bits = getBits(); bits && (*bits < 1 || *bits > 16))
    return emitOpError() << "bits must be in 1..16, got " << *bits;
  if (auto channelBits = getChannelBits()) {
    if (!getAxis() || !getBits())
      return emitOpError() << "channel_bits needs 'axis' and 'bits'";
    if (channelBits->size() != lo.size())
      return emitOpError() << "has " << channelBits->size()
                           << " channel_bits for " << lo.size() << " channels";
    for (auto [i, b] : llvm::enumerate(*channelBits))
      if (b < 1 || b > 16)
        return emitOpError() << "channel_bits of channel " << i
                             << " must be in 1..16, got " << b;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp, DequantizeOp, FakeQuantOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  return verifyQuantParams(*this, getParams(), getOutput().getType(),
                           getInput().getType());
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantParams(*this, getParams(), getInput().getType(),
                           getOutput().getType());
}

LogicalResult FakeQuantOp::verify() {
  return verifyQuantParams(*this, getParams(), nullptr, getInput().getType());
}

//===----------------------------------------------------------------------===//
// Pow2ScaleOp
//===----------------------------------------------------------------------===//

LogicalResult Pow2ScaleOp::verify() {
  if (failed(verifyPerAxisLength(*this, getInput().getType(), getAxis(),
                                 getShifts().size(), "shifts")))
    return failure();
  for (auto [i, s] : llvm::enumerate(getShifts()))
    if (s < -64 || s > 64)
      return emitOpError() << "shift of channel " << i << " = " << s
                           << " is outside [-64, 64]";
  return success();
}

//===----------------------------------------------------------------------===//
// RequantizeOp
//===----------------------------------------------------------------------===//

static std::pair<int64_t, int64_t> signedRange(unsigned width) {
  return {-(int64_t(1) << (width - 1)), (int64_t(1) << (width - 1)) - 1};
}

LogicalResult RequantizeOp::verify() {
  auto inType = getInput().getType();
  auto outType = getOutput().getType();
  unsigned inWidth = inType.getElementTypeBitWidth();
  unsigned outWidth = outType.getElementTypeBitWidth();
  if (inWidth != 8 && inWidth != 16 && inWidth != 32)
    return emitOpError() << "input element type must be i8, i16 or i32, got "
                         << inType.getElementType();
  if (outWidth > 32 || outWidth < 2)
    return emitOpError() << "result element width must be in 2..32, got "
                         << outType.getElementType();
  if (inType.getShape() != outType.getShape())
    return emitOpError() << "input " << inType << " and result " << outType
                         << " must have the same shape";

  ArrayRef<int64_t> mult = getMultiplier(), shift = getShift();
  if (mult.empty() || shift.empty())
    return emitOpError() << "needs at least one multiplier and one shift";
  auto channelShift = getChannelShift();
  if (auto axis = getAxis()) {
    if (failed(verifyPerAxisLength(*this, inType, *axis, mult.size(),
                                   "multiplier", /*allowSingle=*/true)) ||
        failed(verifyPerAxisLength(*this, inType, *axis, shift.size(), "shift",
                                   /*allowSingle=*/true)))
      return failure();
    for (auto [name, values] :
         {std::pair<const char *, std::optional<ArrayRef<int64_t>>>{
              "channel_shift", channelShift},
          {"channel_output_zp", getChannelOutputZp()},
          {"channel_clamp_min", getChannelClampMin()},
          {"channel_clamp_max", getChannelClampMax()}})
      if (values && failed(verifyPerAxisLength(*this, inType, *axis,
                                               values->size(), name)))
        return failure();
  } else {
    if (mult.size() != 1 || shift.size() != 1)
      return emitOpError() << "per-tensor requantization takes one multiplier "
                              "and one shift, got "
                           << mult.size() << " and " << shift.size()
                           << " (set 'axis' for per-channel values)";
    if (channelShift || hasChannelGrid())
      return emitOpError() << "'channel_shift', 'channel_output_zp', "
                              "'channel_clamp_min' and 'channel_clamp_max' "
                              "need 'axis'";
  }
  for (auto [i, m] : llvm::enumerate(mult))
    if (m < 0 || m > INT32_MAX)
      return emitOpError() << "multiplier #" << i << " = " << m
                           << " is outside [0, 2^31 - 1]";
  if (channelShift)
    for (auto [i, k] : llvm::enumerate(*channelShift))
      if (k < 0 || k > 31)
        return emitOpError() << "channel_shift #" << i << " = " << k
                             << " is outside [0, 31]";
  int64_t minShift = getRounding() == RoundingMode::tflite ? -31 : -29;
  size_t channels = std::max({mult.size(), shift.size(),
                              channelShift ? channelShift->size() : 1});
  for (size_t c = 0; c < channels; ++c) {
    int64_t n = getTotalShiftFor(c);
    if (n < minShift || n > 31)
      return emitOpError() << "total right shift " << n << " of channel " << c
                           << " is outside [" << minShift
                           << ", 31] for rounding '"
                           << stringifyRoundingMode(getRounding()) << "'";
  }

  // I64Attr getters return uint64_t: read the signed values once.
  int64_t inputZp = static_cast<int64_t>(getInputZp());
  int64_t outputZp = static_cast<int64_t>(getOutputZp());
  int64_t clampMin = static_cast<int64_t>(getClampMin());
  int64_t clampMax = static_cast<int64_t>(getClampMax());
  auto [inMin, inMax] = signedRange(inWidth);
  if (inputZp < inMin || inputZp > inMax)
    return emitOpError() << "input_zp " << inputZp
                         << " is not representable in "
                         << inType.getElementType();
  auto [outMin, outMax] = signedRange(outWidth);
  // Unsigned codes (e.g. u8 in [0, 255]) are held in a signless integer of
  // the same width: accept the union of both interpretations.
  if (outWidth < 32)
    outMax = (int64_t(1) << outWidth) - 1;
  for (auto [name, v] : {std::pair<const char *, int64_t>{"output_zp",
                                                          outputZp},
                         {"clamp_min", clampMin},
                         {"clamp_max", clampMax}})
    if (v < outMin || v > outMax)
      return emitOpError() << name << " " << v << " is not representable in "
                           << outType.getElementType() << " (["
                           << outMin << ", " << outMax << "])";
  if (clampMin > clampMax)
    return emitOpError() << "clamp_min " << clampMin
                         << " is greater than clamp_max " << clampMax;
  if (outWidth < 32 && clampMax - clampMin > (int64_t(1) << outWidth) - 1)
    return emitOpError() << "clamp range [" << clampMin << ", " << clampMax
                         << "] does not fit in "
                         << outWidth << " bits";
  if (hasChannelGrid()) {
    int64_t slices = inType.getDimSize(*getAxis());
    for (int64_t c = 0; c < slices; ++c) {
      int64_t z = getOutputZpFor(c), lo = getClampMinFor(c),
              hi = getClampMaxFor(c);
      if (z < outMin || z > outMax)
        return emitOpError() << "output zero point " << z << " of slice " << c
                             << " is not representable in "
                             << outType.getElementType();
      if (lo < clampMin || hi > clampMax || lo > hi)
        return emitOpError() << "clamp bounds [" << lo << ", " << hi
                             << "] of slice " << c
                             << " are not an interval within [" << clampMin
                             << ", " << clampMax << "]";
    }
  }
  return success();
}

#define GET_OP_CLASSES
#include "qnt/Dialect/Qnt/IR/QntOps.cpp.inc"

//===----------------------------------------------------------------------===//
// UnpackOp
//===----------------------------------------------------------------------===//

LogicalResult UnpackOp::verify() {
  int64_t bits = static_cast<int64_t>(getBits());
  if (bits != 1 && bits != 2 && bits != 4)
    return emitOpError() << "bits must be 1, 2 or 4, got " << bits;
  auto packed = getPacked().getType();
  auto result = getOutput().getType();
  if (!packed.hasStaticShape() || !result.hasStaticShape())
    return emitOpError() << "needs static shapes";
  int64_t n = result.getNumElements();
  int64_t bytes = (n * bits + 7) / 8;
  if (packed.getNumElements() != bytes)
    return emitOpError() << "packs " << n << " " << bits << "-bit values in "
                         << bytes << " bytes, got " << packed.getNumElements();
  return success();
}
