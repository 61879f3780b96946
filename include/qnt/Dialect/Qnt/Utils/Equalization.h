//===- Equalization.h - weight equalization on chosen layers ----*- C++ -*-===//
//
// The transformations behind qnt-equalize and qnt-wess, applicable to any
// set of layers: the passes run them on every layer of a function, the
// transform ops (transform.qnt.equalize, transform.qnt.wess) on the layers a
// script selects.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_EQUALIZATION_H
#define QNT_DIALECT_QNT_UTILS_EQUALIZATION_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"

namespace mlir::qnt {

struct EqualizeOptions {
  /// Replace bounded ReLUs (ReLU6) between equalized layers by ReLU.
  bool relu6ToRelu = false;
  /// At most this many sweeps over all pairs (0: only the ReLU6 rewrite).
  unsigned maxIterations = 1000;
  /// Stop when every scale of a sweep has |log s| below this.
  double tolerance = 1e-4;
};

/// Cross-layer equalization of each layer in `firsts` with the layer it
/// feeds (findNextLayer), over positive-homogeneous paths, all pairs swept
/// jointly until the scales converge. Ops that are not layers with a
/// successor, matmuls (their bias is a separate add) and pairs across a
/// non-ReLU clamp are skipped with a remark. Returns the number of pairs
/// equalized.
unsigned equalizeLayers(ArrayRef<Operation *> firsts,
                        const EqualizeOptions &options);

/// WESS on one layer: output channel c's weights and bias times 2^k_c
/// (k_c in [0, 2^bits - 1], the largest with r_c 2^k_c <= max r), undone by
/// a qnt.pow2_scale on its result. Returns whether the layer changed (not
/// for a layer already pre-scaled, all-zero weights, or all k_c = 0).
bool applyWess(Operation *layer, unsigned bits);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_EQUALIZATION_H
