//===- QntPackWeights.cpp - sub-byte weights several per byte -------------===//

#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTPACKWEIGHTS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The narrowest of 1, 2, 4 bits (at most `maxBits`) whose signed range holds
/// every code, or 0.
unsigned packedWidth(ArrayRef<int8_t> codes, unsigned maxBits) {
  int lo = 0, hi = 0;
  for (int8_t c : codes) {
    lo = std::min<int>(lo, c);
    hi = std::max<int>(hi, c);
  }
  for (unsigned b : {1u, 2u, 4u})
    if (b <= maxBits && lo >= -(1 << (b - 1)) && hi <= (1 << (b - 1)) - 1)
      return b;
  return 0;
}

struct QntPackWeightsPass
    : public qnt::impl::QntPackWeightsBase<QntPackWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (bits != 1 && bits != 2 && bits != 4) {
      getOperation().emitError()
          << "qnt-pack-weights: bits must be 1, 2 or 4, got "
          << static_cast<unsigned>(bits);
      return signalPassFailure();
    }
    getOperation().walk([&](Operation *op) {
      if (!isa<tosa::Conv2DOp, tosa::DepthwiseConv2DOp, tosa::MatMulOp>(op))
        return;
      // The stored codes: the constant itself, or (SYQ) the codes that a
      // cast of a multiply by the subgroup multipliers reads.
      OpOperand *use = &op->getOpOperand(1);
      while (Operation *def = use->get().getDefiningOp()) {
        if (isa<tosa::CastOp>(def) ||
            (isa<tosa::MulOp>(def) &&
             succeeded(getConstantElements(def->getOperand(1)))))
          use = &def->getOpOperand(0);
        else
          break;
      }
      OpOperand &weights = *use;
      auto type = dyn_cast<RankedTensorType>(weights.get().getType());
      if (!type || !type.hasStaticShape() || !type.getElementType().isInteger(8))
        return;
      auto constant = getConstantElements(weights.get());
      if (failed(constant))
        return;
      auto bytes = getConstantBytes(*constant);
      if (failed(bytes))
        return;
      ArrayRef<int8_t> codes(reinterpret_cast<const int8_t *>(bytes->data()),
                             bytes->size());
      unsigned b = packedWidth(codes, bits);
      if (b == 0)
        return; // needs more than `bits` bits: one code per byte
      unsigned perByte = 8 / b;
      SmallVector<int8_t> packed((codes.size() + perByte - 1) / perByte, 0);
      for (auto [i, c] : llvm::enumerate(codes)) {
        uint8_t field = uint8_t(c) & uint8_t((1u << b) - 1);
        packed[i / perByte] |= int8_t(field << ((i % perByte) * b));
      }
      OpBuilder builder(weights.getOwner());
      Location loc = weights.get().getLoc();
      auto packedType = RankedTensorType::get({int64_t(packed.size())},
                                              builder.getI8Type());
      Value p = tosa::ConstOp::create(
          builder, loc, packedType,
          DenseElementsAttr::get(packedType, ArrayRef<int8_t>(packed)));
      Value unpacked = UnpackOp::create(builder, loc, type, p,
                                        builder.getI64IntegerAttr(b));
      weights.set(unpacked);
    });
  }
};
} // namespace
