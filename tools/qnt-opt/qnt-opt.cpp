//===- qnt-opt.cpp - the qnt optimizer driver -----------------------------===//
//
// mlir-opt with qnt's dialect, passes and pipelines, plus the upstream
// dialects and passes qnt's pipelines use.
//
//===----------------------------------------------------------------------===//

#include "qnt/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::qnt::registerAllDialects(registry);
  mlir::qnt::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "qnt optimizer driver\n", registry));
}
