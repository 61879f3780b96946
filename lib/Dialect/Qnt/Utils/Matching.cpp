//===- Matching.cpp - maximum matching of a general graph -----------------===//
//
// Edmonds' blossom algorithm in its array form: a breadth-first search for
// an augmenting path from a free root over an alternating forest; an edge
// between two outer nodes of the same tree closes an odd cycle (a
// blossom), whose nodes are given one base and become outer; a free node
// reached ends the path, which is then flipped along the parent links.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Utils/Matching.h"

#include <vector>

using namespace mlir;
using llvm::ArrayRef;
using llvm::SmallVector;

namespace {

struct Blossom {
  explicit Blossom(ArrayRef<SmallVector<int64_t>> adjacent)
      : adjacent(adjacent), n(adjacent.size()), mate(n, -1), parent(n, -1),
        base(n), outer(n, false), inBlossom(n, false) {}

  ArrayRef<SmallVector<int64_t>> adjacent;
  int64_t n;
  SmallVector<int64_t> mate;
  std::vector<int64_t> parent, base, queue;
  std::vector<bool> outer, inBlossom;

  /// The base of the blossom that the tree paths from a and b (outer
  /// nodes of one tree) meet in.
  int64_t commonBase(int64_t a, int64_t b) {
    std::vector<bool> onPath(n, false);
    while (true) {
      a = base[a];
      onPath[a] = true;
      if (mate[a] == -1)
        break; // the root
      a = parent[mate[a]];
    }
    while (true) {
      b = base[b];
      if (onPath[b])
        return b;
      b = parent[mate[b]];
    }
  }

  /// Marks the blossom's nodes from v down to its base b, linking the
  /// inner nodes on the way back through `child` (the other side's node).
  void markPath(int64_t v, int64_t b, int64_t child) {
    while (base[v] != b) {
      inBlossom[base[v]] = inBlossom[base[mate[v]]] = true;
      parent[v] = child;
      child = mate[v];
      v = parent[mate[v]];
    }
  }

  /// The free node an augmenting path from `root` ends in, or -1.
  int64_t augmentingPathEnd(int64_t root) {
    std::fill(outer.begin(), outer.end(), false);
    std::fill(parent.begin(), parent.end(), -1);
    for (int64_t i = 0; i < n; ++i)
      base[i] = i;
    queue.assign(1, root);
    outer[root] = true;
    for (size_t head = 0; head < queue.size(); ++head) {
      int64_t v = queue[head];
      for (int64_t to : adjacent[v]) {
        if (to < 0 || to >= n || to == v || base[v] == base[to] ||
            mate[v] == to)
          continue;
        if (to == root || (mate[to] != -1 && parent[mate[to]] != -1)) {
          // An odd cycle: contract it into a blossom based at b.
          int64_t b = commonBase(v, to);
          std::fill(inBlossom.begin(), inBlossom.end(), false);
          markPath(v, b, to);
          markPath(to, b, v);
          for (int64_t i = 0; i < n; ++i)
            if (inBlossom[base[i]]) {
              base[i] = b;
              if (!outer[i]) {
                outer[i] = true;
                queue.push_back(i);
              }
            }
        } else if (parent[to] == -1) {
          parent[to] = v;
          if (mate[to] == -1)
            return to;
          outer[mate[to]] = true;
          queue.push_back(mate[to]);
        }
      }
    }
    return -1;
  }

  void run() {
    for (int64_t v = 0; v < n; ++v)
      if (mate[v] == -1)
        for (int64_t to : adjacent[v])
          if (to >= 0 && to < n && to != v && mate[to] == -1) {
            mate[v] = to;
            mate[to] = v;
            break;
          }
    for (int64_t v = 0; v < n; ++v) {
      if (mate[v] != -1)
        continue;
      // Flip the path: each node takes its tree parent, whose old partner
      // continues the walk.
      for (int64_t u = augmentingPathEnd(v); u != -1;) {
        int64_t p = parent[u], next = mate[p];
        mate[u] = p;
        mate[p] = u;
        u = next;
      }
    }
  }
};

} // namespace

SmallVector<int64_t>
mlir::qnt::maximumMatching(ArrayRef<SmallVector<int64_t>> adjacent) {
  Blossom b(adjacent);
  b.run();
  return b.mate;
}
