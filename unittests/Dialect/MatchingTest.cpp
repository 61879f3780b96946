//===- MatchingTest.cpp - maximum matching of a general graph -------------===//
//
// Hand-made graphs whose maximum matching size is known (odd cycles that a
// greedy pass gets wrong, a blossom inside an augmenting path, stars,
// complete graphs), and random graphs against a brute-force maximum.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/Utils/Matching.h"

#include "gtest/gtest.h"

#include <random>
#include <utility>
#include <vector>

using namespace mlir::qnt;
using Graph = llvm::SmallVector<llvm::SmallVector<int64_t>>;

namespace {

Graph graph(int64_t n, const std::vector<std::pair<int64_t, int64_t>> &edges) {
  Graph g(n);
  for (auto [a, b] : edges) {
    g[a].push_back(b);
    g[b].push_back(a);
  }
  return g;
}

/// The matching's size after checking that it is one: partners are
/// mutual and joined by an edge.
int64_t checkedSize(const Graph &g, llvm::ArrayRef<int64_t> mate) {
  EXPECT_EQ(mate.size(), g.size());
  int64_t matched = 0;
  for (int64_t v = 0; v < (int64_t)g.size(); ++v) {
    if (mate[v] == -1)
      continue;
    EXPECT_EQ(mate[mate[v]], v) << "node " << v;
    EXPECT_TRUE(llvm::is_contained(g[v], mate[v])) << "node " << v;
    ++matched;
  }
  return matched / 2;
}

/// The maximum matching size by trying every choice for the lowest free
/// node (small graphs only).
int64_t bruteForce(const Graph &g, uint32_t used = 0) {
  int64_t n = g.size(), v = 0;
  while (v < n && (used >> v & 1))
    ++v;
  if (v == n)
    return 0;
  int64_t best = bruteForce(g, used | 1u << v); // v stays free
  for (int64_t to : g[v])
    if (to != v && !(used >> to & 1))
      best = std::max(best, 1 + bruteForce(g, used | 1u << v | 1u << to));
  return best;
}

TEST(Matching, Empty) {
  EXPECT_TRUE(maximumMatching(Graph()).empty());
  auto mate = maximumMatching(Graph(3));
  EXPECT_EQ(mate, (llvm::SmallVector<int64_t>{-1, -1, -1}));
}

TEST(Matching, NaturalPairsKept) {
  // Every node adjacent to every other: the greedy pass pairs 0-1, 2-3, ...
  Graph g(6);
  for (int64_t a = 0; a < 6; ++a)
    for (int64_t b = 0; b < 6; ++b)
      if (a != b)
        g[a].push_back(b);
  EXPECT_EQ(maximumMatching(g),
            (llvm::SmallVector<int64_t>{1, 0, 3, 2, 5, 4}));
}

TEST(Matching, PathGreedyGetsWrong) {
  // The path 2 - 0 - 1 - 3: greedy pairs 0-1 (node 0's first neighbour),
  // leaving 2 and 3 free; the augmenting path 2-0-1-3 gives 2 pairs.
  Graph g = graph(4, {{0, 1}, {0, 2}, {1, 3}});
  EXPECT_EQ(checkedSize(g, maximumMatching(g)), 2);
}

TEST(Matching, BlossomOnTheAugmentingPath) {
  // Greedy pairs 0-3 and 1-4, leaving 2 and 5 free. The augmenting path
  // 2-4-1-0-3-5 needs the odd cycle 2-4-1-0-3 contracted: from root 2 the
  // search reaches 4 and 3 (inner) and their partners 1 and 0 (outer), and
  // the edge 1-0 joins two outer nodes; only the blossom makes 3 outer, so
  // that its edge to 5 is followed. From root 5 the same holds mirrored.
  // The maximum is 3 pairs (a search without blossoms finds 2).
  Graph g = graph(6, {{3, 5}, {0, 3}, {2, 4}, {0, 4}, {0, 1}, {2, 3}, {1, 4}});
  auto mate = maximumMatching(g);
  EXPECT_EQ(checkedSize(g, mate), 3);
  EXPECT_EQ(bruteForce(g), 3);
}

TEST(Matching, Star) {
  Graph g = graph(5, {{0, 1}, {0, 2}, {0, 3}, {0, 4}});
  EXPECT_EQ(checkedSize(g, maximumMatching(g)), 1);
}

TEST(Matching, IgnoresSelfLoopsAndRepeats) {
  Graph g = graph(4, {{0, 0}, {0, 1}, {0, 1}, {2, 3}, {3, 3}});
  EXPECT_EQ(checkedSize(g, maximumMatching(g)), 2);
}

TEST(Matching, RandomGraphsAgainstBruteForce) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    int64_t n = 2 + rng() % 13;
    double density = (rng() % 100) / 100.0;
    Graph g(n);
    for (int64_t a = 0; a < n; ++a)
      for (int64_t b = a + 1; b < n; ++b)
        if (std::uniform_real_distribution<>(0, 1)(rng) < density) {
          g[a].push_back(b);
          g[b].push_back(a);
        }
    ASSERT_EQ(checkedSize(g, maximumMatching(g)), bruteForce(g))
        << "trial " << trial << ", " << n << " nodes";
  }
}

} // namespace
