//===- AciqTest.cpp - ACIQ solver against the paper's table ---------------===//

#include "qnt/Dialect/Qnt/Utils/Aciq.h"

#include "gtest/gtest.h"

#include <cmath>
#include <numeric>

using namespace mlir::qnt;

// ALGORITHMS.md / the ACIQ paper: optimal a/b (Laplace) and a/s (Gaussian)
// for 1..8 bits. The acceptance criterion is agreement within 0.5%.
TEST(Aciq, LaplaceTable) {
  const double table[] = {1.86, 2.83, 3.89, 5.03, 6.20, 7.41, 8.64, 9.89};
  for (int m = 1; m <= 8; ++m)
    EXPECT_NEAR(aciqLaplaceRatio(m), table[m - 1], 0.005 * table[m - 1])
        << "bits " << m;
}

TEST(Aciq, GaussianTable) {
  const double table[] = {1.24, 1.71, 2.15, 2.55, 2.93, 3.28, 3.61, 3.92};
  for (int m = 1; m <= 8; ++m)
    EXPECT_NEAR(aciqGaussianRatio(m), table[m - 1], 0.005 * table[m - 1])
        << "bits " << m;
}

// The solution is the minimum of the modelled MSE: any other clip is worse.
TEST(Aciq, RatiosMinimizeTheModelledMse) {
  for (int m = 1; m <= 16; ++m) {
    double tl = aciqLaplaceRatio(m), tg = aciqGaussianRatio(m);
    for (double f : {0.9, 0.99, 1.01, 1.1}) {
      EXPECT_LT(aciqLaplaceMse(tl, 1.0, m), aciqLaplaceMse(tl * f, 1.0, m));
      EXPECT_LT(aciqGaussianMse(tg, 1.0, m), aciqGaussianMse(tg * f, 1.0, m));
    }
  }
}

TEST(Aciq, RatiosGrowWithBits) {
  for (int m = 1; m < 16; ++m) {
    EXPECT_LT(aciqLaplaceRatio(m), aciqLaplaceRatio(m + 1));
    EXPECT_LT(aciqGaussianRatio(m), aciqGaussianRatio(m + 1));
  }
}

TEST(Aciq, BitAllocationKeepsTheMean) {
  std::vector<double> alphas = {0.1, 0.5, 1.0, 2.0, 8.0, 0.0, 3.0, 1.5};
  for (unsigned mean : {2u, 3u, 4u}) {
    auto bits = aciqAllocateBits(alphas, mean);
    unsigned total = std::accumulate(bits.begin(), bits.end(), 0u);
    EXPECT_EQ(total, mean * alphas.size()) << "mean " << mean;
    for (unsigned b : bits) {
      EXPECT_GE(b, 1u);
      EXPECT_LE(b, 8u);
    }
    // Wider channels never get fewer bits than narrower ones.
    for (size_t i = 0; i < alphas.size(); ++i)
      for (size_t j = 0; j < alphas.size(); ++j)
        if (alphas[i] > alphas[j])
          EXPECT_GE(bits[i], bits[j]);
  }
}

TEST(Aciq, BitAllocationFollowsTheTwoThirdsRule) {
  // a2 = 8 a1: 2^(M2 - M1) = 8^(2/3) = 4, so two bits apart; mean 4 -> 3, 5.
  auto bits = aciqAllocateBits({1.0, 8.0}, 4);
  EXPECT_EQ(bits[0], 3u);
  EXPECT_EQ(bits[1], 5u);
  // Equal channels share the budget equally.
  auto equal = aciqAllocateBits({2.0, 2.0, 2.0}, 3);
  EXPECT_EQ(equal[0], 3u);
  EXPECT_EQ(equal[2], 3u);
}
