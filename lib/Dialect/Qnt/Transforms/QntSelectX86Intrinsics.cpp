//===- QntSelectX86Intrinsics.cpp - x86 dot products from vector ops -----===//
//
// The plain vector-op form of vpmaddwd (even and odd i16 lanes of two
// vectors sign-extended, multiplied and the two products added) becomes the
// instruction itself, after bufferization. LLVM selects the plain form on
// its own only while neither operand is a recognizable broadcast; the int8
// matmul kernels broadcast each row's K pair.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTSELECTX86INTRINSICS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// `v` = extsi(shuffle(x, x, [parity, parity + 2, ..., parity + 14])) with x
/// a vector<16xi16> and v a vector<8xi32>: returns x.
Value evenOrOddLanes(Value v, int64_t parity) {
  auto ext = v.getDefiningOp<arith::ExtSIOp>();
  if (!ext)
    return {};
  auto shuffle = ext.getIn().getDefiningOp<vector::ShuffleOp>();
  if (!shuffle || shuffle.getV1() != shuffle.getV2())
    return {};
  auto src = dyn_cast<VectorType>(shuffle.getV1().getType());
  if (!src || src.getShape() != ArrayRef<int64_t>{16} ||
      !src.getElementType().isInteger(16))
    return {};
  ArrayRef<int64_t> mask = shuffle.getMask();
  if (mask.size() != 8)
    return {};
  for (int64_t i = 0; i < 8; ++i)
    if (mask[i] != 2 * i + parity)
      return {};
  return shuffle.getV1();
}

/// (a, b) when `mul` = extsi(lanes of a) * extsi(lanes of b), either order.
std::optional<std::pair<Value, Value>> lanesProduct(Value mul,
                                                    int64_t parity) {
  auto m = mul.getDefiningOp<arith::MulIOp>();
  if (!m)
    return std::nullopt;
  Value a = evenOrOddLanes(m.getLhs(), parity);
  Value b = evenOrOddLanes(m.getRhs(), parity);
  if (!a || !b)
    return std::nullopt;
  return std::make_pair(a, b);
}

struct QntSelectX86IntrinsicsPass
    : public qnt::impl::QntSelectX86IntrinsicsBase<
          QntSelectX86IntrinsicsPass> {
  void runOnOperation() override {
    SmallVector<arith::AddIOp> adds;
    getOperation().walk([&](arith::AddIOp add) { adds.push_back(add); });
    for (arith::AddIOp add : adds) {
      auto type = dyn_cast<VectorType>(add.getType());
      if (!type || type.getShape() != ArrayRef<int64_t>{8} ||
          !type.getElementType().isInteger(32))
        continue;
      for (auto [first, second] : {std::pair(add.getLhs(), add.getRhs()),
                                   std::pair(add.getRhs(), add.getLhs())}) {
        auto even = lanesProduct(first, 0), odd = lanesProduct(second, 1);
        if (!even || !odd)
          continue;
        // The same two vectors, in the same roles (multiplication
        // commutes, so a swapped pair is the same product).
        bool same = (even->first == odd->first && even->second == odd->second);
        bool swapped =
            (even->first == odd->second && even->second == odd->first);
        if (!same && !swapped)
          continue;
        OpBuilder b(add);
        Value r = LLVM::CallIntrinsicOp::create(
                      b, add.getLoc(), type,
                      b.getStringAttr("llvm.x86.avx2.pmadd.wd"),
                      ValueRange{even->first, even->second})
                      .getResult(0);
        add.replaceAllUsesWith(r);
        add.erase();
        break;
      }
    }
  }
};
} // namespace
