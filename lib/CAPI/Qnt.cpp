//===- Qnt.cpp - C API of the qnt compiler --------------------------------===//

#include "qnt-c/Qnt.h"

#include "qnt/Dialect/Qnt/IR/QntDialect.h"
#include "qnt/InitAll.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Tools/ParseUtilities.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Qnt, qnt, mlir::qnt::QntDialect)

void qntRegisterAllDialects(MlirDialectRegistry registry) {
  mlir::qnt::registerAllDialects(*unwrap(registry));
}

void qntRegisterAllPasses(void) {
  static std::once_flag once;
  std::call_once(once, [] { mlir::qnt::registerAllPasses(); });
}

const char *qntGetVersion(void) { return "0.1.0"; }

static char *copyString(llvm::StringRef s) {
  char *result = static_cast<char *>(std::malloc(s.size() + 1));
  std::memcpy(result, s.data(), s.size());
  result[s.size()] = '\0';
  return result;
}

int qntRunPipeline(const char *source, size_t length, const char *name,
                   const char *pipeline, char **output, char **diagnostics) {
  return qntRunPipelineWithFlags(source, length, name, pipeline, 0, output,
                                 diagnostics);
}

int qntRunPipelineWithFlags(const char *source, size_t length,
                            const char *name, const char *pipeline,
                            unsigned flags, char **output,
                            char **diagnostics) {
  qntRegisterAllPasses();
  *output = nullptr;
  DialectRegistry registry;
  mlir::qnt::registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);

  std::string diagText;
  llvm::raw_string_ostream diagStream(diagText);
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(source, length),
                                           name ? name : "<input>"),
      llvm::SMLoc());
  SourceMgrDiagnosticHandler handler(*sourceMgr, &context, diagStream);

  auto finish = [&](int status) {
    *diagnostics = copyString(diagText);
    return status;
  };
  OwningOpRef<Operation *> module =
      parseSourceFileForTool(sourceMgr, ParserConfig(&context),
                             /*insertImplicitModule=*/true);
  if (!module)
    return finish(1);
  if (pipeline && *pipeline) {
    // The textual pipeline names its anchor ("builtin.module(...)").
    FailureOr<OpPassManager> parsed = parsePassPipeline(pipeline, diagStream);
    if (failed(parsed))
      return finish(2);
    PassManager pm(&context, parsed->getOpAnchorName());
    static_cast<OpPassManager &>(pm) = *parsed;
    if (failed(pm.run(module.get())))
      return finish(3);
  } else if (failed(verify(module.get()))) {
    return finish(3);
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags printing;
  if (flags & QNT_PRINT_LOCATIONS)
    printing.enableDebugInfo();
  module.get()->print(os, printing);
  *output = copyString(text);
  return finish(0);
}

void qntFreeString(char *string) { std::free(string); }
