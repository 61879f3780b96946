//===- AttrVerifierTest.cpp - verifier errors unreachable from text -------===//
//
// The textual syntax cannot express these invalid attributes (for instance
// per-tensor parameters with several scales, or empty lists), but C++ users
// can build them: their verifiers must reject them with precise messages.
//
//===----------------------------------------------------------------------===//

#include "qnt/Dialect/Qnt/IR/QntAttrs.h"
#include "qnt/Dialect/Qnt/IR/QntDialect.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::qnt;

namespace {
class AttrVerifierTest : public ::testing::Test {
protected:
  AttrVerifierTest() { context.loadDialect<QntDialect>(); }

  /// Calls `build` with an error emitter and returns the text of the first
  /// diagnostic ("" if none).
  template <typename Fn>
  std::string firstError(Fn build) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (message.empty())
        message = diag.str();
      return success();
    });
    auto emit = [&]() { return emitError(UnknownLoc::get(&context)); };
    build(emit);
    return message;
  }

  MLIRContext context;
};
} // namespace

TEST_F(AttrVerifierTest, PerTensorNeedsOneScale) {
  auto si8 = IntegerType::get(&context, 8, IntegerType::Signed);
  std::string msg = firstError([&](auto emit) {
    EXPECT_FALSE(UniformAttr::getChecked(
        emit, &context, si8, false, DenseF64ArrayAttr::get(&context, {1.0, 2.0}),
        ArrayRef<int64_t>{0, 0}, std::optional<int64_t>()));
  });
  EXPECT_EQ(msg, "per-tensor parameters need exactly one scale, got 2");
}

TEST_F(AttrVerifierTest, MissingScales) {
  auto si8 = IntegerType::get(&context, 8, IntegerType::Signed);
  std::string msg = firstError([&](auto emit) {
    EXPECT_FALSE(UniformAttr::getChecked(emit, &context, si8, false,
                                         DenseF64ArrayAttr(), ArrayRef<int64_t>{},
                                         std::optional<int64_t>()));
  });
  EXPECT_EQ(msg, "expected scales");
}

TEST_F(AttrVerifierTest, HistogramNeedsBins) {
  std::string msg = firstError([&](auto emit) {
    EXPECT_FALSE(HistogramAttr::getChecked(emit, &context, llvm::APFloat(0.0),
                                           llvm::APFloat(1.0),
                                           ArrayRef<int64_t>{}));
  });
  EXPECT_EQ(msg, "histogram needs at least one bin");
}

TEST_F(AttrVerifierTest, ChannelStatsNeedChannels) {
  std::string msg = firstError([&](auto emit) {
    EXPECT_FALSE(ChannelStatsAttr::getChecked(emit, &context, int64_t(0),
                                              ArrayRef<StatsAttr>{}));
  });
  EXPECT_EQ(msg, "per-channel statistics need at least one channel");
}

TEST_F(AttrVerifierTest, QMinQMax) {
  auto make = [&](unsigned bits, bool isSigned, bool narrow) {
    auto t = IntegerType::get(&context, bits,
                              isSigned ? IntegerType::Signed
                                       : IntegerType::Unsigned);
    return UniformAttr::get(&context, t, narrow,
                            DenseF64ArrayAttr::get(&context, {1.0}),
                            ArrayRef<int64_t>{0}, std::optional<int64_t>());
  };
  EXPECT_EQ(make(8, true, false).getQMin(), -128);
  EXPECT_EQ(make(8, true, true).getQMin(), -127);
  EXPECT_EQ(make(8, true, true).getQMax(), 127);
  EXPECT_EQ(make(4, false, false).getQMax(), 15);
  EXPECT_EQ(make(2, true, false).getQMin(), -2);
  EXPECT_EQ(make(32, true, false).getQMin(), INT32_MIN);
}
