//===- QntInt8MatmulKernels.cpp - register-blocked int8 matmul kernels ----===//
//
// An i8 x i8 -> i32 matmul with constant weights becomes a register-blocked
// kernel: the weights are packed at compile time into 8-column blocks of K
// pairs ([ceil(N/8)][ceil(K/2)][16] i16, the two K values of a pair
// interleaved per column), the activations are widened to i16 once, and an
// m-tile x n-blocks tile of vector<8xi32> accumulators is updated per K
// pair with vpmaddwd (exact i16 x i16 products, summed in pairs into i32):
// per row one broadcast of its i16 pair, per block one 16-lane i16 weight
// vector (written as plain vector ops that LLVM selects as vpmaddwd). It
// is the AVX2 form of the VNNI kernel of issue 7 (vpdpbusd
// consumes K quads instead of pairs, with the same packing one level up).
// Convolutions are matmuls: 1x1 ones of their collapsed input, others of
// their im2col patches (gathered straight into the i16 operand). The bias
// init starts the accumulators and the element-wise consumer (the
// requantization) runs on the register tile before the narrow store.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/KernelUtils.h"
#include "qnt/Dialect/Qnt/Utils/Matching.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTINT8MATMULKERNELS
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// What a supported matmul looks like: C = init + A B with A [M, K] (or
/// [1, M, K]), B [K, N] constant (row-major in `weights`), C [M, N] (or
/// [1, M, N]). A 1x1 convolution (stride and dilation 1) is the matmul of
/// its input and output collapsed to [N H W, C].
struct MatmulShape {
  bool batched = false;
  bool conv1x1 = false;
  /// Any other convolution: the matmul of its im2col patches
  /// [N OH OW, KH KW C] (gathered straight into the widened i16 operand)
  /// and the filter as [KH KW C, F].
  bool im2col = false;
  int64_t kh = 1, kw = 1, strideH = 1, strideW = 1, dilH = 1, dilW = 1;
  bool zeroInit = false;
  int64_t m = 0, n = 0, k = 0;
  Value lhs, init;
  /// The init broadcasts this 1-D [N] tensor along the rows (a bias): the
  /// accumulators start from its vectors, the init is not read.
  Value bias;
  SmallVector<int8_t> weights;
};

/// The i8 values of a constant, row-major.
std::optional<SmallVector<int8_t>> constantI8(Value v) {
  DenseIntElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) ||
      !attr.getElementType().isInteger(8))
    return std::nullopt;
  SmallVector<int8_t> out;
  for (const APInt &x : attr.getValues<APInt>())
    out.push_back(int8_t(x.getSExtValue()));
  return out;
}

bool isI8(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getElementType().isInteger(8);
}

std::optional<MatmulShape> matchInt8Matmul(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  Value lhs = op.getDpsInputs()[0], rhs = op.getDpsInputs()[1];
  Value init = op.getDpsInits()[0];
  auto ot = dyn_cast<RankedTensorType>(init.getType());
  if (!isI8(lhs) || !isI8(rhs) || !ot || !ot.hasStaticShape() ||
      !ot.getElementType().isInteger(32))
    return std::nullopt;
  auto lt = cast<RankedTensorType>(lhs.getType());
  auto rt = cast<RankedTensorType>(rhs.getType());
  MatmulShape s;
  if (auto conv = dyn_cast<linalg::Conv2DNhwcFhwcOp>(op.getOperation())) {
    auto ones = [](DenseIntElementsAttr a) {
      return llvm::all_of(a.getValues<int64_t>(),
                          [](int64_t v) { return v == 1; });
    };
    auto filter = constantI8(rhs);
    if (!filter)
      return std::nullopt;
    s.kh = rt.getDimSize(1);
    s.kw = rt.getDimSize(2);
    auto strides = conv.getStrides().getValues<int64_t>();
    auto dilations = conv.getDilations().getValues<int64_t>();
    s.strideH = strides[0];
    s.strideW = strides[1];
    s.dilH = dilations[0];
    s.dilW = dilations[1];
    s.conv1x1 = ones(conv.getStrides()) && ones(conv.getDilations()) &&
                s.kh == 1 && s.kw == 1;
    s.im2col = !s.conv1x1;
    s.m = ot.getDimSize(0) * ot.getDimSize(1) * ot.getDimSize(2);
    s.k = s.kh * s.kw * lt.getDimSize(3);
    s.n = rt.getDimSize(0);
    // Filter [F][KH][KW][C] -> B[(kh KW + kw) C + c][f]: row-major over
    // (kh, kw, c), the order of the collapsed patches.
    s.weights.assign(s.k * s.n, 0);
    for (int64_t f = 0; f < s.n; ++f)
      for (int64_t k = 0; k < s.k; ++k)
        s.weights[k * s.n + f] = (*filter)[f * s.k + k];
  } else {
    s.batched = isa<linalg::BatchMatmulOp>(op);
    if (auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation())) {
      if (mm.hasUserDefinedMaps() ||
          mm.getCast() != linalg::TypeFn::cast_signed)
        return std::nullopt;
    } else if (auto bmm = dyn_cast<linalg::BatchMatmulOp>(op.getOperation())) {
      if (bmm.hasUserDefinedMaps() ||
          bmm.getCast() != linalg::TypeFn::cast_signed ||
          lt.getDimSize(0) != 1 || rt.getDimSize(0) != 1)
        return std::nullopt;
    } else {
      return std::nullopt;
    }
    auto weights = constantI8(rhs);
    if (!weights)
      return std::nullopt;
    unsigned r = s.batched ? 1 : 0;
    s.m = lt.getDimSize(r);
    s.k = lt.getDimSize(r + 1);
    s.n = rt.getDimSize(r + 1);
    s.weights = std::move(*weights);
  }
  s.lhs = lhs;
  AccumulatorStart start = classifyAccumulatorStart(init);
  s.zeroInit = start.zero;
  s.bias = start.bias;
  s.init = start.init;
  return s;
}


/// Whether every K pair (2i, 2i + 1) of B [K, N] (row-major, K padded
/// with a zero row when odd) is saturation-free in every column: the
/// K quads of u8 x s8 are exact on B as it is.
bool pairsSaturationFree(ArrayRef<int8_t> w, int64_t k, int64_t n) {
  for (int64_t p = 0; p < k; p += 2)
    for (int64_t c = 0; c < n; ++c)
      if (!isSaturationFreePair(w[p * n + c], p + 1 < k ? w[(p + 1) * n + c]
                                                        : 0))
        return false;
  return true;
}

/// The graph on `size` codes whose edges join two codes that may share a
/// vpmaddubsw pair: weight(x, c), weight(y, c) saturation-free in every
/// column c < n.
template <typename Weight>
SmallVector<SmallVector<int64_t>> saturationFreeGraph(int64_t size, int64_t n,
                                                      Weight weight) {
  SmallVector<SmallVector<int64_t>> adjacent(size);
  for (int64_t x = 0; x < size; ++x)
    for (int64_t y = x + 1; y < size; ++y) {
      bool free = true;
      for (int64_t c = 0; c < n && free; ++c)
        free = isSaturationFreePair(weight(x, c), weight(y, c));
      if (free) {
        adjacent[x].push_back(y);
        adjacent[y].push_back(x);
      }
    }
  return adjacent;
}

/// For the im2col patches of a convolution read as one run of `run`
/// codes per filter row (KW C, dilation 1 along W): an order of each
/// run's codes, padded to `stride` (run rounded up to even) slots, in
/// which every adjacent pair (2i, 2i + 1) is saturation-free in every
/// column of the filter, so that its K quads are exact with 8-bit
/// weights. Codes move only within their group of 16 slots (the
/// reordering is one byte shuffle per 16-byte lane); a padding slot holds
/// a zero weight and pairs with any code. Per slot of [KH, stride]: the
/// code's index within its run, -1 for padding; none when some group has
/// no such order.
std::optional<SmallVector<int64_t>>
saturationFreeRowOrder(const MatmulShape &s, int64_t run) {
  const int64_t stride = run + run % 2;
  SmallVector<int64_t> order;
  for (int64_t kh = 0; kh < s.kh; ++kh)
    for (int64_t g0 = 0; g0 < stride; g0 += 16) {
      const int64_t size = std::min<int64_t>(16, stride - g0);
      auto weight = [&](int64_t slot, int64_t c) -> int64_t {
        int64_t code = g0 + slot;
        return code < run ? s.weights[(kh * run + code) * s.n + c] : 0;
      };
      SmallVector<int64_t> mate =
          maximumMatching(saturationFreeGraph(size, s.n, weight));
      if (llvm::is_contained(mate, -1))
        return std::nullopt;
      for (int64_t slot = 0; slot < size; ++slot)
        if (slot < mate[slot])
          for (int64_t x : {slot, mate[slot]})
            order.push_back(g0 + x < run ? g0 + x : -1);
    }
  return order;
}

/// For a matmul whose activation rows are copied whole (a 1x1 convolution
/// or a plain matmul): its K codes in u8 x s8 quads, possibly followed by a
/// tail of i16 pairs summed into the same accumulators. A maximum matching
/// of the codes that may share a vpmaddubsw pair (saturation-free in every
/// column) gives the quads' order, each matched pair adjacent. The codes it
/// leaves over either each take a padding slot (a zero weight) beside them
/// in the quads, or go to the tail (vpmaddwd: exact for any weights, padded
/// to even; the quads then made whole by one of them beside a padding slot,
/// else by a padding pair). Per slot of each part: the code, -1 for
/// padding.
///
/// The cheaper of the two, or of neither (the i16 pairs of all K, none
/// returned), by an estimate in pair slots: K rounded up to even for the
/// pairs; kQuadSlotCost per quad slot; per tail slot 1, plus kTailCost for
/// the tail's second K loop per tile and second shuffle per row. Fitted
/// to side-by-side timings of single 1x1 layers with the two models'
/// weights (14 x 14 64 -> 64, 32 x 32 28 -> 32, 16 x 16 72 -> 80 and 80
/// -> 88, 8 x 8 96 -> 96: splits 0.91 - 1.04 of the other form) and of
/// whole-quad orders (1.00, 1.10, 1.17 slots per code: 0.86, 0.92, 1.01
/// of the pairs); the ratio of the two instruction mixes' measured ceilings
/// is 0.84 (docs/performance.md). None as well when no code pairs up or
/// when K is large (the search is cubic, the copy one shuffle of K codes
/// per row).
struct KSplit {
  SmallVector<int64_t> quads, pairs;
};
constexpr double kQuadSlotCost = 0.85;
constexpr double kTailCost = 2.5;
constexpr int64_t kMaxReorderedK = 256;
std::optional<KSplit> saturationFreeKSplit(const MatmulShape &s) {
  if (s.k > kMaxReorderedK)
    return std::nullopt;
  SmallVector<int64_t> mate = maximumMatching(saturationFreeGraph(
      s.k, s.n, [&](int64_t k, int64_t c) -> int64_t {
        return s.weights[k * s.n + c];
      }));
  SmallVector<int64_t> matched, left;
  for (int64_t k = 0; k < s.k; ++k)
    if (k < mate[k])
      matched.append({k, mate[k]});
    else if (mate[k] == -1)
      left.push_back(k);
  if (matched.empty())
    return std::nullopt;
  // Every code in the quads.
  KSplit whole{matched, {}};
  for (int64_t k : left)
    whole.quads.append({k, -1});
  while (whole.quads.size() % 4)
    whole.quads.push_back(-1);
  // The codes left over in a tail of pairs.
  KSplit split{matched, left};
  if (split.quads.size() % 4)
    split.quads.append(
        {split.pairs.empty() ? -1 : split.pairs.pop_back_val(), -1});
  if (split.pairs.size() % 2)
    split.pairs.push_back(-1);
  auto cost = [](const KSplit &x) {
    return kQuadSlotCost * double(x.quads.size()) + double(x.pairs.size()) +
           (x.pairs.empty() ? 0.0 : kTailCost);
  };
  const KSplit &best = cost(split) < cost(whole) ? split : whole;
  if (cost(best) >= double(s.k + s.k % 2))
    return std::nullopt;
  return best;
}

/// The weights in a K order: B'[slot] = B[order[slot]], zero where the
/// order has -1 (padding); K becomes the order's length.
void reorderK(MatmulShape &s, ArrayRef<int64_t> order) {
  SmallVector<int8_t> reordered(order.size() * s.n, 0);
  for (auto [slot, code] : llvm::enumerate(order))
    if (code >= 0)
      std::copy_n(&s.weights[code * s.n], s.n, &reordered[slot * s.n]);
  s.weights = std::move(reordered);
  s.k = order.size();
}

/// The activation rows of one chunk of the loop nest take about this many
/// bytes (half of a 512 KiB L2).
constexpr int64_t kChunkBytes = 256 * 1024;

/// The m-tiles per row chunk, out of `tiles`, at most `most` (the chunk's
/// activations about kChunkBytes; at least 4 chunks when there are tiles
/// for them), so that a static schedule shares the chunks out as evenly as
/// the tiles allow: each of T threads takes ceil(chunks / T) consecutive
/// chunks, so 5 chunks on 2 threads would leave one idle for a fifth of
/// the time. Of the sizes from most / 2 to most, the one whose busiest
/// thread has the fewest tiles on 2 threads, then on 4, then the largest.
int64_t chunkTiles(int64_t tiles, int64_t most) {
  auto ceilDiv = [](int64_t a, int64_t b) { return (a + b - 1) / b; };
  if (tiles <= 4)
    return 1;
  most = std::min(most, ceilDiv(tiles, 4));
  // The tiles of the busiest of `threads` threads with chunks of c tiles.
  auto busiest = [&](int64_t c, int64_t threads) {
    return std::min(tiles, ceilDiv(ceilDiv(tiles, c), threads) * c);
  };
  int64_t best = most;
  for (int64_t c = most - 1; c >= std::max<int64_t>(1, (most + 1) / 2); --c)
    if (std::make_pair(busiest(c, 2), busiest(c, 4)) <
        std::make_pair(busiest(best, 2), busiest(best, 4)))
      best = c;
  return best;
}

struct QntInt8MatmulKernelsPass
    : public qnt::impl::QntInt8MatmulKernelsBase<QntInt8MatmulKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (isa != "avx2" && isa != "avxvnni" && isa != "avx512vnni" &&
        isa != "none") {
      getOperation().emitError()
          << "qnt-int8-matmul-kernels: unknown isa '"
          << static_cast<std::string>(isa)
          << "' (expected avx2, avxvnni, avx512vnni or none)";
      return signalPassFailure();
    }
    if (mTile < 1 || nBlocks < 1) {
      getOperation().emitError()
          << "qnt-int8-matmul-kernels: m-tile and n-blocks must be positive";
      return signalPassFailure();
    }
    if (isa == "none")
      return;
    SmallVector<linalg::LinalgOp> work;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (matchInt8Matmul(op))
        work.push_back(op);
    });
    // Matched again when rewritten, not before: an earlier rewrite replaces
    // the epilogue whose result may be this op's input (two kernels in a
    // row), so what was matched up front would point at erased IR.
    for (linalg::LinalgOp op : work)
      if (auto shape = matchInt8Matmul(op))
        rewrite(op, *shape,
                fuseEpilogue ? matchKernelEpilogue(op->getResult(0))
                             : std::nullopt);
  }

  /// The dot-product step on one accumulator: `row` is a broadcast K
  /// group of one row (pairs: vector<16xi16>, 8 pairs; quads:
  /// vector<4 L x i8>, L quads of u8 codes), `w` a block of the packed
  /// weights (same shape; quads: s8). Written as plain vector ops:
  /// per position t of the group, the lanes t, t + G, ... of both operands
  /// extended to i32 (pairs: both signed; quads: the row unsigned) and
  /// multiplied; pairs add the two products, then the sum to `acc`
  /// (LLVM's x86 backend selects the pair as vpmaddwd); quads add the four
  /// products to `acc` one by one. qnt-select-x86-intrinsics turns these
  /// forms into vpmaddwd / vpdpbusd / vpmaddubsw after bufferization.
  static Value dotStep(OpBuilder &b, Location loc, Value acc, Value row,
                       Value w, int64_t group, bool quads) {
    SmallVector<Value> products;
    for (int64_t t = 0; t < group; ++t)
      products.push_back(arith::MulIOp::create(
          b, loc, groupLanes(b, loc, row, group, t, /*isUnsigned=*/quads),
          groupLanes(b, loc, w, group, t)));
    if (!quads)
      return arith::AddIOp::create(
          b, loc, acc,
          arith::AddIOp::create(b, loc, products[0], products[1]));
    Value r = acc;
    for (Value p : products)
      r = arith::AddIOp::create(b, loc, r, p);
    return r;
  }

  void rewrite(linalg::LinalgOp op, MatmulShape s,
               std::optional<KernelEpilogue> epilogue) {
    // At the epilogue when there is one: its output and parameters may be
    // defined after the matmul.
    OpBuilder b(epilogue ? epilogue->op.getOperation() : op.getOperation());
    Location loc = op.getLoc();
    Type i8 = b.getI8Type(), i16 = b.getI16Type(), i32 = b.getI32Type();
    // avx2: 8 i32 lanes, K pairs of i16 (vpmaddwd); avx512vnni: 16 lanes,
    // K quads of u8 x s8 (vpdpbusd) with the activations offset by +128;
    // avxvnni: the same quads on 8 lanes (vpdpbusd on ymm, VEX-encoded),
    // exact for any weights as avx512vnni's;
    // avx2 (saturation-free-quads) where vpmaddubsw cannot saturate on any
    // pair of weights it adds (isSaturationFreePair: always with 7-bit
    // weights): 8 lanes, K quads like vnni (vpmaddubsw, then vpmaddwd by
    // ones). A convolution's im2col patches (dilation 1 along W) may get
    // there by reordering each filter row's codes (rowOrder): then each
    // row's run takes `stride` slots of the patch row instead of `run`; a
    // matmul or 1x1 convolution by reordering its K codes (kOrder), which
    // the copy of the activation rows applies, the codes that pair with
    // none left to a tail of i16 pairs (tailOrder, tail: its weights; the
    // copy writes its activations widened to i16 beside the quads').
    const bool vnni = isa == "avx512vnni" || isa == "avxvnni";
    const bool runs = s.im2col && s.dilW == 1;
    const int64_t run =
        runs ? s.kw * cast<RankedTensorType>(s.lhs.getType()).getDimSize(3)
             : 0;
    int64_t stride = run;
    SmallVector<int64_t> rowOrder, kOrder, tailOrder;
    MatmulShape tail;
    bool quads = vnni;
    if (!vnni && saturationFreeQuads) {
      if (pairsSaturationFree(s.weights, s.k, s.n)) {
        quads = true;
      } else if (!s.im2col) {
        if (auto split = saturationFreeKSplit(s)) {
          quads = true;
          kOrder = std::move(split->quads);
          tailOrder = std::move(split->pairs);
          if (!tailOrder.empty()) {
            tail = s;
            reorderK(tail, tailOrder);
          }
          reorderK(s, kOrder);
        }
      } else if (runs) {
        if (auto order = saturationFreeRowOrder(s, run)) {
          quads = true;
          rowOrder = std::move(*order);
          stride = run + run % 2;
          // Slot kh stride + i takes code kh run + rowOrder[...].
          SmallVector<int64_t> codes;
          for (auto [slot, code] : llvm::enumerate(rowOrder))
            codes.push_back(code < 0 ? -1 : slot / stride * run + code);
          reorderK(s, codes);
        }
      }
    }
    const int64_t L = isa == "avx512vnni" ? 16 : 8, G = quads ? 4 : 2;
    const int64_t kGroups = (s.k + G - 1) / G, nBlk = (s.n + L - 1) / L;
    // The register tile: mTile x nBlocks accumulators. With fewer column
    // blocks than nBlocks, the rows grow to keep as many accumulators
    // (N = 8 on AVX2: 12 x 1 instead of 6 x 1).
    const int64_t nb = std::min(nBlk, (int64_t)nBlocks);
    // Full m-tiles of mt rows, then one tile of the remaining rows; full
    // panels of nb blocks, then one panel of the remaining blocks.
    // The vpmaddubsw form (avx2 quads) holds two registers more than the
    // pairs' (the ones of its vpmaddwd and a product) besides the blocks'
    // weights and a row's broadcast: in AVX2's 16 registers at most
    // 13 - nb accumulators (with 6 x 2 LLVM spills one of them in the K
    // loop, and the reload joins the accumulation's dependency chain).
    int64_t tileRows = mTile * nBlocks / nb;
    if (isa == "avx2" && quads)
      tileRows = std::min(tileRows, std::max<int64_t>(1, (13 - nb) / nb));
    const int64_t mt = std::min<int64_t>(s.m, tileRows);
    const int64_t mMain = s.m / mt * mt, mRest = s.m - mMain;
    const int64_t nMain = nBlk / nb * nb, nRest = nBlk - nMain;
    Type elem = quads ? i8 : i16; // the activation operand's element type

    // Weights packed at compile time: block j, group g holds, per column c
    // of the block, B[G g + t][L j + c] for t < G (zeros past N and K).
    // When N is not a multiple of L (but above it), the last block overlaps
    // the one before (VectorBlocks).
    const VectorBlocks columns{s.n, L};
    auto blockStart = [&](int64_t j) { return columns.start(j); };
    // avx2 pairs: sign-extended to i16 here, not per use in the kernel's
    // loop.
    auto pack = [&](const MatmulShape &w, int64_t g, int64_t groups,
                    bool asQuads) -> Value {
      SmallVector<int8_t> packed(nBlk * groups * L * g, 0);
      for (int64_t j = 0; j < nBlk; ++j)
        for (int64_t c = 0; c < L && blockStart(j) + c < w.n; ++c)
          for (int64_t k = 0; k < w.k; ++k)
            packed[(j * groups + k / g) * (L * g) + c * g + k % g] =
                w.weights[k * w.n + blockStart(j) + c];
      if (asQuads)
        return arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(
                RankedTensorType::get({nBlk, groups, L * g}, i8),
                ArrayRef<int8_t>(packed)));
      SmallVector<int16_t> wide16(packed.begin(), packed.end());
      return arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({nBlk, groups, L * g}, i16),
              ArrayRef<int16_t>(wide16)));
    };
    Value bp = pack(s, G, kGroups, quads);
    // The tail of i16 pairs after the quads of a K split.
    const int64_t tailGroups = tail.k / 2;
    Value tailBp = tailGroups ? pack(tail, 2, tailGroups, false) : Value();
    // quads: sum_k (a + 128) w = sum_k a w + 128 sum_k w; the second term
    // (per column, at compile time) is taken off the accumulators' start.
    Value compensation;
    if (quads) {
      SmallVector<int32_t> comp(nBlk * L, 0);
      for (int64_t k = 0; k < s.k; ++k)
        for (int64_t n = 0; n < s.n; ++n)
          comp[n] += 128 * int32_t(s.weights[k * s.n + n]);
      compensation = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(RankedTensorType::get({nBlk * L}, i32),
                                 ArrayRef<int32_t>(comp)));
    }

    // A 1x1 convolution: [N, H, W, C] -> [N H W, C], same for the result.
    // The loops carry the result: the i32 init, or with a fused epilogue
    // its (narrow) output; a non-zero, non-bias init is read from `init`.
    Value lhs = s.lhs, init = s.init;
    Value out = epilogue ? epilogue->op.getDpsInits()[0] : Value();
    SmallVector<ReassociationIndices> collapse = {{0, 1, 2}, {3}};
    if (s.conv1x1 || s.im2col) {
      if (s.conv1x1)
        lhs = tensor::CollapseShapeOp::create(b, loc, lhs, collapse);
      init = tensor::CollapseShapeOp::create(b, loc, init, collapse);
      if (epilogue)
        out = tensor::CollapseShapeOp::create(b, loc, out, collapse);
    }
    if (!out)
      out = init;

    // The activation operand (avx2: widened to i16; vnni: offset to u8 by
    // flipping the sign bit, a + 128), for a general convolution its
    // patches, gathered by one linalg.generic over [N, OH, OW, KH, KW, C]
    // reading input[n, oh sh + kh dh, ow sw + kw dw, c], then collapsed to
    // [N OH OW, KH KW C]; K padded to a multiple of the group.
    auto extend = [&](OpBuilder &nb, Location l, ValueRange args) {
      Value v = quads ? arith::XOrIOp::create(
                           nb, l, args[0],
                           arith::ConstantOp::create(
                               nb, l, nb.getIntegerAttr(i8, -128)))
                           .getResult()
                     : arith::ExtSIOp::create(nb, l, i16, args[0]).getResult();
      linalg::YieldOp::create(nb, l, ValueRange{v});
    };
    auto idx = [&](OpBuilder &bb, int64_t v) -> Value {
      return arith::ConstantIndexOp::create(bb, loc, v);
    };
    Value wide, tailWide;
    // K already padded to a multiple of the group (the padding columns are
    // left unset: their weights are zero).
    bool kPadded = false;
    if (runs) {
      // Per output pixel and filter row, the KW C codes it reads are
      // contiguous in the input ([N, H, W C]): one vector read, extended
      // (or offset) at once and written to the pixel's row of patches
      // (with a row order, put in that order by one shuffle first).
      auto inType = cast<RankedTensorType>(lhs.getType());
      auto outType = cast<RankedTensorType>(s.init.getType());
      const int64_t oh = outType.getDimSize(1), ow = outType.getDimSize(2);
      const int64_t channels = inType.getDimSize(3);
      const int64_t rowLength = kGroups * G;
      // A run that is not a multiple of 8 codes (an RGB input's 5 x 3 = 15)
      // is read and written as a wider vector of `wideRun` codes (4, 8, or
      // the next multiple of 8), which LLVM moves in whole registers
      // instead of 8 + 4 + 2 + 1-byte pieces. The extra codes written land
      // on the next filter row's run, which is written after it, and past
      // the last run on the row's K padding (zero weights): allowed when
      // that padding is wide enough. The extra codes read stay inside the
      // input row for every column but the last, which takes the exact
      // run.
      // With a row order, runs are read `stride` codes wide under the same
      // conditions and written exactly `stride` wide.
      int64_t wideRun = !rowOrder.empty() ? stride
                        : run % 8 == 0    ? run
                        : run < 4         ? 4
                        : run < 8         ? 8
                                          : (run + 7) / 8 * 8;
      if (wideRun != run &&
          ((s.kh - 1) * stride + wideRun > rowLength ||
           wideRun - run > s.strideW * channels || ow < 2))
        wideRun = run;
      Value flat = tensor::CollapseShapeOp::create(
          b, loc, lhs, SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
      Value empty = tensor::EmptyOp::create(
          b, loc, ArrayRef<int64_t>{s.m, rowLength}, elem);
      Value padI8 = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 0));
      // The runs of pixel (r, x) with vectors of `width` codes.
      auto emitPixel = [&](OpBuilder &b2, Value r, Value n, Value y, Value x,
                           Value t, int64_t width) -> Value {
        auto readType = VectorType::get({width}, i8);
        Value pixel = arith::AddIOp::create(
            b2, loc, arith::MulIOp::create(b2, loc, r, idx(b2, ow)), x);
        Value col = arith::MulIOp::create(b2, loc, x,
                                          idx(b2, s.strideW * channels));
        for (int64_t kh = 0; kh < s.kh; ++kh) {
          Value row = arith::AddIOp::create(
              b2, loc, arith::MulIOp::create(b2, loc, y, idx(b2, s.strideH)),
              idx(b2, kh * s.dilH));
          Value v = vector::TransferReadOp::create(
              b2, loc, readType, flat, ValueRange{n, row, col}, padI8,
              ArrayRef<bool>{true});
          v = quads ? arith::XOrIOp::create(
                         b2, loc, v,
                         arith::ConstantOp::create(
                             b2, loc,
                             DenseElementsAttr::get(
                                 readType, b2.getIntegerAttr(i8, -128))))
                         .getResult()
                   : arith::ExtSIOp::create(b2, loc,
                                            VectorType::get({width}, elem), v)
                         .getResult();
          if (!rowOrder.empty()) {
            // Slot i takes code rowOrder[i] of the run; a padding slot
            // (zero weight) any defined code: the one read there, else the
            // first. An order that leaves every code in place needs no
            // shuffle.
            SmallVector<int64_t> mask;
            bool identity = width == stride;
            for (int64_t slot = 0; slot < stride; ++slot) {
              int64_t code = rowOrder[kh * stride + slot];
              mask.push_back(code >= 0 ? code : slot < width ? slot : 0);
              identity &= mask.back() == slot;
            }
            if (!identity)
              v = vector::ShuffleOp::create(b2, loc, v, v, mask);
          }
          t = vector::TransferWriteOp::create(
                  b2, loc, v, t, ValueRange{pixel, idx(b2, kh * stride)},
                  ArrayRef<bool>{true})
                  .getResult();
        }
        return t;
      };
      auto rows = scf::ForOp::create(
          b, loc, idx(b, 0), idx(b, outType.getDimSize(0) * oh), idx(b, 1),
          ValueRange{empty},
          [&](OpBuilder &b1, Location, Value r, ValueRange a1) {
            Value n = arith::DivUIOp::create(b1, loc, r, idx(b1, oh));
            Value y = arith::RemUIOp::create(b1, loc, r, idx(b1, oh));
            int64_t wideCols = wideRun == run ? ow : ow - 1;
            auto cols = scf::ForOp::create(
                b1, loc, idx(b1, 0), idx(b1, wideCols), idx(b1, 1),
                ValueRange{a1[0]},
                [&](OpBuilder &b2, Location, Value x, ValueRange a2) {
                  scf::YieldOp::create(
                      b2, loc, emitPixel(b2, r, n, y, x, a2[0], wideRun));
                });
            Value t = cols.getResult(0);
            if (wideCols != ow)
              t = emitPixel(b1, r, n, y, idx(b1, ow - 1), t, run);
            scf::YieldOp::create(b1, loc, t);
          });
      // Output rows are independent (threads).
      rows->setAttr(QntDialect::getParallelAttrName(), b.getUnitAttr());
      wide = rows.getResult(0);
      kPadded = true;
    } else if (s.im2col) {
      auto inType = cast<RankedTensorType>(lhs.getType());
      auto outType = cast<RankedTensorType>(s.init.getType());
      SmallVector<int64_t> patchShape = {
          outType.getDimSize(0), outType.getDimSize(1), outType.getDimSize(2),
          s.kh, s.kw, inType.getDimSize(3)};
      MLIRContext *ctx = b.getContext();
      AffineExpr d[6];
      bindDims(ctx, d[0], d[1], d[2], d[3], d[4], d[5]);
      AffineMap inputMap = AffineMap::get(
          6, 0,
          {d[0], d[1] * s.strideH + d[3] * s.dilH,
           d[2] * s.strideW + d[4] * s.dilW, d[5]},
          ctx);
      Value empty = tensor::EmptyOp::create(b, loc, patchShape, elem);
      Value patches =
          linalg::GenericOp::create(
              b, loc, TypeRange{empty.getType()}, ValueRange{lhs},
              ValueRange{empty},
              ArrayRef<AffineMap>{inputMap, b.getMultiDimIdentityMap(6)},
              SmallVector<utils::IteratorType>(6,
                                               utils::IteratorType::parallel),
              extend)
              .getResult(0);
      wide = tensor::CollapseShapeOp::create(
          b, loc, patches,
          SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
    } else if (!kOrder.empty()) {
      // Per row: its K codes read at once, offset, put in kOrder by one
      // shuffle (a padding slot, zero weight, takes code 0) and written
      // as the row's kOrder.size() slots (a multiple of the quads); with a
      // tail, its codes put in tailOrder by another shuffle of the codes
      // as read, widened to i16 and written as the row of the tail's
      // operand.
      auto lhsType = cast<RankedTensorType>(lhs.getType());
      const int64_t origK = lhsType.getShape().back();
      SmallVector<int64_t> shape(lhsType.getShape());
      shape.back() = kOrder.size();
      SmallVector<Value> empties = {tensor::EmptyOp::create(b, loc, shape, i8)};
      if (tailGroups) {
        shape.back() = tailOrder.size();
        empties.push_back(tensor::EmptyOp::create(b, loc, shape, i16));
      }
      auto readType = VectorType::get({origK}, i8);
      Value padI8 = arith::ConstantOp::create(b, loc, b.getIntegerAttr(i8, 0));
      auto maskOf = [](ArrayRef<int64_t> order) {
        SmallVector<int64_t> mask;
        for (int64_t code : order)
          mask.push_back(std::max<int64_t>(0, code));
        return mask;
      };
      SmallVector<int64_t> mask = maskOf(kOrder), tailMask = maskOf(tailOrder);
      auto rows = scf::ForOp::create(
          b, loc, idx(b, 0), idx(b, s.m), idx(b, 1), empties,
          [&](OpBuilder &b1, Location, Value r, ValueRange a1) {
            SmallVector<Value> at = {r, idx(b1, 0)};
            if (s.batched)
              at.insert(at.begin(), idx(b1, 0));
            Value row = vector::TransferReadOp::create(
                b1, loc, readType, lhs, at, padI8, ArrayRef<bool>{true});
            Value v = arith::XOrIOp::create(
                b1, loc, row,
                arith::ConstantOp::create(
                    b1, loc,
                    DenseElementsAttr::get(readType,
                                           b1.getIntegerAttr(i8, -128))));
            v = vector::ShuffleOp::create(b1, loc, v, v, mask);
            SmallVector<Value> written = {
                vector::TransferWriteOp::create(b1, loc, v, a1[0], at,
                                                ArrayRef<bool>{true})
                    .getResult()};
            if (tailGroups) {
              Value t = vector::ShuffleOp::create(b1, loc, row, row, tailMask);
              t = arith::ExtSIOp::create(
                  b1, loc, VectorType::get({(int64_t)tailOrder.size()}, i16),
                  t);
              written.push_back(vector::TransferWriteOp::create(
                                    b1, loc, t, a1[1], at,
                                    ArrayRef<bool>{true})
                                    .getResult());
            }
            scf::YieldOp::create(b1, loc, written);
          });
      rows->setAttr(QntDialect::getParallelAttrName(), b.getUnitAttr());
      wide = rows.getResult(0);
      if (tailGroups)
        tailWide = rows.getResult(1);
      kPadded = true;
    } else {
      auto lhsType = cast<RankedTensorType>(lhs.getType());
      Value empty = tensor::EmptyOp::create(b, loc, lhsType.getShape(), elem);
      unsigned r = lhsType.getRank();
      AffineMap id = b.getMultiDimIdentityMap(r);
      wide = linalg::GenericOp::create(
                 b, loc, TypeRange{empty.getType()}, ValueRange{lhs},
                 ValueRange{empty}, ArrayRef<AffineMap>{id, id},
                 SmallVector<utils::IteratorType>(
                     r, utils::IteratorType::parallel),
                 extend)
                 .getResult(0);
    }
    auto wideType = cast<RankedTensorType>(wide.getType());
    SmallVector<int64_t> wideShape(wideType.getShape());
    unsigned rank = wideType.getRank();
    if (s.k % G && !kPadded) {
      // (The padded weights are zero: the padding value does not matter.)
      SmallVector<OpFoldResult> lo(rank, b.getIndexAttr(0)),
          hi(rank, b.getIndexAttr(0));
      hi.back() = b.getIndexAttr(G - s.k % G);
      SmallVector<int64_t> padded(wideShape);
      padded.back() += G - s.k % G;
      Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(elem, 0));
      wide = tensor::PadOp::create(b, loc, RankedTensorType::get(padded, elem),
                                   wide, ArrayRef<OpFoldResult>(lo),
                                   ArrayRef<OpFoldResult>(hi), zero);
    }

    auto at = [&](OpBuilder &bb, Value row, Value col) {
      SmallVector<Value> v;
      if (s.batched)
        v.push_back(idx(bb, 0));
      v.push_back(row);
      v.push_back(col);
      return v;
    };
    auto add = [&](OpBuilder &bb, Value x, int64_t c) -> Value {
      return c == 0 ? x : arith::AddIOp::create(bb, loc, x, idx(bb, c));
    };
    auto accType = VectorType::get({L}, i32);
    auto one32 = VectorType::get({1}, i32);
    Value zeroAcc = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(accType, b.getI32IntegerAttr(0)));
    Value padElem =
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(elem, 0));
    Value zeroI32 = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));

    // One register tile: rows [m, m + rows) x blocks [j, j + cols) of the
    // result `tileIn`; returns the updated result.
    auto emitTile = [&](OpBuilder &b2, Value m, Value j, int64_t rows,
                        int64_t cols, Value tileIn) -> Value {
      bool fullBlocks = columns.allWhole();
      // The accumulators start at the init's tile (zero for a
      // zero fill).
      auto column = [&](OpBuilder &bb, int64_t c) -> Value {
        return columns.start(
            bb, loc, arith::MulIOp::create(bb, loc, add(bb, j, c), idx(bb, L)));
      };
      // Per-column vectors of a 1-D tensor (bias, epilogue
      // parameters) from block c on, `lanes` of them, zero past N.
      auto columnVector = [&](OpBuilder &bb, Value t, int64_t c,
                              int64_t lanes) {
        auto et = cast<RankedTensorType>(t.getType()).getElementType();
        Value pad = arith::ConstantOp::create(
            bb, loc, bb.getZeroAttr(et));
        return vector::TransferReadOp::create(
                   bb, loc, VectorType::get({lanes}, et), t,
                   ValueRange{column(bb, c)}, pad,
                   ArrayRef<bool>{fullBlocks})
            .getResult();
      };
      SmallVector<Value> start(rows * cols, zeroAcc);
      if (s.bias) {
        for (int64_t c = 0; c < cols; ++c) {
          Value v = columnVector(b2, s.bias, c, L);
          for (int64_t i = 0; i < rows; ++i)
            start[i * cols + c] = v;
        }
      } else if (!s.zeroInit) {
        for (int64_t i = 0; i < rows; ++i)
          for (int64_t c = 0; c < cols; ++c)
            start[i * cols + c] = vector::TransferReadOp::create(
                b2, loc, accType, epilogue ? init : tileIn,
                at(b2, add(b2, m, i), column(b2, c)), zeroI32,
                ArrayRef<bool>{fullBlocks});
      }
      // quads: minus 128 x the column sums of the weights.
      if (quads)
        for (int64_t c = 0; c < cols; ++c) {
          Value comp = columnVector(b2, compensation, c, L);
          for (int64_t i = 0; i < rows; ++i)
            start[i * cols + c] = arith::SubIOp::create(
                b2, loc, start[i * cols + c], comp);
        }
      // The K loop of one part (`groups` groups of `g` codes of the
      // operand `a`, weights `w`) on the accumulators `accs0`.
      auto kLoop = [&](Value a, Value w, int64_t groups, int64_t g,
                       bool asQuads, ValueRange accs0) {
        Type et = asQuads ? i8 : i16;
        auto operand = VectorType::get({L * g}, et);
        Value pad = et == elem ? padElem
                               : arith::ConstantOp::create(
                                     b2, loc, b2.getIntegerAttr(et, 0))
                                     .getResult();
        auto loop = scf::ForOp::create(
            b2, loc, idx(b2, 0), idx(b2, groups), idx(b2, 1), accs0,
            [&](OpBuilder &b3, Location, Value gi, ValueRange accs) {
              Value k = arith::MulIOp::create(b3, loc, gi, idx(b3, g));
              SmallVector<Value> rowGroups, blocks, next;
              // Per row: its K group as one i32, broadcast to all
              // lanes.
              for (int64_t i = 0; i < rows; ++i) {
                Value pr = vector::TransferReadOp::create(
                    b3, loc, VectorType::get({g}, et), a,
                    at(b3, add(b3, m, i), k), pad, ArrayRef<bool>{true});
                Value word = vector::ExtractOp::create(
                    b3, loc, vector::BitCastOp::create(b3, loc, one32, pr),
                    0);
                rowGroups.push_back(vector::BitCastOp::create(
                    b3, loc, operand,
                    vector::BroadcastOp::create(b3, loc, accType, word)));
              }
              // Per block: L columns x g weights (pairs: i16).
              for (int64_t c = 0; c < cols; ++c)
                blocks.push_back(vector::TransferReadOp::create(
                    b3, loc, operand, w,
                    ValueRange{add(b3, j, c), gi, idx(b3, 0)}, pad,
                    ArrayRef<bool>{true}));
              for (int64_t i = 0; i < rows; ++i)
                for (int64_t c = 0; c < cols; ++c)
                  next.push_back(dotStep(b3, loc, accs[i * cols + c],
                                         rowGroups[i], blocks[c], g,
                                         asQuads));
              scf::YieldOp::create(b3, loc, next);
            });
        return SmallVector<Value>(loop.getResults());
      };
      SmallVector<Value> accs = kLoop(wide, bp, kGroups, G, quads, start);
      if (tailGroups)
        accs = kLoop(tailWide, tailBp, tailGroups, 2, false, accs);
      // The epilogue and the store, per row on two blocks at once where N
      // is a multiple of L (no overlapping last block: the two blocks'
      // 2L columns are contiguous and inside): the narrowing then packs
      // two registers into one (on AVX2 for 16 i8 results vpackssdw,
      // vextracti128, vpacksswb, vpshufd and one store instead of two
      // rounds of vextracti128, vpackssdw, vpacksswb and a store).
      const bool contiguousBlocks = columns.size % L == 0;
      Value tile = tileIn;
      for (int64_t c = 0; c < cols;) {
        const int64_t group =
            contiguousBlocks && epilogue && c + 1 < cols ? 2 : 1;
        const int64_t lanes = group * L;
        // The epilogue's per-column parameters, once per group.
        SmallVector<Value> params;
        if (epilogue)
          for (OpOperand *in : epilogue->op.getDpsInputOperands())
            params.push_back(in->getOperandNumber() == epilogue->accInput
                                 ? Value()
                                 : columnVector(b2, in->get(), c, lanes));
        SmallVector<int64_t> both;
        for (int64_t l = 0; l < lanes; ++l)
          both.push_back(l);
        for (int64_t i = 0; i < rows; ++i) {
          Value v = accs[i * cols + c];
          if (group == 2)
            v = vector::ShuffleOp::create(b2, loc, v, accs[i * cols + c + 1],
                                          both);
          if (epilogue)
            v = applyKernelEpilogue(b2, loc, *epilogue, v, params);
          tile = vector::TransferWriteOp::create(
                     b2, loc, v, tile,
                     at(b2, add(b2, m, i), column(b2, c)),
                     ArrayRef<bool>{fullBlocks})
                     .getResult();
        }
        c += group;
      }
      return tile;
    };

    // The loop nest: chunks of mc rows (the activations' chunk stays in
    // L2; chunks are independent: the parallel loop, sized by chunkTiles),
    // in each chunk the column blocks (one nb-block panel of the packed
    // weights stays in L1 while the chunk's m-tiles go by), then the
    // m-tiles.
    const int64_t kBytes = kGroups * G * (quads ? 1 : 2) + tail.k * 2;
    const int64_t mostTiles = std::max<int64_t>(1, kChunkBytes / kBytes / mt);
    const int64_t mc = chunkTiles(mMain / mt, mostTiles) * mt;
    Value mMainV = idx(b, mMain);
    auto chunkLoop = scf::ForOp::create(
        b, loc, idx(b, 0), mMainV, idx(b, mc), ValueRange{out},
        [&](OpBuilder &b1, Location, Value c0, ValueRange outer) {
          Value c1 = arith::MinSIOp::create(
              b1, loc, arith::AddIOp::create(b1, loc, c0, idx(b1, mc)),
              mMainV);
          // The chunk's m-tiles against the panel of `cols` blocks at j.
          auto panel = [&](OpBuilder &b2, Value j, int64_t cols,
                           Value t0) -> Value {
            auto mLoop = scf::ForOp::create(
                b2, loc, c0, c1, idx(b2, mt), ValueRange{t0},
                [&](OpBuilder &b3, Location, Value m, ValueRange t) {
                  scf::YieldOp::create(b3, loc,
                                       emitTile(b3, m, j, mt, cols, t[0]));
                });
            return mLoop.getResult(0);
          };
          Value t = outer[0];
          if (nMain) {
            auto jLoop = scf::ForOp::create(
                b1, loc, idx(b1, 0), idx(b1, nMain), idx(b1, nb),
                ValueRange{t},
                [&](OpBuilder &b2, Location, Value j, ValueRange inner) {
                  scf::YieldOp::create(b2, loc, panel(b2, j, nb, inner[0]));
                });
            t = jLoop.getResult(0);
          }
          if (nRest)
            t = panel(b1, idx(b1, nMain), nRest, t);
          scf::YieldOp::create(b1, loc, t);
        });
    Value result = chunkLoop.getResult(0);
    if (mRest) {
      if (nMain) {
        auto restLoop = scf::ForOp::create(
            b, loc, idx(b, 0), idx(b, nMain), idx(b, nb), ValueRange{result},
            [&](OpBuilder &b2, Location, Value j, ValueRange inner) {
              scf::YieldOp::create(
                  b2, loc, emitTile(b2, mMainV, j, mRest, nb, inner[0]));
            });
        result = restLoop.getResult(0);
      }
      if (nRest)
        result = emitTile(b, mMainV, idx(b, nMain), mRest, nRest, result);
    }
    // Row chunks are independent: qnt-parallelize-kernels may share them
    // out.
    chunkLoop->setAttr(QntDialect::getParallelAttrName(), b.getUnitAttr());
    Value replaced = epilogue ? epilogue->op.getResult(0) : op->getResult(0);
    if (s.conv1x1 || s.im2col)
      result = tensor::ExpandShapeOp::create(b, loc, replaced.getType(),
                                             result, collapse);
    replaced.replaceAllUsesWith(result);
    if (epilogue)
      epilogue->op->erase();
    Operation *initDef = op.getDpsInits()[0].getDefiningOp();
    op->erase();
    // The bias broadcast, unless something else reads it.
    if (s.bias && initDef && initDef->use_empty())
      initDef->erase();
  }
};
} // namespace
