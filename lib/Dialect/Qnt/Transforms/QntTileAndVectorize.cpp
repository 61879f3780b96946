//===- QntTileAndVectorize.cpp - tile linalg ops and vectorize tiles ------===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"
#include "qnt/Dialect/Qnt/Utils/KernelUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qnt {
#define GEN_PASS_DEF_QNTTILEANDVECTORIZE
#include "qnt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace mlir::qnt

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// The largest divisor of `dim` that is <= `target` (tile sizes that divide
/// the static dimensions keep every tile static: no masks, no remainders).
int64_t divisorTile(int64_t dim, int64_t target) {
  if (ShapedType::isDynamic(dim) || dim <= 0)
    return 0;
  return largestDivisorUpTo(dim, target);
}

/// Reduction depth per matmul tile.
constexpr int64_t kTile = 64;

struct TileConfig {
  int64_t vectorWidth, owTile, mTile;
};

/// Lanes per vector for `op`'s innermost tile when its result elements
/// are narrower than 32 bits: one register of them (`vector-width` x 32 /
/// bits: 32 i8 lanes with vector-width 8), else `vector-width`.
int64_t narrowLanes(linalg::LinalgOp op, const TileConfig &cfg) {
  Type element = getElementTypeOrSelf(op.getDpsInits().front().getType());
  if (element.isIntOrFloat() && element.getIntOrFloatBitWidth() < 32)
    return cfg.vectorWidth *
           (32 / std::max<unsigned>(element.getIntOrFloatBitWidth(), 8));
  return cfg.vectorWidth;
}

/// Tile sizes for `op` (0 = not tiled), or an empty vector to leave it alone.
SmallVector<int64_t> chooseTileSizes(linalg::LinalgOp op,
                                     const TileConfig &cfg) {
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  if (llvm::any_of(bounds, ShapedType::isDynamic))
    return {};
  auto tile = [&](unsigned loop, int64_t target) {
    int64_t t = divisorTile(bounds[loop], target);
    return t == bounds[loop] ? 0 : t;
  };
  // Loops: n, oh, ow, f, kh, kw, c.
  if (isa<linalg::Conv2DNhwcHwcfOp>(op))
    return {1, 1, tile(2, cfg.owTile), tile(3, cfg.vectorWidth), 1, 1, 0};
  // Loops: n, oh, ow, c, kh, kw. Pooling of narrow elements (int8 max
  // pooling) takes a register of channels, like copies (below): with
  // vector-width lanes, 28 channels were pooled in 7-byte pieces.
  if (isa<linalg::DepthwiseConv2DNhwcHwcOp>(op))
    return {1, 1, tile(2, cfg.owTile), tile(3, cfg.vectorWidth), 1, 1};
  if (isa<linalg::PoolingNhwcMaxOp, linalg::PoolingNhwcSumOp>(op))
    return {1, 1, tile(2, cfg.owTile), tile(3, narrowLanes(op, cfg)), 1, 1};
  if (isa<linalg::MatmulOp>(op))
    return {tile(0, cfg.mTile), tile(1, cfg.vectorWidth), tile(2, kTile)};
  if (isa<linalg::BatchMatmulOp>(op))
    return {1, tile(1, cfg.mTile), tile(2, cfg.vectorWidth), tile(3, kTile)};
  if (isa<linalg::ConvolutionOpInterface>(op.getOperation()))
    return {}; // other convolution layouts: left to loops
  // Element-wise ops, fills, transposes, reductions: keep reductions whole,
  // vectorize the innermost parallel loop and block the one before it.
  // Copies and fills of narrow elements (pads, concatenations) take a
  // whole register of them: with vector-width (f32 lanes) i8 elements, a
  // 28-channel row would be copied in 7-byte pieces, which LLVM scalarizes
  // (and unrolls into huge blocks).
  int64_t innerTarget = isa<linalg::CopyOp, linalg::FillOp>(op.getOperation())
                            ? narrowLanes(op, cfg)
                            : cfg.vectorWidth;
  // An element-wise generic with a narrow result (a requantization to i8)
  // takes a register of results where that divides the innermost size: the
  // narrowing then packs whole registers (on AVX2 per 32 i8 results two
  // vpackssdw, a vpacksswb and one store, instead of four 8-byte pieces of
  // extract, two packs and a store each): BlazeFace's residual adds, 13
  // instructions per 8 results before, 10.75 after. Where it does not
  // divide (24 channels: three 8-lane vectors would become one awkward
  // 24-lane one), vector-width lanes.
  if (isa<linalg::GenericOp>(op.getOperation()) && !bounds.empty() &&
      bounds.back() % narrowLanes(op, cfg) == 0)
    innerTarget = narrowLanes(op, cfg);
  SmallVector<int64_t> sizes(bounds.size(), 0);
  SmallVector<unsigned> parallel;
  for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
    if (type == utils::IteratorType::parallel)
      parallel.push_back(i);
  for (auto [k, loop] : llvm::enumerate(parallel)) {
    size_t fromEnd = parallel.size() - k;
    if (fromEnd == 1)
      sizes[loop] = tile(loop, innerTarget);
    else if (fromEnd == 2)
      sizes[loop] = tile(loop, 8);
    else
      sizes[loop] = bounds[loop] == 1 ? 0 : 1;
  }
  // A reduction over outer loops with a parallel innermost one (sums over
  // H and W of NHWC, global average pooling in integers): one step of each
  // reduction loop per tile, so each step reads one vector of the innermost
  // dimension and adds it to the accumulator. Kept whole, the tile was a
  // 6-D vector (7 x 7 positions of 8 channels) whose strided read LLVM
  // assembled with hundreds of shuffles: 7x slower for Fashion-MNIST's
  // pooling at batch 64.
  if (!parallel.empty() && parallel.back() == bounds.size() - 1)
    for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
      if (type == utils::IteratorType::reduction && bounds[i] > 1)
        sizes[i] = 1;
  return sizes;
}

/// Largest static vector the vectorizer may create for one tile; also no
/// sub-byte element types (see below).
constexpr int64_t kMaxVectorElements = 1 << 12;

bool smallEnoughToVectorize(linalg::LinalgOp op) {
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<ShapedType>(operand.get().getType());
    if (!type)
      continue;
    // LLVM stores vector<N x i1> as packed bits, memref<i1> holds one byte
    // per element: sub-byte vectors would be stored wrongly.
    if (type.getElementType().isIntOrFloat() &&
        type.getElementTypeBitWidth() < 8)
      return false;
    if (!type.hasStaticShape() || type.getNumElements() > kMaxVectorElements)
      return false;
  }
  return true;
}

/// tensor.pad with a constant value and static shapes -> fills of the
/// border slabs of the padded tensor (of the whole tensor with a batch, see
/// below) and a linalg.copy of the source into its interior slice, all
/// inserted into one allocation. After bufferization each op writes in
/// place (no strided runtime memrefCopy, no fill of the interior that the
/// copy overwrites), and all are tiled and vectorized like the rest. Slab d
/// covers the positions whose dimensions before d are inside the source,
/// dimension d in the low or high padding, the dimensions after d
/// anything: disjoint, and with the interior they cover the tensor.
///
/// Dimensions after the last padded one are whole in both tensors, so they
/// are collapsed into it first: a spatial pad of [N, H, W, C] is one of
/// [N, H, W C] (the interior is copied in rows of W C contiguous elements,
/// not in pieces of C, which for an RGB input were 3 bytes that LLVM
/// scalarized), and the result is expanded back.
void decomposePads(func::FuncOp func, IRRewriter &rewriter) {
  SmallVector<tensor::PadOp> pads;
  func.walk([&](tensor::PadOp pad) { pads.push_back(pad); });
  MLIRContext *ctx = func.getContext();
  for (tensor::PadOp pad : pads) {
    Value padValue = pad.getConstantPaddingValue();
    RankedTensorType type = pad.getResultType();
    RankedTensorType sourceType = pad.getSourceType();
    if (!padValue || !type.hasStaticShape() || !sourceType.hasStaticShape())
      continue;
    SmallVector<int64_t> low;
    for (OpFoldResult ofr : pad.getMixedLowPad()) {
      std::optional<int64_t> v = getConstantIntValue(ofr);
      if (!v || *v < 0)
        break;
      low.push_back(*v);
    }
    int64_t rank = type.getRank();
    if (static_cast<int64_t>(low.size()) != rank ||
        llvm::any_of(llvm::seq<int64_t>(rank), [&](int64_t d) {
          return low[d] + sourceType.getDimSize(d) > type.getDimSize(d);
        }))
      continue;
    rewriter.setInsertionPoint(pad);
    Location loc = pad.getLoc();
    SmallVector<int64_t> full(type.getShape()),
        inner(sourceType.getShape());
    // Collapse the whole trailing dimensions into the last padded one.
    int64_t lastPadded = rank - 1;
    while (lastPadded >= 0 && full[lastPadded] == inner[lastPadded])
      --lastPadded;
    Value source = pad.getSource();
    SmallVector<ReassociationIndices> collapse;
    if (lastPadded >= 0 && lastPadded < rank - 1) {
      for (int64_t d = 0; d < lastPadded; ++d)
        collapse.push_back({d});
      collapse.push_back(
          llvm::to_vector(llvm::seq<int64_t>(lastPadded, rank)));
      int64_t row = 1;
      for (int64_t d = lastPadded + 1; d < rank; ++d)
        row *= full[d];
      full.resize(lastPadded + 1);
      inner.resize(lastPadded + 1);
      low.resize(lastPadded + 1);
      full.back() *= row;
      inner.back() *= row;
      low.back() *= row;
      rank = lastPadded + 1;
      source = tensor::CollapseShapeOp::create(rewriter, loc, source,
                                               collapse);
    }
    // An allocation of its own (not tensor.empty): CSE would merge the
    // fills of two pads of the same shape and value, and their interiors
    // would then conflict in one buffer (copies of both at bufferization).
    Value buffer = bufferization::AllocTensorOp::create(
        rewriter, loc, RankedTensorType::get(full, type.getElementType()),
        ValueRange{});
    SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
    // Border slabs only when the dimensions before the first padded one
    // (the batch) have one position: a batch loop around tiny slabs (64
    // images x one 480-byte row) is fully unrolled by LLVM into thousands
    // of stores, which made Fashion-MNIST at batch 64 compile 40-80 %
    // slower. With a batch, the whole tensor is filled.
    int64_t firstPadded = 0;
    while (firstPadded < rank && inner[firstPadded] == full[firstPadded])
      ++firstPadded;
    int64_t batch = 1;
    for (int64_t d = 0; d < firstPadded; ++d)
      batch *= full[d];
    if (batch > 1)
      buffer = linalg::FillOp::create(rewriter, loc, padValue, buffer)
                   .getResult(0);
    for (int64_t d = 0; d < rank && batch == 1; ++d) {
      for (auto [begin, size] :
           {std::pair(int64_t{0}, low[d]),
            std::pair(low[d] + inner[d], full[d] - low[d] - inner[d])}) {
        if (size == 0)
          continue;
        // Before d: inside the source; d: [begin, begin + size); after d:
        // whole.
        SmallVector<int64_t> offsets(low.begin(), low.begin() + d),
            sizes(inner.begin(), inner.begin() + d);
        offsets.push_back(begin);
        sizes.push_back(size);
        offsets.resize(rank, 0);
        sizes.append(full.begin() + d + 1, full.end());
        SmallVector<OpFoldResult> offsetsOfr =
                                      getAsIndexOpFoldResult(ctx, offsets),
                                  sizesOfr = getAsIndexOpFoldResult(ctx, sizes);
        Value slab = tensor::ExtractSliceOp::create(
            rewriter, loc, buffer, offsetsOfr, sizesOfr, strides);
        Value filled =
            linalg::FillOp::create(rewriter, loc, padValue, slab).getResult(0);
        buffer = tensor::InsertSliceOp::create(rewriter, loc, filled, buffer,
                                               offsetsOfr, sizesOfr, strides);
      }
    }
    SmallVector<OpFoldResult> offsets = getAsIndexOpFoldResult(ctx, low),
                              sizes = getAsIndexOpFoldResult(ctx, inner);
    Value interior = tensor::ExtractSliceOp::create(rewriter, loc, buffer,
                                                    offsets, sizes, strides);
    Value copied =
        linalg::CopyOp::create(rewriter, loc, source, interior).getResult(0);
    Value result = tensor::InsertSliceOp::create(rewriter, loc, copied, buffer,
                                                 offsets, sizes, strides);
    if (!collapse.empty())
      result = tensor::ExpandShapeOp::create(rewriter, loc, type, result,
                                             collapse);
    rewriter.replaceOp(pad, result);
  }
}

/// The op at the bottom of a chain of insert_slice destinations.
Operation *insertChainRoot(Value dest) {
  while (auto insert = dest.getDefiningOp<tensor::InsertSliceOp>())
    dest = insert.getDest();
  return dest.getDefiningOp();
}

/// Top-level tensor.insert_slice with static offsets and sizes and unit
/// strides (what tosa.concat leaves) -> a linalg op writing the slice,
/// inserted back:
///  * a splat constant source -> linalg.fill of the destination's slice;
///  * any other source, when the destination chain starts at tensor.empty
///    (the tensor is being assembled from parts) -> linalg.copy into the
///    slice.
/// After bufferization the fill or copy writes the slice in place, and both
/// are tiled and vectorized like the rest; left alone, the insertion would
/// bufferize to a strided memref.copy (a runtime call copying row by row)
/// or, for a constant, to a copy out of a global.
void decomposeSliceInserts(func::FuncOp func, IRRewriter &rewriter) {
  SmallVector<tensor::InsertSliceOp> inserts;
  for (Operation &op : func.getBody().getOps())
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(&op))
      inserts.push_back(insert);
  for (tensor::InsertSliceOp insert : inserts) {
    auto sourceType = dyn_cast<RankedTensorType>(insert.getSourceType());
    if (!sourceType || !sourceType.hasStaticShape() ||
        !insert.getDestType().hasStaticShape() ||
        !insert.getOffsets().empty() ||
        !insert.getSizes().empty() || !insert.hasUnitStride())
      continue;
    Value source = insert.getSource();
    TypedAttr splat;
    DenseElementsAttr dense;
    if (matchPattern(source, m_Constant(&dense)) && dense.isSplat())
      splat = dyn_cast<TypedAttr>(dense.getSplatValue<Attribute>());
    Operation *root = insertChainRoot(insert.getDest());
    if (!splat &&
        !isa_and_nonnull<tensor::EmptyOp, bufferization::AllocTensorOp>(root))
      continue;
    Location loc = insert.getLoc();
    // Bufferization gives each use of a tensor.empty its own buffer: the
    // slice written below and the insertion into the empty tensor would
    // land in two, with a copy between them. The chain gets an allocation
    // of its own instead (the empty tensor may have other uses).
    if (auto empty = insert.getDest().getDefiningOp<tensor::EmptyOp>()) {
      rewriter.setInsertionPoint(empty);
      Value buffer = bufferization::AllocTensorOp::create(
          rewriter, empty.getLoc(), empty.getType(), ValueRange{});
      rewriter.modifyOpInPlace(
          insert, [&] { insert.getDestMutable().assign(buffer); });
    }
    rewriter.setInsertionPoint(insert);
    Value slice = tensor::ExtractSliceOp::create(
        rewriter, loc, sourceType, insert.getDest(), insert.getMixedOffsets(),
        insert.getMixedSizes(), insert.getMixedStrides());
    Value written;
    if (splat) {
      Value value = arith::ConstantOp::create(rewriter, loc, splat);
      written =
          linalg::FillOp::create(rewriter, loc, value, slice).getResult(0);
    } else {
      written =
          linalg::CopyOp::create(rewriter, loc, source, slice).getResult(0);
    }
    rewriter.modifyOpInPlace(
        insert, [&] { insert.getSourceMutable().assign(written); });
  }
}

/// Marks the outermost tile loop that runs over a parallel dimension with
/// more than one tile as `qnt.parallel`: its iterations write disjoint
/// tiles of the result (qnt-parallelize-kernels may share them out).
/// `loops` are the tile loops of the dimensions with a non-zero size, in
/// order.
/// Element-wise generics whose operands all use the identity map (same
/// shape, no broadcast) and whose innermost dimension is not a multiple of
/// their lanes (the vector width; one register of results narrower than 32
/// bits) become 1-D generics over all their elements: the vector loop then
/// has one tail at the very end instead of a masked one per row (masked i8
/// and i16 accesses are scalarized on AVX2), e.g. a residual add over 28
/// channels, and a requantization to i8 over 24 channels takes 32-lane
/// vectors.
void collapseElementwise(func::FuncOp func, IRRewriter &rewriter,
                         int64_t vectorWidth) {
  SmallVector<linalg::GenericOp> ops;
  func.walk([&](linalg::GenericOp op) {
    if (!op.hasPureTensorSemantics() || op.getNumLoops() < 2 ||
        op.getNumReductionLoops() != 0 ||
        !llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isIdentity(); }))
      return;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    // (The lanes chooseTileSizes gives it: one register of narrow results.)
    int64_t lanes = narrowLanes(op, TileConfig{vectorWidth, 1, 1});
    if (ShapedType::isDynamicShape(ranges) || ranges.back() % lanes == 0)
      return;
    ops.push_back(op);
  });
  for (linalg::GenericOp op : ops) {
    ReassociationIndices all =
        llvm::to_vector(llvm::seq<int64_t>(0, op.getNumLoops()));
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::CollapseResult> collapsed =
        linalg::collapseOpIterationDims(op, {all}, rewriter);
    if (failed(collapsed))
      continue;
    rewriter.replaceOp(op, collapsed->results);
  }
}

void markParallelTileLoop(linalg::LinalgOp op, ArrayRef<int64_t> sizes,
                          ArrayRef<LoopLikeOpInterface> loops) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> bounds = op.getStaticLoopRanges();
  unsigned next = 0;
  for (auto [dim, size] : llvm::enumerate(sizes)) {
    if (size == 0)
      continue;
    if (next >= loops.size())
      return;
    Operation *loop = loops[next++];
    if (iterators[dim] != utils::IteratorType::parallel)
      return; // a reduction loop outside: nothing inside is independent
    if (bounds[dim] / size < 2)
      continue;
    if (isa<scf::ForOp>(loop))
      loop->setAttr(QntDialect::getParallelAttrName(),
                    UnitAttr::get(op.getContext()));
    return;
  }
}

struct QntTileAndVectorizePass
    : public qnt::impl::QntTileAndVectorizeBase<QntTileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    TileConfig cfg{vectorWidth, owTile, mTile};
    if (vectorWidth < 1 || owTile < 1 || mTile < 1) {
      func.emitError() << "qnt-tile-and-vectorize: tile options must be >= 1";
      return signalPassFailure();
    }

    IRRewriter rewriter(ctx);
    // Slice insertions first: decomposePads' own insertions (fills and the
    // interior copy into an allocation) are already what they would become.
    decomposeSliceInserts(func, rewriter);
    decomposePads(func, rewriter);
    collapseElementwise(func, rewriter, vectorWidth);

    // 1. Tile.
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics())
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> sizes = chooseTileSizes(op, cfg);
      if (sizes.empty() || llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
        continue;
      rewriter.setInsertionPoint(op);
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      options.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled))
        continue; // stays untiled; lowers to loops later
      markParallelTileLoop(op, sizes, tiled->loops);
      rewriter.replaceOp(op, tiled->replacements);
    }

    // 2. Tiles of 2-D convolutions/pooling with one window row become 1-D
    //    ops, which the vectorizer handles.
    {
      RewritePatternSet patterns(ctx);
      linalg::populateDecomposeConvolutionPatterns(patterns);
      tensor::ExtractSliceOp::getCanonicalizationPatterns(patterns, ctx);
      if (failed(applyPatternsGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // 3. Vectorize every static, small linalg op.
    SmallVector<linalg::LinalgOp> candidates;
    func.walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && smallEnoughToVectorize(op))
        candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates) {
      if (failed(linalg::vectorizeOpPrecondition(op)))
        continue;
      rewriter.setInsertionPoint(op);
      // Contractions become vector.contract rather than broadcast +
      // multi_reduction, which lowers to outer products. Mixed element types
      // (i8 x i8 -> i32) are not: upstream's contract lowering needs one
      // type, the generic form extends the operands first.
      bool sameTypes = llvm::all_equal(llvm::map_range(
          op->getOperandTypes(), [](Type t) { return getElementTypeOrSelf(t); }));
      FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
          rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
          /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/sameTypes);
      if (failed(result))
        continue;
      if (!result->replacements.empty())
        rewriter.replaceOp(op, result->replacements);
      else
        rewriter.eraseOp(op);
    }

    // 4. Fold the transfer reads/writes of neighbouring tiles.
    RewritePatternSet patterns(ctx);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    tensor::populateFoldTensorSubsetOpPatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
