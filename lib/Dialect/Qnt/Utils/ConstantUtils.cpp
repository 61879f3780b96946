//===- ConstantUtils.cpp - compile-time work on constant tensors ----------===//

#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qnt;

FailureOr<ElementsAttr> mlir::qnt::getConstantElements(Value value) {
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return failure();
  auto elements = dyn_cast<ElementsAttr>(attr);
  if (!elements)
    return failure();
  return elements;
}

static std::optional<size_t> elementBytes(Type type) {
  unsigned bits = type.getIntOrFloatBitWidth();
  if (!type.isIntOrFloat() || bits % 8 != 0)
    return std::nullopt;
  return bits / 8;
}

FailureOr<SmallVector<char>> mlir::qnt::getConstantBytes(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  Type elementType = type.getElementType();
  if (!elementType.isIntOrFloat())
    return failure();
  auto width = elementBytes(elementType);
  if (!width)
    return failure();
  int64_t count = type.getNumElements();
  SmallVector<char> bytes(count * *width);
  if (auto dense = dyn_cast<DenseIntOrFPElementsAttr>(attr)) {
    ArrayRef<char> raw = dense.getRawData();
    if (dense.isSplat()) {
      for (int64_t i = 0; i < count; ++i)
        std::memcpy(bytes.data() + i * *width, raw.data(), *width);
    } else {
      if (raw.size() != bytes.size())
        return failure();
      std::memcpy(bytes.data(), raw.data(), raw.size());
    }
    return bytes;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return failure();
    ArrayRef<char> raw = blob->getData();
    if (raw.size() != bytes.size())
      return failure();
    std::memcpy(bytes.data(), raw.data(), raw.size());
    return bytes;
  }
  return failure();
}

FailureOr<SmallVector<int64_t>> mlir::qnt::getConstantInts(ElementsAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  auto intType = dyn_cast<IntegerType>(type.getElementType());
  if (!intType || !intType.isSignless())
    return failure();
  unsigned width = intType.getWidth();
  if (width != 8 && width != 16 && width != 32 && width != 64)
    return failure();
  auto bytes = getConstantBytes(attr);
  if (failed(bytes))
    return failure();
  int64_t count = type.getNumElements();
  SmallVector<int64_t> values(count);
  const char *raw = bytes->data();
  for (int64_t i = 0; i < count; ++i) {
    switch (width) {
    case 8:
      values[i] = static_cast<int8_t>(raw[i]);
      break;
    case 16: {
      int16_t v;
      std::memcpy(&v, raw + 2 * i, 2);
      values[i] = v;
      break;
    }
    case 32: {
      int32_t v;
      std::memcpy(&v, raw + 4 * i, 4);
      values[i] = v;
      break;
    }
    default:
      std::memcpy(&values[i], raw + 8 * i, 8);
    }
  }
  return values;
}

FailureOr<DenseElementsAttr>
mlir::qnt::permuteConstant(ElementsAttr attr, ArrayRef<int64_t> perm) {
  auto type = cast<ShapedType>(attr.getType());
  if (!type.hasStaticShape() ||
      static_cast<int64_t>(perm.size()) != type.getRank())
    return failure();
  auto bytes = getConstantBytes(attr);
  if (failed(bytes))
    return failure();
  size_t width = *elementBytes(type.getElementType());
  ArrayRef<int64_t> inShape = type.getShape();
  int64_t rank = type.getRank();
  SmallVector<int64_t> outShape(rank), inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * inShape[d + 1];
  for (int64_t d = 0; d < rank; ++d)
    outShape[d] = inShape[perm[d]];
  SmallVector<char> out(bytes->size());
  SmallVector<int64_t> index(rank, 0);
  int64_t count = type.getNumElements();
  for (int64_t linear = 0; linear < count; ++linear) {
    // `index` walks the output in row-major order.
    int64_t source = 0;
    for (int64_t d = 0; d < rank; ++d)
      source += index[d] * inStrides[perm[d]];
    std::memcpy(out.data() + linear * width, bytes->data() + source * width,
                width);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  auto outType = RankedTensorType::get(outShape, type.getElementType());
  return DenseElementsAttr::getFromRawBuffer(outType, out);
}
