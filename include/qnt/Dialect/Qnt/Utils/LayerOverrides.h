//===- LayerOverrides.h - per-layer bit widths by name ----------*- C++ -*-===//
//
// Mixed precision: `KEY=BITS` entries of a pass option pick the bit width of
// individual layers. KEY is `first` or `last` (the first / last weighted
// layer of the function), `input` (the function's arguments), or a piece of
// text that occurs in the layer's location, e.g. an ONNX node name such as
// `/features/features.3/`. The last matching entry wins; an entry that
// matches nothing is an error (a misspelt name would otherwise be ignored).
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_LAYEROVERRIDES_H
#define QNT_DIALECT_QNT_UTILS_LAYEROVERRIDES_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace mlir::qnt {

class LayerOverrides {
public:
  /// Parses `specs`; on a malformed entry or a width outside
  /// [minBits, maxBits] emits an error on `anchor` naming `option`.
  static FailureOr<LayerOverrides> parse(Operation *anchor, StringRef option,
                                         ArrayRef<std::string> specs,
                                         unsigned minBits, unsigned maxBits);

  /// The width for a layer at `loc` (flags for the special keys), if an
  /// entry matches; marks the entry used.
  std::optional<unsigned> lookup(Location loc, bool isFirst, bool isLast,
                                 bool isInput);

  /// Errors on `anchor` for entries that matched nothing.
  LogicalResult checkAllUsed(Operation *anchor) const;

  bool empty() const { return entries.empty(); }

private:
  struct Entry {
    std::string key;
    unsigned bits;
    bool used = false;
  };
  std::string option;
  SmallVector<Entry> entries;
};

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_LAYEROVERRIDES_H
