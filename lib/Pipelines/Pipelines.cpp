//===- Pipelines.cpp - qnt's named pass pipelines -------------------------===//

#include "qnt/Pipelines/Pipelines.h"

#include "qnt/Conversion/Passes.h"
#include "qnt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::qnt::buildFloatToLLVMPipeline(OpPassManager &pm,
                                         const FloatToLLVMOptions &options) {
  // TOSA -> linalg on tensors.
  {
    OpPassManager &fpm = pm.nest<func::FuncOp>();
    fpm.addPass(tosa::createTosaToLinalgNamed());
    fpm.addPass(tosa::createTosaToLinalg());
    fpm.addPass(createTosaToArithPass());
    fpm.addPass(createTosaToTensorPass());
  }
  // qnt's own element-wise ops (clips, fake quantization, requantization).
  pm.addPass(createConvertQntToLinalg());
  pm.addPass(createCanonicalizerPass());
  // Int8 matmuls with constant weights: packed weights, register-blocked
  // dot-product kernels (before tiling claims them).
  if (options.vectorize && options.int8Kernels != "none") {
    QntInt8MatmulKernelsOptions kernels;
    kernels.isa = options.int8Kernels;
    // AVX2, 16 ymm registers: 6 x 2 blocks of 8 lanes (the default; the
    // pass keeps vpmaddubsw quads to 5 x 2);
    // 32 zmm registers: 4 x 4 blocks of 16 lanes.
    if (options.int8Kernels == "avx512vnni") {
      kernels.mTile = 4;
      kernels.nBlocks = 4;
    }
    // 0 keeps the ISA's default; anything else (negative included) goes to
    // the pass, which rejects non-positive tiles.
    if (options.int8MTile != 0)
      kernels.mTile = options.int8MTile;
    if (options.int8NBlocks != 0)
      kernels.nBlocks = options.int8NBlocks;
    kernels.saturationFreeQuads = options.int8SaturationFreeQuads;
    pm.nest<func::FuncOp>().addPass(createQntInt8MatmulKernels(kernels));
  }
  // Kernel layouts first: the depthwise rewrite's reshapes then fold away in
  // elementwise fusion.
  pm.nest<func::FuncOp>().addPass(createQntPrepareConvolutions());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());
  // Int8 depthwise convolutions: channel-vectorized kernels, after fusion
  // has merged the bias add into the requantization they absorb.
  if (options.vectorize && options.int8Kernels != "none") {
    QntInt8DepthwiseKernelsOptions dw;
    dw.lanes = options.vectorWidth; // i32 lanes = f32 lanes
    dw.implicitPadding = options.int8ImplicitPadding;
    pm.nest<func::FuncOp>().addPass(createQntInt8DepthwiseKernels(dw));
  }

  // Tiling and vectorization.
  {
    OpPassManager &fpm = pm.nest<func::FuncOp>();
    if (options.vectorize) {
      QntTileAndVectorizeOptions tv;
      tv.vectorWidth = options.vectorWidth;
      fpm.addPass(createQntTileAndVectorize(tv));
    }
  }
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Buffers: function results become out-parameters (the runtime ABI, see
  // docs/runtime.md).
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // Threads: the kernels' marked loops become OpenMP work-sharing loops.
  if (options.parallel) {
    QntParallelizeKernelsOptions parallelize;
    parallelize.minWork = options.parallelMinWork;
    pm.nest<func::FuncOp>().addPass(createQntParallelizeKernels(parallelize));
    pm.addPass(createConvertSCFToOpenMPPass());
    // Inlines the memref.alloca_scope around each loop body (the kernels
    // allocate nothing), which scf-to-cf could not lower.
    pm.addPass(createCanonicalizerPass());
  }

  // Leftover linalg ops to loops; vector transfers to 1-D; multi-dimensional
  // reductions to 1-D ones.
  pm.nest<func::FuncOp>().addPass(createConvertLinalgToLoopsPass());
  pm.nest<func::FuncOp>().addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.nest<func::FuncOp>().addPass(vector::createLowerVectorMultiReductionPass(
      vector::VectorMultiReductionLowering::InnerReduction));
  // expand-strided-metadata creates affine.apply: lower affine after it.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());

  // LLVM. Math first: math-to-libm scalarizes vector math (erf, ...) with
  // vector.extract/insert, which vector-to-llvm must still see.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // The int8 kernels' dot products as x86 instructions (after
  // bufferization, which rejects llvm.call_intrinsic).
  if (options.vectorize && options.int8Kernels != "none" &&
      options.x86Intrinsics) {
    QntSelectX86IntrinsicsOptions select;
    select.avxVnni = options.int8Kernels == "avxvnni";
    pm.nest<func::FuncOp>().addPass(createQntSelectX86Intrinsics(select));
  }
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.vectorContractLowering = vector::VectorContractLowering::OuterProduct;
  vectorToLLVM.vectorTransposeLowering = vector::VectorTransposeLowering::Shuffle1D;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  // Allocation goes through _mlir_memref_to_llvm_alloc/free, which the
  // runtime provides (docs/runtime.md: it reuses buffers across calls).
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  if (options.parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (options.debugLineTables)
    pm.addPass(LLVM::createDIScopeForLLVMFuncOpPass());
}

void mlir::qnt::buildQuantizePipeline(OpPassManager &pm,
                                      const QuantizeOptions &options) {
  QntInsertClipsOptions clips;
  QntQuantizeOptions quantize;
  quantize.rounding = options.rounding;
  quantize.residualAdd = options.residualAdd;
  quantize.minMultiplierBits = options.minMultiplierBits;
  bool wess = false, biasCorrection = false;
  switch (options.recipe) {
  case Recipe::W8A8PerChannel:
  case Recipe::W8A8PerTensor:
  case Recipe::W8A8PerTensorWess:
  case Recipe::W8A8PerTensorCle:
    clips.method = "mse";
    clips.bits = 8;
    quantize.weightBits = 8;
    quantize.weightPerChannel = options.recipe == Recipe::W8A8PerChannel;
    wess = options.recipe == Recipe::W8A8PerTensorWess;
    break;
  case Recipe::W7A8PerChannel:
    clips.method = "mse";
    clips.bits = 8;
    quantize.weightBits = 7;
    quantize.weightPerChannel = true;
    break;
  case Recipe::W4A4MinMax:
  case Recipe::W4A4Aciq:
  case Recipe::W4A4AciqBc:
  case Recipe::W4A4AciqAllocBc:
    clips.method =
        options.recipe == Recipe::W4A4MinMax ? "minmax" : "aciq_laplace";
    clips.bits = 4;
    quantize.weightBits = 4;
    quantize.weightPerChannel = true;
    biasCorrection = options.recipe == Recipe::W4A4AciqBc ||
                     options.recipe == Recipe::W4A4AciqAllocBc;
    clips.perChannel = clips.allocateBits =
        options.recipe == Recipe::W4A4AciqAllocBc;
    break;
  case Recipe::SyqTernary:
  case Recipe::SyqBinary:
    clips.method = "mse";
    clips.bits = 8;
    quantize.weightBits = 8; // the first and last layer
    quantize.weightPerChannel = true;
    quantize.weightCodebook =
        options.recipe == Recipe::SyqTernary ? "ternary" : "binary";
    break;
  }
  quantize.weightAsymmetric = options.weightAsymmetric;
  clips.layerBits = llvm::to_vector(ArrayRef<std::string>(options.layerBits));
  clips.shareInputGrid = options.shareInputGrid;
  quantize.layerWeightBits =
      llvm::to_vector(ArrayRef<std::string>(options.layerWeightBits));
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createQntInsertClips(clips));
  if (wess)
    fpm.addPass(createQntWess());
  if (biasCorrection) {
    // Corrects for exactly the weights qnt-quantize will produce.
    QntCorrectBiasOptions correct;
    correct.weightBits = quantize.weightBits;
    correct.weightPerChannel = quantize.weightPerChannel;
    correct.weightAsymmetric = quantize.weightAsymmetric;
    fpm.addPass(createQntCorrectBias(correct));
  }
  fpm.addPass(createQntQuantize(quantize));
  if (options.packWeights)
    fpm.addPass(createQntPackWeights());
  if (options.checkIntegerOnly)
    fpm.addPass(createQntCheckIntegerOnly());
  pm.addPass(createCanonicalizerPass());
}

void mlir::qnt::buildEqualizePipeline(OpPassManager &pm,
                                      const QuantizeOptions &options) {
  OpPassManager &fpm = pm.nest<func::FuncOp>();
  fpm.addPass(createQntFoldBatchnorm());
  if (options.recipe == Recipe::W8A8PerTensorCle) {
    QntEqualizeOptions equalize;
    equalize.relu6ToRelu = true;
    fpm.addPass(createQntEqualize(equalize));
    fpm.addPass(createQntAbsorbHighBias());
  }
  pm.addPass(createCanonicalizerPass());
}

void mlir::qnt::registerQntPipelines() {
  PassPipelineRegistration<QuantizeOptions>(
      "qnt-equalize-recipe",
      "Stage 1 of a named recipe, before calibration: BatchNorm folding and "
      "the recipe's weight equalization (changes the float model's "
      "activations)",
      buildEqualizePipeline);
  PassPipelineRegistration<QuantizeOptions>(
      "qnt-quantize-recipe",
      "Float model with calibration statistics -> integer-only TOSA + qnt, "
      "by a named recipe (clips, quantization, integer-only check)",
      buildQuantizePipeline);
  PassPipelineRegistration<FloatToLLVMOptions>(
      "qnt-float-to-llvm",
      "Float TOSA/linalg to the LLVM dialect: tiled, vectorized, bufferized "
      "with results as out-parameters",
      buildFloatToLLVMPipeline);
}
