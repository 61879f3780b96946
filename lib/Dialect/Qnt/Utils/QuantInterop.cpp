//===- QuantInterop.cpp - qnt <-> upstream quant types --------------------===//

#include "qnt/Dialect/Qnt/Utils/QuantInterop.h"

#include "mlir/Dialect/Quant/IR/Quant.h"

using namespace mlir;
using namespace mlir::qnt;

IntegerType mlir::qnt::storageElementType(UniformAttr params) {
  unsigned bits = params.getBitWidth();
  return IntegerType::get(params.getContext(), bits <= 8 ? 8 : bits);
}

FailureOr<UniformAttr>
mlir::qnt::uniformFromQuantType(quant::QuantizedType type,
                                function_ref<InFlightDiagnostic()> emitError) {
  auto storage = dyn_cast<IntegerType>(type.getStorageType());
  if (!storage)
    return emitError() << "quantized type " << type
                       << " has a non-integer storage type";
  bool isSigned = type.isSigned();
  int64_t lo = type.getStorageTypeMin(), hi = type.getStorageTypeMax();
  // Find the bit width b whose full or narrow range is [lo, hi].
  std::optional<unsigned> bits;
  bool narrow = false;
  for (unsigned b : {2u, 3u, 4u, 5u, 6u, 7u, 8u, 16u, 32u}) {
    if (b > storage.getWidth())
      break;
    int64_t fullLo = isSigned ? -(int64_t(1) << (b - 1)) : 0;
    int64_t fullHi =
        isSigned ? (int64_t(1) << (b - 1)) - 1 : (int64_t(1) << b) - 1;
    if (hi != fullHi)
      continue;
    if (lo == fullLo) {
      bits = b;
    } else if (isSigned && lo == fullLo + 1) {
      bits = b;
      narrow = true;
    }
    break;
  }
  if (!bits)
    return emitError() << "quantized type " << type << " has storage range ["
                       << lo << ", " << hi
                       << "], which is not the full or narrow range of a 2..8, "
                          "16 or 32-bit integer";
  MLIRContext *ctx = type.getContext();
  auto storageType = IntegerType::get(
      ctx, *bits, isSigned ? IntegerType::Signed : IntegerType::Unsigned);
  if (auto uniform = dyn_cast<quant::UniformQuantizedType>(type))
    return UniformAttr::getChecked(emitError, ctx, storageType, narrow,
                                   DenseF64ArrayAttr::get(ctx, {uniform.getScale()}),
                                   ArrayRef<int64_t>{uniform.getZeroPoint()},
                                   std::optional<int64_t>());
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(type))
    return UniformAttr::getChecked(
        emitError, ctx, storageType, narrow,
        DenseF64ArrayAttr::get(ctx, perAxis.getScales()),
        perAxis.getZeroPoints(),
        std::optional<int64_t>(perAxis.getQuantizedDimension()));
  return emitError() << "quantized type " << type
                     << " is not a per-tensor or per-axis uniform type";
}

FailureOr<quant::QuantizedType>
mlir::qnt::quantTypeFromUniform(UniformAttr params, Type expressedType) {
  IntegerType storage = storageElementType(params);
  unsigned flags = params.isSigned() ? quant::QuantizationFlags::Signed : 0;
  int64_t qmin = params.getQMin(), qmax = params.getQMax();
  // Upstream stores unsigned codes in a signless type of the same width, so
  // u32 codes do not fit; everything else UniformAttr's verifier already
  // guarantees (finite positive scales, zero points within [qmin, qmax]).
  if (!params.isSigned() && storage.getWidth() == 32)
    return failure();
  if (!isa<FloatType>(expressedType))
    return failure();
  if (params.isPerAxis())
    return cast<quant::QuantizedType>(quant::UniformQuantizedPerAxisType::get(
        flags, storage, expressedType, params.getScales(),
        params.getZeroPoints(), static_cast<int32_t>(*params.getAxis()), qmin,
        qmax));
  return cast<quant::QuantizedType>(quant::UniformQuantizedType::get(
      flags, storage, expressedType, params.getScale(0),
      params.getZeroPoint(0), qmin, qmax));
}

void mlir::qnt::cancelStorageCastPairs(Operation *root) {
  SmallVector<quant::StorageCastOp> casts;
  root->walk([&](quant::StorageCastOp op) { casts.push_back(op); });
  for (quant::StorageCastOp op : casts) {
    auto inner = op.getInput().getDefiningOp<quant::StorageCastOp>();
    if (inner && inner.getInput().getType() == op.getType())
      op.getResult().replaceAllUsesWith(inner.getInput());
  }
  // Erase users before producers.
  for (quant::StorageCastOp op : llvm::reverse(casts))
    if (op->use_empty())
      op->erase();
}
