/*===- qnt-c/Qnt.h - C API of the qnt compiler --------------------*- C -*-===*\
|*                                                                            *|
|* Two layers:                                                                *|
|*  - for MLIR C API users: the qnt dialect handle and registration of qnt's  *|
|*    dialects and passes into their own context/registry;                    *|
|*  - for embedding without MLIR's C API (e.g. Python ctypes): run a textual  *|
|*    pass pipeline on textual IR and get text and diagnostics back.          *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef QNT_C_QNT_H
#define QNT_C_QNT_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// `mlirGetDialectHandle__qnt__()`: the qnt dialect for MLIR C API users.
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Qnt, qnt);

/// Inserts qnt's dialect and every upstream dialect its pipelines use (with
/// their interface models) into `registry`.
MLIR_CAPI_EXPORTED void qntRegisterAllDialects(MlirDialectRegistry registry);

/// Registers qnt's passes, conversions and pipelines (and the upstream passes
/// they are built from) with the global pass registry. Idempotent.
MLIR_CAPI_EXPORTED void qntRegisterAllPasses(void);

/// The qnt version string, e.g. "0.1.0".
MLIR_CAPI_EXPORTED const char *qntGetVersion(void);

/// Parses `source` (`length` bytes of MLIR text or bytecode; `name` is used in
/// diagnostics), runs the textual pass pipeline `pipeline` (e.g.
/// "builtin.module(canonicalize)"; empty runs none) and verifies the result.
/// On success returns 0 and sets `*output` to the printed module. On failure
/// returns non-zero and `*output` is NULL. In both cases `*diagnostics`
/// receives every diagnostic as text ("file:line:col: error: ..."), possibly
/// empty. Free both strings with qntFreeString.
MLIR_CAPI_EXPORTED int qntRunPipeline(const char *source, size_t length,
                                      const char *name, const char *pipeline,
                                      char **output, char **diagnostics);

/// Flags of qntRunPipelineWithFlags.
enum {
  /// Print the module with its locations (`loc(...)`, e.g. ONNX node names).
  QNT_PRINT_LOCATIONS = 1,
};

/// qntRunPipeline with `flags` (a combination of the QNT_* flags above).
MLIR_CAPI_EXPORTED int qntRunPipelineWithFlags(const char *source,
                                               size_t length, const char *name,
                                               const char *pipeline,
                                               unsigned flags, char **output,
                                               char **diagnostics);

/// Frees a string returned by this API. NULL is allowed.
MLIR_CAPI_EXPORTED void qntFreeString(char *string);

#ifdef __cplusplus
}
#endif

#endif /* QNT_C_QNT_H */
