//===- Aciq.h - analytical clipping (ACIQ) ----------------------*- C++ -*-===//
//
// Banner et al., "Post-training 4-bit quantization of convolution networks
// for rapid-deployment" (ACIQ). For a uniform M-bit quantizer on [-a, a] the
// expected squared error of a Laplace(b) or Gaussian(s) tensor is
//   Laplace:  2 b^2 exp(-a/b)                                   + a^2 / (3 4^M)
//   Gaussian: (a^2 + s^2) erfc(a / (sqrt2 s))
//             - sqrt(2/pi) a s exp(-a^2 / (2 s^2))              + a^2 / (3 4^M)
// and the optimal clip solves dMSE/da = 0. These functions solve it for any
// bit width (no table), see docs/design.md.
//
//===----------------------------------------------------------------------===//

#ifndef QNT_DIALECT_QNT_UTILS_ACIQ_H
#define QNT_DIALECT_QNT_UTILS_ACIQ_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::qnt {

/// Optimal a / b for a Laplace prior and an M-bit quantizer (M > 0, any real
/// M, e.g. 4 -> 5.03). Solves t e^t = 3 4^M (Lambert W).
double aciqLaplaceRatio(double bits);

/// Optimal a / s for a Gaussian prior (e.g. 4 -> 2.55). Solves
/// t erfc(t / sqrt2) + t / (3 4^M) = sqrt(2/pi) exp(-t^2 / 2).
double aciqGaussianRatio(double bits);

/// The modelled quantization MSE of clipping at `alpha` (>= 0) for each prior
/// (with `scale` = b or s), used to pick the better prior per tensor.
double aciqLaplaceMse(double alpha, double b, double bits);
double aciqGaussianMse(double alpha, double s, double bits);

/// ACIQ per-channel bit allocation: with a total budget of `meanBits` per
/// channel, 2^M_i is proportional to alpha_i^(2/3); M_i are rounded to whole
/// bits in [minBits, maxBits] and adjusted (largest gain first) until their
/// mean equals `meanBits` exactly (which must be a whole number within the
/// bounds). Channels with alpha 0 get minBits.
llvm::SmallVector<unsigned> aciqAllocateBits(llvm::ArrayRef<double> alphas,
                                             unsigned meanBits,
                                             unsigned minBits = 1,
                                             unsigned maxBits = 8);

} // namespace mlir::qnt

#endif // QNT_DIALECT_QNT_UTILS_ACIQ_H
