//===- Pipelines.h - qnt's named pass pipelines -----------------*- C++ -*-===//
//
// Each pipeline is defined once here and registered for qnt-opt
// (`--qnt-float-to-llvm`, or `--pass-pipeline='builtin.module(qnt-float-to-llvm)'`)
// and for C++ users (build...Pipeline).
//
//===----------------------------------------------------------------------===//

#ifndef QNT_PIPELINES_PIPELINES_H
#define QNT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::qnt {

struct FloatToLLVMOptions : public PassPipelineOptions<FloatToLLVMOptions> {
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile and vectorize linalg ops (false: scalar loops)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 elements per vector (16 = AVX-512)"),
      llvm::cl::init(16)};
  PassOptions::Option<std::string> int8Kernels{
      *this, "int8-kernels",
      llvm::cl::desc("Kernels for int8 matmuls and convolutions with "
                     "constant weights (qnt-int8-matmul-kernels, "
                     "qnt-int8-depthwise-kernels): avx2 (vpmaddwd; the "
                     "target must have AVX2), avxvnni (vpdpbusd on ymm; "
                     "AVX-VNNI and AVX2), avx512vnni (vpdpbusd on zmm; "
                     "AVX512-VNNI and AVX512BW) or none (portable tiling)"),
      llvm::cl::init("none")};
  PassOptions::Option<int64_t> int8MTile{
      *this, "int8-m-tile",
      llvm::cl::desc("Rows per register tile of the int8 matmul kernels "
                     "(0: the kernels' default for the ISA)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> int8NBlocks{
      *this, "int8-n-blocks",
      llvm::cl::desc("Column blocks per register tile of the int8 matmul "
                     "kernels (0: the kernels' default for the ISA)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> int8SaturationFreeQuads{
      *this, "int8-saturation-free-quads",
      llvm::cl::desc("With int8-kernels=avx2, matmuls and convolutions whose "
                     "weight pairs cannot saturate vpmaddubsw (all 7-bit "
                     "weights; some 8-bit ones, possibly after reordering "
                     "K or their filter rows) take K quads of u8 x s8 "
                     "instead of i16 pairs "
                     "(qnt-int8-matmul-kernels{saturation-free-quads})"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> int8ImplicitPadding{
      *this, "int8-implicit-padding",
      llvm::cl::desc("The int8 depthwise kernels read through the zero-point "
                     "padding of their input instead of building the padded "
                     "tensor (qnt-int8-depthwise-kernels{implicit-padding})"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> x86Intrinsics{
      *this, "x86-intrinsics",
      llvm::cl::desc("Select the kernels' dot products as x86 intrinsics "
                     "(qnt-select-x86-intrinsics); false keeps the plain "
                     "vector forms, which run on any CPU (tests)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the int8 kernels' outer loops on OpenMP threads "
                     "(qnt-parallelize-kernels, convert-scf-to-openmp; the "
                     "library then needs libomp)"),
      llvm::cl::init(false)};
  PassOptions::Option<int64_t> parallelMinWork{
      *this, "parallel-min-work",
      llvm::cl::desc("With parallel: loops of fewer estimated operations "
                     "stay sequential (qnt-parallelize-kernels{min-work}; "
                     "0: every kernel loop runs on the threads)"),
      llvm::cl::init(20000)};
  PassOptions::Option<bool> debugLineTables{
      *this, "debug-line-tables",
      llvm::cl::desc("Give every LLVM function a debug-info subprogram "
                     "(ensure-debug-info-scope-on-llvm-func, line tables "
                     "only), so that the ops' file:line locations become "
                     "the library's line table (per-op profiles: "
                     "bench/layers.py)"),
      llvm::cl::init(false)};
};

/// Float TOSA / linalg-on-tensors -> LLVM dialect: TOSA to linalg,
/// elementwise fusion, convolution layouts, tiling and vectorization,
/// one-shot bufferization with results as out-parameters, then LLVM.
void buildFloatToLLVMPipeline(OpPassManager &pm,
                              const FloatToLLVMOptions &options);

/// The named quantization recipes (docs/quantization.md).
enum class Recipe {
  W8A8PerChannel, // clips: MSE, 8 bits; weights 8-bit per channel
  W7A8PerChannel, // clips: MSE, 8 bits; weights 7-bit per channel
  W8A8PerTensor,  // clips: MSE, 8 bits; weights 8-bit per tensor
  W4A4MinMax,     // naive: min-max clips, 4-bit per-channel weights
  W4A4Aciq,       // ACIQ Laplace clips, 4-bit per-channel weights
  W8A8PerTensorWess, // W8A8 per-tensor + WESS shifts (folded into requant)
  W8A8PerTensorCle,  // ReLU6 -> ReLU, CLE, high-bias absorption; per-tensor
  W4A4AciqBc,        // W4A4 ACIQ + analytic bias correction
  W4A4AciqAllocBc,   // W4A4 ACIQ per-channel bit allocation + bias correction
  SyqTernary,        // SYQ ternary weights (pixel-wise scales), A8 MSE clips
  SyqBinary,         // SYQ binary weights (pixel-wise scales), A8 MSE clips
};

struct QuantizeOptions : public PassPipelineOptions<QuantizeOptions> {
  PassOptions::Option<Recipe> recipe{
      *this, "recipe", llvm::cl::desc("Quantization recipe"),
      llvm::cl::init(Recipe::W8A8PerChannel),
      llvm::cl::values(
          clEnumValN(Recipe::W8A8PerChannel, "w8a8-per-channel",
                     "8-bit activations (MSE clips), 8-bit per-channel "
                     "weights"),
          clEnumValN(Recipe::W7A8PerChannel, "w7a8-per-channel",
                     "8-bit activations (MSE clips), 7-bit per-channel "
                     "weights (onnxruntime's reduce_range: AVX2 int8 "
                     "kernels in vpmaddubsw's exact range)"),
          clEnumValN(Recipe::W8A8PerTensor, "w8a8-per-tensor",
                     "8-bit activations (MSE clips), 8-bit per-tensor "
                     "weights"),
          clEnumValN(Recipe::W4A4MinMax, "w4a4-minmax",
                     "4-bit activations with min-max clips, 4-bit "
                     "per-channel weights (the naive baseline)"),
          clEnumValN(Recipe::W4A4Aciq, "w4a4-aciq",
                     "4-bit activations with ACIQ Laplace clips, 4-bit "
                     "per-channel weights"),
          clEnumValN(Recipe::W8A8PerTensorWess, "w8a8-per-tensor-wess",
                     "w8a8-per-tensor with WESS: per-channel power-of-two "
                     "weight shifts, one multiplier per layer"),
          clEnumValN(Recipe::W8A8PerTensorCle, "w8a8-per-tensor-cle",
                     "w8a8-per-tensor after ReLU6 -> ReLU, cross-layer "
                     "equalization and high-bias absorption (equalize "
                     "stage)"),
          clEnumValN(Recipe::W4A4AciqBc, "w4a4-aciq-bc",
                     "w4a4-aciq with analytic bias correction from the "
                     "BatchNorm priors"),
          clEnumValN(Recipe::W4A4AciqAllocBc, "w4a4-aciq-alloc-bc",
                     "4-bit activations with ACIQ Laplace clips per channel "
                     "and ACIQ's per-channel bit allocation (mean 4 bits, "
                     "1..8 per channel; needs per-channel calibration "
                     "statistics), 4-bit per-channel weights, analytic bias "
                     "correction"),
          clEnumValN(Recipe::SyqTernary, "syq-ternary",
                     "SYQ ternary weights with pixel-wise scales (eta 0.05), "
                     "first and last layer 8-bit per-channel; 8-bit "
                     "activations (MSE clips)"),
          clEnumValN(Recipe::SyqBinary, "syq-binary",
                     "SYQ binary weights with pixel-wise scales, first and "
                     "last layer 8-bit per-channel; 8-bit activations (MSE "
                     "clips)"))};
  PassOptions::Option<std::string> rounding{
      *this, "rounding",
      llvm::cl::desc("Requantization rounding: single_round (one rounding, "
                     "TOSA rescale's), tflite (gemmlowp / TFLite) or "
                     "double_round"),
      llvm::cl::init("single_round")};
  PassOptions::Option<std::string> residualAdd{
      *this, "residual-add",
      llvm::cl::desc("Residual adds of two activations (qnt-quantize "
                     "residual-add): single-rounding or tflite"),
      llvm::cl::init("single-rounding")};
  PassOptions::Option<unsigned> minMultiplierBits{
      *this, "min-multiplier-bits",
      llvm::cl::desc("Fewest significant bits a requantization multiplier "
                     "may be rounded to so that its product with every "
                     "accumulator fits in 32 bits (qnt-quantize "
                     "min-multiplier-bits; 31: full Q31 multipliers)"),
      llvm::cl::init(11)};
  PassOptions::ListOption<std::string> layerBits{
      *this, "layer-bits",
      llvm::cl::desc("Per-activation widths KEY=BITS (qnt-insert-clips "
                     "layer-bits): KEY is input or text in the producer's "
                     "location, e.g. an ONNX node name")};
  PassOptions::ListOption<std::string> layerWeightBits{
      *this, "layer-weight-bits",
      llvm::cl::desc("Per-layer weight widths KEY=BITS (qnt-quantize "
                     "layer-weight-bits): KEY is first, last or text in the "
                     "layer's location")};
  PassOptions::Option<bool> shareInputGrid{
      *this, "share-input-grid",
      llvm::cl::desc("Max pooling and channel padding (a concat of one "
                     "activation with constants) keep their input's grid "
                     "instead of a clip of their own (qnt-insert-clips "
                     "share-input-grid): one requantization less per such "
                     "tensor"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> weightAsymmetric{
      *this, "weight-asymmetric",
      llvm::cl::desc("Asymmetric uniform weights with zero points "
                     "(qnt-quantize weight-asymmetric)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> packWeights{
      *this, "pack-weights",
      llvm::cl::desc("Store weights whose codes fit 4 bits or fewer several "
                     "per byte (qnt-pack-weights)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> checkIntegerOnly{
      *this, "check-integer-only",
      llvm::cl::desc("Fail unless the result is integer-only"),
      llvm::cl::init(true)};
};

/// A float model with calibration statistics (qnt.stats) -> integer TOSA +
/// qnt: qnt-insert-clips, qnt-quantize and qnt-check-integer-only with the
/// recipe's settings.
/// Stage 2 of a recipe, after calibration: clips, WESS, bias correction,
/// quantization, weight packing, the integer-only check.
void buildQuantizePipeline(OpPassManager &pm, const QuantizeOptions &options);

/// Stage 1 of a recipe, before calibration (it changes the float model's
/// activations): BatchNorm folding and, for the recipes that use them,
/// cross-layer equalization and high-bias absorption. Only `recipe` is read.
void buildEqualizePipeline(OpPassManager &pm, const QuantizeOptions &options);

/// Registers every named qnt pipeline with the global pipeline registry.
void registerQntPipelines();

} // namespace mlir::qnt

#endif // QNT_PIPELINES_PIPELINES_H
