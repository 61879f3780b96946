"""Operator numerics: ONNX model -> qnt (import, compile, run) vs numpy.

Expected values come from the independent numpy code in conftest.Ref or
direct numpy expressions, never from the importer's own folding code.
"""

import numpy as np
import pytest

RNG = np.random.RandomState(1234)


def rand(*shape):
    return RNG.uniform(-1, 1, shape).astype(np.float32)


def close(a, b, tol=1e-4):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("cfg", [
    dict(group=1, strides=(1, 1), pads=(1, 1, 1, 1), dil=(1, 1)),
    dict(group=1, strides=(2, 1), pads=(0, 2, 1, 0), dil=(1, 1)),
    dict(group=1, strides=(1, 1), pads=(2, 2, 2, 2), dil=(2, 2)),
    dict(group=2, strides=(1, 2), pads=(1, 0, 1, 0), dil=(1, 1)),
    dict(group=4, strides=(2, 2), pads=(1, 1, 1, 1), dil=(1, 1)),   # dw
    dict(group=4, mult=2, strides=(1, 1), pads=(1, 1, 1, 1), dil=(1, 1)),
    dict(group=1, strides=(3, 3), pads=(0, 0, 0, 0), dil=(1, 1)),   # crop
])
def test_conv(cfg, build, compile_run, ref):
    c = 4
    og = cfg.get("mult", 2) * cfg["group"] if cfg["group"] > 1 else 6
    if cfg["group"] == 4:
        og = 4 * cfg.get("mult", 1)
    x = rand(2, c, 9, 8)
    w = rand(og, c // cfg["group"], 3, 3)
    b = rand(og)
    m = build()
    m.input("x", x.shape)
    y = m.node("Conv", ["x", m.const(w), m.const(b)], group=cfg["group"],
               strides=list(cfg["strides"]), pads=list(cfg["pads"]),
               dilations=list(cfg["dil"]))
    m.output(y)
    (got,), mlir = compile_run(m.model(), {"x": x})
    want = ref.conv(x, w, b, cfg["strides"], cfg["pads"], cfg["dil"],
                    cfg["group"])
    close(got, want)
    if cfg["group"] == 4:
        assert "tosa.depthwise_conv2d" in mlir


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_conv_auto_pad(auto_pad, build, compile_run, ref):
    x = rand(1, 3, 7, 6)
    w = rand(5, 3, 4, 3)
    m = build()
    m.input("x", x.shape)
    y = m.node("Conv", ["x", m.const(w)], auto_pad=auto_pad, strides=[2, 2])
    m.output(y)
    (got,), _ = compile_run(m.model(), {"x": x})
    if auto_pad == "VALID":
        pads = (0, 0, 0, 0)
    else:
        # out = ceil(in / s); total = (out - 1) * s + k - in
        th = (4 - 1) * 2 + 4 - 7
        tw = (3 - 1) * 2 + 3 - 6
        if auto_pad == "SAME_UPPER":
            pads = (th // 2, tw // 2, th - th // 2, tw - tw // 2)
        else:
            pads = (th - th // 2, tw - tw // 2, th // 2, tw // 2)
    close(got, ref.conv(x, w, None, (2, 2), pads))


def test_conv1d(build, compile_run, ref):
    x = rand(2, 3, 11)
    w = rand(4, 3, 3)
    m = build()
    m.input("x", x.shape)
    y = m.node("Conv", ["x", m.const(w)], pads=[1, 2], strides=[2])
    m.output(y)
    (got,), _ = compile_run(m.model(), {"x": x})
    want = ref.conv(x[:, :, None], w[:, :, None], None, (1, 2), (0, 1, 0, 2))
    close(got, want[:, :, 0])


@pytest.mark.parametrize("kind,cfg", [
    ("max", dict(k=(3, 3), s=(2, 2), p=(1, 1, 1, 1), ceil=0)),
    ("max", dict(k=(3, 2), s=(2, 2), p=(0, 0, 0, 0), ceil=1)),
    ("avg", dict(k=(3, 3), s=(2, 2), p=(1, 1, 1, 1), ceil=0, cip=0)),
    ("avg", dict(k=(3, 3), s=(2, 2), p=(1, 1, 1, 1), ceil=0, cip=1)),
    ("avg", dict(k=(2, 3), s=(2, 2), p=(0, 1, 0, 1), ceil=1, cip=0)),
    ("avg", dict(k=(3, 3), s=(3, 3), p=(1, 0, 1, 0), ceil=1, cip=1)),
])
def test_pool(kind, cfg, build, compile_run, ref):
    x = rand(2, 3, 10, 9)
    m = build()
    m.input("x", x.shape)
    attrs = dict(kernel_shape=list(cfg["k"]), strides=list(cfg["s"]),
                 pads=list(cfg["p"]), ceil_mode=cfg["ceil"])
    if kind == "avg":
        attrs["count_include_pad"] = cfg["cip"]
    y = m.node("MaxPool" if kind == "max" else "AveragePool", ["x"], **attrs)
    m.output(y)
    (got,), _ = compile_run(m.model(), {"x": x})
    want = ref.pool(x, kind, cfg["k"], cfg["s"], cfg["p"], bool(cfg["ceil"]),
                    bool(cfg.get("cip", 0)))
    close(got, want)


def test_gemm_attrs(build, compile_run):
    a = rand(5, 3)          # transA: [K, M] = [5, 3] -> M = 3
    b = rand(4, 5)          # transB: [N, K]
    c = rand(4)
    m = build()
    m.input("a", a.shape)
    m.input("b", b.shape)
    y = m.node("Gemm", ["a", "b", m.const(c)], alpha=0.5, beta=2.0,
               transA=1, transB=1)
    m.output(y)
    (got,), _ = compile_run(m.model(), {"a": a, "b": b})
    close(got, 0.5 * a.T @ b.T + 2.0 * c)


@pytest.mark.parametrize("sa,sb", [((2, 3, 4, 5), (5, 6)),
                                   ((3, 4, 5), (1, 5, 2)),
                                   ((4,), (2, 4, 3)),
                                   ((2, 1, 3, 4), (1, 5, 4, 2)),
                                   ((3, 4), (4,))])
def test_matmul_broadcast(sa, sb, build, compile_run):
    a, b = rand(*sa), rand(*sb)
    m = build()
    m.input("a", a.shape)
    m.input("b", b.shape)
    m.output(m.node("MatMul", ["a", "b"]))
    (got,), _ = compile_run(m.model(), {"a": a, "b": b})
    close(got, np.matmul(a, b))


def test_elementwise_broadcast_and_activations(build, compile_run):
    x = rand(2, 3, 4, 5) * 8
    y = rand(3, 1, 5)
    m = build()
    m.input("x", x.shape)
    m.input("y", y.shape)
    s = m.node("Add", ["x", "y"])
    d = m.node("Div", [s, m.const(np.float32(3.0))])
    sub = m.node("Sub", [m.const(np.float32(1.0)), d])
    mul = m.node("Mul", [sub, "y"])
    outs = [m.node("Relu", [mul]),
            m.node("Clip", [mul, m.const(np.float32(0)),
                            m.const(np.float32(6))]),
            m.node("Sigmoid", [mul]),
            m.node("HardSigmoid", [mul], alpha=0.3, beta=0.4),
            m.node("HardSwish", [mul]),
            m.node("Tanh", [mul]),
            m.node("LeakyRelu", [mul], alpha=0.2)]
    for o in outs:
        m.output(o)
    got, _ = compile_run(m.model(), {"x": x, "y": y})
    v = (1 - (x + y) / 3) * y
    want = [np.maximum(v, 0), np.clip(v, 0, 6), 1 / (1 + np.exp(-v)),
            np.clip(0.3 * v + 0.4, 0, 1), v * np.clip(v / 6 + 0.5, 0, 1),
            np.tanh(v), np.where(v > 0, v, 0.2 * v)]
    for g, w in zip(got, want):
        close(g, w)


def test_clip_old_opset_attributes(build, compile_run):
    x = rand(3, 4) * 10
    m = build(opset=6)
    m.input("x", x.shape)
    m.output(m.node("Clip", ["x"], min=-1.5, max=2.0))
    (got,), _ = compile_run(m.model(), {"x": x})
    close(got, np.clip(x, -1.5, 2.0))


def test_batchnorm_unfolded(build, compile_run, ref):
    x = rand(2, 4, 3, 3)
    s, b, mu = rand(4), rand(4), rand(4)
    var = np.abs(rand(4)) + 0.5
    m = build()
    m.input("x", x.shape)
    m.output(m.node("BatchNormalization",
                    ["x", m.const(s), m.const(b), m.const(mu),
                     m.const(var)], epsilon=1e-3))
    (got,), _ = compile_run(m.model(), {"x": x})
    close(got, ref.batchnorm(x, s, b, mu, var, 1e-3))


def test_softmax_axes(build, compile_run, ref):
    x = rand(2, 3, 4) * 5
    m = build()
    m.input("x", x.shape)
    m.output(m.node("Softmax", ["x"], axis=1))
    m.output(m.node("Softmax", ["x"]))
    got, _ = compile_run(m.model(), {"x": x})
    close(got[0], ref.softmax(x, 1))
    close(got[1], ref.softmax(x, -1))
    m = build(opset=11)           # coerced-to-2D semantics before opset 13
    m.input("x", x.shape)
    m.output(m.node("Softmax", ["x"], axis=1))
    (old,), _ = compile_run(m.model(), {"x": x})
    close(old, ref.softmax(x.reshape(2, 12), 1).reshape(x.shape))


def test_resize_nearest_and_linear(build, compile_run, ref):
    x = rand(1, 2, 4, 5)
    m = build()
    m.input("x", x.shape)
    empty = m.const(np.zeros([0], np.float32))
    near = m.node("Resize", ["x", empty, m.const(np.array(
        [1, 1, 2, 3], np.float32))], mode="nearest",
        coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    lin = m.node("Resize", ["x", empty, empty,
                            m.const(np.array([1, 2, 7, 9], np.int64))],
                 mode="linear")
    m.output(near)
    m.output(lin)
    got, _ = compile_run(m.model(), {"x": x})
    close(got[0], ref.resize_nearest_asymmetric(x, 2, 3))
    close(got[1], ref.resize_linear_half_pixel(x, 7, 9))


def test_shape_ops(build, compile_run):
    x = rand(2, 3, 4, 5)
    m = build()
    m.input("x", x.shape)
    t = m.node("Transpose", ["x"], perm=[0, 2, 3, 1])
    r = m.node("Reshape", [t, m.const(np.array([0, -1, 5], np.int64))])
    u = m.node("Unsqueeze", [r, m.const(np.array([1], np.int64))])
    sq = m.node("Squeeze", [u, m.const(np.array([1], np.int64))])
    f = m.node("Flatten", ["x"], axis=2)
    sl = m.node("Slice", ["x", m.const(np.array([0, 3, 1], np.int64)),
                          m.const(np.array([2, -5, 100], np.int64)),
                          m.const(np.array([1, 3, 2], np.int64)),
                          m.const(np.array([1, -2, 2], np.int64))])
    parts = m.node("Split", ["x", m.const(np.array([1, 3], np.int64))],
                   n_out=2, axis=2)
    cat = m.node("Concat", [parts[1], parts[0]], axis=2)
    pad_c = m.node("Pad", ["x", m.const(np.array([0, 1, 0, 2, 0, 0, 1, 0],
                                                 np.int64)),
                           m.const(np.float32(-3))])
    pad_r = m.node("Pad", ["x", m.const(np.array([0, 0, 2, 1, 0, 0, 1, 3],
                                                 np.int64))],
                   mode="reflect")
    pad_e = m.node("Pad", ["x", m.const(np.array([0, 0, 2, 1, 0, 0, 1, 3],
                                                 np.int64))], mode="edge")
    g = m.node("Gather", ["x", m.const(np.array([[3, 0], [-1, 1]],
                                                np.int64))], axis=3)
    for o in (sq, f, sl, cat, pad_c, pad_r, pad_e, g):
        m.output(o)
    got, _ = compile_run(m.model(), {"x": x})
    width = ((0, 0), (0, 0), (2, 1), (1, 3))
    want = [x.transpose(0, 2, 3, 1).reshape(2, -1, 5), x.reshape(6, 20),
            x[:, 0:2, 1::2, 3:0:-2], np.concatenate([x[:, :, 1:], x[:, :, :1]],
                                                 2),
            np.pad(x, ((0, 0), (1, 0), (0, 1), (2, 0)), constant_values=-3),
            np.pad(x, width, mode="reflect"), np.pad(x, width, mode="edge"),
            np.take(x, [[3, 0], [4, 1]], axis=3)]
    for gv, w in zip(got, want):
        np.testing.assert_array_equal(gv, w)


def test_constant_folding_of_shape_subgraph(build, compile_run):
    """x.view(x.size(0), -1) as torch exports it: folded at import."""
    x = rand(3, 2, 4, 4)
    w = rand(32, 5)
    m = build()
    m.input("x", x.shape)
    shp = m.node("Shape", ["x"])
    n = m.node("Gather", [shp, m.const(np.array(0, np.int64))], axis=0)
    un = m.node("Unsqueeze", [n, m.const(np.array([0], np.int64))])
    cat = m.node("Concat", [un, m.const(np.array([-1], np.int64))], axis=0)
    cast = m.node("Cast", [cat], to=7)
    eq = m.node("Equal", [cast, m.const(np.array([3, -1], np.int64))])
    r = m.node("Reshape", ["x", cast])
    m.output(m.node("MatMul", [r, m.const(w)]))
    m.output(eq, dtype=np.bool_)
    (y, e), mlir = compile_run(m.model(), {"x": x})
    close(y, x.reshape(3, -1) @ w)
    assert e.tolist() == [True, True]
    assert "tosa.gather" not in mlir


def test_integer_and_bool_tensors(build, compile_run):
    a = RNG.randint(-100, 100, (3, 4)).astype(np.int32)
    b = RNG.randint(-100, 100, (4,)).astype(np.int32)
    m = build()
    m.input("a", a.shape, np.int32)
    m.input("b", b.shape, np.int32)
    m.output(m.node("Add", ["a", "b"]), np.int32)
    m.output(m.node("Equal", ["a", "b"]), np.bool_)
    m.output(m.node("Cast", [m.node("Mul", ["a", "b"])], to=1))
    got, _ = compile_run(m.model(), {"a": a, "b": b})
    np.testing.assert_array_equal(got[0], a + b)
    np.testing.assert_array_equal(got[1], a == b)
    np.testing.assert_array_equal(got[2], (a * b).astype(np.float32))


@pytest.mark.parametrize("ceil", [0, 1])
def test_dilated_max_pool(ceil, build, compile_run):
    x = rand(1, 2, 11, 10)
    k, d, s, p = (3, 2), (2, 3), (2, 3), (1, 2, 2, 0)
    m = build()
    m.input("x", x.shape)
    m.output(m.node("MaxPool", ["x"], kernel_shape=list(k), dilations=list(d),
                    strides=list(s), pads=list(p), ceil_mode=ceil))
    (got,), _ = compile_run(m.model(), {"x": x})
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[2] + 9), (p[1], p[3] + 9)),
                constant_values=-np.inf)

    def size(n, pb, pe, kk, dd, ss):
        span = n + pb + pe - ((kk - 1) * dd + 1)
        o = (-(-span // ss) if ceil else span // ss) + 1
        return o - 1 if ceil and (o - 1) * ss >= n + pb else o
    oh = size(11, p[0], p[2], k[0], d[0], s[0])
    ow = size(10, p[1], p[3], k[1], d[1], s[1])
    want = np.full((1, 2, oh, ow), -np.inf, np.float32)
    for i in range(oh):
        for j in range(ow):
            for a in range(k[0]):
                for b in range(k[1]):
                    want[:, :, i, j] = np.maximum(
                        want[:, :, i, j],
                        xp[:, :, i * s[0] + a * d[0], j * s[1] + b * d[1]])
    np.testing.assert_array_equal(got, want)
