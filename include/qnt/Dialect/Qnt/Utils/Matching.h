//===- Matching.h - maximum matching of a general graph ---------*- C++ -*-===//
//
// Edmonds' blossom algorithm: a maximum matching of an undirected graph
// that need not be bipartite. The int8 matmul kernels pair the K codes of
// their u8 x s8 quads with it (codes whose weights vpmaddubsw can add
// without saturating are the graph's edges).
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_MATCHING_H
#define QNT_DIALECT_QNT_UTILS_MATCHING_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include <cstdint>

namespace mlir::qnt {

/// A maximum matching of the undirected graph on nodes 0 .. n - 1 with
/// adjacency lists `adjacent` (n = adjacent.size(); each edge listed at both
/// ends; self loops and repeats are ignored): per node its partner, or -1.
/// Greedy first (each node, in order, takes its first free neighbour, so a
/// graph with the edges (2i, 2i + 1) keeps them), then Edmonds' augmenting
/// paths with blossom contraction from every node left free: O(n^3).
llvm::SmallVector<int64_t>
maximumMatching(llvm::ArrayRef<llvm::SmallVector<int64_t>> adjacent);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_MATCHING_H
