//===- LayerOverrides.cpp - per-layer bit widths by name ------------------===//

#include "qnt/Dialect/Qnt/Utils/LayerOverrides.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::qnt;

FailureOr<LayerOverrides>
LayerOverrides::parse(Operation *anchor, StringRef option,
                      ArrayRef<std::string> specs, unsigned minBits,
                      unsigned maxBits) {
  LayerOverrides result;
  result.option = option.str();
  for (const std::string &spec : specs) {
    auto [key, value] = StringRef(spec).rsplit('=');
    unsigned bits = 0;
    if (key.empty() || value.empty() || value.trim().getAsInteger(10, bits))
      return anchor->emitError()
             << option << ": expected KEY=BITS, got '" << spec << "'";
    if (bits < minBits || bits > maxBits)
      return anchor->emitError()
             << option << ": bits for '" << key << "' must be in " << minBits
             << ".." << maxBits << ", got " << bits;
    result.entries.push_back({key.trim().str(), bits});
  }
  return result;
}

std::optional<unsigned> LayerOverrides::lookup(Location loc, bool isFirst,
                                               bool isLast, bool isInput) {
  std::string text;
  llvm::raw_string_ostream os(text);
  loc.print(os);
  std::optional<unsigned> bits;
  for (Entry &e : entries) {
    bool match = e.key == "first"   ? isFirst
                 : e.key == "last"  ? isLast
                 : e.key == "input" ? isInput
                                    : StringRef(text).contains(e.key);
    if (match) {
      bits = e.bits;
      e.used = true;
    }
  }
  return bits;
}

LogicalResult LayerOverrides::checkAllUsed(Operation *anchor) const {
  for (const Entry &e : entries)
    if (!e.used)
      return anchor->emitError() << option << ": '" << e.key << "="
                                 << e.bits << "' matches no layer";
  return success();
}
