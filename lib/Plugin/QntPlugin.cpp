//===- QntPlugin.cpp - qnt as a plugin of upstream mlir-opt ---------------===//
//
// Exports the dialect- and pass-plugin entry points that mlir-opt's
// --load-dialect-plugin and --load-pass-plugin look up.
//
//===----------------------------------------------------------------------===//

#include "qnt/InitAll.h"

#include "qnt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "qnt", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::qnt::registerQntDialect(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  // Only qnt's own passes: the host already has the upstream ones.
  return {MLIR_PLUGIN_API_VERSION, "qnt", LLVM_VERSION_STRING,
          []() { mlir::qnt::registerQntPasses(); }};
}
