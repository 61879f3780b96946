"""convert-qnt-to-linalg, compiled to native code, against independent
references: Python big-integer implementations of the gemmlowp (TFLite) and
TOSA requantization definitions (ALGORITHMS.md section 6), and numpy for the
float ops. Bit-exact where the definition is integer."""

import subprocess

import numpy as np
import pytest

from qnt import compiler, runtime
from qnt.tools import qnt_tool

from fixedpoint_ref import I32_MAX, I32_MIN, ref_requantize


def compile_funcs(tmp_path, name, body):
    so = compiler.compile_mlir(body, tmp_path / f"{name}.so")
    return runtime.CompiledModel(so)


def call(model, fname, *args):
    out = model[fname](*args)
    return out[0] if isinstance(out, (list, tuple)) else out


def kernel_pipelines():
    """The host's int8 kernels and the portable path, by name."""
    return {f"int8-kernels={k}": compiler.float_pipeline(int8_kernels=k)
            for k in {compiler.host_int8_kernels(), "none"}}


def assert_exact_under(pipelines, text, fname, x, want, tmp_path):
    """`text` compiled with each of `pipelines` (name -> pipeline): its
    function `fname` on `x` gives exactly `want`."""
    for name, pipeline in pipelines.items():
        so = compiler.compile_mlir(
            text, tmp_path / f"{fname}_{name.replace('=', '_')}.so",
            pipeline=pipeline)
        got = call(runtime.CompiledModel(so), fname, x)
        np.testing.assert_array_equal(got.astype(np.int64), want,
                                      err_msg=name)


def assert_requantize_exact(got, x, izp, mults, shifts, ozp, mode,
                            lo=I32_MIN, hi=I32_MAX):
    """Every element of `got` (rows x channels; clamped to [lo, hi], by
    default the full i32 range) equals the big-integer reference of its
    channel's multiplier and shift; the first mismatch is reported."""
    rows, c = x.shape
    want = np.array([[ref_requantize(int(x[i, j]), izp, mults[j], shifts[j],
                                     ozp, lo, hi, mode)
                      for j in range(c)] for i in range(rows)], np.int64)
    bad = np.argwhere(got.astype(np.int64) != want)
    assert bad.size == 0, (
        f"{len(bad)} mismatches, first at {bad[0]}: x={x[tuple(bad[0])]} "
        f"m={mults[bad[0][1]]} n={shifts[bad[0][1]]} got={got[tuple(bad[0])]} "
        f"want={want[tuple(bad[0])]}")


SPECIAL = [0, 1, -1, 2, -2, 3, -3, 5, -5, 6, -6, 7, -7, 1 << 20, -(1 << 20),
           I32_MAX, I32_MIN, I32_MIN + 1, I32_MAX - 1, 1 << 30, -(1 << 30)]


def special_rows(c, rng):
    """i32 inputs for c channels: every SPECIAL value in each channel, then
    200 random rows over the whole range."""
    x = np.empty((len(SPECIAL) + 200, c), np.int32)
    x[:len(SPECIAL)] = np.array(SPECIAL, np.int64).astype(np.int32)[:, None]
    x[len(SPECIAL):] = rng.integers(I32_MIN, I32_MAX, (200, c), dtype=np.int64,
                                    endpoint=True).astype(np.int32)
    return x


@pytest.mark.parametrize("mode,shifts", [
    ("tflite", list(range(-31, 32))),
    ("single_round", list(range(-29, 32))),
    # every shift >= 1 (single_round) / >= 0 (double_round): the i32 form
    # (convert-qnt-to-linalg); with a left shift of an i32 input (above)
    # it is the i64 form
    ("single_round", list(range(1, 32))),
    ("double_round", list(range(-29, 32))),
    ("double_round", list(range(0, 32))),
])
def test_requantize_bit_exact_every_shift(tmp_path, mode, shifts):
    c = len(shifts)
    rng = np.random.default_rng(len(shifts) + len(mode))
    x = special_rows(c, rng)
    rows = x.shape[0]
    # Multipliers: Q31 values incl. the extremes; ties need small multipliers
    # too (2^30 = 0.5).
    mults = [int(v) for v in rng.integers(0, I32_MAX, c, endpoint=True)]
    mults[0], mults[1], mults[2] = I32_MAX, 1 << 30, 0
    izp, ozp = 3, -7
    text = f"""func.func @rq(%x: tensor<{rows}x{c}xi32>) -> tensor<{rows}x{c}xi32> {{
  %0 = qnt.requantize %x axis 1 input_zp {izp} multiplier {mults} shift {shifts}
         output_zp {ozp} clamp [{I32_MIN}, {I32_MAX}] rounding {mode}
         : tensor<{rows}x{c}xi32> -> tensor<{rows}x{c}xi32>
  return %0 : tensor<{rows}x{c}xi32>
}}"""
    model = compile_funcs(tmp_path, f"rq_{mode}", text)
    assert_requantize_exact(call(model, "rq", x), x, izp, mults, shifts, ozp,
                            mode)


@pytest.mark.parametrize("out_type,lo,hi,ozp", [
    ("i8", -128, 127, -7), ("i8", 0, 127, -128), ("i16", -32768, 32767, 1000),
    ("i32", I32_MIN, I32_MAX, -7), ("i32", I32_MIN, I32_MAX, I32_MIN + 5)])
def test_requantize_single_round_narrow_outputs_exact(tmp_path, out_type, lo,
                                                    hi, ozp):
    # single_round's i32-lane form (every n >= 1) with narrow outputs and
    # their clamps, next to the full i32 range (extreme zero points): every
    # shift 1..31, the extreme inputs and multipliers.
    shifts = list(range(1, 32))
    c = len(shifts)
    rng = np.random.default_rng(abs(ozp) % 1000 + hi % 1000)
    x = special_rows(c, rng)
    rows = x.shape[0]
    mults = [int(v) for v in rng.integers(0, I32_MAX, c, endpoint=True)]
    mults[0], mults[1], mults[2], mults[30] = I32_MAX, 1 << 30, 0, I32_MAX
    izp = -3
    text = f"""func.func @rq(%x: tensor<{rows}x{c}xi32>) -> tensor<{rows}x{c}x{out_type}> {{
  %0 = qnt.requantize %x axis 1 input_zp {izp} multiplier {mults} shift {shifts}
         output_zp {ozp} clamp [{lo}, {hi}] rounding single_round
         : tensor<{rows}x{c}xi32> -> tensor<{rows}x{c}x{out_type}>
  return %0 : tensor<{rows}x{c}x{out_type}>
}}"""
    got = call(compile_funcs(tmp_path, "rq_sr", text), "rq", x)
    assert_requantize_exact(got, x, izp, mults, shifts, ozp, "single_round",
                            lo, hi)


@pytest.mark.parametrize("in_type,izp,halving", [
    ("i32", 3, True), ("i8", -128, True), ("i8", 39, True), ("i8", 127, True),
    ("i8", -128, False), ("i16", -5, False)])
def test_requantize_narrow_input_and_halving_multiplier_exact(
        tmp_path, in_type, izp, halving):
    # The tflite lowering's shortcuts: multiplier 2^30 on every channel (a
    # power-of-two scale ratio, e.g. the larger input of a residual add)
    # takes (a >> 1) + (a & 1) instead of the i64 product; inputs narrower
    # than i32 whose left shift provably stays in i32 skip the saturation.
    # Every shift -31..31 (i8 inputs shifted left by 23+ do saturate-check),
    # against the big-integer reference.
    shifts = list(range(-31, 32))
    c = len(shifts)
    bits = int(in_type[1:])
    lo_in, hi_in = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    rng = np.random.default_rng(bits * 1000 + izp + 500 + halving)
    if bits == 32:
        special = SPECIAL
    else:
        special = [lo_in, lo_in + 1, -1, 0, 1, hi_in - 1, hi_in, izp]
    rows = len(special) + 200
    x = np.empty((rows, c), np.int64)
    x[:len(special)] = np.array(special, np.int64)[:, None]
    x[len(special):] = rng.integers(lo_in, hi_in, (200, c), endpoint=True)
    x = x.astype({8: np.int8, 16: np.int16, 32: np.int32}[bits])
    if halving:
        mults = [1 << 30] * c
    else:
        mults = [int(v) for v in rng.integers(0, I32_MAX, c, endpoint=True)]
        mults[0], mults[1] = I32_MAX, 0
    ozp = -7
    text = f"""func.func @rq(%x: tensor<{rows}x{c}x{in_type}>) -> tensor<{rows}x{c}xi32> {{
  %0 = qnt.requantize %x axis 1 input_zp {izp} multiplier {mults} shift {shifts}
         output_zp {ozp} clamp [{I32_MIN}, {I32_MAX}]
         : tensor<{rows}x{c}x{in_type}> -> tensor<{rows}x{c}xi32>
  return %0 : tensor<{rows}x{c}xi32>
}}"""
    model = compile_funcs(tmp_path, f"rqh_{in_type}_{izp}_{halving}", text)
    assert_requantize_exact(call(model, "rq", x), x, izp, mults, shifts, ozp,
                            "tflite")


@pytest.mark.parametrize("izp,seed", [(-128, 1), (0, 2), (39, 3), (127, 4),
                                      (-128, 5)])
def test_requantize_i8_every_input_exact(tmp_path, izp, seed):
    # Every i8 input, every shift whose left shift keeps 255 << left in i32
    # (-23..31), multipliers at the edges and random: the whole op takes the
    # split i32 high product (splitHighProduct; checked: no i64 in the
    # lowered body).
    shifts = list(range(-23, 32))
    c = len(shifts)
    rng = np.random.default_rng(seed)
    mults = [int(v) for v in rng.integers(0, I32_MAX, c, endpoint=True)]
    mults[0], mults[1], mults[2], mults[3] = I32_MAX, 0, 1, (1 << 30) + 1
    x = np.repeat(np.arange(-128, 128, dtype=np.int64)[:, None], c, axis=1)
    x = x.astype(np.int8)
    rows = x.shape[0]
    ozp = 5
    text = f"""func.func @rq(%x: tensor<{rows}x{c}xi8>) -> tensor<{rows}x{c}xi32> {{
  %0 = qnt.requantize %x axis 1 input_zp {izp} multiplier {mults} shift {shifts}
         output_zp {ozp} clamp [{I32_MIN}, {I32_MAX}]
         : tensor<{rows}x{c}xi8> -> tensor<{rows}x{c}xi32>
  return %0 : tensor<{rows}x{c}xi32>
}}"""
    lowered = subprocess.run([str(qnt_tool("qnt-opt")), "-",
                              "--convert-qnt-to-linalg"], input=text,
                             capture_output=True, text=True, check=True)
    assert "i64" not in lowered.stdout
    model = compile_funcs(tmp_path, f"rq8_{izp}_{seed}", text)
    assert_requantize_exact(call(model, "rq", x), x, izp, mults, shifts, ozp,
                            "tflite")


@pytest.mark.parametrize("mode,in_type,izp,shifts", [
    # i32 form: a << (1 - n) (single_round) / a << -n (double_round) stays
    # in i32 for every shift <= 0
    ("single_round", "i8", -128, list(range(-22, 32))),
    ("single_round", "i8", 127, list(range(-22, 32))),
    ("single_round", "i16", -5, list(range(-14, 32))),
    ("double_round", "i8", -128, list(range(-23, 32))),
    ("double_round", "i8", 127, list(range(-23, 32))),
    ("double_round", "i16", -5, list(range(-15, 32))),
    ("double_round", "i8", 3, list(range(-8, 32))),
    # one shift too far left for i8 (255 << 24): the whole op in i64
    ("single_round", "i8", -128, list(range(-23, 32))),
    ("double_round", "i8", -128, list(range(-24, 32)))])
def test_requantize_tosa_narrow_input_exact(tmp_path, mode, in_type, izp,
                                            shifts):
    c = len(shifts)
    bits = int(in_type[1:])
    lo_in, hi_in = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    rng = np.random.default_rng(bits * 1000 + izp + c)
    special = [lo_in, lo_in + 1, -1, 0, 1, hi_in - 1, hi_in, izp]
    rows = len(special) + 200
    x = np.empty((rows, c), np.int64)
    x[:len(special)] = np.array(special, np.int64)[:, None]
    x[len(special):] = rng.integers(lo_in, hi_in, (200, c), endpoint=True)
    x = x.astype({8: np.int8, 16: np.int16}[bits])
    mults = [int(v) for v in rng.integers(0, I32_MAX, c, endpoint=True)]
    mults[0], mults[1], mults[2] = I32_MAX, 1 << 30, 0
    ozp = 5
    text = f"""func.func @rq(%x: tensor<{rows}x{c}x{in_type}>) -> tensor<{rows}x{c}xi32> {{
  %0 = qnt.requantize %x axis 1 input_zp {izp} multiplier {mults} shift {shifts}
         output_zp {ozp} clamp [{I32_MIN}, {I32_MAX}] rounding {mode}
         : tensor<{rows}x{c}x{in_type}> -> tensor<{rows}x{c}xi32>
  return %0 : tensor<{rows}x{c}xi32>
}}"""
    model = compile_funcs(tmp_path, f"rqs_{mode}_{in_type}_{izp}_{c}", text)
    assert_requantize_exact(call(model, "rq", x), x, izp, mults, shifts, ozp,
                            mode)


def test_requantize_wess_channel_shift_and_i8_clamp(tmp_path):
    # One multiplier per layer, per-channel WESS shifts, int8 output with a
    # ReLU folded into the clamp.
    ks = [0, 1, 4, 15]
    x = np.arange(-4000, 4000, 7, dtype=np.int32)[:, None].repeat(4, 1)
    x = np.ascontiguousarray(x)
    text = f"""func.func @rq(%x: tensor<{x.shape[0]}x4xi32>) -> tensor<{x.shape[0]}x4xi8> {{
  %0 = qnt.requantize %x axis 1 multiplier [1518500250] shift [3]
         channel_shift {ks} output_zp -128 clamp [-128, 127]
         : tensor<{x.shape[0]}x4xi32> -> tensor<{x.shape[0]}x4xi8>
  return %0 : tensor<{x.shape[0]}x4xi8>
}}"""
    got = call(compile_funcs(tmp_path, "wess", text), "rq", x)
    want = np.array([[ref_requantize(v, 0, 1518500250, 3 + k, -128, -128, 127,
                                     "tflite") for v, k in zip(row, ks)]
                     for row in x], np.int64)
    np.testing.assert_array_equal(got.astype(np.int64), want)


@pytest.mark.parametrize("mode", ["tflite", "double_round"])
def test_requantize_per_slice_grid_native_and_intref(tmp_path, mode):
    # Per-channel output grids (per-channel widths: ACIQ bit allocation):
    # a zero point and bounds per slice, against the scalar reference and
    # qnt.intref.
    from qnt import intref
    mults, shifts = [1518500250, 1 << 30, I32_MAX, 1073741824], [7, 3, 12, 0]
    czp, lo, hi = [0, 63, -8, -128], [-128, -100, -8, -128], [7, 100, -5, 127]
    x = np.arange(-40000, 40000, 37, dtype=np.int32)[:, None].repeat(4, 1)
    x[:len(SPECIAL)] = np.array(SPECIAL, np.int64).astype(np.int32)[:, None]
    x = np.ascontiguousarray(x)
    n = x.shape[0]
    text = f"""func.func @rq(%x: tensor<{n}x4xi32>) -> tensor<{n}x4xi8> {{
  %0 = qnt.requantize %x axis 1 input_zp 5 multiplier {mults} shift {shifts}
         output_zp 2 channel_output_zp {czp} clamp [-128, 127]
         channel_clamp_min {lo} channel_clamp_max {hi} rounding {mode}
         : tensor<{n}x4xi32> -> tensor<{n}x4xi8>
  return %0 : tensor<{n}x4xi8>
}}"""
    got = call(compile_funcs(tmp_path, f"grid_{mode}", text), "rq", x)
    want = np.array([[ref_requantize(v, 5, mults[c], shifts[c], 2 + czp[c],
                                     lo[c], hi[c], mode)
                      for c, v in enumerate(row)] for row in x], np.int64)
    np.testing.assert_array_equal(got.astype(np.int64), want)
    ref, = intref.load(text, "rq").run(x)
    np.testing.assert_array_equal(ref, got)
    # Every slice's bounds are reached (the test exercises them).
    for c in range(4):
        assert want[:, c].min() == lo[c] and want[:, c].max() == hi[c]


def np_quantize(x, scale, zp, qmin, qmax):
    y = x / np.float32(scale)
    y = np.where(np.isnan(y), np.float32(0), y)
    return np.clip(np.round(y).astype(np.float64) + zp, qmin, qmax).astype(np.int64)


def test_quantize_dequantize_fake_quant_per_axis(tmp_path):
    scales = [0.05, 0.125, 0.3]
    zps = [0, 3, -4]
    x = np.random.default_rng(3).standard_normal((64, 3)).astype(np.float32) * 8
    x[0] = [np.nan, np.inf, -np.inf]
    x[1] = [0.025, -0.0625, 0.45]  # exact ties: round half to even
    p = f"uniform<si8 narrow, axis = 1, scales = {scales}, zero_points = {zps}>"
    text = f"""func.func @q(%x: tensor<64x3xf32>) -> tensor<64x3xi8> {{
  %0 = qnt.quantize %x {p} : tensor<64x3xf32> -> tensor<64x3xi8>
  return %0 : tensor<64x3xi8>
}}
func.func @d(%q: tensor<64x3xi8>) -> tensor<64x3xf32> {{
  %0 = qnt.dequantize %q {p} : tensor<64x3xi8> -> tensor<64x3xf32>
  return %0 : tensor<64x3xf32>
}}
func.func @f(%x: tensor<64x3xf32>) -> tensor<64x3xf32> {{
  %0 = qnt.fake_quant %x {p} : tensor<64x3xf32>
  return %0 : tensor<64x3xf32>
}}"""
    m = compile_funcs(tmp_path, "qdq", text)
    q = call(m, "q", x)
    want = np.stack([np_quantize(x[:, c], scales[c], zps[c], -127, 127)
                     for c in range(3)], 1)
    np.testing.assert_array_equal(q.astype(np.int64), want)
    assert q[0, 0] == zps[0]  # NaN -> zero point
    d = call(m, "d", q)
    want_d = np.stack([(want[:, c] - zps[c]).astype(np.float32) * np.float32(scales[c])
                       for c in range(3)], 1)
    np.testing.assert_array_equal(d, want_d)
    np.testing.assert_array_equal(call(m, "f", x), want_d)


@pytest.mark.parametrize("storage,itype,qmin,qmax,zps", [
    ("si8", "i8", -128, 127, [-128, 0, 127]),
    ("ui8", "i8", 0, 255, [0, 128, 255]),
    ("si16", "i16", -32768, 32767, [-30000, 0, 32767]),
])
def test_quantize_extreme_zero_points_and_inputs(tmp_path, storage, itype,
                                                  qmin, qmax, zps):
    # The i32 quantization path (float clamp to [qmin - max zp, qmax - min
    # zp], fptosi to i32, zero point, integer clamp) against numpy's exact
    # definition, with zero points at the code range's ends and inputs far
    # outside it (+-1e30, +-inf, NaN) and at ties, per channel.
    scales = [0.01, 0.5, 3.0]
    rng = np.random.default_rng(qmax - qmin)
    x = (rng.standard_normal((64, 3)) * 1000).astype(np.float32)
    x[0] = [np.nan, np.inf, -np.inf]
    x[1] = [1e30, -1e30, 3.4e38]
    x[2] = [0.005, -0.25, 4.5]  # ties: round half to even
    x[3] = [-0.015, 0.75, -7.5]
    p = (f"uniform<{storage}, axis = 1, scales = {scales}, "
         f"zero_points = {zps}>")
    text = f"""func.func @q(%x: tensor<64x3xf32>) -> tensor<64x3x{itype}> {{
  %0 = qnt.quantize %x {p} : tensor<64x3xf32> -> tensor<64x3x{itype}>
  return %0 : tensor<64x3x{itype}>
}}"""
    m = compile_funcs(tmp_path, f"qx_{storage}", text)
    q = call(m, "q", x).astype(np.int64)
    if storage.startswith("u"):
        q = q % (1 << int(itype[1:]))  # the codes' unsigned reading
    want = np.stack([np_quantize(x[:, c], scales[c], zps[c], qmin, qmax)
                     for c in range(3)], 1)
    np.testing.assert_array_equal(q, want)


def test_unsigned_4bit_quantize(tmp_path):
    x = np.linspace(-2, 10, 97, dtype=np.float32)
    text = """func.func @q(%x: tensor<97xf32>) -> tensor<97xi8> {
  %0 = qnt.quantize %x uniform<ui4, scale = 0.5, zero_point = 2> : tensor<97xf32> -> tensor<97xi8>
  return %0 : tensor<97xi8>
}
func.func @d(%q: tensor<97xi8>) -> tensor<97xf32> {
  %0 = qnt.dequantize %q uniform<ui4, scale = 0.5, zero_point = 2> : tensor<97xi8> -> tensor<97xf32>
  return %0 : tensor<97xf32>
}"""
    m = compile_funcs(tmp_path, "u4", text)
    q = call(m, "q", x)
    np.testing.assert_array_equal(q.astype(np.int64), np_quantize(x, 0.5, 2, 0, 15))
    np.testing.assert_array_equal(call(m, "d", q),
                                  (q.astype(np.float32) - 2) * np.float32(0.5))


def test_clip_pow2_scale_and_codebook(tmp_path):
    x = np.random.default_rng(5).standard_normal((16, 2, 2, 3)).astype(np.float32) * 4
    scales = np.array([0.5, 0.25, 2.0], np.float32)
    text = """func.func @c(%x: tensor<16x2x2x3xf32>) -> tensor<16x2x2x3xf32> {
  %0 = qnt.clip %x axis 3 min [-1.0, 0.0, -3.0] max [1.0, 6.0, 0.5] method manual : tensor<16x2x2x3xf32>
  return %0 : tensor<16x2x2x3xf32>
}
func.func @p(%x: tensor<16x2x2x3xf32>) -> tensor<16x2x2x3xf32> {
  %0 = qnt.pow2_scale %x axis 3 shifts [0, -3, 7] : tensor<16x2x2x3xf32>
  return %0 : tensor<16x2x2x3xf32>
}
func.func @t(%x: tensor<16x2x2x3xf32>) -> tensor<16x2x2x3xf32> {
  %0 = qnt.fake_quant %x codebook<ternary, threshold = 1.5, scales = dense<[[[[0.5, 0.25, 2.0]]]]> : tensor<1x1x1x3xf32>> : tensor<16x2x2x3xf32>
  return %0 : tensor<16x2x2x3xf32>
}"""
    m = compile_funcs(tmp_path, "misc", text)
    np.testing.assert_array_equal(
        call(m, "c", x), np.clip(x, [-1, 0, -3], [1, 6, 0.5]).astype(np.float32))
    np.testing.assert_array_equal(
        call(m, "p", x), x * np.array([1, 2.0**-3, 2.0**7], np.float32))
    codes = np.where(np.abs(x) > 1.5, np.sign(x), 0).astype(np.float32)
    np.testing.assert_array_equal(call(m, "t", x), codes * scales)


def _pack_reference(codes, bits):
    """Packs signed ``bits``-bit codes, first element in the low bits of each
    byte (the qnt.unpack definition), one element at a time."""
    per = 8 // bits
    out = [0] * (-(-len(codes) * bits // 8))
    for i, c in enumerate(codes):
        out[i // per] |= (int(c) & ((1 << bits) - 1)) << ((i % per) * bits)
    return np.array([v - 256 if v > 127 else v for v in out], np.int8)


@pytest.mark.parametrize("bits", [1, 2, 4])
def test_unpack_native_and_intref(tmp_path, bits):
    from qnt import intref
    rng = np.random.default_rng(bits)
    shape = (3, 7, 5)  # 105 values: the last byte is partly padding
    lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    codes = rng.integers(lo, hi, shape, endpoint=True).astype(np.int8)
    codes.flat[:2] = [lo, hi]
    packed = _pack_reference(codes.ravel(), bits)
    t = "x".join(map(str, shape))
    text = f"""func.func @forward(%p: tensor<{packed.size}xi8>) -> tensor<{t}xi8> {{
  %0 = qnt.unpack %p bits {bits} : tensor<{packed.size}xi8> -> tensor<{t}xi8>
  return %0 : tensor<{t}xi8>
}}"""
    model = compile_funcs(tmp_path, f"unpack{bits}", text)
    np.testing.assert_array_equal(call(model, "forward", packed), codes)
    np.testing.assert_array_equal(intref.load(text).run(packed)[0], codes)


@pytest.mark.parametrize("m,n,k", [(1, 1, 1), (3, 5, 1), (6, 13, 7),
                                   (1, 10, 128), (12, 33, 65), (4, 64, 256),
                                   (13, 9, 5)])
def test_int8_matmul_kernels_exact(tmp_path, m, n, k):
    # qnt-int8-matmul-kernels (packed constant weights, vpmaddwd on AVX2)
    # against numpy's exact integer product, extreme values included (a
    # pair of (-128) x (-128) products), and the portable path alike.
    rng = np.random.default_rng(m * 1000 + n * 10 + k)
    a = rng.integers(-128, 128, (1, m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (1, k, n), dtype=np.int8)
    a[0, 0, :] = -128
    b[0, :, 0] = -128
    text = f"""func.func @mm(%a: tensor<1x{m}x{k}xi8>) -> tensor<1x{m}x{n}xi32> {{
  %b = "tosa.const"() <{{values = dense<"0x{b.tobytes().hex().upper()}"> : tensor<1x{k}x{n}xi8>}}> : () -> tensor<1x{k}x{n}xi8>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %c = tosa.matmul %a, %b, %z, %z : (tensor<1x{m}x{k}xi8>, tensor<1x{k}x{n}xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x{m}x{n}xi32>
  return %c : tensor<1x{m}x{n}xi32>
}}"""
    want = a[0].astype(np.int64) @ b[0].astype(np.int64)
    # (avx2 only where the host has it: the library runs here.)
    for kernels in {compiler.host_int8_kernels(), "none"}:
        so = compiler.compile_mlir(
            text, tmp_path / f"mm_{kernels}.so",
            pipeline=compiler.float_pipeline(int8_kernels=kernels))
        got = call(runtime.CompiledModel(so), "mm", a)
        np.testing.assert_array_equal(got[0].astype(np.int64), want,
                                      err_msg=f"int8-kernels={kernels}")


@pytest.mark.parametrize("n,h,w,c,f,mode", [
    (1, 3, 3, 5, 3, "tflite"), (2, 4, 4, 16, 20, "tflite"),
    (1, 7, 7, 64, 128, "tflite"), (2, 4, 4, 16, 20, "single_round"),
    (1, 7, 7, 64, 128, "single_round"), (1, 5, 5, 24, 28, "tflite"),
    (1, 5, 5, 24, 32, "single_round")])
def test_int8_kernel_fused_requantize_exact(tmp_path, n, h, w, c, f, mode):
    # A 1x1 convolution with a bias and a per-channel requantization: on
    # AVX2 the kernel starts from the bias vectors and requantizes its
    # register tile (fused epilogue); it must equal the exact integer
    # product + bias run through the Python gemmlowp reference, as the
    # portable path must. Multipliers cover the extremes, shifts both signs.
    # f = 128, 32: two 8-column blocks per epilogue (16 lanes); f = 28: the
    # last block overlaps the one before (columns 20..27), one at a time.
    rng = np.random.default_rng(n * 7 + h * 5 + c * 3 + f)
    x = rng.integers(-128, 128, (n, h, w, c), dtype=np.int8)
    wt = rng.integers(-128, 128, (f, 1, 1, c), dtype=np.int8)
    x[0, 0, 0, :] = -128
    wt[0, 0, 0, :] = -128
    bias = rng.integers(-(1 << 20), 1 << 20, f, dtype=np.int64)
    mults = [int(v) for v in rng.integers(1 << 30, I32_MAX, f, endpoint=True)]
    # (single_round with every shift >= 1: its i32-lane form in the epilogue)
    shifts = [int(v) for v in rng.integers(-2 if mode == "tflite" else 1, 12,
                                            f)]
    mults[0], shifts[0] = I32_MAX, -3 if mode == "tflite" else 1
    lo, hi, ozp = -128, 127, -5
    t_in = f"tensor<{n}x{h}x{w}x{c}xi8>"
    t_acc = f"tensor<{n}x{h}x{w}x{f}xi32>"
    t_out = f"tensor<{n}x{h}x{w}x{f}xi8>"
    text = f"""func.func @conv(%x: {t_in}) -> {t_out} {{
  %w = "tosa.const"() <{{values = dense<"0x{wt.tobytes().hex().upper()}"> : tensor<{f}x1x1x{c}xi8>}}> : () -> tensor<{f}x1x1x{c}xi8>
  %b = "tosa.const"() <{{values = dense<{bias.tolist()}> : tensor<{f}xi32>}}> : () -> tensor<{f}xi32>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %b, %z, %z {{acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : ({t_in}, tensor<{f}x1x1x{c}xi8>, tensor<{f}xi32>, tensor<1xi8>, tensor<1xi8>) -> {t_acc}
  %y = qnt.requantize %acc axis 3 multiplier {mults} shift {shifts} output_zp {ozp} clamp [{lo}, {hi}] rounding {mode} : {t_acc} -> {t_out}
  return %y : {t_out}
}}"""
    acc = (x.reshape(-1, c).astype(np.int64) @
           wt.reshape(f, c).T.astype(np.int64) + bias)
    assert np.all(np.abs(acc) < 2**31)
    want = np.array([[ref_requantize(int(acc[i, j]), 0, mults[j], shifts[j],
                                     ozp, lo, hi, mode)
                      for j in range(f)] for i in range(acc.shape[0])],
                    np.int64).reshape(n, h, w, f)
    assert_exact_under(kernel_pipelines(), text, "conv", x, want,
                       tmp_path)


def depthwise_want(x, wt, bias, stride, dil, oh, ow, mults, shifts):
    """numpy's exact depthwise product of (already padded) NHWC codes `x`
    with the [K, K, C, 1] filter plus `bias`, through the gemmlowp reference
    per channel (output zero point 3, [-128, 127])."""
    k, c = wt.shape[0], wt.shape[2]
    acc = np.zeros((x.shape[0], oh, ow, c), np.int64) + bias
    for i in range(k):
        for j in range(k):
            acc += (x[:, i * dil: i * dil + stride * (oh - 1) + 1: stride,
                      j * dil: j * dil + stride * (ow - 1) + 1: stride, :]
                    .astype(np.int64) * wt[i, j, :, 0].astype(np.int64))
    return np.vectorize(lambda v, ch: ref_requantize(
        int(v), 0, mults[ch], shifts[ch], 3, -128, 127, "tflite"))(
        acc, np.arange(c)[None, None, None, :]).astype(np.int64)


@pytest.mark.parametrize("n,h,w,c,k,stride,dil,pads,pv", [
    # TOSA's explicit zero-point padding before a depthwise convolution:
    # same padding, stride 2 with low padding only (TF "same"), asymmetric
    # and wide pads, a map narrower than the filter (every column a border
    # column), rows entirely in the padding, dilation, many channels.
    (1, 6, 7, 8, 3, 1, 1, (1, 1, 1, 1), -128),
    (2, 10, 10, 24, 3, 2, 1, (1, 0, 1, 0), 5),
    (1, 7, 5, 12, 3, 1, 1, (2, 0, 0, 2), 127),
    (1, 2, 2, 16, 3, 1, 1, (1, 1, 1, 1), -7),
    (1, 3, 8, 8, 3, 1, 1, (3, 3, 1, 1), 44),
    (1, 9, 10, 20, 3, 1, 2, (2, 2, 2, 2), -128),
    (3, 14, 14, 64, 3, 1, 1, (1, 1, 1, 1), -128)])
def test_int8_depthwise_kernel_implicit_padding_exact(tmp_path, n, h, w, c,
                                                      k, stride, dil, pads,
                                                      pv):
    # The padded input is never built: qnt-int8-depthwise-kernels reads
    # through the tensor.pad (border columns select the pad value, padded
    # filter rows add their compile-time sum). Against numpy on the padded
    # input, fused requantization included; with implicit-padding off (the
    # pad built) and without the kernels, the same codes.
    rng = np.random.default_rng(n * 13 + h * 7 + w * 5 + c * 3 + sum(pads))
    x = rng.integers(-128, 128, (n, h, w, c), dtype=np.int8)
    wt = rng.integers(-127, 128, (k, k, c, 1), dtype=np.int8)
    bias = rng.integers(-(1 << 16), 1 << 16, c, dtype=np.int64)
    mults = [int(v) for v in rng.integers(1 << 30, I32_MAX, c, endpoint=True)]
    shifts = [int(v) for v in rng.integers(4, 10, c)]
    top, bottom, left, right = pads
    hp, wp = h + top + bottom, w + left + right
    oh = (hp - dil * (k - 1) - 1) // stride + 1
    ow = (wp - dil * (k - 1) - 1) // stride + 1
    t_in, t_w = f"tensor<{n}x{h}x{w}x{c}xi8>", f"tensor<{k}x{k}x{c}x1xi8>"
    t_pad = f"tensor<{n}x{hp}x{wp}x{c}xi8>"
    t_acc = f"tensor<{n}x{oh}x{ow}x{c}xi32>"
    t_out = f"tensor<{n}x{oh}x{ow}x{c}xi8>"
    text = f"""func.func @dw(%x: {t_in}) -> {t_out} {{
  %w = "tosa.const"() <{{values = dense<"0x{wt.tobytes().hex().upper()}"> : {t_w}}}> : () -> {t_w}
  %b = "tosa.const"() <{{values = dense<{bias.tolist()}> : tensor<{c}xi32>}}> : () -> tensor<{c}xi32>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %pv = "tosa.const"() <{{values = dense<{pv}> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %shape = tosa.const_shape {{values = dense<[0, 0, {top}, {bottom}, {left}, {right}, 0, 0]> : tensor<8xindex>}} : () -> !tosa.shape<8>
  %p = tosa.pad %x, %shape, %pv : ({t_in}, !tosa.shape<8>, tensor<1xi8>) -> {t_pad}
  %acc = tosa.depthwise_conv2d %p, %w, %b, %z, %z {{acc_type = i32, dilation = array<i64: {dil}, {dil}>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: {stride}, {stride}>}} : ({t_pad}, {t_w}, tensor<{c}xi32>, tensor<1xi8>, tensor<1xi8>) -> {t_acc}
  %y = qnt.requantize %acc axis 3 multiplier {mults} shift {shifts} output_zp 3 clamp [-128, 127] : {t_acc} -> {t_out}
  return %y : {t_out}
}}"""
    xp = np.full((n, hp, wp, c), pv, np.int64)
    xp[:, top:top + h, left:left + w, :] = x
    want = depthwise_want(xp, wt, bias, stride, dil, oh, ow, mults, shifts)
    pipelines = {"implicit": compiler.float_pipeline(),
                 "none": compiler.float_pipeline(int8_kernels="none")}
    if compiler.host_int8_kernels() != "none":
        # The same kernels building the padded tensor.
        pipelines["built"] = pipelines["implicit"].replace(
            "int8-kernels=", "int8-implicit-padding=false int8-kernels=")
    assert_exact_under(pipelines, text, "dw", x, want, tmp_path)


@pytest.mark.parametrize("n,h,w,c,k,stride,dil", [
    (1, 5, 5, 8, 3, 1, 1), (2, 9, 11, 12, 3, 2, 1), (1, 7, 9, 42, 3, 1, 2),
    (1, 10, 10, 5, 5, 1, 1), (3, 15, 15, 64, 3, 2, 1),
    # Even filter heights (every filter row in a pair; odd ones leave a
    # single row): 2x2 and 4x4, wide rows of output columns.
    (1, 6, 17, 16, 2, 1, 1), (2, 12, 20, 24, 4, 2, 1)])
def test_int8_depthwise_kernel_exact(tmp_path, n, h, w, c, k, stride, dil):
    # qnt-int8-depthwise-kernels (channel-vectorized, bias start, fused
    # per-channel requantization) against numpy's exact depthwise product +
    # bias through the Python gemmlowp reference; the portable path alike.
    # Channel counts not a multiple of 8 (masked lanes), output widths not
    # a multiple of the column tile, strides and dilations.
    rng = np.random.default_rng(n * 11 + h * 7 + c * 3 + k + stride + dil)
    x = rng.integers(-128, 128, (n, h, w, c), dtype=np.int8)
    wt = rng.integers(-128, 128, (k, k, c, 1), dtype=np.int8)
    x[0, :k, :k, 0] = -128
    wt[:, :, 0, 0] = -128
    bias = rng.integers(-(1 << 16), 1 << 16, c, dtype=np.int64)
    mults = [int(v) for v in rng.integers(1 << 30, I32_MAX, c, endpoint=True)]
    shifts = [int(v) for v in rng.integers(-1, 10, c)]
    oh = (h - dil * (k - 1) - 1) // stride + 1
    ow = (w - dil * (k - 1) - 1) // stride + 1
    t_in, t_w = f"tensor<{n}x{h}x{w}x{c}xi8>", f"tensor<{k}x{k}x{c}x1xi8>"
    t_acc = f"tensor<{n}x{oh}x{ow}x{c}xi32>"
    t_out = f"tensor<{n}x{oh}x{ow}x{c}xi8>"
    text = f"""func.func @dw(%x: {t_in}) -> {t_out} {{
  %w = "tosa.const"() <{{values = dense<"0x{wt.tobytes().hex().upper()}"> : {t_w}}}> : () -> {t_w}
  %b = "tosa.const"() <{{values = dense<{bias.tolist()}> : tensor<{c}xi32>}}> : () -> tensor<{c}xi32>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %acc = tosa.depthwise_conv2d %x, %w, %b, %z, %z {{acc_type = i32, dilation = array<i64: {dil}, {dil}>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: {stride}, {stride}>}} : ({t_in}, {t_w}, tensor<{c}xi32>, tensor<1xi8>, tensor<1xi8>) -> {t_acc}
  %y = qnt.requantize %acc axis 3 multiplier {mults} shift {shifts} output_zp 3 clamp [-128, 127] : {t_acc} -> {t_out}
  return %y : {t_out}
}}"""
    want = depthwise_want(x, wt, bias, stride, dil, oh, ow, mults, shifts)
    assert_exact_under(kernel_pipelines(), text, "dw", x, want,
                       tmp_path)


@pytest.mark.parametrize("m,stride,pad", [(2, 1, 1), (3, 2, 0)])
def test_float_depthwise_channel_multiplier(tmp_path, m, stride, pad):
    # A channel multiplier above 1 (qnt-prepare-convolutions: the HWC form
    # on a channel-repeated input) against numpy in float64: output channel
    # c M + j is input channel c through filter [.., c, j].
    rng = np.random.default_rng(m * 10 + stride)
    n, h, w, c, k = 2, 9, 9, 5, 3
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    wt = rng.standard_normal((k, k, c, m)).astype(np.float32)
    bias = rng.standard_normal(c * m).astype(np.float32)
    xp = np.pad(x.astype(np.float64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    oh = (h + 2 * pad - k) // stride + 1
    ow = (w + 2 * pad - k) // stride + 1
    want = np.zeros((n, oh, ow, c, m))
    for i in range(k):
        for j in range(k):
            win = xp[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
            want += win[..., None] * wt[i, j].astype(np.float64)
    want = want.reshape(n, oh, ow, c * m) + bias
    t_in, t_w = f"tensor<{n}x{h}x{w}x{c}xf32>", f"tensor<{k}x{k}x{c}x{m}xf32>"
    t_b, t_out = f"tensor<{c * m}xf32>", f"tensor<{n}x{oh}x{ow}x{c * m}xf32>"
    text = f"""func.func @dw(%x: {t_in}) -> {t_out} {{
  %w = "tosa.const"() <{{values = dense<"0x{wt.tobytes().hex().upper()}"> : {t_w}}}> : () -> {t_w}
  %b = "tosa.const"() <{{values = dense<"0x{bias.tobytes().hex().upper()}"> : {t_b}}}> : () -> {t_b}
  %z = "tosa.const"() <{{values = dense<0.0> : tensor<1xf32>}}> : () -> tensor<1xf32>
  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {{acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: {pad}, {pad}, {pad}, {pad}>, stride = array<i64: {stride}, {stride}>}} : ({t_in}, {t_w}, {t_b}, tensor<1xf32>, tensor<1xf32>) -> {t_out}
  return %y : {t_out}
}}"""
    got = call(compile_funcs(tmp_path, "dw", text), "dw", x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def _requantize_ref(acc, mults, shifts, ozp):
    """gemmlowp reference per element of [..., C] `acc`, [-128, 127]."""
    return np.vectorize(lambda v, ch: ref_requantize(
        int(v), 0, mults[ch], shifts[ch], ozp, -128, 127, "tflite"))(
        acc, np.arange(acc.shape[-1])[(None,) * (acc.ndim - 1)]).astype(
            np.int64)


@pytest.mark.parametrize("kind", ["conv1x1", "depthwise", "matmul"])
def test_int8_kernels_back_to_back_exact(tmp_path, kind):
    # Two int8 kernels in a row, the first one's fused requantization
    # feeding the second (an MLP's matmuls, pointwise convolutions without a
    # depthwise one between, depthwise ones through a zero-point pad). The
    # kernel passes used to match every op before rewriting any: the second
    # op's input then named the first one's erased epilogue, and qnt-opt
    # crashed. Against numpy and the gemmlowp reference, every layer.
    rng = np.random.default_rng({"conv1x1": 1, "depthwise": 2,
                                 "matmul": 3}[kind])
    c = 24
    m1 = [int(v) for v in rng.integers(1 << 30, I32_MAX, c, endpoint=True)]
    m2 = [int(v) for v in rng.integers(1 << 30, I32_MAX, c, endpoint=True)]
    s1 = [int(v) for v in rng.integers(6, 10, c)]
    s2 = [int(v) for v in rng.integers(6, 10, c)]
    b1 = rng.integers(-(1 << 12), 1 << 12, c, dtype=np.int64)
    b2 = rng.integers(-(1 << 12), 1 << 12, c, dtype=np.int64)
    zp = "%z = \"tosa.const\"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>"

    def const(name, arr, t):
        return (f'%{name} = "tosa.const"() <{{values = dense<"0x'
                f'{arr.tobytes().hex().upper()}"> : {t}}}> : () -> {t}')

    def bias(name, b):
        return (f'%{name} = "tosa.const"() <{{values = dense<{b.tolist()}> '
                f': tensor<{c}xi32>}}> : () -> tensor<{c}xi32>')

    def req(dst, src, mults, shifts, t_acc, t_out):
        return (f"%{dst} = qnt.requantize %{src} axis {t_out.count('x') - 1}"
                f" multiplier {mults} shift {shifts} output_zp -3"
                f" clamp [-128, 127] : {t_acc} -> {t_out}")

    if kind == "conv1x1":
        x = rng.integers(-128, 128, (1, 6, 7, c), dtype=np.int8)
        w1 = rng.integers(-128, 128, (c, 1, 1, c), dtype=np.int8)
        w2 = rng.integers(-128, 128, (c, 1, 1, c), dtype=np.int8)
        ti, ta, tw = (f"tensor<1x6x7x{c}xi8>", f"tensor<1x6x7x{c}xi32>",
                      f"tensor<{c}x1x1x{c}xi8>")
        conv = ("tosa.conv2d %{y}, %{w}, %{b}, %z, %z {{acc_type = i32, "
                "dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, "
                "stride = array<i64: 1, 1>}} : ({ti}, {tw}, tensor<{c}xi32>, "
                "tensor<1xi8>, tensor<1xi8>) -> {ta}")
        body = [const("w1", w1, tw), const("w2", w2, tw), bias("b1", b1),
                bias("b2", b2), zp,
                "%a1 = " + conv.format(y="x", w="w1", b="b1", ti=ti, tw=tw,
                                       c=c, ta=ta),
                req("y1", "a1", m1, s1, ta, ti),
                "%a2 = " + conv.format(y="y1", w="w2", b="b2", ti=ti, tw=tw,
                                       c=c, ta=ta),
                req("y2", "a2", m2, s2, ta, ti)]

        def layer(v, w, b):
            return v.astype(np.int64) @ w.reshape(c, c).T.astype(np.int64) + b
    elif kind == "matmul":
        x = rng.integers(-128, 128, (1, 10, c), dtype=np.int8)
        w1 = rng.integers(-128, 128, (1, c, c), dtype=np.int8)
        w2 = rng.integers(-128, 128, (1, c, c), dtype=np.int8)
        b1[:] = 0
        b2[:] = 0
        ti, ta, tw = (f"tensor<1x10x{c}xi8>", f"tensor<1x10x{c}xi32>",
                      f"tensor<1x{c}x{c}xi8>")
        mm = ("tosa.matmul %{y}, %{w}, %z, %z : ({ti}, {tw}, tensor<1xi8>, "
              "tensor<1xi8>) -> {ta}")
        body = [const("w1", w1, tw), const("w2", w2, tw), zp,
                "%a1 = " + mm.format(y="x", w="w1", ti=ti, tw=tw, ta=ta),
                req("y1", "a1", m1, s1, ta, ti),
                "%a2 = " + mm.format(y="y1", w="w2", ti=ti, tw=tw, ta=ta),
                req("y2", "a2", m2, s2, ta, ti)]

        def layer(v, w, b):
            return v.astype(np.int64) @ w[0].astype(np.int64) + b
    else:
        x = rng.integers(-128, 128, (1, 6, 7, c), dtype=np.int8)
        w1 = rng.integers(-128, 128, (3, 3, c, 1), dtype=np.int8)
        w2 = rng.integers(-128, 128, (3, 3, c, 1), dtype=np.int8)
        ti, ta, tw = (f"tensor<1x6x7x{c}xi8>", f"tensor<1x6x7x{c}xi32>",
                      f"tensor<3x3x{c}x1xi8>")
        tp = f"tensor<1x8x9x{c}xi8>"
        dw = ("tosa.depthwise_conv2d %{y}, %{w}, %{b}, %z, %z {{acc_type = "
              "i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, "
              "0>, stride = array<i64: 1, 1>}} : ({tp}, {tw}, "
              "tensor<{c}xi32>, tensor<1xi8>, tensor<1xi8>) -> {ta}")
        pad = "tosa.pad %{y}, %shape, %pv : ({ti}, !tosa.shape<8>, tensor<1xi8>) -> {tp}"
        body = [const("w1", w1, tw), const("w2", w2, tw), bias("b1", b1),
                bias("b2", b2), zp,
                '%pv = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> '
                ": () -> tensor<1xi8>",
                "%shape = tosa.const_shape {values = dense<[0, 0, 1, 1, 1, 1, "
                "0, 0]> : tensor<8xindex>} : () -> !tosa.shape<8>",
                "%p1 = " + pad.format(y="x", ti=ti, tp=tp),
                "%a1 = " + dw.format(y="p1", w="w1", b="b1", tp=tp, tw=tw,
                                     c=c, ta=ta),
                req("y1", "a1", m1, s1, ta, ti),
                "%p2 = " + pad.format(y="y1", ti=ti, tp=tp),
                "%a2 = " + dw.format(y="p2", w="w2", b="b2", tp=tp, tw=tw,
                                     c=c, ta=ta),
                req("y2", "a2", m2, s2, ta, ti)]

        def layer(v, w, b):
            vp = np.full((1, 8, 9, c), -3, np.int64)
            vp[:, 1:7, 1:8, :] = v
            acc = np.zeros((1, 6, 7, c), np.int64) + b
            for i in range(3):
                for j in range(3):
                    acc += vp[:, i:i + 6, j:j + 7, :] * w[i, j, :, 0]
            return acc
    text = (f"func.func @f(%x: {ti}) -> {ti} {{\n  " + "\n  ".join(body) +
            f"\n  return %y2 : {ti}\n}}")
    y1 = _requantize_ref(layer(x, w1, b1), m1, s1, -3)
    want = _requantize_ref(layer(y1, w2, b2), m2, s2, -3)
    assert_exact_under(kernel_pipelines(), text, "f", x, want,
                       tmp_path)


def test_parallel_library_threads_bit_exact(tmp_path):
    # compile_mlir(parallel=True): the int8 kernels' row loops and the float
    # path's outer tile loops run on OpenMP threads. An int8 depthwise + 1x1
    # block and a float 3x3 convolution give the same bits at 1 and 2
    # threads as the sequential library; a sequential library refuses 2.
    # (parallel_min_work=0: these loops are too small for the default.)
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, (2, 10, 10, 16), dtype=np.int8)
    wd = rng.integers(-128, 128, (3, 3, 16, 1), dtype=np.int8)
    wp = rng.integers(-128, 128, (24, 1, 1, 16), dtype=np.int8)
    xf = rng.standard_normal((2, 10, 10, 8)).astype(np.float32)
    wf = rng.standard_normal((16, 3, 3, 8)).astype(np.float32)
    hexd, hexp = wd.tobytes().hex().upper(), wp.tobytes().hex().upper()
    text = f"""func.func @block(%x: tensor<2x10x10x16xi8>) -> tensor<2x8x8x24xi8> {{
  %wd = "tosa.const"() <{{values = dense<"0x{hexd}"> : tensor<3x3x16x1xi8>}}> : () -> tensor<3x3x16x1xi8>
  %wp = "tosa.const"() <{{values = dense<"0x{hexp}"> : tensor<24x1x1x16xi8>}}> : () -> tensor<24x1x1x16xi8>
  %bd = "tosa.const"() <{{values = dense<100> : tensor<16xi32>}}> : () -> tensor<16xi32>
  %bp = "tosa.const"() <{{values = dense<-7> : tensor<24xi32>}}> : () -> tensor<24xi32>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %a = tosa.depthwise_conv2d %x, %wd, %bd, %z, %z {{acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<2x10x10x16xi8>, tensor<3x3x16x1xi8>, tensor<16xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x8x8x16xi32>
  %q = qnt.requantize %a multiplier [1518500250] shift [8] output_zp -3 clamp [-128, 127] : tensor<2x8x8x16xi32> -> tensor<2x8x8x16xi8>
  %c = tosa.conv2d %q, %wp, %bp, %z, %z {{acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<2x8x8x16xi8>, tensor<24x1x1x16xi8>, tensor<24xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x8x8x24xi32>
  %y = qnt.requantize %c multiplier [1300000000] shift [12] output_zp 5 clamp [-128, 127] : tensor<2x8x8x24xi32> -> tensor<2x8x8x24xi8>
  return %y : tensor<2x8x8x24xi8>
}}
func.func @fconv(%x: tensor<2x10x10x8xf32>) -> tensor<2x8x8x16xf32> {{
  %w = "tosa.const"() <{{values = dense<{wf.tolist()}> : tensor<16x3x3x8xf32>}}> : () -> tensor<16x3x3x8xf32>
  %b = "tosa.const"() <{{values = dense<0.5> : tensor<16xf32>}}> : () -> tensor<16xf32>
  %z = "tosa.const"() <{{values = dense<0.0> : tensor<1xf32>}}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %z, %z {{acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>}} : (tensor<2x10x10x8xf32>, tensor<16x3x3x8xf32>, tensor<16xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x8x8x16xf32>
  return %c : tensor<2x8x8x16xf32>
}}"""
    seq = runtime.CompiledModel(compiler.compile_mlir(text, tmp_path / "seq.so"))
    par = runtime.CompiledModel(compiler.compile_mlir(
        text, tmp_path / "par.so", parallel=True, parallel_min_work=0))
    assert seq.max_threads == 1
    with pytest.raises(runtime.RuntimeError_, match="cannot use 2 threads"):
        seq.set_num_threads(2)
    want_i8, want_f32 = call(seq, "block", x), call(seq, "fconv", xf)
    for n in (1, 2):
        par.set_num_threads(n)
        assert par.max_threads == n
        np.testing.assert_array_equal(call(par, "block", x), want_i8)
        np.testing.assert_array_equal(call(par, "fconv", xf), want_f32)


def test_parallel_min_work_checked(tmp_path):
    # parallel_min_work needs parallel=True, is >= 0, and with an explicit
    # pipeline belongs in it; no library is written.
    text = "func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> { return %x : tensor<4xf32> }"
    out = tmp_path / "m.so"
    for kw, msg in (({"parallel_min_work": 0}, "needs parallel=True"),
                    ({"parallel": True, "parallel_min_work": -1},
                     "must be >= 0"),
                    ({"parallel": True, "parallel_min_work": 5,
                      "pipeline": compiler.float_pipeline(parallel=True)},
                     "explicit pipeline")):
        with pytest.raises(compiler.CompileError, match=msg):
            compiler.compile_mlir(text, out, **kw)
        assert not out.exists()
    assert "parallel-min-work=7" in compiler.float_pipeline(
        parallel=True, parallel_min_work=7)
    assert "parallel-min-work" not in compiler.float_pipeline(parallel=True)


def _conv_requant_case(rng, n, h, w, c, f, k, stride, dil=1, wbits=8,
                       weights=None):
    """A k x k int8 convolution + bias + per-channel requantization and its
    expected codes (numpy + the Python gemmlowp reference); weights on
    `wbits` bits (their extremes included), or `weights` [f, k, k, c] as
    given (activations of -128 and 127 in a corner patch each)."""
    lo, hi = -(1 << (wbits - 1)), (1 << (wbits - 1)) - 1
    x = rng.integers(-128, 128, (n, h, w, c), dtype=np.int8)
    wt = rng.integers(lo, hi + 1, (f, k, k, c), dtype=np.int8)
    x[0, :k, :k, :] = -128
    wt[0] = lo
    if weights is not None:
        wt = weights.astype(np.int8)
        x[-1, -k:, -k:, :] = 127
    elif wbits < 8 and f > 1:
        # The largest pair sums of the u8 x s8 form: activation 127 (255
        # offset) against the extreme weights, -128 (0) against them too.
        wt[1] = hi
        x[-1, -k:, -k:, :] = 127
    bias = rng.integers(-(1 << 16), 1 << 16, f, dtype=np.int64)
    mults = [int(v) for v in rng.integers(1 << 30, I32_MAX, f, endpoint=True)]
    shifts = [int(v) for v in rng.integers(0, 12, f)]
    oh = (h - dil * (k - 1) - 1) // stride + 1
    ow = (w - dil * (k - 1) - 1) // stride + 1
    t_in, t_w = f"tensor<{n}x{h}x{w}x{c}xi8>", f"tensor<{f}x{k}x{k}x{c}xi8>"
    t_acc = f"tensor<{n}x{oh}x{ow}x{f}xi32>"
    t_out = f"tensor<{n}x{oh}x{ow}x{f}xi8>"
    text = f"""func.func @conv(%x: {t_in}) -> {t_out} {{
  %w = "tosa.const"() <{{values = dense<"0x{wt.tobytes().hex().upper()}"> : {t_w}}}> : () -> {t_w}
  %b = "tosa.const"() <{{values = dense<{bias.tolist()}> : tensor<{f}xi32>}}> : () -> tensor<{f}xi32>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %acc = tosa.conv2d %x, %w, %b, %z, %z {{acc_type = i32, dilation = array<i64: {dil}, {dil}>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: {stride}, {stride}>}} : ({t_in}, {t_w}, tensor<{f}xi32>, tensor<1xi8>, tensor<1xi8>) -> {t_acc}
  %y = qnt.requantize %acc axis 3 multiplier {mults} shift {shifts} output_zp 4 clamp [-128, 127] : {t_acc} -> {t_out}
  return %y : {t_out}
}}"""
    acc = np.zeros((n, oh, ow, f), np.int64) + bias
    for i in range(k):
        for j in range(k):
            patch = x[:, i * dil: i * dil + stride * (oh - 1) + 1: stride,
                      j * dil: j * dil + stride * (ow - 1) + 1: stride, :]
            acc += patch.astype(np.int64) @ wt[:, i, j, :].T.astype(np.int64)
    want = np.vectorize(lambda v, ch: ref_requantize(
        int(v), 0, mults[ch], shifts[ch], 4, -128, 127, "tflite"))(
        acc, np.arange(f)[None, None, None, :]).astype(np.int64)
    return text, x, want


@pytest.mark.parametrize("n,h,w,c,f,k,stride,dil", [
    (1, 9, 9, 1, 16, 3, 1, 1), (2, 11, 13, 3, 24, 5, 2, 1),
    (1, 10, 10, 5, 7, 3, 1, 2), (1, 9, 9, 16, 8, 3, 2, 1)])
def test_int8_conv_im2col_kernel_exact(tmp_path, n, h, w, c, f, k, stride, dil):
    # A general (k x k, strided, dilated) int8 convolution through the
    # matmul kernel on its im2col patches, with the bias start and the fused
    # requantization, against numpy + the Python gemmlowp reference (odd
    # K = k k c included); the portable path alike.
    rng = np.random.default_rng(n + h * 3 + c * 5 + f * 7 + k + stride + dil)
    text, x, want = _conv_requant_case(rng, n, h, w, c, f, k, stride, dil)
    assert_exact_under(kernel_pipelines(), text, "conv", x, want,
                       tmp_path)


def _quads_pairs_portable():
    """The pipelines a u8 x s8 quads case must be exact under: the portable
    path, and on an AVX2 host the kernels with the quads (the default) and
    with the i16 pairs (int8-saturation-free-quads=false)."""
    host = compiler.host_int8_kernels()
    pipelines = {"none": compiler.float_pipeline(int8_kernels="none")}
    if host == "avx2":
        pipelines["quads"] = compiler.float_pipeline(int8_kernels=host)
        pipelines["pairs"] = pipelines["quads"].replace(
            "int8-kernels=", "int8-saturation-free-quads=false int8-kernels=")
    return pipelines


@pytest.mark.parametrize("n,h,w,c,f,k,stride", [
    # 1x1 (N = 40: a panel of 2 blocks and one of 1; K = 6: padded to 8),
    # BlazeFace's first convolution (5x5x3, stride 2: K = 75), a 3x3 one,
    # and N below one block.
    (1, 6, 6, 6, 40, 1, 1), (1, 13, 13, 3, 24, 5, 2), (2, 9, 9, 16, 24, 3, 1),
    (1, 5, 7, 32, 5, 1, 1)])
def test_int8_seven_bit_weight_kernels_exact(tmp_path, n, h, w, c, f, k,
                                             stride):
    # Weights in [-64, 63]: qnt-int8-matmul-kernels takes u8 x s8 quads and
    # qnt-select-x86-intrinsics vpmaddubsw + vpmaddwd by ones, exact because
    # no i16 pair sum can saturate (the extremes -64 and 63 against the
    # offset activations 0 and 255 are in the case). Against numpy + the
    # gemmlowp reference, as the i16 pair form (int8-saturation-free-quads=false)
    # and the portable path must be.
    rng = np.random.default_rng(h * 13 + c * 7 + f + k)
    text, x, want = _conv_requant_case(rng, n, h, w, c, f, k, stride,
                                       wbits=7)
    assert_exact_under(_quads_pairs_portable(), text, "conv", x, want,
                       tmp_path)


def _pairable_filter(rng, f, k, c):
    """8-bit weights [f, k, k, c] whose filter rows' k c codes (padded to
    even with a zero weight) can be ordered into pairs with |w0 + w1| <=
    128 in every filter (codes paired within groups of 16, as
    qnt-int8-matmul-kernels reorders them), while their own order has some
    pair over the bound. Filter 1's pairs sum to exactly 128, filter 2's to
    -128 (vpmaddubsw's largest sums against activations of 127, offset to
    255); the others are random under the bound."""
    run = k * c
    stride = run + run % 2
    wt = np.zeros((f, k, stride), np.int64)
    for kh in range(k):
        for g0 in range(0, stride, 16):
            slots = g0 + rng.permutation(min(16, stride - g0))
            for a, b in zip(slots[0::2], slots[1::2]):
                for col in range(f):
                    if col == 1:
                        x = int(rng.integers(1, 128))
                        pair = (x, 128 - x)
                    elif col == 2:
                        x = int(rng.integers(-128, 1))
                        pair = (x, -128 - x)
                    else:
                        x = int(rng.integers(-128, 128))
                        y = int(rng.integers(max(-128, -128 - x),
                                             min(127, 128 - x) + 1))
                        pair = (x, y)
                    # A padding slot (past the run) holds zero: its partner
                    # takes the pair's sum, which is within 8 bits.
                    if b >= run:
                        pair = (int(np.clip(sum(pair), -128, 127)), 0)
                    elif a >= run:
                        pair = (0, int(np.clip(sum(pair), -128, 127)))
                    wt[col, kh, a], wt[col, kh, b] = pair
    assert not wt[:, :, run:].any()
    codes = wt[:, :, :run].reshape(f, k * run)
    natural = np.concatenate([codes, np.zeros((f, (k * run) % 2), np.int64)],
                             axis=1)
    assert (np.abs(natural[:, 0::2] + natural[:, 1::2]) > 128).any()
    return codes.reshape(f, k, k, c)


@pytest.mark.parametrize("n,h,w,c,f,k,stride", [
    # BlazeFace's first convolution (5x5x3, stride 2: rows of 15 codes, one
    # padding slot each), one input channel (rows of 3), an even row (3 x 2
    # codes), rows of 24 codes (groups of 16 and 8); 1x1 convolutions (K
    # reordered as a whole: 40 codes, 21 codes with one left over beside a
    # padding slot).
    (1, 13, 13, 3, 24, 5, 2), (1, 9, 9, 1, 16, 3, 1), (2, 9, 9, 2, 8, 3, 1),
    (1, 8, 8, 8, 16, 3, 1), (1, 6, 6, 40, 24, 1, 1), (2, 5, 7, 21, 17, 1, 1)])
def test_int8_reordered_filter_rows_exact(tmp_path, n, h, w, c, f, k,
                                          stride):
    # 8-bit weights whose filter rows (K, for 1x1) can be reordered into
    # pairs on which vpmaddubsw cannot saturate (and whose own order
    # cannot): qnt-int8-matmul-kernels reorders the packed weights and the
    # im2col runs (the copied activation rows) alike and takes the u8 x s8
    # quads; the library's code has vpmaddubsw, and its results are exact
    # against numpy + the gemmlowp reference, as the i16 pairs'
    # (int8-saturation-free-quads=false) and the portable path's are.
    rng = np.random.default_rng(h * 17 + c * 5 + f + k)
    wt = _pairable_filter(rng, f, k, c)
    text, x, want = _conv_requant_case(rng, n, h, w, c, f, k, stride,
                                       weights=wt)
    assert_exact_under(_quads_pairs_portable(), text, "conv", x, want,
                       tmp_path)
    so = compiler.compile_mlir(text, tmp_path / "v3.so",
                               target_cpu="x86-64-v3")
    dis = subprocess.run([str(compiler.llvm_tool("llvm-objdump")), "-d",
                          str(so)], capture_output=True, text=True).stdout
    assert "vpmaddubsw" in dis


@pytest.mark.parametrize("isa,width", [("avx512vnni", 16), ("avxvnni", 8)])
@pytest.mark.parametrize("n,h,w,c,f,k,stride", [
    (1, 6, 6, 16, 40, 1, 1), (1, 9, 9, 3, 24, 3, 2), (2, 5, 5, 7, 17, 1, 1)])
def test_int8_vnni_kernel_plain_form_exact(tmp_path, isa, width, n, h, w, c,
                                           f, k, stride):
    # The VNNI kernels (avx512vnni: 16 lanes; avxvnni, the ymm vpdpbusd of
    # AVX-VNNI: 8 lanes; K quads, activations offset by +128 and
    # compensated by compile-time weight column sums) with their dot
    # product left in the plain vector form (x86-intrinsics=false): that
    # form runs on any x86 CPU, so the packing and the compensation are
    # checked here even without VNNI hardware. K = 16 / 27 / 7 (padding to
    # quads), N not a multiple of the lanes; 8-bit weights with filters of
    # -128 and 127 against activations of 127 (u8 255) and -128 (u8 0), on
    # which AVX2's vpmaddubsw would saturate: avxvnni takes the quads in K
    # order for any weights.
    rng = np.random.default_rng(h * 11 + c * 5 + f)
    wt = rng.integers(-128, 128, (f, k, k, c), dtype=np.int8)
    wt[0], wt[1] = -128, 127
    text, x, want = _conv_requant_case(rng, n, h, w, c, f, k, stride,
                                       weights=wt)
    pipe = (f"builtin.module(qnt-float-to-llvm{{vector-width={width} "
            f"int8-kernels={isa} x86-intrinsics=false}})")
    so = compiler.compile_mlir(text, tmp_path / f"{isa}.so", pipeline=pipe)
    got = call(runtime.CompiledModel(so), "conv", x)
    np.testing.assert_array_equal(got.astype(np.int64), want)


def test_int8_vnni_kernel_selects_vpdpbusd(tmp_path):
    # For a VNNI target the kernel's dot products are vpdpbusd instructions
    # (disassembled: the library cannot run on this machine unless it has
    # VNNI): on zmm for AVX512-VNNI (Sapphire Rapids, which has AVX-VNNI
    # too), on ymm, VEX-encoded, for AVX-VNNI without AVX-512 (Alder
    # Lake); for an AVX2 target vpmaddwd and no vpdpbusd.
    rng = np.random.default_rng(3)
    text, _, _ = _conv_requant_case(rng, 1, 6, 6, 16, 32, 1, 1)
    assert compiler.target_int8_kernels("sapphirerapids") == "avx512vnni"
    assert compiler.target_int8_kernels("alderlake") == "avxvnni"
    assert compiler.target_int8_kernels("x86-64-v3") == "avx2"
    objdump = compiler.llvm_tool("llvm-objdump")
    for cpu, want, absent in (
            ("sapphirerapids", "vpdpbusd\t%zmm", "vpmaddwd"),
            ("alderlake", "{vex}\tvpdpbusd\t%ymm", "vpmadd"),
            ("x86-64-v3", "vpmaddwd", "vpdpbusd")):
        so = compiler.compile_mlir(text, tmp_path / f"{cpu}.so",
                                   target_cpu=cpu)
        dis = subprocess.run([str(objdump), "-d", str(so)],
                             capture_output=True, text=True).stdout
        assert want in dis, cpu
        assert absent not in dis, cpu
