//===- InitAll.h - register everything qnt provides -------------*- C++ -*-===//
//
// One place that lists qnt's dialects, passes and pipelines, shared by
// qnt-opt, the mlir-opt plugin and the C API.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_INITALL_H
#define QNT_INITALL_H

namespace mlir {
class DialectRegistry;
namespace qnt {

/// The qnt dialect only (what the dialect plugin adds).
void registerQntDialect(DialectRegistry &registry);

/// The qnt dialect plus every upstream dialect qnt's pipelines read or
/// produce, with their interface models (bufferization, inlining, ...).
void registerAllDialects(DialectRegistry &registry);

/// qnt's passes, conversions and named pipelines.
void registerAllPasses();

} // namespace qnt
} // namespace mlir

#endif // QNT_INITALL_H
