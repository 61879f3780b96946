//===- KernelUtils.h - shared pieces of qnt's int8 kernels ------*- C++ -*-===//
//
// What qnt-int8-matmul-kernels and qnt-int8-depthwise-kernels share: tile
// sizes that divide a dimension, a bias init to start accumulators from,
// and the element-wise consumer (the requantization) applied to register
// tiles before they are stored.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_KERNELUTILS_H
#define QNT_DIALECT_QNT_UTILS_KERNELUTILS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir::qnt {

/// The largest divisor of `n` that is at most `limit` (at least 1).
int64_t largestDivisorUpTo(int64_t n, int64_t limit);

/// A dimension of `size` elements cut into vector blocks of `lanes`. When
/// the size is not a multiple of the lanes but above them, the last block
/// overlaps the one before (it holds elements size - lanes .. size - 1), so
/// every block is a whole vector in bounds: no masked accesses, which AVX2
/// lacks for i8 and LLVM scalarizes. The overlapping elements are computed
/// twice, with the same result.
struct VectorBlocks {
  int64_t size, lanes;

  int64_t count() const { return (size + lanes - 1) / lanes; }
  bool overlapsLast() const { return size % lanes != 0 && size > lanes; }
  /// Every block is whole (a multiple, or the overlapping last block).
  bool allWhole() const { return size % lanes == 0 || overlapsLast(); }
  /// The first element of block `j`.
  int64_t start(int64_t j) const {
    return overlapsLast() ? std::min(j * lanes, size - lanes) : j * lanes;
  }
  /// The first element of the block that would start at `offset` (a
  /// multiple of the lanes) in IR: min(offset, size - lanes) when the last
  /// block overlaps, else `offset`.
  Value start(OpBuilder &b, Location loc, Value offset) const;
};

/// A 1-D tensor broadcast along every dimension but the last (the per
/// output channel bias init of tosa-to-linalg): a linalg.generic yielding
/// its one input, read through (d0, ..., dr-1) -> (dr-1). Returns that
/// tensor, or null.
Value matchLastDimBroadcast(Value init);

/// Where a kernel's i32 accumulators start, from the op's init: a zero
/// `linalg.fill` (start at zero, the fill's destination is written) or a
/// 1-D bias broadcast (start from the bias vectors, the broadcast's
/// destination is written) need not be read; anything else is `init`.
struct AccumulatorStart {
  bool zero = false;
  Value bias; ///< the 1-D bias, or null
  Value init; ///< the tensor the kernel writes (and reads unless zero/bias)
};

AccumulatorStart classifyAccumulatorStart(Value init);

/// An element-wise consumer to fuse into a kernel (its epilogue): the
/// accumulators' only user, an all-parallel linalg.generic reading them
/// through the identity map, every other input a 1-D per-channel (last
/// dimension) constant, a body of element-wise arith ops only (no
/// linalg.index, the output not read, outside values scalar constants).
struct KernelEpilogue {
  linalg::GenericOp op;
  /// The operand number of the accumulators among the inputs.
  unsigned accInput = 0;
};

std::optional<KernelEpilogue> matchKernelEpilogue(Value accumulators);

/// The epilogue's body on one vector of accumulators `acc` (vector<L x i32>
/// for L channels): block arguments become `acc` and `params` (the vectors
/// of the other inputs at the same channels; the accInput slot is unused),
/// each arith op its vector<L x ...> form, scalar constants splats. Returns
/// the vector of the yielded value.
Value applyKernelEpilogue(OpBuilder &b, Location loc,
                          const KernelEpilogue &epilogue, Value acc,
                          ArrayRef<Value> params);

/// Whether vpmaddubsw's saturating i16 sum of two u8 x s8 products,
/// a0 w0 + a1 w1, is exact for every pair of u8 codes a0, a1: when
/// |w0 + w1| <= 128. Weights of one sign reach 255 (|w0| + |w1|) <= 255 x
/// 128 < 2^15; weights of opposite signs at most 255 x 128 in magnitude
/// (and |w0 + w1| <= 128 holds for them anyway). Any two 7-bit weights
/// ([-64, 63]) qualify; 8-bit ones only in some pairs. The AVX2 kernels'
/// K quads need it of every weight pair they add
/// (qnt-int8-matmul-kernels{saturation-free-quads}, checked again by
/// qnt-select-x86-intrinsics).
inline bool isSaturationFreePair(int64_t w0, int64_t w1) {
  return w0 + w1 <= 128 && w0 + w1 >= -128;
}

/// Lanes t, t + group, t + 2 group, ... of the vector `v` (a shuffle of v
/// with itself), extended to i32 (sign- or zero-): the operands of the
/// plain dot-product forms that qnt-select-x86-intrinsics turns into
/// vpmaddwd (group 2, i16) and vpdpbusd (group 4, i8).
Value groupLanes(OpBuilder &b, Location loc, Value v, int64_t group,
                 int64_t t, bool isUnsigned = false);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_KERNELUTILS_H
