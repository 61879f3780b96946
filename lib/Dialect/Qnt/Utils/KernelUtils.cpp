//===- KernelUtils.cpp - shared pieces of qnt's int8 kernels --------------===//

#include "qnt/Dialect/Qnt/Utils/KernelUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qnt;

int64_t mlir::qnt::largestDivisorUpTo(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

Value VectorBlocks::start(OpBuilder &b, Location loc, Value offset) const {
  if (!overlapsLast())
    return offset;
  return arith::MinSIOp::create(
      b, loc, offset, arith::ConstantIndexOp::create(b, loc, size - lanes));
}

/// (d0, ..., dr-1) -> (dr-1).
static bool isLastDimMap(AffineMap map, unsigned rank) {
  return map.getNumDims() == rank && map.getNumResults() == 1 &&
         map.getResult(0) == getAffineDimExpr(rank - 1, map.getContext());
}

static bool allParallel(linalg::GenericOp g) {
  return g.getNumParallelLoops() == g.getNumLoops();
}

Value mlir::qnt::matchLastDimBroadcast(Value init) {
  auto g = init.getDefiningOp<linalg::GenericOp>();
  if (!g || g.getNumDpsInputs() != 1 || g.getNumDpsInits() != 1 ||
      !allParallel(g))
    return {};
  unsigned rank = g.getNumLoops();
  SmallVector<AffineMap> maps = g.getIndexingMapsArray();
  Block &body = g.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (!maps[1].isIdentity() || !isLastDimMap(maps[0], rank) ||
      body.getOperations().size() != 1 ||
      yield.getOperand(0) != body.getArgument(0))
    return {};
  return g.getDpsInputs()[0];
}

AccumulatorStart mlir::qnt::classifyAccumulatorStart(Value init) {
  AccumulatorStart start;
  start.init = init;
  if (auto fill = init.getDefiningOp<linalg::FillOp>();
      fill && matchPattern(fill.getInputs()[0], m_Zero())) {
    start.zero = true;
    start.init = fill.getOutputs()[0];
  } else if (Value bias = matchLastDimBroadcast(init)) {
    start.bias = bias;
    start.init = init.getDefiningOp<linalg::GenericOp>().getDpsInits()[0];
  }
  return start;
}

std::optional<KernelEpilogue> mlir::qnt::matchKernelEpilogue(Value result) {
  if (!result.hasOneUse())
    return std::nullopt;
  auto g = dyn_cast<linalg::GenericOp>(*result.getUsers().begin());
  if (!g || !g.hasPureTensorSemantics() || g.getNumDpsInits() != 1 ||
      !allParallel(g))
    return std::nullopt;
  auto outType = dyn_cast<RankedTensorType>(g.getResult(0).getType());
  unsigned rank = g.getNumLoops();
  if (!outType || !outType.hasStaticShape() ||
      !outType.getElementType().isSignlessInteger() ||
      !g.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  KernelEpilogue e{g, 0};
  int accUses = 0;
  for (OpOperand *in : g.getDpsInputOperands()) {
    AffineMap map = g.getMatchingIndexingMap(in);
    if (in->get() == result) {
      if (!map.isIdentity())
        return std::nullopt;
      e.accInput = in->getOperandNumber();
      ++accUses;
      continue;
    }
    auto t = dyn_cast<RankedTensorType>(in->get().getType());
    if (!t || t.getRank() != 1 || !isLastDimMap(map, rank) ||
        !matchPattern(in->get(), m_Constant()))
      return std::nullopt;
  }
  if (accUses != 1)
    return std::nullopt;
  Block &body = g.getRegion().front();
  if (!body.getArguments().back().use_empty())
    return std::nullopt;
  for (Operation &op : body.without_terminator()) {
    if (op.getNumRegions() || op.getNumResults() != 1 ||
        !isa<arith::ArithDialect>(op.getDialect()) ||
        !(isa<arith::ConstantOp>(op) ||
          OpTrait::hasElementwiseMappableTraits(&op)))
      return std::nullopt;
    for (Value v : op.getOperands()) {
      Attribute attr;
      if (v.getParentRegion() != &g.getRegion() &&
          (!matchPattern(v, m_Constant(&attr)) ||
           !isa<IntegerAttr, FloatAttr>(attr)))
        return std::nullopt;
    }
  }
  return e;
}

Value mlir::qnt::applyKernelEpilogue(OpBuilder &b, Location loc,
                                     const KernelEpilogue &e, Value acc,
                                     ArrayRef<Value> params) {
  linalg::GenericOp g = e.op;
  Block &body = g.getRegion().front();
  int64_t lanes = cast<VectorType>(acc.getType()).getNumElements();
  IRMapping map;
  for (auto [i, arg] : llvm::enumerate(body.getArguments().drop_back()))
    map.map(arg, i == e.accInput ? acc : params[i]);
  auto vec = [&](Type t) { return VectorType::get({lanes}, t); };
  auto lookup = [&](Value v) -> Value {
    if (Value m = map.lookupOrNull(v))
      return m;
    Attribute attr;
    (void)matchPattern(v, m_Constant(&attr));
    Value splat = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec(v.getType()), attr));
    map.map(v, splat);
    return splat;
  };
  for (Operation &op : body.without_terminator()) {
    if (isa<arith::ConstantOp>(op)) {
      (void)lookup(op.getResult(0));
      continue;
    }
    OperationState state(loc, op.getName());
    for (Value v : op.getOperands())
      state.addOperands(lookup(v));
    for (Type t : op.getResultTypes())
      state.addTypes(vec(t));
    state.addAttributes(op.getAttrs());
    map.map(op.getResult(0), b.create(state)->getResult(0));
  }
  return lookup(body.getTerminator()->getOperand(0));
}

Value mlir::qnt::groupLanes(OpBuilder &b, Location loc, Value v,
                            int64_t group, int64_t t, bool isUnsigned) {
  int64_t lanes = cast<VectorType>(v.getType()).getNumElements() / group;
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < lanes; ++i)
    mask.push_back(group * i + t);
  Value sh = vector::ShuffleOp::create(b, loc, v, v, mask);
  auto i32v = VectorType::get({lanes}, b.getI32Type());
  if (isUnsigned)
    return arith::ExtUIOp::create(b, loc, i32v, sh);
  return arith::ExtSIOp::create(b, loc, i32v, sh);
}
