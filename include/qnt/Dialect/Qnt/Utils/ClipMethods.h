//===- ClipMethods.h - clipping ranges from statistics ----------*- C++ -*-===//
//
// The range-setting methods of qnt-insert-clips, as plain functions of a
// tensor's calibration statistics (docs/clipping.md has the exact rules).
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_CLIPMETHODS_H
#define QNT_DIALECT_QNT_UTILS_CLIPMETHODS_H

#include "llvm/ADT/ArrayRef.h"

#include <cstdint>

namespace mlir::qnt {

/// What the methods need of #qnt.stats.
struct TensorStats {
  int64_t count = 0;
  double min = 0, max = 0, mean = 0, std = 0, mad = 0;
  double histLo = 0, histHi = 0;
  llvm::ArrayRef<int64_t> bins; // empty: no histogram
};

struct ClipRange {
  double lo, hi;
};

/// [min, max].
ClipRange clipMinMax(const TensorStats &s);

/// Two-sided: the (100 - p)th and pth percentiles; one-sided: [min, pth].
/// From the histogram, interpolating linearly inside a bin. Needs bins.
ClipRange clipPercentile(const TensorStats &s, double percent, bool oneSided);

/// ACIQ: a = ratio(M) * b (Laplace, b = mad) or ratio(M) * std (Gaussian)
/// around the mean, within [min, max]; one-sided tensors use M + 1 bits and
/// keep their minimum as the lower bound.
ClipRange clipAciqLaplace(const TensorStats &s, unsigned bits, bool oneSided);
ClipRange clipAciqGaussian(const TensorStats &s, unsigned bits,
                           bool oneSided);

/// Expected squared error of an M-bit uniform quantizer on [lo, hi] over the
/// histogram (bin centres): clipped values cost their distance to the bound
/// squared, values inside the range step^2 / 12. Needs bins.
double estimateQuantMse(const TensorStats &s, ClipRange r, unsigned bits);

/// The range with the lowest estimateQuantMse among 512 candidates that
/// shrink [min, max] toward the mean by equal fractions (one-sided: the
/// upper bound only). Needs bins.
ClipRange clipMse(const TensorStats &s, unsigned bits, bool oneSided);

/// TensorRT-style entropy calibration on the histogram of |x - c| (c = 0
/// when one-sided, else the mean): the threshold T minimising KL(P || Q)
/// with Q the distribution quantized to 2^(M-1) levels (2^M one-sided);
/// the range is [c - T, c + T] (one-sided [min, T]) within [min, max].
ClipRange clipKl(const TensorStats &s, unsigned bits, bool oneSided);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_CLIPMETHODS_H
