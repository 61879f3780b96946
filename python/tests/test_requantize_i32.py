"""The 32-bit requantization (FixedPoint.h, i32Rescale): where the
multipliers have enough trailing zero bits for the bounds of the
accumulators (read off the constant weights and bias, ValueRanges.h), the
lowering requantizes with one i32 multiply, add and shift, fused into the
int8 kernels' epilogues. Compiled to native code and compared with the
Python big-integer definitions of every rounding mode (fixedpoint_ref), on
inputs that reach the accumulators' extremes."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qnt import compiler, runtime
from qnt.quantize import QuantizeError, quantize_text
from qnt.tools import qnt_tool

from fixedpoint_ref import ref_requantize

REPO = Path(__file__).resolve().parents[2]
FMNIST = REPO / "models" / "fmnist_mobilenet.onnx"

TO_LINALG = ("builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,"
             "tosa-to-arith,tosa-to-tensor),convert-qnt-to-linalg)")
I64_MATH = re.compile(r"arith\.(muli|extsi|addi)\b[^\n]*(: i64|to i64)")


def short_multipliers(rng, bounds, shifts, mode):
    """Per channel a Q31 multiplier in [2^30, 2^31) whose low t bits are
    zero, t the fewest for which the rounding constants and the product of
    every accumulator in +-bound stay in i32 (B + 2^n + 1 <= 2^t, with some
    channels at exactly that many bits); channel 0 is 2^30 (ties)."""
    mults = []
    for c, (b, n) in enumerate(zip(bounds, shifts)):
        t = int(b + (1 << max(n, 0)) + 1).bit_length()
        m = int(rng.integers(1 << 30, 1 << 31))
        m = (m >> t) << t
        mults.append(max(m, 1 << 30) if c else 1 << 30)
    return mults


def conv_case(rng, kind, mode):
    """An int8 layer (TOSA, constant weights and bias) and its requantize,
    an input with pixels at the accumulators' extremes, and the exact
    expected codes."""
    if kind == "conv1x1":
        n, h, w, c, f, k, stride = 1, 4, 5, 24, 20, 1, 1
    elif kind == "conv3x3":
        n, h, w, c, f, k, stride = 1, 7, 7, 5, 12, 3, 2
    else:  # depthwise
        n, h, w, c, f, k, stride = 2, 6, 7, 20, 20, 3, 1
    dw = kind == "depthwise"
    wt = rng.integers(-127, 128, (k, k, c, 1) if dw else (f, k, k, c),
                      dtype=np.int8)
    wt.flat[0] = -128
    bias = rng.integers(-(1 << 14), 1 << 14, f, dtype=np.int64)
    per_channel = wt.reshape(k * k, c).T if dw else wt.reshape(f, -1)
    w64 = per_channel.astype(np.int64)
    hi = bias + np.maximum(w64 * 127, w64 * -128).sum(1)
    lo = bias + np.minimum(w64 * 127, w64 * -128).sum(1)
    bounds = [int(max(abs(a), abs(b))) for a, b in zip(lo, hi)]
    shifts = [int(v) for v in rng.integers(2, 11, f)]
    mults = short_multipliers(rng, bounds, shifts, mode)
    x = rng.integers(-128, 128, (n, h, w, c), dtype=np.int8)
    # Pixels (windows) at the accumulators' extremes: the sign pattern of
    # channel 0's weights (each channel's, depthwise) and its opposite.
    sign = np.where(per_channel[0] >= 0, 127, -128).astype(np.int8)
    if dw:
        # Each channel's own tap signs in one window, the opposite in another.
        taps = np.where(wt[:, :, :, 0] >= 0, 127, -128).astype(np.int8)
        x[0, :k, :k, :] = taps
        x[-1, -k:, -k:, :] = np.where(taps > 0, -128, 127)
    elif k == 1:
        x[0, 0, 0, :] = sign
        x[0, 0, 1, :] = np.where(sign > 0, -128, 127)
        x[0, 0, 2, :] = -128
        x[0, 0, 3, :] = 127
    else:
        x[0, :k, :k, :] = sign.reshape(k, k, c)
        x[0, -k:, -k:, :] = np.where(sign > 0, -128, 127).reshape(k, k, c)
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    t_in = f"tensor<{n}x{h}x{w}x{c}xi8>"
    t_w = f"tensor<{k}x{k}x{c}x1xi8>" if dw else f"tensor<{f}x{k}x{k}x{c}xi8>"
    t_acc, t_out = (f"tensor<{n}x{oh}x{ow}x{f}xi32>",
                    f"tensor<{n}x{oh}x{ow}x{f}xi8>")
    op = "tosa.depthwise_conv2d" if dw else "tosa.conv2d"
    text = f"""func.func @layer(%x: {t_in}) -> {t_out} {{
  %w = "tosa.const"() <{{values = dense<"0x{wt.tobytes().hex().upper()}"> : {t_w}}}> : () -> {t_w}
  %b = "tosa.const"() <{{values = dense<{bias.tolist()}> : tensor<{f}xi32>}}> : () -> tensor<{f}xi32>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %acc = {op} %x, %w, %b, %z, %z {{acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: {stride}, {stride}>}} : ({t_in}, {t_w}, tensor<{f}xi32>, tensor<1xi8>, tensor<1xi8>) -> {t_acc}
  %y = qnt.requantize %acc axis 3 multiplier {mults} shift {shifts} output_zp -7 clamp [-128, 127] rounding {mode} : {t_acc} -> {t_out}
  return %y : {t_out}
}}"""
    acc = np.zeros((n, oh, ow, f), np.int64) + bias
    for i in range(k):
        for j in range(k):
            patch = x[:, i: i + stride * (oh - 1) + 1: stride,
                      j: j + stride * (ow - 1) + 1: stride, :].astype(np.int64)
            if dw:
                acc += patch * wt[i, j, :, 0].astype(np.int64)
            else:
                acc += patch @ wt[:, i, j, :].T.astype(np.int64)
    # Channel 0's extremes are reached (every channel's for depthwise).
    reached = [0] if not dw else range(f)
    for ch in reached:
        assert acc[..., ch].max() == hi[ch] and acc[..., ch].min() == lo[ch]
    want = np.vectorize(lambda v, ch: ref_requantize(
        int(v), 0, mults[ch], shifts[ch], -7, -128, 127, mode))(
        acc, np.arange(f)[None, None, None, :]).astype(np.int64)
    return text, x, want


@pytest.mark.parametrize("kind", ["conv1x1", "conv3x3", "depthwise"])
@pytest.mark.parametrize("mode", ["tflite", "single_round", "double_round"])
def test_i32_requantization_exact(tmp_path, kind, mode):
    rng = np.random.default_rng(len(kind) * 31 + len(mode))
    text, x, want = conv_case(rng, kind, mode)
    # The lowering chose the 32-bit form (no 64-bit arithmetic left).
    lowered = subprocess.run(
        [str(qnt_tool("qnt-opt")), f"--pass-pipeline={TO_LINALG}"],
        input=text, capture_output=True, text=True, check=True).stdout
    assert not I64_MATH.search(lowered), I64_MATH.search(lowered).group(0)
    for kernels in {compiler.host_int8_kernels(), "none"}:
        so = compiler.compile_mlir(
            text, tmp_path / f"{kind}_{kernels}.so",
            pipeline=compiler.float_pipeline(int8_kernels=kernels))
        got = runtime.CompiledModel(so)["layer"](x)
        got = got[0] if isinstance(got, (list, tuple)) else got
        np.testing.assert_array_equal(got.astype(np.int64), want,
                                      err_msg=f"int8-kernels={kernels}")


def test_odd_multiplier_keeps_the_64_bit_product(tmp_path):
    # The same layer with channel 1's multiplier made odd (no trailing zero
    # bits): no 32-bit form for that channel, so the lowering keeps the
    # general one for the op, still exact.
    rng = np.random.default_rng(3)
    text, x, _ = conv_case(rng, "conv1x1", "tflite")
    m = re.search(r"multiplier \[(\d+), (\d+),", text)
    odd = int(m.group(2)) + 1
    text = text.replace(f"[{m.group(1)}, {m.group(2)},",
                        f"[{m.group(1)}, {odd},")
    lowered = subprocess.run(
        [str(qnt_tool("qnt-opt")), f"--pass-pipeline={TO_LINALG}"],
        input=text, capture_output=True, text=True, check=True).stdout
    assert I64_MATH.search(lowered)
    mults = [int(v) for v in re.search(r"multiplier \[([^\]]*)\]", text)
             .group(1).split(",")]
    shifts = [int(v) for v in re.search(r"shift \[([^\]]*)\]", text)
              .group(1).split(",")]
    so = compiler.compile_mlir(text, tmp_path / "odd.so")
    got = runtime.CompiledModel(so)["layer"](x)
    got = got[0] if isinstance(got, (list, tuple)) else got
    # Channel 1 against the reference (the others are unchanged).
    wt_hex = re.search(r'dense<"0x([0-9A-F]+)"> : tensor<20x1x1x24xi8>', text)
    wt = np.frombuffer(bytes.fromhex(wt_hex.group(1)), np.int8).reshape(20, 24)
    bias = [int(v) for v in re.search(r"dense<\[([^\]]*)\]> : tensor<20xi32>",
                                      text).group(1).split(",")]
    acc = x.reshape(-1, 24).astype(np.int64) @ wt[1].astype(np.int64) + bias[1]
    want = [ref_requantize(int(v), 0, mults[1], shifts[1], -7, -128, 127,
                           "tflite") for v in acc]
    np.testing.assert_array_equal(got[..., 1].reshape(-1), want)


@pytest.mark.parametrize("bits", [0, 32, "11"])
def test_bad_min_multiplier_bits(bits):
    with pytest.raises(QuantizeError, match="min_multiplier_bits must be"):
        quantize_text("", "w8a8-per-channel", min_multiplier_bits=bits)


@pytest.mark.parametrize("bits", ["0", "32"])
def test_cli_bad_min_multiplier_bits_fails_before_calibrating(tmp_path, bits):
    # qnt quantize checks the option before it calibrates: a clear error,
    # a non-zero exit and no output directory.
    out = tmp_path / "out"
    p = subprocess.run(
        [sys.executable, "-m", "qnt", "quantize", str(FMNIST), "-o", str(out),
         "--min-multiplier-bits", bits, "--quiet"],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(REPO / "python")))
    assert p.returncode != 0
    assert f"--min-multiplier-bits must be in 1..31, got {bits}" in p.stderr
    assert "Traceback" not in p.stderr
    assert not out.exists()


def test_quantize_model_bad_min_multiplier_bits_fails_first(tmp_path):
    # The Python entry point checks the option before it imports, calibrates
    # or writes anything.
    from qnt.quantize import quantize_model
    out = tmp_path / "out"
    with pytest.raises(QuantizeError, match="min_multiplier_bits must be in "
                                            "1..31, got 40"):
        quantize_model(FMNIST, "w8a8-per-channel", out,
                       min_multiplier_bits=40)
    assert not out.exists()
