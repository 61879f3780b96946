//===- ClampedNormalTest.cpp - E[clamp(N(mu, s^2), lo, hi)] ---------------===//
//
// The closed form bias correction uses, against direct numerical
// integration of the clamped density (an independent computation).

#include "qnt/Dialect/Qnt/Utils/Layers.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace mlir::qnt;

namespace {
/// Midpoint rule over mu +- 12 sigma, 200k steps.
double integrate(double mu, double sigma, double lo, double hi) {
  const int n = 200000;
  double a = mu - 12 * sigma, b = mu + 12 * sigma, h = (b - a) / n, sum = 0;
  for (int i = 0; i < n; ++i) {
    double x = a + (i + 0.5) * h;
    double pdf = std::exp(-0.5 * std::pow((x - mu) / sigma, 2)) /
                 (sigma * std::sqrt(2 * M_PI));
    sum += std::clamp(x, lo, hi) * pdf * h;
  }
  return sum;
}
} // namespace

TEST(ClampedNormal, MatchesNumericalIntegration) {
  const double cases[][4] = {
      {0.0, 1.0, 0.0, INFINITY},  {0.5, 2.0, 0.0, 6.0},
      {-3.0, 1.0, 0.0, INFINITY}, {10.0, 0.5, 0.0, 6.0},
      {1.0, 3.0, -INFINITY, 2.0}, {0.2, 0.1, -INFINITY, INFINITY},
      {-1.0, 4.0, -2.0, 1.5}};
  for (auto &c : cases)
    EXPECT_NEAR(clampedNormalMean(c[0], c[1], c[2], c[3]),
                integrate(c[0], c[1], c[2], c[3]), 1e-6)
        << "mu " << c[0] << " sigma " << c[1] << " [" << c[2] << ", " << c[3]
        << "]";
}

TEST(ClampedNormal, WhitePaperReluForm) {
  // E[relu(N(b, g^2))] = g phi(-b/g) + b (1 - Phi(-b/g)).
  for (double b : {-2.0, -0.3, 0.0, 0.7, 4.0})
    for (double g : {0.25, 1.0, 3.0}) {
      double z = -b / g;
      double phi = std::exp(-0.5 * z * z) / std::sqrt(2 * M_PI);
      double Phi = 0.5 * std::erfc(-z / std::sqrt(2.0));
      EXPECT_NEAR(clampedNormalMean(b, g, 0.0, INFINITY),
                  g * phi + b * (1 - Phi), 1e-12);
    }
}

TEST(ClampedNormal, DegenerateAndNegativeSigma) {
  EXPECT_EQ(clampedNormalMean(3.0, 0.0, 0.0, 6.0), 3.0);
  EXPECT_EQ(clampedNormalMean(-1.0, 0.0, 0.0, 6.0), 0.0);
  EXPECT_EQ(clampedNormalMean(9.0, 0.0, 0.0, 6.0), 6.0);
  // gamma < 0 describes the same distribution as |gamma|.
  EXPECT_DOUBLE_EQ(clampedNormalMean(0.5, -2.0, 0.0, 6.0),
                   clampedNormalMean(0.5, 2.0, 0.0, 6.0));
  // A ReLU encoded with the largest f32 as its upper bound.
  EXPECT_NEAR(clampedNormalMean(0.0, 1.0, 0.0, 3.4028234663852886e38),
              1.0 / std::sqrt(2 * M_PI), 1e-12);
}
