//===- QntSelectX86Intrinsics.cpp - x86 dot products from vector ops -----===//
//
// The plain vector-op forms of vpmaddwd (even and odd i16 lanes of two
// vectors sign-extended, multiplied and the two products added) and of
// vpdpbusd (four u8 x s8 lane products added to an accumulator one by one;
// on 8 lanes the ymm vpdpbusd of AVX-VNNI when the target has it, else,
// with constant weights whose pairs provably cannot saturate, vpmaddubsw +
// vpmaddwd by ones)
// become the instructions themselves, after bufferization. LLVM selects the plain form on
// its own only while neither operand is a recognizable broadcast; the int8
// matmul kernels broadcast each row's K pair.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/KernelUtils.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

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

/// `v` = ext(shuffle(x, x, [t, t + 4, ..., t + 4 (n - 1)])) with x a
/// vector<4n x i8>, v a vector<n x i32>, ext unsigned or signed as asked:
/// returns x.
Value quadLanes(Value v, int64_t t, bool isUnsigned) {
  int64_t n = cast<VectorType>(v.getType()).getNumElements();
  Value in;
  if (isUnsigned) {
    auto ext = v.getDefiningOp<arith::ExtUIOp>();
    in = ext ? ext.getIn() : Value();
  } else {
    auto ext = v.getDefiningOp<arith::ExtSIOp>();
    in = ext ? ext.getIn() : Value();
  }
  if (!in)
    return {};
  auto shuffle = in.getDefiningOp<vector::ShuffleOp>();
  if (!shuffle || shuffle.getV1() != shuffle.getV2())
    return {};
  auto src = dyn_cast<VectorType>(shuffle.getV1().getType());
  if (!src || src.getShape() != ArrayRef<int64_t>{4 * n} ||
      !src.getElementType().isInteger(8))
    return {};
  ArrayRef<int64_t> mask = shuffle.getMask();
  if ((int64_t)mask.size() != n)
    return {};
  for (int64_t i = 0; i < n; ++i)
    if (mask[i] != 4 * i + t)
      return {};
  return shuffle.getV1();
}

/// The constant memref.global that `v` is read from (vector.load or
/// vector.transfer_read of its memref.get_global; with `constantIndices`
/// only at constant indices), or null; the read's indices in `readIndices`
/// when given.
static memref::GlobalOp constantGlobalRead(Value v, bool constantIndices,
                                           ValueRange *readIndices = nullptr) {
  Value base;
  ValueRange indices;
  if (auto read = v.getDefiningOp<vector::TransferReadOp>()) {
    base = read.getBase();
    indices = read.getIndices();
  } else if (auto load = v.getDefiningOp<vector::LoadOp>()) {
    base = load.getBase();
    indices = load.getIndices();
  } else {
    return {};
  }
  auto get = base.getDefiningOp<memref::GetGlobalOp>();
  if (!get || (constantIndices && !llvm::all_of(indices, [](Value i) {
                 return matchPattern(i, m_Constant());
               })))
    return {};
  auto global = SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  if (readIndices)
    *readIndices = indices;
  return global && global.getConstant() ? global : memref::GlobalOp();
}

/// Whether `v` provably holds weights on which vpmaddubsw cannot saturate:
/// a read of a constant global, starting at an even constant offset of
/// its innermost (even-sized) dimension, in which each adjacent pair of
/// elements (2i, 2i + 1), the pairs vpmaddubsw adds, is saturation-free
/// (isSaturationFreePair; the int8 kernels' packed weights). The pairs of
/// each global are checked once (`pairsFree` remembers the answer; every
/// quad step of a kernel reads the same global).
static bool
readOfSaturationFreeWeights(Value v,
                            llvm::DenseMap<Operation *, bool> &pairsFree) {
  ValueRange indices;
  memref::GlobalOp global =
      constantGlobalRead(v, /*constantIndices=*/false, &indices);
  if (!global)
    return false;
  APInt offset;
  auto type = cast<MemRefType>(global.getType());
  if (indices.empty() || type.getRank() == 0 || type.getShape().back() % 2 ||
      !matchPattern(indices.back(), m_ConstantInt(&offset)) ||
      offset.getZExtValue() % 2)
    return false;
  auto [it, inserted] = pairsFree.try_emplace(global.getOperation(), false);
  if (!inserted)
    return it->second;
  auto init = dyn_cast_or_null<DenseIntElementsAttr>(
      global.getInitialValue().value_or(Attribute()));
  if (!init)
    return false;
  SmallVector<int64_t> w;
  for (const APInt &x : init.getValues<APInt>())
    w.push_back(x.getSExtValue());
  bool free = true;
  for (size_t i = 0; i + 1 < w.size() && free; i += 2)
    free = isSaturationFreePair(w[i], w[i + 1]);
  return it->second = free;
}

/// The plain form of a u8 x s8 quad step, ((((acc + p0) + p1) + p2) + p3)
/// with p_t = extui(quad lanes t of a) * extsi(quad lanes t of w):
/// on 16 lanes it becomes llvm.x86.avx512.vpdpbusd.512(acc, a, w) (LLVM 22:
/// a, w as <64 x i8>); on 8 lanes with `avxVnni` (the target has AVX-VNNI)
/// llvm.x86.avx512.vpdpbusd.256(acc, a, w) (a, w as <32 x i8>; the
/// VEX-encoded vpdpbusd on ymm), exact for any weights; on 8 lanes
/// without it, when w is provably a read of constant weights whose pairs
/// are saturation-free (readOfSaturationFreeWeights; any 7-bit weights
/// are), acc + vpmaddwd(vpmaddubsw(a, w), 1): vpmaddubsw's saturating i16
/// pair sums are exact there. The ops of the plain form left without uses
/// are erased and recorded in `erased`.
bool selectQuadStep(arith::AddIOp last, llvm::DenseSet<Operation *> &erased,
                    llvm::DenseMap<Operation *, bool> &pairsFree,
                    bool avxVnni) {
  auto type = dyn_cast<VectorType>(last.getType());
  if (!type || type.getRank() != 1 ||
      (type.getNumElements() != 16 && type.getNumElements() != 8) ||
      !type.getElementType().isInteger(32))
    return false;
  const bool zmm = type.getNumElements() == 16;
  SmallVector<arith::AddIOp> chain = {last};
  for (int t = 0; t < 3; ++t) {
    auto prev = chain.back().getLhs().getDefiningOp<arith::AddIOp>();
    if (!prev || !prev->hasOneUse())
      return false;
    chain.push_back(prev);
  }
  Value acc = chain.back().getLhs();
  Value a, w;
  for (int64_t t = 0; t < 4; ++t) {
    auto mul = chain[3 - t].getRhs().getDefiningOp<arith::MulIOp>();
    if (!mul || !mul->hasOneUse())
      return false;
    Value at = quadLanes(mul.getLhs(), t, /*isUnsigned=*/true);
    Value wt = quadLanes(mul.getRhs(), t, /*isUnsigned=*/false);
    if (!at || !wt || (a && (a != at || w != wt)))
      return false;
    a = at;
    w = wt;
  }
  OpBuilder b(last);
  Location loc = last.getLoc();
  Value r;
  if (zmm || avxVnni) {
    r = LLVM::CallIntrinsicOp::create(
            b, loc, type,
            b.getStringAttr(zmm ? "llvm.x86.avx512.vpdpbusd.512"
                                : "llvm.x86.avx512.vpdpbusd.256"),
            ValueRange{acc, a, w})
            .getResult(0);
  } else {
    if (!readOfSaturationFreeWeights(w, pairsFree))
      return false;
    auto pairs = VectorType::get({16}, b.getI16Type());
    Value sums = LLVM::CallIntrinsicOp::create(
                     b, loc, pairs,
                     b.getStringAttr("llvm.x86.avx2.pmadd.ub.sw"),
                     ValueRange{a, w})
                     .getResult(0);
    Value ones = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(pairs, b.getI16IntegerAttr(1)));
    r = arith::AddIOp::create(
        b, loc, acc,
        LLVM::CallIntrinsicOp::create(b, loc, type,
                                      b.getStringAttr("llvm.x86.avx2.pmadd.wd"),
                                      ValueRange{sums, ones})
            .getResult(0));
  }
  last.replaceAllUsesWith(r);
  // Erase what only fed the plain form (adds, products, extensions,
  // shuffles), users first.
  SmallVector<Operation *> worklist = {last};
  while (!worklist.empty()) {
    Operation *op = worklist.pop_back_val();
    if (!op->use_empty() || erased.contains(op))
      continue;
    for (Value v : op->getOperands())
      if (Operation *def = v.getDefiningOp();
          def && isa<arith::AddIOp, arith::MulIOp, arith::ExtSIOp,
                     arith::ExtUIOp, vector::ShuffleOp>(def))
        worklist.push_back(def);
    erased.insert(op);
    op->erase();
  }
  return true;
}

/// An i32 vector `x` of a sign-extended product operand (extsi from
/// vector<N x i32>, or a constant whose values fit in i32) as its even and
/// odd elements in the low halves of vector<N/2 x i64> lanes, sign-extended:
/// for extsi, the bitcast lanes shifted (even: left then right by 32, odd:
/// the same after a shuffle duplicating the odd elements; vpmuldq reads
/// only the low half, so LLVM drops the shifts it does not need); for a
/// constant, two constants. Both halves are in the sext_inreg form (shl,
/// ashr exact): when LLVM hoists a loop-invariant operand (a per-channel multiplier) out
/// of the loop, instruction selection still knows its sign bits in that
/// form, not after a plain 64-bit ashr (the odd product then became three
/// vpmuludq).
std::optional<std::pair<Value, Value>> evenOddOperand(OpBuilder &b,
                                                      Location loc, Value x,
                                                      VectorType pairs) {
  auto i64 = b.getI64Type();
  if (auto ext = x.getDefiningOp<arith::ExtSIOp>()) {
    auto src = dyn_cast<VectorType>(ext.getIn().getType());
    if (!src || !src.getElementType().isInteger(32))
      return std::nullopt;
    Value w = vector::BitCastOp::create(b, loc, pairs, ext.getIn());
    Value c32 = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(pairs, b.getIntegerAttr(i64, 32)));
    auto sextInReg = [&](Value v) -> Value {
      return arith::ShRSIOp::create(
          b, loc, arith::ShLIOp::create(b, loc, v, c32), c32);
    };
    Value even = sextInReg(w);
    // The odd elements duplicated into the even positions (vpshufd), which
    // LLVM's instcombine does not fold back into a plain ashr.
    SmallVector<int64_t> dup;
    for (int64_t i = 0; i < src.getNumElements(); i += 2)
      dup.append({i + 1, i + 1});
    Value odd = sextInReg(vector::BitCastOp::create(
        b, loc, pairs,
        vector::ShuffleOp::create(b, loc, ext.getIn(), ext.getIn(), dup)));
    return std::make_pair(even, odd);
  }
  DenseIntElementsAttr attr;
  if (!matchPattern(x, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> values;
  for (const APInt &v : attr.getValues<APInt>()) {
    int64_t s = v.getSExtValue();
    if (s < INT32_MIN || s > INT32_MAX)
      return std::nullopt;
    values.push_back(s);
  }
  SmallVector<int64_t> even, odd;
  for (size_t i = 0; i + 1 < values.size(); i += 2) {
    even.push_back(values[i]);
    odd.push_back(values[i + 1]);
  }
  return std::make_pair(
      arith::ConstantOp::create(b, loc,
                                DenseElementsAttr::get(pairs, ArrayRef(even)))
          .getResult(),
      arith::ConstantOp::create(b, loc,
                                DenseElementsAttr::get(pairs, ArrayRef(odd)))
          .getResult());
}

/// Whether LLVM will see `v` (an i32 vector, possibly extended) as a
/// constant: an MLIR constant, or a read at constant indices of a constant
/// memref.global (a per-channel parameter of an unrolled column block).
static bool becomesConstant(Value v) {
  if (auto ext = v.getDefiningOp<arith::ExtSIOp>())
    v = ext.getIn();
  return matchPattern(v, m_Constant()) ||
         constantGlobalRead(v, /*constantIndices=*/true);
}

/// trunci((extsi(a) * extsi(m) [+ c]) >> s) from vector<N x i64> to
/// vector<N x i32>, 1 <= s <= 32 (the high product of the requantization),
/// becomes the even/odd form: the i32 vectors bitcast to N/2 i64 lanes,
/// even and odd elements multiplied separately (two vpmuldq), the even
/// results shifted right by s (their low halves are the result), the odd
/// ones left by 32 - s (their high halves are), merged by a blend; with a
/// constant multiplier both shifted right by s and interleaved by a shuffle
/// instead. Same bits: the low 32 bits of (p + c) >> s are bits
/// [s, s + 32) of p + c. Without this, LLVM widens both operands to two i64
/// vectors and narrows the result back (six shuffles more per vector).
bool selectEvenOddHighProduct(arith::TruncIOp trunc) {
  auto rt = dyn_cast<VectorType>(trunc.getType());
  auto it = dyn_cast<VectorType>(trunc.getIn().getType());
  if (!rt || !it || rt.getRank() != 1 || rt.getShape()[0] % 2 ||
      !rt.getElementType().isInteger(32) || !it.getElementType().isInteger(64))
    return false;
  Operation *shr = trunc.getIn().getDefiningOp();
  if (!shr || !isa<arith::ShRUIOp, arith::ShRSIOp>(shr))
    return false;
  APInt shift;
  if (!matchPattern(shr->getOperand(1), m_ConstantInt(&shift)) ||
      shift.getSExtValue() < 1 || shift.getSExtValue() > 32)
    return false;
  int64_t s = shift.getSExtValue();
  Value sum = shr->getOperand(0);
  std::optional<int64_t> addend;
  if (auto add = sum.getDefiningOp<arith::AddIOp>()) {
    APInt c;
    for (auto [x, y] : {std::pair(add.getLhs(), add.getRhs()),
                        std::pair(add.getRhs(), add.getLhs())})
      if (matchPattern(y, m_ConstantInt(&c)) && x.getDefiningOp<arith::MulIOp>()) {
        addend = c.getSExtValue();
        sum = x;
        break;
      }
    if (!addend)
      return false;
  }
  auto mul = sum.getDefiningOp<arith::MulIOp>();
  if (!mul)
    return false;
  OpBuilder b(trunc);
  Location loc = trunc.getLoc();
  Type i64 = b.getI64Type();
  auto pairs = VectorType::get({rt.getShape()[0] / 2}, i64);
  auto lhs = evenOddOperand(b, loc, mul.getLhs(), pairs);
  auto rhs = evenOddOperand(b, loc, mul.getRhs(), pairs);
  if (!lhs || !rhs)
    return false;
  llvm::DenseMap<int64_t, Value> splats;
  auto splat = [&](int64_t v) -> Value {
    Value &c = splats[v];
    if (!c)
      c = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(pairs, b.getIntegerAttr(i64, v)));
    return c;
  };
  Value even = arith::MulIOp::create(b, loc, lhs->first, rhs->first);
  Value odd = arith::MulIOp::create(b, loc, lhs->second, rhs->second);
  if (addend) {
    even = arith::AddIOp::create(b, loc, even, splat(*addend));
    odd = arith::AddIOp::create(b, loc, odd, splat(*addend));
  }
  even = arith::ShRUIOp::create(b, loc, even, splat(s));
  Value merged;
  if (becomesConstant(mul.getLhs()) || becomesConstant(mul.getRhs())) {
    // A constant multiplier (for LLVM: also a constant global read at
    // constant indices): both shifted right by s, the low halves
    // interleaved by a shuffle. (Shifting the odd products left by 32 - s
    // lets LLVM fold the shift into the constant, 2^(32-s) m, which no
    // longer fits vpmuldq: three vpmuludq per product.)
    odd = arith::ShRUIOp::create(b, loc, odd, splat(s));
    int64_t n = rt.getShape()[0];
    SmallVector<int64_t> interleave;
    for (int64_t i = 0; i < n; i += 2)
      interleave.append({i, n + i});
    merged = vector::ShuffleOp::create(
        b, loc, vector::BitCastOp::create(b, loc, rt, even),
        vector::BitCastOp::create(b, loc, rt, odd), interleave);
  } else {
    // The odd results shifted left by 32 - s (their high halves are the
    // results), merged by masks (a blend): one instruction fewer.
    if (s < 32)
      odd = arith::ShLIOp::create(b, loc, odd, splat(32 - s));
    merged = vector::BitCastOp::create(
        b, loc, rt,
        arith::OrIOp::create(
            b, loc, arith::AndIOp::create(b, loc, even, splat(0xFFFFFFFFll)),
            arith::AndIOp::create(b, loc, odd, splat(~0xFFFFFFFFll))));
  }
  trunc.replaceAllUsesWith(merged);
  // The wide form, as far as nothing else uses it.
  llvm::SetVector<Operation *> dead;
  dead.insert(trunc);
  dead.insert(shr);
  if (sum != shr->getOperand(0))
    dead.insert(shr->getOperand(0).getDefiningOp());
  dead.insert(mul);
  for (Value v : mul->getOperands())
    if (auto ext = v.getDefiningOp<arith::ExtSIOp>())
      dead.insert(ext);
  for (Operation *op : dead)
    if (op->use_empty())
      op->erase();
  return true;
}

struct QntSelectX86IntrinsicsPass
    : public qnt::impl::QntSelectX86IntrinsicsBase<
          QntSelectX86IntrinsicsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Quad steps first (vpdpbusd, vpmaddubsw): their chains end in adds.
    {
      SmallVector<arith::AddIOp> adds;
      getOperation().walk([&](arith::AddIOp add) { adds.push_back(add); });
      // The last add of a chain is not used by another add of the chain;
      // try every add, latest first (erased adds are skipped).
      llvm::DenseSet<Operation *> erased;
      llvm::DenseMap<Operation *, bool> pairsFree;
      for (arith::AddIOp add : llvm::reverse(adds))
        if (!erased.contains(add.getOperation()))
          (void)selectQuadStep(add, erased, pairsFree, avxVnni);
    }
    // The requantization's high products.
    {
      SmallVector<arith::TruncIOp> truncs;
      getOperation().walk(
          [&](arith::TruncIOp trunc) { truncs.push_back(trunc); });
      for (arith::TruncIOp trunc : truncs)
        (void)selectEvenOddHighProduct(trunc);
    }
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
    // Constants only the replaced forms used (shift amounts, splat
    // multipliers of the wide products).
    getOperation().walk([](arith::ConstantOp c) {
      if (c->use_empty())
        c->erase();
    });
  }
};
} // namespace
