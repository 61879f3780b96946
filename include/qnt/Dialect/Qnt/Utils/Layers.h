//===- Layers.h - constant-weight layers and the links between them -*- C++ -*-===//
//
// The weight-equalization passes (qnt-equalize, qnt-absorb-high-bias,
// qnt-wess, qnt-correct-bias) all rescale the constant weights of
// convolutions and matmuls channel by channel. `LinearLayer` reads such a
// layer's weights and bias into float vectors, indexes them by input and
// output channel, and writes them back as new constants. `LayerLink` is the
// path from one layer's output to the next layer that consumes it.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_LAYERS_H
#define QNT_DIALECT_QNT_UTILS_LAYERS_H

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/Dialect/Qnt/Utils/QuantParams.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Builders.h"

#include <optional>

namespace mlir::qnt {

/// A tosa.conv2d, tosa.depthwise_conv2d (with constant f32 weights and bias)
/// or tosa.matmul (with a constant f32 right-hand side, possibly through
/// tosa.reshape; its bias, if any, is a later tosa.add and not part of the
/// layer).
struct LinearLayer {
  Operation *op = nullptr;
  WeightLayout layout = WeightLayout::ConvOHWI;
  SmallVector<float> weights;
  SmallVector<int64_t> shape;
  /// One value per output channel; empty for a matmul.
  SmallVector<float> bias;

  /// Reads `op`'s constants; failure if `op` is not such a layer.
  static FailureOr<LinearLayer> read(Operation *op);

  int64_t numOutputChannels() const;
  int64_t numInputChannels() const;
  int64_t outputChannelOf(int64_t flatIndex) const;
  int64_t inputChannelOf(int64_t flatIndex) const;

  /// max |w| over the weights of each output (input) channel.
  SmallVector<double> outputRanges() const;
  SmallVector<double> inputRanges() const;

  /// Multiplies output channel c's weights and bias by `factors[c]`.
  void scaleOutputChannels(ArrayRef<double> factors);
  /// Multiplies the weights that read input channel c by `factors[c]`.
  void scaleInputChannels(ArrayRef<double> factors);

  /// Replaces the op's weight (and bias) operands with new constants
  /// holding the current values. The old constants are left for DCE.
  void write(OpBuilder &b) const;
};

/// The tosa.conv2d, tosa.depthwise_conv2d and tosa.matmul ops under `root`,
/// in program order (candidates for `LinearLayer::read`).
SmallVector<Operation *> collectLayerOps(Operation *root);

/// How a layer's output reaches the next layer.
struct LayerLink {
  Operation *from = nullptr;
  Operation *to = nullptr;
  /// The ops strictly between them, in order (activation, pooling,
  /// reshapes, padding).
  SmallVector<Operation *> between;
  /// The one tosa.clamp on the path, if any.
  tosa::ClampOp activation;
};

/// The layer that consumes `layer`'s result as its input (operand 0),
/// following single-use chains of tosa.clamp (at most one), tosa.avg_pool2d,
/// tosa.max_pool2d, tosa.pad and tosa.reshape that keeps the last (channel)
/// dimension. std::nullopt when the result has several users, the chain
/// meets any other op, or the consumer is not a `LinearLayer`.
std::optional<LayerLink> findNextLayer(Operation *layer);

/// Whether `clamp` is a ReLU: min 0 and no finite upper bound (max at or
/// above the largest f32).
bool isRelu(tosa::ClampOp clamp);
/// Whether `clamp` is [0, hi] with a finite hi (ReLU6 is hi = 6).
bool isBoundedRelu(tosa::ClampOp clamp);
/// Turns a bounded ReLU into a ReLU (max = the largest f32).
void makeRelu(tosa::ClampOp clamp);

/// The tosa.add of a per-channel constant that follows a matmul (through
/// reshapes, qnt.pow2_scale and qnt.clip keeping the last dimension): the matmul's
/// bias, as (add, index of the constant operand).
std::optional<std::pair<tosa::AddOp, unsigned>> matmulBiasAdd(Operation *matmul);
/// Adds `delta` (one value per channel) to that bias constant.
void addToMatmulBias(OpBuilder &b, std::pair<tosa::AddOp, unsigned> biasAdd,
                     ArrayRef<double> delta);

/// The name of the discardable attribute holding a layer's BatchNorm output
/// parameters, `{beta = array<f32: ...>, gamma = array<f32: ...>}`: the
/// folded BatchNorm's output is distributed per channel as N(beta, gamma^2).
/// Set by the ONNX importer, moved onto the convolution by
/// qnt-fold-batchnorm, kept up to date by the equalization passes.
constexpr StringLiteral kBatchnormAttrName = QntDialect::getBatchnormAttrName();

struct BatchnormPrior {
  SmallVector<float> beta, gamma;
};
/// The layer's BatchNorm prior, if present and well-formed (one value per
/// output channel).
std::optional<BatchnormPrior> getBatchnormPrior(Operation *op,
                                                int64_t channels);
void setBatchnormPrior(Operation *op, const BatchnormPrior &prior);

/// E[clamp(X, lo, hi)] for X ~ N(mu, sigma^2) (lo, hi may be infinite;
/// sigma = 0 gives clamp(mu, lo, hi)). For a ReLU (lo = 0, hi = inf) this
/// is sigma phi(-mu/sigma) + mu (1 - Phi(-mu/sigma)).
double clampedNormalMean(double mu, double sigma, double lo, double hi);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_LAYERS_H
