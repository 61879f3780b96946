"""Layout: NCHW ONNX graphs run NHWC inside with transposes only at the edges.

Each test checks the number of tosa.transpose ops in the imported module and
the numbers against the numpy reference (conftest.Ref).
"""

import numpy as np

RNG = np.random.RandomState(7)


def rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def close(a, b, tol=1e-4):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def transposes(mlir):
    return mlir.count('"tosa.transpose"')


def test_cnn_has_one_transpose_at_the_input(build, compile_run, ref):
    x = rand(2, 3, 12, 12)
    w1, b1 = rand(8, 3, 3, 3), rand(8)
    s, bb, mu, var = rand(8), rand(8), rand(8), np.abs(rand(8)) + 0.5
    wd = rand(8, 1, 3, 3)
    fc, fb = rand(5, 8), rand(5)
    m = build()
    m.input("x", x.shape)
    c1 = m.node("Conv", ["x", m.const(w1), m.const(b1)], pads=[1, 1, 1, 1])
    bn = m.node("BatchNormalization", [c1, m.const(s), m.const(bb),
                                       m.const(mu), m.const(var)])
    r = m.node("Relu", [bn])
    p = m.node("MaxPool", [r], kernel_shape=[2, 2], strides=[2, 2])
    d = m.node("Conv", [p, m.const(wd)], group=8, pads=[1, 1, 1, 1])
    c6 = m.node("Clip", [d, m.const(np.float32(0)), m.const(np.float32(6))])
    add = m.node("Add", [c6, p])
    g = m.node("GlobalAveragePool", [add])
    f = m.node("Flatten", [g])
    m.output(m.node("Gemm", [f, m.const(fc), m.const(fb)], transB=1))
    (got,), mlir = compile_run(m.model(), {"x": x})
    assert transposes(mlir) == 1
    assert "BatchNorm" not in mlir and mlir.count('"tosa.conv2d"') == 1
    h = np.maximum(ref.batchnorm(ref.conv(x, w1, b1, pads=(1, 1, 1, 1)),
                                 s, bb, mu, var), 0)
    h = ref.pool(h, "max", (2, 2), (2, 2))
    h = np.clip(ref.conv(h, wd, None, pads=(1, 1, 1, 1), group=8), 0, 6) + h
    want = h.mean(axis=(2, 3)) @ fc.T + fb
    close(got, want)


def test_flatten_permutation_folds_into_gemm_weights(build, compile_run,
                                                     ref):
    x = rand(2, 4, 5, 6)
    w = rand(3, 4, 3, 3)
    fc = rand(3 * 3 * 3, 7)
    m = build()
    m.input("x", x.shape)
    c = m.node("Conv", ["x", m.const(w)], strides=[2, 2], pads=[1, 1, 1, 1])
    f = m.node("Flatten", [m.node("Relu", [c])])
    m.output(m.node("MatMul", [f, m.const(fc)]))
    (got,), mlir = compile_run(m.model(), {"x": x})
    # Only the input is transposed: the flattened NHWC activations meet a
    # row-permuted weight matrix.
    assert transposes(mlir) == 1
    h = np.maximum(ref.conv(x, w, None, (2, 2), (1, 1, 1, 1)), 0)
    close(got, h.reshape(2, -1) @ fc)


def test_nhwc_model_with_boundary_transposes_needs_none(build, compile_run,
                                                        ref):
    """TF-converted models wrap convs in Transpose nodes: they cancel."""
    x = rand(1, 8, 8, 3)
    w = rand(4, 3, 3, 3)
    m = build()
    m.input("x", x.shape)
    t = m.node("Transpose", ["x"], perm=[0, 3, 1, 2])
    c = m.node("Conv", [t, m.const(w)], pads=[1, 1, 1, 1])
    back = m.node("Transpose", [c], perm=[0, 2, 3, 1])
    m.output(m.node("Reshape", [back, m.const(np.array([1, -1, 2],
                                                       np.int64))]))
    (got,), mlir = compile_run(m.model(), {"x": x})
    assert transposes(mlir) == 0
    want = ref.conv(x.transpose(0, 3, 1, 2), w, None, pads=(1, 1, 1, 1))
    close(got, want.transpose(0, 2, 3, 1).reshape(1, -1, 2))


def test_axis_ops_stay_nhwc(build, compile_run, ref):
    """Concat/Softmax/Slice/Pad/Resize on conv outputs remap axes instead of
    converting back to NCHW: one transpose in, one out."""
    x = rand(1, 3, 6, 6)
    wa, wb = rand(4, 3, 1, 1), rand(2, 3, 3, 3)
    m = build()
    m.input("x", x.shape)
    a = m.node("Conv", ["x", m.const(wa)])
    b = m.node("Conv", ["x", m.const(wb)], pads=[1, 1, 1, 1])
    cat = m.node("Concat", [a, b], axis=1)
    sm = m.node("Softmax", [cat], axis=1)
    sl = m.node("Slice", [sm, m.const(np.array([1, 1], np.int64)),
                          m.const(np.array([5, 6], np.int64)),
                          m.const(np.array([1, 2], np.int64))])
    pd = m.node("Pad", [sl, m.const(np.array([0, 0, 1, 0, 0, 0, 0, 2],
                                             np.int64))])
    rs = m.node("Resize", [pd, m.const(np.zeros([0], np.float32)),
                           m.const(np.array([1, 1, 2, 2], np.float32))],
                mode="nearest")
    m.output(rs)
    (got,), mlir = compile_run(m.model(), {"x": x})
    assert transposes(mlir) == 2
    h = np.concatenate([ref.conv(x, wa), ref.conv(x, wb,
                                                  pads=(1, 1, 1, 1))], 1)
    h = ref.softmax(h, 1)[:, 1:5, 1:6]
    h = np.pad(h, ((0, 0), (0, 0), (1, 0), (0, 2)))
    want = h.repeat(2, axis=2).repeat(2, axis=3)
    close(got, want)


def test_mixed_layout_operands_transpose_once(build, compile_run, ref):
    """The NCHW input joins an NHWC conv result twice: transposed once."""
    x = rand(1, 4, 5, 5)
    w = rand(4, 4, 3, 3)
    m = build()
    m.input("x", x.shape)
    c = m.node("Conv", ["x", m.const(w)], pads=[1, 1, 1, 1])
    a1 = m.node("Add", [c, "x"])
    a2 = m.node("Mul", [a1, "x"])
    m.output(a2)
    (got,), mlir = compile_run(m.model(), {"x": x})
    assert transposes(mlir) == 2     # input once, output once
    close(got, (ref.conv(x, w, pads=(1, 1, 1, 1)) + x) * x)
