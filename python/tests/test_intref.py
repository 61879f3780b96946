"""qnt.intref, the numpy integer reference interpreter, against hand-computed
values, plain-Python scalar definitions and straightforward numpy loops; then
qnt's native compiler against it (bit-exact on every output)."""

import json

import numpy as np
import pytest

from qnt import intref
from qnt.intref import IntrefError

from fixedpoint_ref import I32_MAX, I32_MIN  # noqa: E402


# ------------------------------------------------------------ scalar oracles
from fixedpoint_ref import (rdbpot, ref_requantize as scalar_requantize,  # noqa: E402
                            ref_rescale as scalar_rescale, sat32, srdhm)


def rescale1(a, m, n, mode="tflite"):
    return int(intref.rescale(np.int64(a), np.int64(m), np.int64(n), mode))


# ------------------------------------------------------- rescale edge cases
def test_doubling_high_mul_ties_go_up():
    # m = 2^30 is 0.5: a * 0.5 with n = 0 is the doubling high mul alone.
    assert rescale1(3, 1 << 30, 0) == 2        # +1.5 -> 2
    assert rescale1(-3, 1 << 30, 0) == -1      # -1.5 -> -1
    assert rescale1(5, 1 << 30, 0) == 3        # +2.5 -> 3
    assert rescale1(-5, 1 << 30, 0) == -2      # -2.5 -> -2
    assert rescale1(1, 1 << 30, 0) == 1        # +0.5 -> 1
    assert rescale1(-1, 1 << 30, 0) == 0       # -0.5 -> 0


def test_rounding_divide_by_pot_ties_away_from_zero():
    # a * 0.5 = +-5 exactly, then / 2 = +-2.5.
    assert rescale1(-10, 1 << 30, 1) == -3
    assert rescale1(10, 1 << 30, 1) == 3
    assert rescale1(-6, 1 << 30, 1) == -2      # -1.5 -> -2
    assert rescale1(-9, 1 << 30, 2) == -1      # -4.5 / 4 = -1.125 -> -1
    assert rescale1(-12, 1 << 30, 2) == -2     # -6 / 4 = -1.5 -> -2


def test_rescale_int32_extremes_and_zero():
    assert rescale1(I32_MIN, I32_MIN, 0) == I32_MAX    # the overflow case
    # -2^31 * (2^31 - 1) / 2^31 = -2^31 + 1 exactly (nudge < 1/2).
    assert rescale1(I32_MIN, I32_MAX, 0) == I32_MIN + 1
    assert rescale1(I32_MAX, I32_MAX, 0) == I32_MAX - 1
    assert rescale1(I32_MIN, 1 << 30, 0) == -(1 << 30)
    assert rescale1(I32_MIN, 1 << 30, 31) == -1 + 0    # -2^30 / 2^31 = -0.5
    for mode, shifts in (("tflite", range(-31, 32)),
                         ("single_round", range(-29, 32)),
                         ("double_round", range(-29, 32))):
        for n in shifts:
            assert rescale1(0, I32_MAX, n, mode) == 0
            assert rescale1(0, 0, n, mode) == 0


def test_rescale_negative_shift_saturates():
    # a << 2 = 2^32 saturates to INT32_MAX before the multiply.
    assert rescale1(1 << 30, I32_MAX, -2) == I32_MAX - 1
    assert rescale1(-(1 << 30), I32_MAX, -2) == I32_MIN + 1
    assert rescale1(3, 1 << 30, -1) == 3                # 3 * 2 * 0.5
    assert rescale1(I32_MAX, I32_MAX, -29, "single_round") == I32_MAX
    assert rescale1(I32_MIN, I32_MAX, -29, "double_round") == I32_MIN


def test_tosa_single_and_double_round():
    # +-1.5 with shift 31: both round half up.
    for mode in ("single_round", "double_round"):
        assert rescale1(3, 1 << 30, 0, mode) == 2
        assert rescale1(-3, 1 << 30, 0, mode) == -1
    # +-2.5 with shift 32: single rounds half up, double away from zero.
    assert rescale1(-10, 1 << 30, 1, "single_round") == -2
    assert rescale1(10, 1 << 30, 1, "single_round") == 3
    assert rescale1(-10, 1 << 30, 1, "double_round") == -3
    assert rescale1(10, 1 << 30, 1, "double_round") == 3
    # Not a tie: -2.25 is -2 in both ((a*m + r) >> s is a floor).
    assert rescale1(-9, 1 << 30, 1, "single_round") == -2
    assert rescale1(-9, 1 << 30, 1, "double_round") == -2


SPECIAL = [0, 1, -1, 2, -2, 3, -3, 5, -5, 6, -6, 7, -7, 1 << 20, -(1 << 20),
           I32_MAX, I32_MIN, I32_MIN + 1, I32_MAX - 1, 1 << 30, -(1 << 30)]


@pytest.mark.parametrize("mode,shifts", [
    ("tflite", range(-31, 32)),
    ("single_round", range(-29, 32)),
    ("double_round", range(-29, 32)),
])
def test_rescale_vectorized_matches_scalar_definition(mode, shifts):
    rng = np.random.default_rng(7)
    shifts = list(shifts)
    a = np.array(SPECIAL + list(rng.integers(I32_MIN, I32_MAX, 150,
                                             endpoint=True)), np.int64)
    mults = [I32_MAX, 1 << 30, 0, 1, 3 << 28] + \
        [int(v) for v in rng.integers(0, I32_MAX, 5, endpoint=True)]
    aa, mm, nn = np.meshgrid(a, np.array(mults, np.int64),
                             np.array(shifts, np.int64), indexing="ij")
    got = intref.rescale(aa, mm, nn, mode)
    want = np.array([scalar_rescale(int(x), int(m), int(n), mode)
                     for x, m, n in zip(aa.ravel(), mm.ravel(), nn.ravel())],
                    np.int64).reshape(aa.shape)
    bad = np.argwhere(got != want)
    assert bad.size == 0, (f"{len(bad)} mismatches, first a={aa[tuple(bad[0])]}"
                           f" m={mm[tuple(bad[0])]} n={nn[tuple(bad[0])]}")


def test_rescale_rejects_out_of_range_shift():
    with pytest.raises(IntrefError):
        intref.rescale(1, 1 << 30, 32)
    with pytest.raises(IntrefError):
        intref.rescale(1, 1 << 30, -30, "single_round")


# ---------------------------------------------------------------- helpers
def tt(shape, elem):
    return "tensor<" + "".join(f"{d}x" for d in shape) + elem + ">"


def const(name, arr, elem):
    arr = np.asarray(arr)
    t = tt(arr.shape, elem)
    lit = json.dumps(arr.tolist())
    return (f'  {name} = "tosa.const"() <{{values = dense<{lit}> : {t}}}> : '
            f'() -> {t}\n')


def ref_conv2d(x, w, b, izp, wzp, pad, stride, dil):
    n, h, wd, c = x.shape
    o, kh, kw, _ = w.shape
    xp = np.full((n, h + pad[0] + pad[1], wd + pad[2] + pad[3], c), izp,
                 np.int64)
    xp[:, pad[0]:pad[0] + h, pad[2]:pad[2] + wd] = x
    oh = (h + pad[0] + pad[1] - (kh - 1) * dil[0] - 1) // stride[0] + 1
    ow = (wd + pad[2] + pad[3] - (kw - 1) * dil[1] - 1) // stride[1] + 1
    out = np.zeros((n, oh, ow, o), np.int64)
    for i in range(oh):
        for j in range(ow):
            for p in range(kh):
                for q in range(kw):
                    px = xp[:, i * stride[0] + p * dil[0],
                            j * stride[1] + q * dil[1], :] - izp
                    out[:, i, j, :] += px @ (w[:, p, q, :].astype(np.int64)
                                             - wzp).T
    return out + np.asarray(b, np.int64).reshape(-1)


def ref_depthwise(x, w, b, izp, wzp, pad, stride, dil):
    n, h, wd, c = x.shape
    kh, kw, _, m = w.shape
    xp = np.full((n, h + pad[0] + pad[1], wd + pad[2] + pad[3], c), izp,
                 np.int64)
    xp[:, pad[0]:pad[0] + h, pad[2]:pad[2] + wd] = x
    oh = (h + pad[0] + pad[1] - (kh - 1) * dil[0] - 1) // stride[0] + 1
    ow = (wd + pad[2] + pad[3] - (kw - 1) * dil[1] - 1) // stride[1] + 1
    out = np.zeros((n, oh, ow, c * m), np.int64)
    for i in range(oh):
        for j in range(ow):
            for ch in range(c):
                for mm in range(m):
                    s = 0
                    for p in range(kh):
                        for q in range(kw):
                            s += (xp[:, i * stride[0] + p * dil[0],
                                     j * stride[1] + q * dil[1], ch] - izp) \
                                * (int(w[p, q, ch, mm]) - wzp)
                    out[:, i, j, ch * m + mm] = s
    return out + np.asarray(b, np.int64).reshape(-1)


def ref_quantize(x, scale, zp, qmin, qmax):
    y = np.float32(x) / np.float32(scale)
    if np.isnan(y):
        return zp
    return int(min(qmax, max(qmin, float(np.rint(y)) + zp)))


# ------------------------------------------------------- small programs
def test_conv2d_padding_dilation_and_zero_points():
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, (2, 6, 7, 3)).astype(np.int8)
    w = rng.integers(-128, 128, (4, 3, 3, 3))
    b = rng.integers(-1000, 1000, 4)
    izp, wzp = -7, 3
    pad, stride, dil = [1, 1, 2, 0], [1, 2], [2, 1]
    want = ref_conv2d(x, w, b, izp, wzp, pad, stride, dil)
    text = ("func.func @forward(%x: tensor<2x6x7x3xi8>) -> "
            f"{tt(want.shape, 'i32')} {{\n"
            + const("%w", w, "i8") + const("%b", b, "i32")
            + const("%izp", [izp], "i8") + const("%wzp", [wzp], "i8") +
            f"  %y = tosa.conv2d %x, %w, %b, %izp, %wzp {{acc_type = i32, "
            f"pad = array<i64: {', '.join(map(str, pad))}>, stride = "
            f"array<i64: 1, 2>, dilation = array<i64: 2, 1>}} : "
            f"(tensor<2x6x7x3xi8>, tensor<4x3x3x3xi8>, tensor<4xi32>, "
            f"tensor<1xi8>, tensor<1xi8>) -> {tt(want.shape, 'i32')}\n"
            f"  return %y : {tt(want.shape, 'i32')}\n}}\n")
    got, = intref.load(text).run(x)
    assert got.dtype == np.int32 and want.shape == (2, 4, 4, 4)
    np.testing.assert_array_equal(got, want)


def test_depthwise_stride2_asymmetric_pad_multiplier2():
    rng = np.random.default_rng(2)
    x = rng.integers(-128, 128, (2, 6, 6, 3)).astype(np.int8)
    w = rng.integers(-128, 128, (3, 3, 3, 2))
    b = rng.integers(-1000, 1000, 6)
    izp, wzp = 5, -2
    pad, stride, dil = [0, 1, 1, 0], [2, 2], [1, 1]
    want = ref_depthwise(x, w, b, izp, wzp, pad, stride, dil)
    ot = tt(want.shape, "i32")
    text = ("func.func @forward(%x: tensor<2x6x6x3xi8>) -> " + ot + " {\n"
            + const("%w", w, "i8") + const("%b", b, "i32")
            + const("%izp", [izp], "i8") + const("%wzp", [wzp], "i8") +
            "  %y = tosa.depthwise_conv2d %x, %w, %b, %izp, %wzp {acc_type = "
            "i32, pad = array<i64: 0, 1, 1, 0>, stride = array<i64: 2, 2>, "
            "dilation = array<i64: 1, 1>} : (tensor<2x6x6x3xi8>, "
            "tensor<3x3x3x2xi8>, tensor<6xi32>, tensor<1xi8>, tensor<1xi8>) "
            f"-> {ot}\n  return %y : {ot}\n}}\n")
    got, = intref.load(text).run(x)
    assert want.shape == (2, 3, 3, 6)
    np.testing.assert_array_equal(got, want)


def test_matmul_with_zero_points():
    rng = np.random.default_rng(3)
    a = rng.integers(-128, 128, (2, 3, 5)).astype(np.int8)
    b = rng.integers(-128, 128, (2, 5, 4))
    want = np.zeros((2, 3, 4), np.int64)
    for i in range(2):
        for r in range(3):
            for c in range(4):
                want[i, r, c] = sum((int(a[i, r, k]) + 3) * (int(b[i, k, c]) - 9)
                                    for k in range(5))
    text = ("func.func @forward(%a: tensor<2x3x5xi8>) -> tensor<2x3x4xi32> {\n"
            + const("%b", b, "i8") + const("%azp", [-3], "i8")
            + const("%bzp", [9], "i8") +
            "  %y = tosa.matmul %a, %b, %azp, %bzp : (tensor<2x3x5xi8>, "
            "tensor<2x5x4xi8>, tensor<1xi8>, tensor<1xi8>) -> "
            "tensor<2x3x4xi32>\n  return %y : tensor<2x3x4xi32>\n}\n")
    got, = intref.load(text).run(a)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("mode", ["tflite", "single_round", "double_round"])
def test_requantize_per_axis_program(mode):
    rng = np.random.default_rng(4)
    x = rng.integers(-50000, 50000, (5, 3, 2)).astype(np.int32)
    x[0, :, 0] = [I32_MAX, I32_MIN, 0]
    mults, shifts, cs = [1518500250, 1 << 30, I32_MAX], [7, -1, 2], [0, 3, 1]
    izp, ozp, lo, hi = 11, -3, -100, 90
    text = f"""func.func @forward(%x: tensor<5x3x2xi32>) -> tensor<5x3x2xi8> {{
  %y = qnt.requantize %x axis 1 input_zp {izp} multiplier {mults} shift {shifts}
         channel_shift {cs} output_zp {ozp} clamp [{lo}, {hi}] rounding {mode}
         : tensor<5x3x2xi32> -> tensor<5x3x2xi8>
  return %y : tensor<5x3x2xi8>
}}"""
    got, = intref.load(text).run(x)
    want = np.empty(x.shape, np.int64)
    for idx in np.ndindex(x.shape):
        c = idx[1]
        want[idx] = scalar_requantize(x[idx], izp, mults[c], shifts[c] + cs[c],
                                      ozp, lo, hi, mode)
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, want)


def test_requantize_unsigned_clamp_is_stored_as_bit_pattern():
    x = np.array([0, 100, 200, 300, -40], np.int32)
    text = """func.func @forward(%x: tensor<5xi32>) -> tensor<5xi8> {
  %y = qnt.requantize %x multiplier [1073741824] shift [-1] clamp [0, 255] : tensor<5xi32> -> tensor<5xi8>
  return %y : tensor<5xi8>
}"""
    got, = intref.load(text).run(x)
    np.testing.assert_array_equal(got.view(np.uint8), [0, 100, 200, 255, 0])


def test_quantize_dequantize_per_tensor_and_per_axis():
    # -5.975 / 0.05 is exactly -119.5 in float32 (-> -120, ties to even) but
    # -119.4999... in float64: the division must be done in float32.
    x = np.array([[0.025, -5.975, 0.45, np.nan],
                  [np.inf, -np.inf, 1.0e9, -0.075],
                  [-3.3, 2.71, 0.125, -0.375]], np.float32)
    scales, zps = [0.05, 0.125, 0.3], [0, 3, -4]
    p = f"uniform<si8 narrow, axis = 0, scales = {scales}, zero_points = {zps}>"
    u8 = "uniform<ui8, scale = 0.02, zero_point = 128>"
    text = f"""func.func @forward(%x: tensor<3x4xf32>) -> (tensor<3x4xi8>, tensor<3x4xf32>, tensor<3x4xi8>, tensor<3x4xf32>) {{
  %q = qnt.quantize %x {p} : tensor<3x4xf32> -> tensor<3x4xi8>
  %d = qnt.dequantize %q {p} : tensor<3x4xi8> -> tensor<3x4xf32>
  %u = qnt.quantize %x {u8} : tensor<3x4xf32> -> tensor<3x4xi8>
  %e = qnt.dequantize %u {u8} : tensor<3x4xi8> -> tensor<3x4xf32>
  return %q, %d, %u, %e : tensor<3x4xi8>, tensor<3x4xf32>, tensor<3x4xi8>, tensor<3x4xf32>
}}"""
    q, d, u, e = intref.load(text).run(x)
    want_q = np.array([[ref_quantize(v, scales[r], zps[r], -127, 127)
                        for v in x[r]] for r in range(3)])
    np.testing.assert_array_equal(q, want_q)
    assert q[0, 0] == 0 and q[0, 3] == 0          # 0.5 -> 0 (even), NaN -> zp
    assert q[0, 1] == -120
    assert q[1, 2] == 127 and q[1, 0] == 127 and q[1, 1] == -127
    want_d = np.array([[np.float32(want_q[r, c] - zps[r]) * np.float32(scales[r])
                        for c in range(4)] for r in range(3)], np.float32)
    np.testing.assert_array_equal(d, want_d)
    want_u = np.array([[ref_quantize(v, 0.02, 128, 0, 255) for v in row]
                       for row in x])
    np.testing.assert_array_equal(u.view(np.uint8), want_u)
    np.testing.assert_array_equal(
        e, (want_u - 128).astype(np.float32) * np.float32(0.02))


def test_data_movement_and_elementwise_ops():
    rng = np.random.default_rng(5)
    x = rng.integers(-100, 100, (1, 4, 5, 2)).astype(np.int32)
    text = """func.func @forward(%x: tensor<1x4x5x2xi32>) -> (tensor<1x3x3x2xi32>, tensor<1x4x5x4xi32>, tensor<2x5x4xi32>, tensor<1x1x5x2xi32>, tensor<1x4x5x2xi32>, tensor<1x4x5x2xf32>, tensor<1x6x7x2xi32>, tensor<1x4x5x2xi8>) {
  %ps = tosa.const_shape {values = dense<[0, 0, 1, 1, 0, 2, 0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>
  %pc = "tosa.const"() <{values = dense<-5> : tensor<1xi32>}> : () -> tensor<1xi32>
  %p = tosa.pad %x, %ps, %pc : (tensor<1x4x5x2xi32>, !tosa.shape<8>, tensor<1xi32>) -> tensor<1x6x7x2xi32>
  %mp = tosa.max_pool2d %x {kernel = array<i64: 2, 3>, stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x5x2xi32>) -> tensor<1x3x3x2xi32>
  %c = tosa.concat %x, %x {axis = 3 : i32} : (tensor<1x4x5x2xi32>, tensor<1x4x5x2xi32>) -> tensor<1x4x5x4xi32>
  %s = tosa.const_shape {values = dense<[4, 5, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %x, %s : (tensor<1x4x5x2xi32>, !tosa.shape<3>) -> tensor<4x5x2xi32>
  %t = tosa.transpose %r {perms = array<i32: 2, 1, 0>} : (tensor<4x5x2xi32>) -> tensor<2x5x4xi32>
  %rs = tosa.reduce_sum %x {axis = 1 : i32} : (tensor<1x4x5x2xi32>) -> tensor<1x1x5x2xi32>
  %sh = "tosa.const"() <{values = dense<3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = tosa.mul %x, %x, %sh : (tensor<1x4x5x2xi32>, tensor<1x4x5x2xi32>, tensor<1xi8>) -> tensor<1x4x5x2xi32>
  %b = "tosa.const"() <{values = dense<[[[[1, -2]]]]> : tensor<1x1x1x2xi32>}> : () -> tensor<1x1x1x2xi32>
  %a = tosa.add %m, %b : (tensor<1x4x5x2xi32>, tensor<1x1x1x2xi32>) -> tensor<1x4x5x2xi32>
  %d = tosa.sub %a, %x : (tensor<1x4x5x2xi32>, tensor<1x4x5x2xi32>) -> tensor<1x4x5x2xi32>
  %f = tosa.cast %d : (tensor<1x4x5x2xi32>) -> tensor<1x4x5x2xf32>
  %cl = tosa.clamp %x {min_val = -20 : i32, max_val = 30 : i32} : (tensor<1x4x5x2xi32>) -> tensor<1x4x5x2xi32>
  %n = tosa.cast %cl : (tensor<1x4x5x2xi32>) -> tensor<1x4x5x2xi8>
  return %mp, %c, %t, %rs, %d, %f, %p, %n : tensor<1x3x3x2xi32>, tensor<1x4x5x4xi32>, tensor<2x5x4xi32>, tensor<1x1x5x2xi32>, tensor<1x4x5x2xi32>, tensor<1x4x5x2xf32>, tensor<1x6x7x2xi32>, tensor<1x4x5x2xi8>
}"""
    mp, c, t, rs, d, f, p, n = intref.load(text).run(x)
    x64 = x.astype(np.int64)
    want_mp = np.empty((1, 3, 3, 2), np.int64)
    for i in range(3):
        for j in range(3):
            h0, w0 = 2 * i - 1, 2 * j - 1
            win = x64[0, max(h0, 0):h0 + 2, max(w0, 0):w0 + 3]
            want_mp[0, i, j] = win.max(axis=(0, 1))
    np.testing.assert_array_equal(mp, want_mp)
    np.testing.assert_array_equal(c, np.concatenate([x, x], 3))
    np.testing.assert_array_equal(t, x.reshape(4, 5, 2).transpose(2, 1, 0))
    np.testing.assert_array_equal(rs, x64.sum(1, keepdims=True))
    prod = x64 * x64
    want_d = (prod + 4) // 8 + np.array([1, -2]) - x64   # round half up
    np.testing.assert_array_equal(d, want_d)
    np.testing.assert_array_equal(f, want_d.astype(np.float32))
    want_p = np.full((1, 6, 7, 2), -5)
    want_p[:, 1:5, 0:5] = x
    np.testing.assert_array_equal(p, want_p)
    np.testing.assert_array_equal(n, np.clip(x, -20, 30))
    assert n.dtype == np.int8 and f.dtype == np.float32


def test_mul_shift_rounds_negative_ties_up():
    x = np.array([-5, -3, 3, 5, -4], np.int32)
    text = """func.func @forward(%x: tensor<5xi32>) -> tensor<5xi32> {
  %one = "tosa.const"() <{values = dense<1> : tensor<5xi32>}> : () -> tensor<5xi32>
  %sh = "tosa.const"() <{values = dense<1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %m = tosa.mul %x, %one, %sh : (tensor<5xi32>, tensor<5xi32>, tensor<1xi8>) -> tensor<5xi32>
  return %m : tensor<5xi32>
}"""
    got, = intref.load(text).run(x)
    np.testing.assert_array_equal(got, [-2, -1, 2, 3, -2])   # (v + 1) >> 1


# ---------------------------------------------------------- constants
def test_dense_literal_forms():
    t = intref.TensorType((2, 3), "i8")
    np.testing.assert_array_equal(intref.parse_dense("[[1, -2, 3], [4, 5, -128]]", t),
                                  [[1, -2, 3], [4, 5, -128]])
    np.testing.assert_array_equal(intref.parse_dense("7", t), np.full((2, 3), 7))
    np.testing.assert_array_equal(intref.parse_dense('"0xFF02FD000180"', t),
                                  [[-1, 2, -3], [0, 1, -128]])
    f = intref.TensorType((3,), "f32")
    got = intref.parse_dense("[1.5, -2.000000e-01, 0x7FC00000]", f)
    assert got[0] == 1.5 and got[1] == np.float32(-0.2) and np.isnan(got[2])
    b = intref.TensorType((5,), "i1")
    np.testing.assert_array_equal(intref.parse_dense('"0x0D"', b),
                                  [True, False, True, True, False])
    np.testing.assert_array_equal(intref.parse_dense("[true, false, true, true, false]", b),
                                  [True, False, True, True, False])
    i4 = intref.TensorType((3,), "i4")
    np.testing.assert_array_equal(intref.parse_dense('"0x0F0207"', i4), [-1, 2, 7])
    with pytest.raises(IntrefError):
        intref.parse_dense("[1, 2]", t)                      # wrong count
    with pytest.raises(IntrefError):
        intref.parse_dense("[1, 2, 3, 4, 5, 300]", t)        # out of range


def test_dense_resource_blobs_and_large_literals():
    w8 = np.arange(-12, 12, dtype=np.int8).reshape(2, 3, 4)
    w32 = np.array([-70000, 5, 2**31 - 1], np.int32)
    f32 = np.array([0.1, -2.5, 3e-8], np.float32)
    i1 = np.array([1, 0, 0, 1], np.uint8)
    big = np.arange(40, dtype=np.int32) - 20      # printed as hex when large

    def blob(a):
        return '"0x04000000' + a.tobytes().hex().upper() + '"'
    text = f"""func.func @forward(%x: tensor<3xi32>) -> (tensor<2x3x4xi8>, tensor<3xi32>, tensor<3xf32>, tensor<4xi1>, tensor<40xi32>) {{
  %a = "tosa.const"() <{{values = dense_resource<w8> : tensor<2x3x4xi8>}}> : () -> tensor<2x3x4xi8>
  %b = "tosa.const"() <{{values = dense_resource<w32> : tensor<3xi32>}}> : () -> tensor<3xi32>
  %c = "tosa.const"() <{{values = dense_resource<f32> : tensor<3xf32>}}> : () -> tensor<3xf32>
  %d = "tosa.const"() <{{values = dense_resource<i1> : tensor<4xi1>}}> : () -> tensor<4xi1>
  %e = "tosa.const"() <{{values = dense<{json.dumps(big.tolist())}> : tensor<40xi32>}}> : () -> tensor<40xi32>
  return %a, %b, %c, %d, %e : tensor<2x3x4xi8>, tensor<3xi32>, tensor<3xf32>, tensor<4xi1>, tensor<40xi32>
}}
{{-#
  dialect_resources: {{
    builtin: {{
      w8: {blob(w8)},
      w32: {blob(w32)},
      f32: {blob(f32)},
      i1: {blob(i1)}
    }}
  }}
#-}}
"""
    a, b, c, d, e = intref.load(text).run(np.zeros(3, np.int32))
    np.testing.assert_array_equal(a, w8)
    np.testing.assert_array_equal(b, w32)
    np.testing.assert_array_equal(c, f32)
    np.testing.assert_array_equal(d, i1.astype(bool))
    np.testing.assert_array_equal(e, big)


# ---------------------------------------------------------- run_dataset
def test_run_dataset_pads_last_chunk_and_accepts_generic_text():
    from qnt.intref import _normalize
    text = """func.func @forward(%x: tensor<4x3xf32>) -> tensor<4x3xi8> {
  %q = qnt.quantize %x uniform<si8, scale = 0.1> : tensor<4x3xf32> -> tensor<4x3xi8>
  return %q : tensor<4x3xi8>
}"""
    x = np.random.default_rng(6).standard_normal((10, 3)).astype(np.float32)
    generic = _normalize(text, "forward")
    assert '"qnt.quantize"' in generic
    for src in (text, generic):
        prog = intref.load(src)
        out, = prog.run_dataset(x, 4)
        want = np.array([[ref_quantize(v, 0.1, 0, -128, 127) for v in r]
                         for r in x])
        np.testing.assert_array_equal(out, want)
    with pytest.raises(IntrefError, match="batch size 4"):
        prog.run_dataset(x, 8)


# ---------------------------------------------------------------- errors
def test_unsupported_op_names_op_and_location():
    text = """func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = tosa.sigmoid %x : (tensor<4xf32>) -> tensor<4xf32> loc("my_sigmoid")
  return %y : tensor<4xf32>
}"""
    with pytest.raises(IntrefError, match=r"unsupported op 'tosa.sigmoid'.*my_sigmoid"):
        intref.load(text)
    text = """func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = "foo.bar"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}"""
    with pytest.raises(IntrefError, match="'foo.bar'"):
        intref.load(text)


def test_unsupported_attribute_and_bad_inputs():
    text = """func.func @forward(%x: tensor<4xf32>) -> tensor<4xi8> {
  %q = qnt.quantize %x codebook<ternary, threshold = 0.5, scales = dense<0.5> : tensor<1xf32>> : tensor<4xf32> -> tensor<4xi8>
  return %q : tensor<4xi8>
}"""
    with pytest.raises(IntrefError, match="qnt.quantize.*codebook"):
        intref.load(text)
    with pytest.raises(IntrefError, match="no function @main"):
        intref.load("func.func @forward() { return }", func="main")
    with pytest.raises(IntrefError, match="qnt-opt"):
        intref.load("func.func @forward( {")
    prog = intref.load("""func.func @forward(%x: tensor<2xi32>) -> tensor<2xi32> {
  return %x : tensor<2xi32>
}""")
    with pytest.raises(IntrefError, match="shape"):
        prog.run(np.zeros(3, np.int32))


def test_i32_overflow_raises():
    text = """func.func @forward(%x: tensor<2xi32>) -> tensor<2xi32> {
  %y = tosa.add %x, %x : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32> loc("the_add")
  return %y : tensor<2xi32>
}"""
    prog = intref.load(text)
    np.testing.assert_array_equal(prog.run(np.array([5, -7], np.int32))[0],
                                  [10, -14])
    with pytest.raises(IntrefError, match=r"'tosa.add' at loc\(\"the_add\"\).*overflow"):
        prog.run(np.array([1, 2**30], np.int32))


def test_conv_accumulator_overflow_and_lossy_cast_raise():
    w = np.full((1, 1, 1, 4), 127)
    text = ("func.func @forward(%x: tensor<1x1x1x4xi8>) -> tensor<1x1x1x1xi32> {\n"
            + const("%w", w, "i8") + const("%b", [I32_MAX - 100], "i32")
            + const("%zp", [0], "i8") +
            "  %y = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, pad = "
            "array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = "
            "array<i64: 1, 1>} : (tensor<1x1x1x4xi8>, tensor<1x1x1x4xi8>, "
            "tensor<1xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x1xi32>\n"
            "  return %y : tensor<1x1x1x1xi32>\n}\n")
    prog = intref.load(text)
    assert prog.run(np.zeros((1, 1, 1, 4), np.int8))[0].item() == I32_MAX - 100
    with pytest.raises(IntrefError, match="overflow"):
        prog.run(np.ones((1, 1, 1, 4), np.int8))
    cast = intref.load("""func.func @forward(%x: tensor<2xi32>) -> tensor<2xi8> {
  %y = tosa.cast %x : (tensor<2xi32>) -> tensor<2xi8>
  return %y : tensor<2xi8>
}""")
    np.testing.assert_array_equal(cast.run(np.array([-128, 127], np.int32))[0],
                                  [-128, 127])
    with pytest.raises(IntrefError, match="tosa.cast"):
        cast.run(np.array([128, 0], np.int32))


# ------------------------------------------- against qnt's native library
def small_net(batch=2, seed=0):
    """quantize -> conv 3x3 (input_zp -128, padding) -> requantize per axis
    -> depthwise stride 2 -> requantize -> 1x1 conv -> requantize ->
    reduce_sum (global pool) -> requantize -> matmul -> add -> dequantize."""
    rng = np.random.default_rng(seed)
    b = batch
    L = [f"func.func @net(%x: {tt((b, 8, 8, 2), 'f32')}) -> "
         f"{tt((b, 5), 'f32')} {{\n"]
    L.append(const("%izp", [-128], "i8") + const("%wzp", [0], "i8"))
    L.append(f"  %q = qnt.quantize %x uniform<si8, scale = 0.0078125, "
             f"zero_point = -128> : {tt((b, 8, 8, 2), 'f32')} -> "
             f"{tt((b, 8, 8, 2), 'i8')}\n")
    L.append(const("%w1", rng.integers(-127, 128, (8, 3, 3, 2)), "i8"))
    L.append(const("%b1", rng.integers(-3000, 3000, 8), "i32"))
    L.append(f"  %c1 = tosa.conv2d %q, %w1, %b1, %izp, %wzp {{acc_type = i32, "
             f"pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>, "
             f"dilation = array<i64: 1, 1>}} : ({tt((b, 8, 8, 2), 'i8')}, "
             f"tensor<8x3x3x2xi8>, tensor<8xi32>, tensor<1xi8>, tensor<1xi8>)"
             f" -> {tt((b, 8, 8, 8), 'i32')}\n")
    mults = [int(v) for v in rng.integers(1 << 30, I32_MAX, 8)]
    L.append(f"  %r1 = qnt.requantize %c1 axis 3 multiplier {mults} shift "
             f"[{', '.join(['7'] * 8)}] output_zp -128 clamp [-128, 127] : "
             f"{tt((b, 8, 8, 8), 'i32')} -> {tt((b, 8, 8, 8), 'i8')}\n")
    L.append(const("%w2", rng.integers(-127, 128, (3, 3, 8, 1)), "i8"))
    L.append(const("%b2", rng.integers(-3000, 3000, 8), "i32"))
    L.append(f"  %c2 = tosa.depthwise_conv2d %r1, %w2, %b2, %izp, %wzp "
             f"{{acc_type = i32, pad = array<i64: 0, 1, 1, 0>, stride = "
             f"array<i64: 2, 2>, dilation = array<i64: 1, 1>}} : "
             f"({tt((b, 8, 8, 8), 'i8')}, tensor<3x3x8x1xi8>, tensor<8xi32>, "
             f"tensor<1xi8>, tensor<1xi8>) -> {tt((b, 4, 4, 8), 'i32')}\n")
    L.append(f"  %r2 = qnt.requantize %c2 axis 3 multiplier [1518500250] shift "
             f"[6] channel_shift [0, 1, 2, 3, 0, 1, 2, 3] output_zp -128 clamp "
             f"[-128, 127] rounding double_round : {tt((b, 4, 4, 8), 'i32')} -> "
             f"{tt((b, 4, 4, 8), 'i8')}\n")
    L.append(const("%w3", rng.integers(-127, 128, (16, 1, 1, 8)), "i8"))
    L.append(const("%b3", rng.integers(-3000, 3000, 16), "i32"))
    L.append(f"  %c3 = tosa.conv2d %r2, %w3, %b3, %izp, %wzp {{acc_type = i32, "
             f"pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, "
             f"dilation = array<i64: 1, 1>}} : ({tt((b, 4, 4, 8), 'i8')}, "
             f"tensor<16x1x1x8xi8>, tensor<16xi32>, tensor<1xi8>, tensor<1xi8>)"
             f" -> {tt((b, 4, 4, 16), 'i32')}\n")
    L.append(f"  %r3 = qnt.requantize %c3 multiplier [1402438301] shift [7] "
             f"output_zp -128 clamp [-128, 127] rounding single_round : "
             f"{tt((b, 4, 4, 16), 'i32')} -> {tt((b, 4, 4, 16), 'i8')}\n")
    L.append(f"  %i = tosa.cast %r3 : ({tt((b, 4, 4, 16), 'i8')}) -> "
             f"{tt((b, 4, 4, 16), 'i32')}\n")
    L.append(f"  %s1 = tosa.reduce_sum %i {{axis = 1 : i32}} : "
             f"({tt((b, 4, 4, 16), 'i32')}) -> {tt((b, 1, 4, 16), 'i32')}\n")
    L.append(f"  %s2 = tosa.reduce_sum %s1 {{axis = 2 : i32}} : "
             f"({tt((b, 1, 4, 16), 'i32')}) -> {tt((b, 1, 1, 16), 'i32')}\n")
    L.append(f"  %g = qnt.requantize %s2 input_zp -2048 multiplier [1073741824]"
             f" shift [3] output_zp -128 clamp [-128, 127] : "
             f"{tt((b, 1, 1, 16), 'i32')} -> {tt((b, 1, 1, 16), 'i8')}\n")
    L.append(f"  %shp = tosa.const_shape {{values = dense<[1, {b}, 16]> : "
             f"tensor<3xindex>}} : () -> !tosa.shape<3>\n")
    L.append(f"  %f = tosa.reshape %g, %shp : ({tt((b, 1, 1, 16), 'i8')}, "
             f"!tosa.shape<3>) -> {tt((1, b, 16), 'i8')}\n")
    L.append(const("%w4", rng.integers(-127, 128, (1, 16, 5)), "i8"))
    L.append(f"  %mm = tosa.matmul %f, %w4, %izp, %wzp : ({tt((1, b, 16), 'i8')}"
             f", tensor<1x16x5xi8>, tensor<1xi8>, tensor<1xi8>) -> "
             f"{tt((1, b, 5), 'i32')}\n")
    L.append(const("%b4", rng.integers(-3000, 3000, (1, 1, 5)), "i32"))
    L.append(f"  %a = tosa.add %mm, %b4 : ({tt((1, b, 5), 'i32')}, "
             f"tensor<1x1x5xi32>) -> {tt((1, b, 5), 'i32')}\n")
    L.append(f"  %d = qnt.dequantize %a uniform<si32, scale = 1.0e-4> : "
             f"{tt((1, b, 5), 'i32')} -> {tt((1, b, 5), 'f32')}\n")
    L.append(f"  %os = tosa.const_shape {{values = dense<[{b}, 5]> : "
             f"tensor<2xindex>}} : () -> !tosa.shape<2>\n")
    L.append(f"  %o = tosa.reshape %d, %os : ({tt((1, b, 5), 'f32')}, "
             f"!tosa.shape<2>) -> {tt((b, 5), 'f32')}\n")
    L.append(f"  return %o : {tt((b, 5), 'f32')}\n}}\n")
    return "".join(L)


NATIVE_QDQ = """func.func @qdq(%x: tensor<16x3xf32>) -> (tensor<16x3xf32>, tensor<16x3xi8>, tensor<16x3xi8>, tensor<16x3xi8>, tensor<16x3xf32>) {
  %q = qnt.quantize %x uniform<si8, axis = 1, scales = [0.05, 0.125, 0.3], zero_points = [0, 3, -4]> : tensor<16x3xf32> -> tensor<16x3xi8>
  %r = qnt.requantize %q input_zp 3 multiplier [1518500250] shift [-2] output_zp -5 clamp [-128, 127] : tensor<16x3xi8> -> tensor<16x3xi8>
  %d = qnt.dequantize %r uniform<si8, scale = 0.0707, zero_point = -5> : tensor<16x3xi8> -> tensor<16x3xf32>
  %u = qnt.quantize %x uniform<ui8, scale = 0.05, zero_point = 128> : tensor<16x3xf32> -> tensor<16x3xi8>
  %e = qnt.dequantize %u uniform<ui8, scale = 0.05, zero_point = 128> : tensor<16x3xi8> -> tensor<16x3xf32>
  return %d, %r, %q, %u, %e : tensor<16x3xf32>, tensor<16x3xi8>, tensor<16x3xi8>, tensor<16x3xi8>, tensor<16x3xf32>
}
"""

NATIVE_CONV = """func.func @conv(%x: tensor<2x5x5x3xi8>) -> tensor<2x5x5x4xi8> {
""" + const("%w", np.random.default_rng(9).integers(-127, 128, (4, 1, 1, 3)),
            "i8") + const("%b", [100, -200, 300, -400], "i32") + \
    const("%zp", [0], "i8") + """  %c = tosa.conv2d %x, %w, %b, %zp, %zp {acc_type = i32, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : (tensor<2x5x5x3xi8>, tensor<4x1x1x3xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x5x5x4xi32>
  %r = qnt.requantize %c axis 3 multiplier [1518500250, 1073741824, 2147483647, 1300000000] shift [6, 5, 7, 6] output_zp 0 clamp [-128, 127] : tensor<2x5x5x4xi32> -> tensor<2x5x5x4xi8>
  return %r : tensor<2x5x5x4xi8>
}
"""


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    from qnt import compiler, runtime
    path = tmp_path_factory.mktemp("intref") / "m.so"
    text = NATIVE_QDQ + NATIVE_CONV + small_net()
    return text, runtime.CompiledModel(compiler.compile_mlir(text, path))


def test_native_quantize_requantize_dequantize_bit_exact(native):
    text, lib = native
    x = np.random.default_rng(10).standard_normal((16, 3)).astype(np.float32) * 6
    x[0] = [np.nan, np.inf, -np.inf]
    x[1] = [0.025, -0.0625, 0.45]                     # exact ties
    x[2] = [-5.975, 0.0, -34.35]                      # float32 division ties
    got = lib["qdq"](x)
    want = intref.load(text, "qdq").run(x)
    assert len(got) == len(want) == 5
    assert (want[3].view(np.uint8) > 127).any()      # unsigned codes >= 128
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


def test_native_conv_requantize_bit_exact(native):
    text, lib = native
    x = np.random.default_rng(11).integers(-128, 128, (2, 5, 5, 3)).astype(np.int8)
    got, = lib["conv"](x)
    want, = intref.load(text, "conv").run(x)
    np.testing.assert_array_equal(got, want)


def test_native_small_net_bit_exact(native):
    text, lib = native
    prog = intref.load(text, "net")
    x = np.random.default_rng(12).random((7, 8, 8, 2)).astype(np.float32)
    want, = prog.run_dataset(x)
    got, = lib["net"].run_dataset(x)
    trace = prog.trace(x[:2])
    # Only meaningful if the requantizations mostly do not saturate.
    rq = [op for op in prog.ops if op.name == "qnt.requantize"]
    assert len(rq) == 4
    for op in rq:
        v = trace[op.results[0]]
        assert np.mean((v == 127) | (v == -128)) < 0.5, op.where()
    np.testing.assert_array_equal(got, want)
