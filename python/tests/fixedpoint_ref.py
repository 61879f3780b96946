"""The requantization definitions of ALGORITHMS.md section 6 / QntOps.td in
Python's exact integers, one element at a time (slow, obviously right): the
scalar oracle of the lowering tests and of qnt.intref's tests."""

I32_MIN, I32_MAX = -2**31, 2**31 - 1


def sat32(v):
    return max(I32_MIN, min(I32_MAX, v))


def srdhm(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul, literally."""
    if a == b == I32_MIN:
        return I32_MAX
    ab = a * b
    num = ab + (2**30 if ab >= 0 else 1 - 2**30)
    q = abs(num) // 2**31             # C division truncates toward zero
    return q if num >= 0 else -q


def rdbpot(x, e):
    """gemmlowp RoundingDivideByPOT, literally."""
    mask = (1 << e) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if remainder > threshold else 0)


def ref_rescale(a, m, n, mode):
    """rescale(a, m, n) of qnt.requantize in rounding mode ``mode``."""
    if mode == "tflite":
        return rdbpot(srdhm(sat32(a * 2**max(-n, 0)), m), max(n, 0))
    s = 31 + n
    r = 1 << (s - 1)
    if mode == "double_round" and s > 31:
        r += 2**30 if a >= 0 else -2**30
    return sat32((a * m + r) >> s)


def ref_requantize(x, izp, m, n, ozp, lo, hi, mode):
    a = sat32(int(x) - izp)
    return max(lo, min(hi, ref_rescale(a, m, n, mode) + ozp))
