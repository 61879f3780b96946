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
};

/// Float TOSA / linalg-on-tensors -> LLVM dialect: TOSA to linalg,
/// elementwise fusion, convolution layouts, tiling and vectorization,
/// one-shot bufferization with results as out-parameters, then LLVM.
void buildFloatToLLVMPipeline(OpPassManager &pm,
                              const FloatToLLVMOptions &options);

/// Registers every named qnt pipeline with the global pipeline registry.
void registerQntPipelines();

} // namespace mlir::qnt

#endif // QNT_PIPELINES_PIPELINES_H
