//===- QuantParamsTest.cpp - weight grids and input-scale folding ---------===//

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Utils/QuantParams.h"

#include "mlir/IR/MLIRContext.h"
#include "gtest/gtest.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;

namespace {

/// Dequantized weights (q - z) s of channel-major [C, 1, 1, K] conv weights.
std::vector<double> dequantized(const QuantizedWeights &q,
                                ArrayRef<int64_t> shape) {
  std::vector<double> out;
  for (size_t i = 0; i < q.codes.size(); ++i) {
    int64_t c = outputChannelOf(WeightLayout::ConvOHWI, shape, i);
    out.push_back(double(q.codes[i] - q.zeroPointOf(c)) * q.scaleOf(c));
  }
  return out;
}

} // namespace

// The grid spans [min(w, 0), max(w, 0)] on all 2^W codes; zero is exact.
TEST(QuantParams, AsymmetricGridEndpointsAndZero) {
  for (unsigned bits : {2u, 4u, 8u}) {
    auto [scale, zp] = asymmetricWeightGrid(-0.25, 0.5, bits);
    double levels = std::ldexp(1.0, bits) - 1.0;
    EXPECT_DOUBLE_EQ(scale, 0.75 / levels);
    int64_t qmin = -(int64_t(1) << (bits - 1));
    // -0.25 / scale = -levels / 3 codes below the zero point.
    EXPECT_EQ(zp, std::llround(levels / 3.0) + qmin) << bits;
    EXPECT_GE(zp, qmin);
    EXPECT_LE(zp, -qmin - 1);
  }
  // One-sided ranges put the zero point at an end of the grid.
  EXPECT_EQ(asymmetricWeightGrid(0.0, 1.0, 8).second, -128);
  EXPECT_EQ(asymmetricWeightGrid(-1.0, 0.0, 8).second, 127);
  // Empty range: a valid grid, never a zero or non-finite scale.
  EXPECT_EQ(asymmetricWeightGrid(0.0, 0.0, 4), std::make_pair(1.0, int64_t(0)));
}

TEST(QuantParams, AsymmetricWeightsPerChannelRoundTrip) {
  // Channel 0 positive only, channel 1 negative only, channel 2 all zero,
  // channel 3 mixed.
  std::vector<float> w = {0.1f, 0.7f,  -0.3f, -0.05f, 0.0f,
                          0.0f, -1.0f, 3.0f};
  SmallVector<int64_t> shape = {4, 1, 1, 2};
  for (unsigned bits : {3u, 8u}) {
    QuantizedWeights q = quantizeWeightsAsymmetric(
        w, shape, WeightLayout::ConvOHWI, bits, /*perChannel=*/true);
    ASSERT_EQ(q.scales.size(), 4u);
    ASSERT_EQ(q.zeroPoints.size(), 4u);
    int64_t qmin = -(int64_t(1) << (bits - 1)), qmax = -qmin - 1;
    EXPECT_EQ(q.zeroPoints[0], qmin);
    EXPECT_EQ(q.zeroPoints[1], qmax);
    EXPECT_EQ(q.scales[2], 1.0);
    EXPECT_EQ(q.zeroPoints[2], 0);
    std::vector<double> back = dequantized(q, shape);
    for (size_t i = 0; i < w.size(); ++i) {
      int64_t c = i / 2;
      EXPECT_GE(q.codes[i], qmin);
      EXPECT_LE(q.codes[i], qmax);
      // Within half a step (plus float32 rounding of the division).
      EXPECT_LE(std::fabs(back[i] - w[i]), q.scales[c] * 0.5 + 1e-6)
          << "bits " << bits << " element " << i;
    }
    // A one-sided channel's extreme is on the grid (its zero point is an
    // end); a mixed one rounds its zero point, so zero is exact instead.
    EXPECT_NEAR(back[1], 0.7, 1e-6);
    EXPECT_NEAR(back[2], -0.3, 1e-6);
    EXPECT_EQ(back[4], 0.0);
  }
}

TEST(QuantParams, AsymmetricPerTensorSharesOneGrid) {
  std::vector<float> w = {0.5f, 0.25f, -0.25f, 0.0f};
  SmallVector<int64_t> shape = {2, 1, 1, 2};
  QuantizedWeights q = quantizeWeightsAsymmetric(
      w, shape, WeightLayout::ConvOHWI, 8, /*perChannel=*/false);
  ASSERT_EQ(q.scales.size(), 1u);
  EXPECT_EQ(q.zeroPoints[0], -43); // round(0.25 / (0.75/255)) - 128
  EXPECT_EQ(std::vector<int>(q.codes.begin(), q.codes.end()),
            (std::vector<int>{127, 42, -128, -43}));
}

TEST(QuantParams, InputChannelOfEveryLayout) {
  // conv OHWI [2, 1, 2, 3]: input channel = last index.
  SmallVector<int64_t> conv = {2, 1, 2, 3};
  EXPECT_EQ(numInputChannels(WeightLayout::ConvOHWI, conv), 3);
  EXPECT_EQ(inputChannelOf(WeightLayout::ConvOHWI, conv, 7), 1);
  // depthwise HWCM [1, 2, 3, 2]: flat index = ((h W + w) C + c) M + m.
  SmallVector<int64_t> dw = {1, 2, 3, 2};
  EXPECT_EQ(numInputChannels(WeightLayout::DepthwiseHWCM, dw), 3);
  EXPECT_EQ(inputChannelOf(WeightLayout::DepthwiseHWCM, dw, 5), 2);
  EXPECT_EQ(inputChannelOf(WeightLayout::DepthwiseHWCM, dw, 6), 0);
  EXPECT_EQ(outputChannelOf(WeightLayout::DepthwiseHWCM, dw, 5), 5);
  // matmul [1, K = 3, N = 2]: flat index = k N + n.
  SmallVector<int64_t> mm = {1, 3, 2};
  EXPECT_EQ(numInputChannels(WeightLayout::MatmulBKN, mm), 3);
  EXPECT_EQ(inputChannelOf(WeightLayout::MatmulBKN, mm, 5), 2);
}

TEST(QuantParams, InputScaleFoldUsesTheLargestScale) {
  MLIRContext ctx;
  ctx.loadDialect<QntDialect>();
  SmallVector<int64_t> bits = {4, 2, 8};
  SmallVector<double> lo = {0.0, 0.0, 0.0}, hi = {2.0, 0.5, 0.0};
  UniformAttr p = activationParams(&ctx, bits, lo, hi, 3, true);
  auto [factors, ref] = inputScaleFold(p);
  // Scales 2/15, 1/6 and (empty channel) a tiny positive one.
  EXPECT_DOUBLE_EQ(ref, 0.5 / 3.0);
  ASSERT_EQ(factors.size(), 3u);
  EXPECT_DOUBLE_EQ(factors[0], (2.0 / 15.0) / (0.5 / 3.0));
  EXPECT_DOUBLE_EQ(factors[1], 1.0);
  EXPECT_GT(factors[2], 0.0);
  EXPECT_LT(factors[2], 1e-4);
  // One zero point for all three (ranges start at 0): the widest storage's
  // minimum code.
  for (int64_t z : p.getZeroPoints())
    EXPECT_EQ(z, -128);
}
