//===- ValueRanges.cpp - bounds of integer tensors from their producers ---===//

#include "qnt/Dialect/Qnt/Utils/ValueRanges.h"
#include "qnt/Dialect/Qnt/IR/QntOps.h"
#include "qnt/Dialect/Qnt/Utils/ConstantUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <functional>

using namespace mlir;
using namespace mlir::qnt;

namespace {
using Ranges = SmallVector<IntRange>;

/// Producer chains are short (bias broadcast -> convolution -> collapse ->
/// bias add); anything deeper falls back to the type's range.
constexpr int kMaxDepth = 16;

IntRange joinAll(ArrayRef<IntRange> ranges) {
  IntRange r = ranges.front();
  for (IntRange x : ranges.drop_front())
    r = r.join(x);
  return r;
}

std::optional<int64_t> staticDim(Value v, int64_t axis) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !type.hasStaticShape() || axis >= type.getRank())
    return std::nullopt;
  return axis < 0 ? 1 : type.getDimSize(axis);
}

/// The signed range of an integer element type of 1..63 bits.
std::optional<IntRange> typeRange(Type elementType) {
  auto intType = dyn_cast<IntegerType>(elementType);
  if (!intType || intType.getWidth() > 63)
    return std::nullopt;
  return signedRange(intType.getWidth());
}

bool fits(IntRange r, Type elementType) {
  auto t = typeRange(elementType);
  return t && r.lo >= t->lo && r.hi <= t->hi;
}

std::optional<Ranges> rangesOf(Value v, int64_t axis, int depth);

std::optional<Ranges> constantRanges(Value v, int64_t axis) {
  auto elements = getConstantElements(v);
  if (failed(elements))
    return std::nullopt;
  auto values = getConstantInts(*elements);
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (failed(values) || values->empty() || !type || !type.hasStaticShape())
    return std::nullopt;
  if (axis < 0) {
    auto [lo, hi] = std::minmax_element(values->begin(), values->end());
    return Ranges{IntRange{*lo, *hi}};
  }
  int64_t size = type.getDimSize(axis), stride = 1;
  for (int64_t d = type.getRank() - 1; d > axis; --d)
    stride *= type.getDimSize(d);
  Ranges out(size, IntRange{INT64_MAX, INT64_MIN});
  for (size_t i = 0; i < values->size(); ++i) {
    IntRange &r = out[(int64_t(i) / stride) % size];
    r = r.join(IntRange{(*values)[i], (*values)[i]});
  }
  return out;
}

/// The ranges of generic input `in` as seen at the output's `axis`: per
/// slice if the input is indexed by that loop dimension alone, else the
/// whole input's range for every slice.
std::optional<Ranges> inputAlong(linalg::GenericOp g, OpOperand *in,
                                 int64_t axis, int64_t n, int depth) {
  AffineMap map = g.getMatchingIndexingMap(in);
  if (axis >= 0) {
    AffineExpr dim = getAffineDimExpr(axis, g.getContext());
    for (unsigned k = 0; k < map.getNumResults(); ++k)
      if (map.getResult(k) == dim) {
        auto r = rangesOf(in->get(), k, depth + 1);
        if (r && int64_t(r->size()) == n)
          return r;
        break;
      }
  }
  auto all = rangesOf(in->get(), -1, depth + 1);
  if (!all)
    return std::nullopt;
  return Ranges(n, all->front());
}

/// Interval arithmetic on the body of an all-parallel generic with an
/// identity output map: block arguments of inputs (their ranges at the
/// output's axis), scalar integer constants, sign extensions, additions,
/// subtractions and multiplications; every intermediate value must fit its
/// type (no wrap-around).
std::optional<Ranges> genericRanges(linalg::GenericOp g, int64_t axis,
                                    int64_t n, int depth) {
  if (g.getNumDpsInits() != 1 || g.getNumResults() != 1 ||
      !g.hasPureTensorSemantics() ||
      g.getNumParallelLoops() != g.getNumLoops() ||
      !g.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  Block &body = g.getRegion().front();
  std::function<std::optional<Ranges>(Value, int)> eval =
      [&](Value v, int level) -> std::optional<Ranges> {
    if (level > kMaxDepth)
      return std::nullopt;
    if (auto arg = dyn_cast<BlockArgument>(v)) {
      if (arg.getOwner() != &body || arg.getArgNumber() >= g.getNumDpsInputs())
        return std::nullopt;
      return inputAlong(g, g.getDpsInputOperand(arg.getArgNumber()), axis, n,
                        depth);
    }
    Operation *def = v.getDefiningOp();
    if (!def)
      return std::nullopt;
    IntegerAttr c;
    if (matchPattern(v, m_Constant(&c)) && c.getType().isSignlessInteger() &&
        c.getType().getIntOrFloatBitWidth() <= 64) {
      int64_t x = c.getValue().getSExtValue();
      return Ranges(n, IntRange{x, x});
    }
    if (def->getBlock() != &body)
      return std::nullopt;
    if (auto ext = dyn_cast<arith::ExtSIOp>(def))
      return eval(ext.getIn(), level + 1);
    if (!isa<arith::AddIOp, arith::SubIOp, arith::MulIOp>(def))
      return std::nullopt;
    auto a = eval(def->getOperand(0), level + 1);
    auto b = eval(def->getOperand(1), level + 1);
    if (!a || !b)
      return std::nullopt;
    Ranges out;
    for (int64_t i = 0; i < n; ++i) {
      IntRange x = (*a)[i], y = (*b)[i];
      IntRange r;
      if (isa<arith::AddIOp>(def)) {
        r = {x.lo + y.lo, x.hi + y.hi};
      } else if (isa<arith::SubIOp>(def)) {
        r = {x.lo - y.hi, x.hi - y.lo};
      } else {
        auto small = [](IntRange r) {
          return r.lo >= INT32_MIN && r.hi <= INT32_MAX;
        };
        if (!small(x) || !small(y))
          return std::nullopt;
        int64_t p[] = {x.lo * y.lo, x.lo * y.hi, x.hi * y.lo, x.hi * y.hi};
        r = {*std::min_element(p, p + 4), *std::max_element(p, p + 4)};
      }
      if (!fits(r, v.getType()) || !fits(r, IntegerType::get(g.getContext(), 32)))
        return std::nullopt;
      out.push_back(r);
    }
    return out;
  };
  return eval(body.getTerminator()->getOperand(0), 0);
}

std::optional<Ranges> collapseRanges(tensor::CollapseShapeOp op, int64_t axis,
                                     int64_t n, int depth) {
  Value src = op.getSrc();
  if (axis < 0)
    return rangesOf(src, -1, depth + 1);
  auto srcType = cast<RankedTensorType>(src.getType());
  ReassociationIndices group = op.getReassociationIndices()[axis];
  SmallVector<int64_t> nonUnit;
  for (int64_t d : group)
    if (srcType.getDimSize(d) != 1)
      nonUnit.push_back(d);
  if (nonUnit.size() <= 1) {
    auto r = rangesOf(src, nonUnit.empty() ? group.front() : nonUnit.front(),
                      depth + 1);
    if (r && int64_t(r->size()) == n)
      return r;
    return std::nullopt;
  }
  auto all = rangesOf(src, -1, depth + 1);
  if (!all)
    return std::nullopt;
  return Ranges(n, all->front());
}

std::optional<Ranges> expandRanges(tensor::ExpandShapeOp op, int64_t axis,
                                   int64_t n, int depth) {
  Value src = op.getSrc();
  if (axis < 0)
    return rangesOf(src, -1, depth + 1);
  auto type = cast<RankedTensorType>(op.getResult().getType());
  for (auto [srcDim, group] : llvm::enumerate(op.getReassociationIndices())) {
    if (!llvm::is_contained(group, axis))
      continue;
    // The result dimension is its source dimension when the group's other
    // dimensions are units.
    bool alone = llvm::all_of(group, [&](int64_t d) {
      return d == axis || type.getDimSize(d) == 1;
    });
    if (alone) {
      auto r = rangesOf(src, srcDim, depth + 1);
      if (r && int64_t(r->size()) == n)
        return r;
    }
    break;
  }
  auto all = rangesOf(src, -1, depth + 1);
  if (!all)
    return std::nullopt;
  return Ranges(n, all->front());
}

/// Convolutions and matmuls: which operand is the filter, which of its
/// dimensions indexes the output channel, and which output dimension that
/// is.
struct Contraction {
  Value input, filter, init;
  int64_t filterDim, outDim;
};

std::optional<Contraction> matchContraction(Operation *op) {
  auto make = [](linalg::LinalgOp l, int64_t f, int64_t o) {
    return Contraction{l.getDpsInputs()[0], l.getDpsInputs()[1],
                       l.getDpsInits()[0], f, o};
  };
  if (auto c = dyn_cast<linalg::Conv2DNhwcFhwcOp>(op))
    return make(c, 0, 3);
  if (auto c = dyn_cast<linalg::Conv2DNhwcHwcfOp>(op))
    return make(c, 3, 3);
  if (auto c = dyn_cast<linalg::DepthwiseConv2DNhwcHwcOp>(op))
    return make(c, 2, 3);
  if (auto c = dyn_cast<linalg::DepthwiseConv2DNhwcHwcmOp>(op)) {
    // One filter per channel (M = 1): the channel is output dimension 3.
    auto f = cast<RankedTensorType>(c.getDpsInputs()[1].getType());
    if (!f.hasStaticShape() || f.getDimSize(3) != 1)
      return std::nullopt;
    return make(c, 2, 3);
  }
  if (auto m = dyn_cast<linalg::MatmulOp>(op)) {
    if (m.hasUserDefinedMaps() || m.getCast() != linalg::TypeFn::cast_signed)
      return std::nullopt;
    return make(m, 1, 1);
  }
  if (auto m = dyn_cast<linalg::BatchMatmulOp>(op)) {
    auto f = cast<RankedTensorType>(m.getDpsInputs()[1].getType());
    if (m.hasUserDefinedMaps() || m.getCast() != linalg::TypeFn::cast_signed ||
        !f.hasStaticShape() || f.getDimSize(0) != 1)
      return std::nullopt;
    return make(m, 2, 2);
  }
  return std::nullopt;
}

/// The integers of a constant filter, or of the `qnt.unpack` of a constant
/// (packed sub-byte weights).
FailureOr<SmallVector<int64_t>> filterInts(Value filter) {
  if (auto unpack = filter.getDefiningOp<UnpackOp>()) {
    auto packed = getConstantElements(unpack.getPacked());
    if (failed(packed))
      return failure();
    auto bytes = getConstantInts(*packed);
    auto type = cast<RankedTensorType>(unpack.getOutput().getType());
    int64_t bits = static_cast<int64_t>(unpack.getBits());
    int64_t perByte = 8 / bits, count = type.getNumElements();
    if (failed(bytes) || int64_t(bytes->size()) * perByte < count)
      return failure();
    SmallVector<int64_t> values(count);
    for (int64_t i = 0; i < count; ++i) {
      int64_t field = ((*bytes)[i / perByte] >> ((i % perByte) * bits)) &
                      ((int64_t(1) << bits) - 1);
      values[i] = field >= (int64_t(1) << (bits - 1))
                      ? field - (int64_t(1) << bits)
                      : field;
    }
    return values;
  }
  auto elements = getConstantElements(filter);
  if (failed(elements))
    return failure();
  return getConstantInts(*elements);
}

std::optional<Ranges> contractionRanges(const Contraction &c, Value result,
                                        int64_t axis, int64_t n, int depth) {
  auto filterType = dyn_cast<RankedTensorType>(c.filter.getType());
  auto inputType = dyn_cast<RankedTensorType>(c.input.getType());
  if (!filterType || !inputType || !filterType.hasStaticShape() ||
      filterType.getElementTypeBitWidth() > 16 ||
      inputType.getElementTypeBitWidth() > 16)
    return std::nullopt;
  auto weights = filterInts(c.filter);
  auto input = rangesOf(c.input, -1, depth + 1);
  int64_t channels = filterType.getDimSize(c.filterDim);
  auto init = rangesOf(c.init, c.outDim, depth + 1);
  if (failed(weights) || !input || !init || int64_t(init->size()) != channels)
    return std::nullopt;
  // The filter's elements per channel, in order.
  int64_t stride = 1;
  for (int64_t d = filterType.getRank() - 1; d > c.filterDim; --d)
    stride *= filterType.getDimSize(d);
  SmallVector<SmallVector<int64_t>> perChannel(channels);
  for (size_t i = 0; i < weights->size(); ++i)
    perChannel[(int64_t(i) / stride) % channels].push_back((*weights)[i]);
  Type elementType = getElementTypeOrSelf(result.getType());
  Ranges out;
  for (int64_t ch = 0; ch < channels; ++ch) {
    IntRange r =
        accumulatorRange(perChannel[ch], (*init)[ch], input->front());
    if (!fits(r, elementType))
      return std::nullopt;
    out.push_back(r);
  }
  if (axis == c.outDim)
    return out;
  return Ranges(n, joinAll(out));
}

std::optional<Ranges> producerRanges(Value v, int64_t axis, int64_t n,
                                     int depth) {
  if (depth > kMaxDepth)
    return std::nullopt;
  if (auto r = constantRanges(v, axis))
    return r;
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto fill = dyn_cast<linalg::FillOp>(def)) {
    IntegerAttr c;
    if (!matchPattern(fill.getInputs()[0], m_Constant(&c)))
      return std::nullopt;
    int64_t x = c.getValue().getSExtValue();
    return Ranges(n, IntRange{x, x});
  }
  if (auto g = dyn_cast<linalg::GenericOp>(def))
    return genericRanges(g, axis, n, depth);
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def))
    return collapseRanges(collapse, axis, n, depth);
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
    return expandRanges(expand, axis, n, depth);
  if (auto reshape = dyn_cast<tensor::ReshapeOp>(def)) {
    // The same elements in another shape: their union, per slice.
    auto all = rangesOf(reshape.getSource(), -1, depth + 1);
    if (!all)
      return std::nullopt;
    return Ranges(n, all->front());
  }
  if (auto c = matchContraction(def))
    return contractionRanges(*c, v, axis, n, depth);
  return std::nullopt;
}

std::optional<Ranges> rangesOf(Value v, int64_t axis, int depth) {
  std::optional<int64_t> n = staticDim(v, axis);
  if (!n || *n < 1)
    return std::nullopt;
  if (auto r = producerRanges(v, axis, *n, depth))
    return r;
  // Narrow values: the type's range.
  Type elementType = getElementTypeOrSelf(v.getType());
  if (elementType.isSignlessInteger() &&
      elementType.getIntOrFloatBitWidth() <= 16)
    if (auto t = typeRange(elementType))
      return Ranges(*n, *t);
  return std::nullopt;
}
} // namespace

std::optional<SmallVector<IntRange>>
mlir::qnt::inferSliceRanges(Value value, std::optional<int64_t> axis) {
  return rangesOf(value, axis.value_or(-1), 0);
}

IntRange mlir::qnt::signedRange(unsigned width) {
  return {-(int64_t(1) << (width - 1)), (int64_t(1) << (width - 1)) - 1};
}

IntRange mlir::qnt::accumulatorRange(ArrayRef<int64_t> weights, IntRange bias,
                                     IntRange input) {
  IntRange r = bias;
  for (int64_t w : weights) {
    int64_t a = w * input.lo, b = w * input.hi;
    r.lo += std::min(a, b);
    r.hi += std::max(a, b);
  }
  return r;
}
