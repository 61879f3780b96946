"""Float models that are already MLIR (linalg-on-tensors named ops, as other
compilers emit them) compile with qnt's pipeline and compute what numpy
computes."""

import numpy as np
import pytest

from qnt import compiler, runtime

RNG = np.random.default_rng(42)


def conv_ref(x_nhwc, w_hwcf):
    n, h, w, c = x_nhwc.shape
    kh, kw, _, f = w_hwcf.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, f), np.float64)
    for i in range(kh):
        for j in range(kw):
            out += np.einsum("nhwc,cf->nhwf",
                             x_nhwc[:, i:i + out.shape[1], j:j + out.shape[2], :],
                             w_hwcf[i, j])
    return out


def depthwise_ref(x_nhwc, w_hwcm):
    n, h, w, c = x_nhwc.shape
    kh, kw, _, m = w_hwcm.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, c, m), np.float64)
    for i in range(kh):
        for j in range(kw):
            out += (x_nhwc[:, i:i + out.shape[1], j:j + out.shape[2], :, None]
                    * w_hwcm[i, j])
    return out


def build(tmp_path, name, body, args, result):
    sig = ", ".join(f"%{n}: {t}" for n, t in args)
    text = f"""func.func @forward({sig}) -> {result} {{
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : {result}
  %z = linalg.fill ins(%cst : f32) outs(%e : {result}) -> {result}
{body}
  return %r : {result}
}}
"""
    so = compiler.compile_mlir(text, tmp_path / f"{name}.so")
    return runtime.CompiledModel(so)


def run(model, *args):
    out = model(*[np.ascontiguousarray(a, np.float32) for a in args])
    return out[0] if isinstance(out, (list, tuple)) else out


CONV_ATTRS = "{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}"


def test_conv_2d_nhwc_hwcf(tmp_path):
    x = RNG.standard_normal((2, 9, 10, 5))
    w = RNG.standard_normal((3, 3, 5, 16))
    m = build(tmp_path, "hwcf", f"  %r = linalg.conv_2d_nhwc_hwcf {CONV_ATTRS} ins(%x, %w : tensor<2x9x10x5xf32>, tensor<3x3x5x16xf32>) outs(%z : tensor<2x7x8x16xf32>) -> tensor<2x7x8x16xf32>",
              [("x", "tensor<2x9x10x5xf32>"), ("w", "tensor<3x3x5x16xf32>")],
              "tensor<2x7x8x16xf32>")
    np.testing.assert_allclose(run(m, x, w), conv_ref(x, w), rtol=1e-5, atol=1e-5)


def test_conv_2d_nchw_fchw(tmp_path):
    x = RNG.standard_normal((1, 4, 7, 7))
    w = RNG.standard_normal((6, 4, 3, 3))
    m = build(tmp_path, "nchw", f"  %r = linalg.conv_2d_nchw_fchw {CONV_ATTRS} ins(%x, %w : tensor<1x4x7x7xf32>, tensor<6x4x3x3xf32>) outs(%z : tensor<1x6x5x5xf32>) -> tensor<1x6x5x5xf32>",
              [("x", "tensor<1x4x7x7xf32>"), ("w", "tensor<6x4x3x3xf32>")],
              "tensor<1x6x5x5xf32>")
    ref = conv_ref(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0)).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(run(m, x, w), ref, rtol=1e-5, atol=1e-5)


def test_depthwise_conv_2d_nhwc_hwc(tmp_path):
    x = RNG.standard_normal((1, 8, 8, 32))
    w = RNG.standard_normal((3, 3, 32))
    m = build(tmp_path, "dw", f"  %r = linalg.depthwise_conv_2d_nhwc_hwc {CONV_ATTRS} ins(%x, %w : tensor<1x8x8x32xf32>, tensor<3x3x32xf32>) outs(%z : tensor<1x6x6x32xf32>) -> tensor<1x6x6x32xf32>",
              [("x", "tensor<1x8x8x32xf32>"), ("w", "tensor<3x3x32xf32>")],
              "tensor<1x6x6x32xf32>")
    np.testing.assert_allclose(run(m, x, w), depthwise_ref(x, w[..., None])[..., 0],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("mult", [1, 2])
def test_depthwise_conv_2d_nhwc_hwcm(tmp_path, mult):
    x = RNG.standard_normal((1, 6, 6, 4))
    w = RNG.standard_normal((3, 3, 4, mult))
    out = f"tensor<1x4x4x4x{mult}xf32>"
    m = build(tmp_path, f"dwm{mult}", f"  %r = linalg.depthwise_conv_2d_nhwc_hwcm {CONV_ATTRS} ins(%x, %w : tensor<1x6x6x4xf32>, tensor<3x3x4x{mult}xf32>) outs(%z : {out}) -> {out}",
              [("x", "tensor<1x6x6x4xf32>"), ("w", f"tensor<3x3x4x{mult}xf32>")], out)
    np.testing.assert_allclose(run(m, x, w), depthwise_ref(x, w), rtol=1e-5, atol=1e-5)


def test_matmul_and_batch_matmul(tmp_path):
    a = RNG.standard_normal((16, 128))
    b = RNG.standard_normal((128, 48))
    m = build(tmp_path, "mm", "  %r = linalg.matmul ins(%a, %b : tensor<16x128xf32>, tensor<128x48xf32>) outs(%z : tensor<16x48xf32>) -> tensor<16x48xf32>",
              [("a", "tensor<16x128xf32>"), ("b", "tensor<128x48xf32>")], "tensor<16x48xf32>")
    np.testing.assert_allclose(run(m, a, b), a @ b, rtol=1e-5, atol=1e-4)
    a3 = RNG.standard_normal((3, 5, 7))
    b3 = RNG.standard_normal((3, 7, 9))
    m3 = build(tmp_path, "bmm", "  %r = linalg.batch_matmul ins(%a, %b : tensor<3x5x7xf32>, tensor<3x7x9xf32>) outs(%z : tensor<3x5x9xf32>) -> tensor<3x5x9xf32>",
               [("a", "tensor<3x5x7xf32>"), ("b", "tensor<3x7x9xf32>")], "tensor<3x5x9xf32>")
    np.testing.assert_allclose(run(m3, a3, b3), a3 @ b3, rtol=1e-5, atol=1e-5)


def test_elementwise_named_and_generic(tmp_path):
    a = RNG.standard_normal((4, 33))
    b = RNG.standard_normal((4, 33))
    body = """  %s = linalg.mul ins(%a, %b : tensor<4x33xf32>, tensor<4x33xf32>) outs(%z : tensor<4x33xf32>) -> tensor<4x33xf32>
  %t = linalg.sub ins(%s, %a : tensor<4x33xf32>, tensor<4x33xf32>) outs(%z : tensor<4x33xf32>) -> tensor<4x33xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%t : tensor<4x33xf32>) outs(%z : tensor<4x33xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %cst : f32
    linalg.yield %m : f32
  } -> tensor<4x33xf32>"""
    m = build(tmp_path, "ew", body, [("a", "tensor<4x33xf32>"), ("b", "tensor<4x33xf32>")],
              "tensor<4x33xf32>")
    np.testing.assert_allclose(run(m, a, b), np.maximum(a * b - a, 0), rtol=1e-6, atol=1e-6)


def test_function_names_that_are_not_c_identifiers(tmp_path):
    # MLIR from other compilers often names its entry `main` (StableHLO,
    # IREE); symbols may also be C keywords or hold '.' / '$'. The C
    # wrapper binds each through an asm label, so every one compiles and is
    # callable by its MLIR name.
    names = ["main", "int", "model.v2", "f$1"]
    text = "\n".join(
        f"""func.func @"{n}"(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {{
  %c = arith.constant dense<{k}.0> : tensor<2x3xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %r = linalg.add ins(%a, %c : tensor<2x3xf32>, tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}}""" for k, n in enumerate(names))
    m = runtime.CompiledModel(compiler.compile_mlir(text, tmp_path / "names.so"))
    a = RNG.standard_normal((2, 3)).astype(np.float32)
    for k, n in enumerate(names):
        np.testing.assert_array_equal(run(m[n], a), a + np.float32(k))
