"""ONNX operator converters.

Each converter takes a :class:`Node` context and returns the list of output
:class:`~qnt.importer.emitter.Value`.  Registration declares the attributes
the converter understands; any other attribute on a node is an error, so a
model never silently loses semantics.
"""

from __future__ import annotations

import math

import numpy as np

from .emitter import Value
from . import mlir_text as mt
from .errors import ImporterError, UnsupportedError

CONVERTERS = {}


def converter(*op_types, attrs=()):
    def deco(fn):
        for t in op_types:
            CONVERTERS[t] = (fn, frozenset(attrs))
        return fn
    return deco


def supported_ops():
    return sorted(CONVERTERS)


class Node:
    """One ONNX node being converted."""

    def __init__(self, e, onnx_node, inputs, attrs, opset):
        self.e = e
        self.onnx = onnx_node
        self.op_type = onnx_node.op_type
        self.name = onnx_node.name or (onnx_node.output[0] if
                                       onnx_node.output else "")
        self.inputs = inputs          # list[Value | None]
        self.attrs = attrs            # dict name -> python value
        self.opset = opset
        self.num_outputs = len(onnx_node.output)

    def attr(self, name, default=None):
        return self.attrs.get(name, default)

    def unsupported(self, detail):
        return UnsupportedError(self.op_type, self.name, detail)

    def input(self, i) -> Value | None:
        return self.inputs[i] if i < len(self.inputs) else None

    def const_input(self, i, what):
        v = self.input(i)
        if v is None:
            return None
        if not v.is_const:
            raise self.unsupported(
                f"input '{what}' must be a constant (initializer or folded "
                f"at import); bind it at import time")
        return v.const


def _norm_axis(axis, rank):
    axis = int(axis)
    return axis + rank if axis < 0 else axis


def _ints(x):
    return [int(v) for v in np.asarray(x).reshape(-1)]


# --------------------------------------------------------------- elementwise
_UNARY = {
    "Sigmoid": "tosa.sigmoid", "Tanh": "tosa.tanh", "Exp": "tosa.exp",
    "Log": "tosa.log", "Abs": "tosa.abs", "Reciprocal": "tosa.reciprocal",
    "Floor": "tosa.floor", "Ceil": "tosa.ceil", "Sin": "tosa.sin",
    "Cos": "tosa.cos", "Not": "tosa.logical_not",
}
_FLOAT_ONLY = {"Sigmoid", "Tanh", "Exp", "Log", "Reciprocal", "Floor", "Ceil",
               "Sin", "Cos", "Sqrt", "Erf", "HardSigmoid", "HardSwish",
               "LeakyRelu", "Softmax", "LogSoftmax", "Elu", "Softplus"}


def _check_float(n: Node, v: Value):
    if n.op_type in _FLOAT_ONLY and v.dtype.kind != "f":
        raise n.unsupported(f"{v.dtype} input (float tensors only)")


@converter(*_UNARY)
def _unary(n: Node):
    x = n.input(0)
    _check_float(n, x)
    return [n.e.unary(_UNARY[n.op_type], x)]


@converter("Sqrt")
def _sqrt(n: Node):
    x = n.input(0)
    _check_float(n, x)
    if x.is_const:
        return [Value.constant(np.sqrt(x.const))]
    # sqrt(x) = x * rsqrt(x) is wrong at 0; use pow(x, 0.5).
    half = Value.constant(np.full([1] * x.rank, 0.5, x.dtype))
    return [n.e.elementwise("tosa.pow", [x, half])]


@converter("Neg")
def _neg(n: Node):
    x = n.input(0)
    return [n.e.sub(Value.constant(np.zeros([], x.dtype)), x)]


@converter("Erf")
def _erf(n: Node):
    x = n.input(0)
    _check_float(n, x)
    if x.is_const:
        return [Value.constant(np.vectorize(math.erf)(x.const)
                               .astype(x.dtype))]
    return [n.e.unary("tosa.erf", x)]


_BINARY = {"Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div"}


@converter("Add", "Sub", "Mul", "Div")
def _binary(n: Node):
    a, b = n.input(0), n.input(1)
    if a.dtype != b.dtype:
        raise n.unsupported(f"mixed input types {a.dtype} and {b.dtype}")
    return [getattr(n.e, _BINARY[n.op_type])(a, b)]


@converter("Max", "Min", "Sum")
def _variadic(n: Node):
    name = {"Max": "tosa.maximum", "Min": "tosa.minimum",
            "Sum": "tosa.add"}[n.op_type]
    acc = n.input(0)
    for v in n.inputs[1:]:
        acc = n.e.elementwise(name, [acc, v])
    return [acc]


@converter("Pow")
def _pow(n: Node):
    a, b = n.input(0), n.input(1)
    if a.dtype.kind != "f":
        raise n.unsupported(f"{a.dtype} base (float only)")
    b = n.e.cast(b, a.dtype)
    if b.is_const and b.size == 1:
        p = float(b.const.reshape(-1)[0])
        if p == 1.0:
            return [a]
        if p == 2.0:
            return [n.e.mul(a, a)]
    return [n.e.elementwise("tosa.pow", [a, b])]


@converter("Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual")
def _compare(n: Node):
    a, b = n.input(0), n.input(1)
    if n.op_type in ("Less", "LessOrEqual"):
        a, b = b, a
    name = {"Equal": "tosa.equal", "Greater": "tosa.greater",
            "Less": "tosa.greater", "GreaterOrEqual": "tosa.greater_equal",
            "LessOrEqual": "tosa.greater_equal"}[n.op_type]
    return [n.e.elementwise(name, [a, b])]


@converter("And", "Or", "Xor")
def _logical(n: Node):
    name = {"And": "tosa.logical_and", "Or": "tosa.logical_or",
            "Xor": "tosa.logical_xor"}[n.op_type]
    return [n.e.elementwise(name, [n.input(0), n.input(1)])]


@converter("Where")
def _where(n: Node):
    return [n.e.select(n.input(0), n.input(1), n.input(2))]


@converter("Relu")
def _relu(n: Node):
    x = n.input(0)
    return [n.e.clamp(x, 0, None)]


@converter("Clip", attrs=("min", "max"))
def _clip(n: Node):
    x = n.input(0)
    if n.opset < 11:
        return [n.e.clamp(x, n.attr("min"), n.attr("max"))]
    lo, hi = n.input(1), n.input(2)
    bounds = []
    for b in (lo, hi):
        if b is None:
            bounds.append(None)
        elif b.is_const:
            bounds.append(b.const.reshape(-1)[0])
        else:
            bounds.append(b)
    if not isinstance(bounds[0], Value) and not isinstance(bounds[1], Value):
        return [n.e.clamp(x, bounds[0], bounds[1])]
    y = x
    if bounds[0] is not None:
        b = bounds[0] if isinstance(bounds[0], Value) else Value.constant(
            np.asarray(bounds[0], x.dtype))
        y = n.e.elementwise("tosa.maximum", [y, b])
    if bounds[1] is not None:
        b = bounds[1] if isinstance(bounds[1], Value) else Value.constant(
            np.asarray(bounds[1], x.dtype))
        y = n.e.elementwise("tosa.minimum", [y, b])
    return [y]


def _scalar(x, v: Value):
    return Value.constant(np.asarray(x, dtype=v.dtype))


@converter("LeakyRelu", attrs=("alpha",))
def _leaky_relu(n: Node):
    x = n.input(0)
    _check_float(n, x)
    alpha = float(n.attr("alpha", 0.01))
    ax = n.e.mul(x, _scalar(alpha, x))
    if 0.0 <= alpha <= 1.0:
        return [n.e.elementwise("tosa.maximum", [x, ax])]
    pos = n.e.elementwise("tosa.greater_equal", [x, _scalar(0, x)])
    return [n.e.select(pos, x, ax)]


@converter("HardSigmoid", attrs=("alpha", "beta"))
def _hard_sigmoid(n: Node):
    x = n.input(0)
    _check_float(n, x)
    alpha = float(n.attr("alpha", 0.2))
    beta = float(n.attr("beta", 0.5))
    y = n.e.add(n.e.mul(x, _scalar(alpha, x)), _scalar(beta, x))
    return [n.e.clamp(y, 0.0, 1.0)]


@converter("HardSwish")
def _hard_swish(n: Node):
    x = n.input(0)
    _check_float(n, x)
    y = n.e.add(n.e.mul(x, _scalar(1.0 / 6.0, x)), _scalar(0.5, x))
    return [n.e.mul(x, n.e.clamp(y, 0.0, 1.0))]


@converter("Elu", attrs=("alpha",))
def _elu(n: Node):
    x = n.input(0)
    _check_float(n, x)
    alpha = float(n.attr("alpha", 1.0))
    em1 = n.e.sub(n.e.unary("tosa.exp", x), _scalar(1, x))
    neg = n.e.mul(em1, _scalar(alpha, x))
    pos = n.e.elementwise("tosa.greater", [x, _scalar(0, x)])
    return [n.e.select(pos, x, neg)]


@converter("Identity")
def _identity(n: Node):
    return [n.input(0)]


@converter("Dropout", attrs=("ratio", "seed", "is_test"))
def _dropout(n: Node):
    if n.num_outputs > 1:
        raise n.unsupported("the mask output (inference only)")
    if n.input(2) is not None:
        t = n.const_input(2, "training_mode")
        if bool(np.asarray(t).reshape(-1)[0]):
            raise n.unsupported("training_mode=true (inference only)")
    return [n.input(0)]


def _onnx_type_name(t):
    from onnx import TensorProto
    try:
        return TensorProto.DataType.Name(t)
    except ValueError:
        return f"ONNX type {t}"


@converter("Cast", attrs=("to", "saturate"))
def _cast(n: Node):
    from onnx import mapping
    to = int(n.attr("to"))
    dtype = mapping.TENSOR_TYPE_TO_NP_TYPE.get(to)
    if to == 16:  # TensorProto.BFLOAT16
        raise n.unsupported("bfloat16 (no bfloat16 tensor type in the ABI)")
    x = n.input(0)
    if x.is_const and dtype is not None and dtype != np.dtype(object):
        return [Value.constant(x.const.astype(dtype))]
    if dtype is None or not mt.supported_dtype(dtype) or dtype == np.float64:
        raise n.unsupported(
            f"cast of a runtime tensor to {_onnx_type_name(to)} "
            f"(supported: float32, float16, int8, int16, int32, int64, bool)")
    if x.dtype.kind == "f" and np.dtype(dtype).kind in "iu":
        # ONNX truncates toward zero; tosa.cast rounds to nearest.
        pos = n.e.elementwise("tosa.greater_equal", [x, _scalar(0, x)])
        x = n.e.select(pos, n.e.unary("tosa.floor", x),
                       n.e.unary("tosa.ceil", x))
    return [n.e.cast(x, dtype)]


@converter("CastLike", attrs=("saturate",))
def _cast_like(n: Node):
    like = n.input(1)
    from onnx import mapping
    n.attrs = dict(n.attrs, to=mapping.NP_TYPE_TO_TENSOR_TYPE[like.dtype])
    return _cast(n)


# ------------------------------------------------------------ normalization
def _channel_param(n: Node, p: Value, rank: int) -> Value:
    """A per-channel [C] parameter reshaped to broadcast along axis 1."""
    return n.e.reshape(p, (p.shape[0],) + (1,) * (rank - 2))


@converter("BatchNormalization",
           attrs=("epsilon", "momentum", "training_mode", "spatial",
                  "is_test", "consumed_inputs"))
def _batch_norm(n: Node):
    if int(n.attr("training_mode", 0)) != 0:
        raise n.unsupported("training_mode=1 (inference only)")
    if int(n.attr("spatial", 1)) != 1:
        raise n.unsupported("spatial=0")
    if n.num_outputs > 1:
        raise n.unsupported("running mean/var outputs (inference only)")
    x, scale, bias, mean, var = n.inputs[:5]
    _check_float(n, x)
    eps = float(n.attr("epsilon", 1e-5))
    e = n.e
    if all(v.is_const for v in (scale, bias, mean, var)):
        f = (scale.const.astype(np.float64) /
             np.sqrt(var.const.astype(np.float64) + eps))
        s = bias.const.astype(np.float64) - mean.const * f
        factor = Value.constant(f.astype(x.dtype))
        shift = Value.constant(s.astype(x.dtype))
    else:
        inv = e.unary("tosa.rsqrt", e.add(var, _scalar(eps, var)))
        factor = e.mul(scale, inv)
        shift = e.sub(bias, e.mul(mean, factor))
    factor = _channel_param(n, factor, x.rank)
    shift = _channel_param(n, shift, x.rank)
    scaled = e.mul(x, factor)
    # Only when the channel (logical axis 1) is the physical last dimension,
    # as after a convolution (NHWC) or a Gemm ([N, C]).
    perm = e._layout_for([scaled, shift], x.rank)
    if all(v.is_const for v in (scale, bias)) and not scaled.is_const and \
            x.rank >= 2 and perm[-1] == 1 and \
            np.isfinite(scale.const).all() and np.isfinite(bias.const).all():
        # The output is N(beta, gamma^2) per channel: qnt-fold-batchnorm
        # moves this prior onto the convolution it folds into.
        return [e.elementwise("tosa.add", [scaled, shift],
                              attrs=_batchnorm_attr(bias.const, scale.const))]
    return [e.add(scaled, shift)]


def _batchnorm_attr(beta, gamma) -> str:
    """``qnt.batchnorm = {beta = array<f32: ...>, gamma = array<f32: ...>}``"""
    def arr(v):
        vals = ", ".join(repr(float(x)) for x in
                         np.asarray(v, np.float32).reshape(-1))
        return f"array<f32: {vals}>"
    return f"qnt.batchnorm = {{beta = {arr(beta)}, gamma = {arr(gamma)}}}"


def _softmax_axis(n: Node, x: Value):
    default = -1 if n.opset >= 13 else 1
    return _norm_axis(n.attr("axis", default), x.rank)


def _softmax_core(e, x: Value, axis: int, log: bool):
    m = e.reduce("tosa.reduce_max", x, axis, np.max)
    z = e.sub(x, m)
    ez = e.unary("tosa.exp", z)
    s = e.reduce("tosa.reduce_sum", ez, axis, np.sum)
    if log:
        return e.sub(z, e.unary("tosa.log", s))
    return e.mul(ez, e.unary("tosa.reciprocal", s))


@converter("Softmax", "LogSoftmax", attrs=("axis",))
def _softmax(n: Node):
    x = n.input(0)
    _check_float(n, x)
    axis = _softmax_axis(n, x)
    log = n.op_type == "LogSoftmax"
    if n.opset >= 13 or axis == x.rank - 1:
        return [_softmax_core(n.e, x, axis, log)]
    # Before opset 13 the input is coerced to 2-D at `axis`.
    rows = int(np.prod(x.shape[:axis], dtype=np.int64))
    x2 = n.e.reshape(x, (rows, x.size // max(rows, 1)))
    y2 = _softmax_core(n.e, x2, 1, log)
    return [n.e.reshape(y2, x.shape)]


# ----------------------------------------------------------------- linear
@converter("Gemm", attrs=("alpha", "beta", "transA", "transB", "broadcast"))
def _gemm(n: Node):
    a, b, c = n.input(0), n.input(1), n.input(2)
    if a.dtype.kind != "f":
        raise n.unsupported(f"{a.dtype} inputs (float only)")
    e = n.e
    alpha = float(n.attr("alpha", 1.0))
    beta = float(n.attr("beta", 1.0))
    if int(n.attr("transA", 0)):
        a = e.transpose(a, (1, 0))
    if int(n.attr("transB", 0)):
        b = e.transpose(b, (1, 0))
    if alpha != 1.0 and b.is_const:
        b = Value.constant((b.const * np.asarray(alpha, b.dtype))
                           .astype(b.dtype))
        alpha = 1.0
    y = e.matmul(a, b)
    if alpha != 1.0:
        y = e.mul(y, _scalar(alpha, y))
    if c is not None and beta != 0.0:
        if beta != 1.0:
            c = e.mul(c, _scalar(beta, c))
        y = e.add(y, c)
    return [y]


@converter("MatMul")
def _matmul(n: Node):
    a, b = n.input(0), n.input(1)
    if a.dtype.kind != "f" or b.dtype != a.dtype:
        raise n.unsupported(f"{a.dtype} x {b.dtype} (float only)")
    e = n.e
    squeeze_m = a.rank == 1
    squeeze_n = b.rank == 1
    if squeeze_m:
        a = e.reshape(a, (1,) + a.shape)
    if squeeze_n:
        b = e.reshape(b, b.shape + (1,))
    m, k = a.shape[-2:]
    nn = b.shape[-1]
    if a.is_const and b.is_const:
        y = Value.constant(np.matmul(a.const, b.const))
    elif b.rank == 2:
        # Fold a's batch dimensions into M: one 2-D matmul.
        batch = a.shape[:-2]
        rows = int(np.prod(batch, dtype=np.int64)) * m
        y = e.matmul(e.reshape(a, (rows, k)), b)
        y = e.reshape(y, batch + (m, nn))
    else:
        batch = tuple(np.broadcast_shapes(a.shape[:-2], b.shape[:-2]))
        a = e.broadcast_to(a, batch + (m, k))
        b = e.broadcast_to(b, batch + b.shape[-2:])
        bs = int(np.prod(batch, dtype=np.int64))
        y = e.batch_matmul(e.reshape(a, (bs, m, k)),
                           e.reshape(b, (bs, k, nn)))
        y = e.reshape(y, batch + (m, nn))
    shape = y.shape
    if squeeze_n:
        shape = shape[:-1]
    if squeeze_m:
        shape = shape[:-2] + shape[-1:]
    return [e.reshape(y, shape)]


# ------------------------------------------------------------ conv and pool
_NHWC = (0, 2, 3, 1)


def _spatial_pads(n: Node, in_sizes, kernel, strides, dilations, ceil=False):
    """Per spatial axis (begin, end) padding from pads / auto_pad."""
    k = len(in_sizes)
    auto = n.attr("auto_pad", "NOTSET")
    if isinstance(auto, bytes):
        auto = auto.decode()
    if auto in ("NOTSET", ""):
        pads = _ints(n.attr("pads", [0] * (2 * k)))
        if len(pads) != 2 * k:
            raise n.unsupported(f"pads of length {len(pads)}")
        return [(pads[i], pads[i + k]) for i in range(k)]
    if auto == "VALID":
        return [(0, 0)] * k
    if auto not in ("SAME_UPPER", "SAME_LOWER"):
        raise n.unsupported(f"auto_pad={auto}")
    res = []
    for i in range(k):
        out = -(-in_sizes[i] // strides[i])
        dk = (kernel[i] - 1) * dilations[i] + 1
        total = max((out - 1) * strides[i] + dk - in_sizes[i], 0)
        small = total // 2
        res.append((small, total - small) if auto == "SAME_UPPER"
                   else (total - small, small))
    return res


def _out_size(size, pad, dk, stride, ceil):
    span = size + pad[0] + pad[1] - dk
    out = (-(-span // stride) if ceil else span // stride) + 1
    if ceil and (out - 1) * stride >= size + pad[0]:
        # The last window would start in the end padding.
        out -= 1
    return out


def _fit(size, pad, dk, stride, out):
    """Adjust the end padding so that TOSA's exact-division rule holds for
    `out` outputs; returns (pad_begin, pad_end, rows to crop at the end)."""
    need = (out - 1) * stride + dk            # rows the windows cover
    have = size + pad[0] + pad[1]
    end = pad[1] + (need - have)
    crop = 0
    if end < 0:
        crop, end = -end, 0
    return pad[0], end, crop


def _to_4d(n: Node, x: Value):
    if x.rank == 4:
        return x, False
    if x.rank == 3:
        return n.e.unsqueeze(x, 2), True
    raise n.unsupported(f"{x.rank - 2}-D spatial input (1-D and 2-D only)")


@converter("Conv", attrs=("auto_pad", "dilations", "group", "kernel_shape",
                          "pads", "strides"))
def _conv(n: Node):
    x, w, b = n.input(0), n.input(1), n.input(2)
    if x.dtype != np.float32 or w.dtype != np.float32:
        raise n.unsupported(f"{x.dtype} input (float32 only)")
    e = n.e
    sp = x.rank - 2
    kernel = list(w.shape[2:])
    strides = _ints(n.attr("strides", [1] * sp))
    dil = _ints(n.attr("dilations", [1] * sp))
    pads = _spatial_pads(n, x.shape[2:], kernel, strides, dil)
    x4, was_1d = _to_4d(n, x)
    if was_1d:
        w = e.unsqueeze(w, 2)
        kernel, strides, dil = [1] + kernel, [1] + strides, [1] + dil
        pads = [(0, 0)] + pads
    group = int(n.attr("group", 1))
    N, C, H, W = x4.shape
    O, CG = w.shape[:2]
    if C != CG * group or O % group:
        raise n.unsupported(f"channels {C} / weight {w.shape} / group "
                            f"{group} mismatch")
    outs, tp = [], []
    crop = [0, 0]
    for i, size in enumerate((H, W)):
        dk = (kernel[i] - 1) * dil[i] + 1
        out = _out_size(size, pads[i], dk, strides[i], False)
        pb, pe, c = _fit(size, pads[i], dk, strides[i], out)
        outs.append(out)
        tp.extend([pb, pe])
        crop[i] = c
    if any(crop):
        x4 = e.slice(x4, [0, 0, 0, 0], [N, C, H - crop[0], W - crop[1]])
    if b is None:
        b = Value.constant(np.zeros([O], np.float32))
    attrs = (f"pad = array<i64: {', '.join(map(str, tp))}>, "
             f"stride = array<i64: {strides[0]}, {strides[1]}>, "
             f"dilation = array<i64: {dil[0]}, {dil[1]}>, acc_type = f32")
    zp = e.zero_point(np.float32)
    out_shape = (N, O, outs[0], outs[1])
    prior = e.bn_priors.get(n.onnx.output[0])
    if prior is not None and (group == 1 or CG == 1) and \
            all(np.isfinite(p).all() and p.size == O for p in prior):
        attrs += ", " + _batchnorm_attr(*prior)

    def conv(xv, wv, bv, o):
        xs = e.phys(xv, _NHWC)
        ws = e.phys(wv, _NHWC)          # OIHW -> OHWI
        res_t = mt.tensor_type((N, outs[0], outs[1], o), np.float32)
        r = e.op("tosa.conv2d", [xs, ws, e.phys(bv), zp, zp], res_t, attrs)
        return Value((N, o) + tuple(outs), np.float32, ssa=r, perm=_NHWC)

    if group == 1:
        y = conv(x4, w, b, O)
    elif CG == 1:
        mult = O // C
        # [C*M, 1, KH, KW] -> [C, M, KH, KW] -> [KH, KW, C, M]
        wd = e.reshape(w, (C, mult, kernel[0], kernel[1]))
        ws = e.phys(wd, (2, 3, 0, 1))
        res_t = mt.tensor_type((N, outs[0], outs[1], O), np.float32)
        r = e.op("tosa.depthwise_conv2d",
                 [e.phys(x4, _NHWC), ws, e.phys(b), zp, zp], res_t, attrs)
        y = Value(out_shape, np.float32, ssa=r, perm=_NHWC)
    else:
        og = O // group
        parts = []
        for g in range(group):
            xg = e.slice_axis(x4, 1, g * CG, CG)
            wg = e.slice_axis(w, 0, g * og, og)
            bg = e.slice_axis(b, 0, g * og, og)
            parts.append(conv(xg, wg, bg, og))
        y = e.concat(parts, 1)
    if was_1d:
        y = e.squeeze(y, 2)
    return [y]


def _pool(n: Node, kind: str):
    x = n.input(0)
    e = n.e
    if n.num_outputs > 1:
        raise n.unsupported("the Indices output")
    if kind == "max" and x.dtype.kind not in "fi":
        raise n.unsupported(f"{x.dtype} input")
    if kind == "avg" and x.dtype.kind != "f":
        raise n.unsupported(f"{x.dtype} input (float only)")
    if int(n.attr("storage_order", 0)) != 0:
        raise n.unsupported("storage_order=1")
    sp = x.rank - 2
    kernel = _ints(n.attr("kernel_shape"))
    strides = _ints(n.attr("strides", [1] * sp))
    dil = _ints(n.attr("dilations", [1] * sp))
    if any(d != 1 for d in dil) and kind != "max":
        raise n.unsupported("dilations != 1 for AveragePool")
    ceil = bool(int(n.attr("ceil_mode", 0)))
    pads = _spatial_pads(n, x.shape[2:], kernel, strides, dil)
    x4, was_1d = _to_4d(n, x)
    if any(d != 1 for d in dil):
        if was_1d:
            kernel, strides, dil = [1] + kernel, [1] + strides, [1] + dil
            pads = [(0, 0)] + pads
        y = _dilated_max_pool(n.e, x4, kernel, strides, dil, pads, ceil)
        return [n.e.squeeze(y, 2) if was_1d else y]
    if was_1d:
        kernel, strides, pads = [1] + kernel, [1] + strides, [(0, 0)] + pads
    N, C, H, W = x4.shape
    include_pad = kind == "avg" and int(n.attr("count_include_pad", 0))
    outs, tp, crop = [], [], [0, 0]
    for i, size in enumerate((H, W)):
        out = _out_size(size, pads[i], kernel[i], strides[i], ceil)
        outs.append(out)
    if include_pad:
        # TOSA's avg_pool2d never counts padding: pad explicitly with zeros
        # (the ceil-mode overhang stays uncounted, as in ONNX).
        x4 = e.pad(x4, [(0, 0), (0, 0), pads[0], pads[1]], 0.0)
        N, C, H, W = x4.shape
        pads = [(0, 0), (0, 0)]
    for i, size in enumerate((H, W)):
        pb, pe, c = _fit(size, pads[i], kernel[i], strides[i], outs[i])
        if pb >= kernel[i] or pe >= kernel[i]:
            raise n.unsupported(f"padding {pads[i]} not smaller than the "
                                f"kernel {kernel[i]}")
        tp.extend([pb, pe])
        crop[i] = c
    if any(crop):
        x4 = e.slice(x4, [0, 0, 0, 0], [N, C, H - crop[0], W - crop[1]])
    attrs = (f"kernel = array<i64: {kernel[0]}, {kernel[1]}>, "
             f"stride = array<i64: {strides[0]}, {strides[1]}>, "
             f"pad = array<i64: {', '.join(map(str, tp))}>")
    res_t = mt.tensor_type((N, outs[0], outs[1], C), x.dtype)
    xs = e.phys(x4, _NHWC)
    if kind == "max":
        r = e.op("tosa.max_pool2d", [xs], res_t, attrs)
    else:
        zp = e.zero_point(x.dtype)
        r = e.op("tosa.avg_pool2d", [xs, zp, zp], res_t,
                 attrs + f", acc_type = {mt.elem_type(x.dtype)}")
    y = Value((N, C, outs[0], outs[1]), x.dtype, ssa=r, perm=_NHWC)
    if was_1d:
        y = e.squeeze(y, 2)
    return [y]


def _dilated_max_pool(e, x4, kernel, strides, dil, pads, ceil):
    """TOSA's max_pool2d has no dilation: the maximum over the kernel taps
    of shifted windows, each subsampled by a 1x1 max_pool2d with the
    stride."""
    N, C, H, W = x4.shape
    outs, span = [], []
    for i, size in enumerate((H, W)):
        dk = (kernel[i] - 1) * dil[i] + 1
        outs.append(_out_size(size, pads[i], dk, strides[i], ceil))
        span.append((outs[i] - 1) * strides[i] + dk)
    lo = np.finfo(x4.dtype).min if x4.dtype.kind == "f" else \
        np.iinfo(x4.dtype).min
    ends = [span[i] - (H, W)[i] - pads[i][0] for i in range(2)]
    xp = e.pad(x4, [(0, 0), (0, 0), (pads[0][0], max(ends[0], 0)),
                    (pads[1][0], max(ends[1], 0))], lo)
    rows = [(outs[i] - 1) * strides[i] + 1 for i in range(2)]
    y = None
    for a in range(kernel[0]):
        for b in range(kernel[1]):
            tap = e.slice(xp, [0, 0, a * dil[0], b * dil[1]],
                          [N, C, rows[0], rows[1]])
            if strides != [1, 1]:
                attrs = (f"kernel = array<i64: 1, 1>, stride = array<i64: "
                         f"{strides[0]}, {strides[1]}>, "
                         f"pad = array<i64: 0, 0, 0, 0>")
                r = e.op("tosa.max_pool2d", [e.phys(tap, _NHWC)],
                         mt.tensor_type((N, outs[0], outs[1], C), x4.dtype),
                         attrs)
                tap = Value((N, C, outs[0], outs[1]), x4.dtype, ssa=r,
                            perm=_NHWC)
            y = tap if y is None else e.elementwise("tosa.maximum", [y, tap])
    return y


@converter("MaxPool", attrs=("auto_pad", "ceil_mode", "dilations",
                             "kernel_shape", "pads", "storage_order",
                             "strides"))
def _max_pool(n: Node):
    return _pool(n, "max")


@converter("AveragePool", attrs=("auto_pad", "ceil_mode", "count_include_pad",
                                 "kernel_shape", "pads", "strides",
                                 "dilations"))
def _avg_pool(n: Node):
    return _pool(n, "avg")


@converter("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(n: Node):
    x = n.input(0)
    e = n.e
    if x.dtype.kind != "f":
        raise n.unsupported(f"{x.dtype} input (float only)")
    if x.rank == 4 and not x.is_const:
        N, C, H, W = x.shape
        attrs = (f"kernel = array<i64: {H}, {W}>, "
                 f"stride = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>")
        res_t = mt.tensor_type((N, 1, 1, C), x.dtype)
        xs = e.phys(x, _NHWC)
        if n.op_type == "GlobalMaxPool":
            r = e.op("tosa.max_pool2d", [xs], res_t, attrs)
        else:
            zp = e.zero_point(x.dtype)
            r = e.op("tosa.avg_pool2d", [xs, zp, zp], res_t,
                     attrs + f", acc_type = {mt.elem_type(x.dtype)}")
        return [Value((N, C, 1, 1), x.dtype, ssa=r, perm=_NHWC)]
    y = x
    count = 1
    for axis in range(2, x.rank):
        if n.op_type == "GlobalMaxPool":
            y = e.reduce("tosa.reduce_max", y, axis, np.max)
        else:
            y = e.reduce("tosa.reduce_sum", y, axis, np.sum)
        count *= x.shape[axis]
    if n.op_type == "GlobalAveragePool":
        y = e.mul(y, _scalar(1.0 / count, y))
    return [y]


# ------------------------------------------------------- shape manipulation
@converter("Flatten", attrs=("axis",))
def _flatten(n: Node):
    x = n.input(0)
    axis = _norm_axis(n.attr("axis", 1), x.rank)
    rows = int(np.prod(x.shape[:axis], dtype=np.int64))
    cols = int(np.prod(x.shape[axis:], dtype=np.int64))
    return [n.e.reshape(x, (rows, cols))]


@converter("Reshape", attrs=("allowzero", "shape"))
def _reshape(n: Node):
    x = n.input(0)
    if n.opset < 5:
        target = _ints(n.attr("shape"))
    else:
        target = _ints(n.const_input(1, "shape"))
    allowzero = int(n.attr("allowzero", 0))
    out = []
    for i, d in enumerate(target):
        if d == 0 and not allowzero:
            d = x.shape[i]
        out.append(d)
    if out.count(-1) > 1:
        raise n.unsupported("more than one -1 in the target shape")
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1], dtype=np.int64))
        out[out.index(-1)] = x.size // known if known else 0
    if int(np.prod(out, dtype=np.int64)) != x.size:
        raise ImporterError(f"Reshape '{n.name}': cannot reshape {x.shape} "
                            f"to {target}")
    return [n.e.reshape(x, out)]


@converter("Transpose", attrs=("perm",))
def _transpose(n: Node):
    x = n.input(0)
    perm = n.attr("perm")
    perm = list(reversed(range(x.rank))) if perm is None else _ints(perm)
    return [n.e.transpose(x, perm)]


def _axes_input(n: Node, idx: int):
    if n.opset >= 13:
        a = n.input(idx)
        return None if a is None else _ints(n.const_input(idx, "axes"))
    a = n.attr("axes")
    return None if a is None else _ints(a)


@converter("Squeeze", attrs=("axes",))
def _squeeze(n: Node):
    x = n.input(0)
    axes = _axes_input(n, 1)
    if axes is None:
        axes = [i for i, d in enumerate(x.shape) if d == 1]
    axes = sorted({_norm_axis(a, x.rank) for a in axes}, reverse=True)
    for a in axes:
        if x.shape[a] != 1:
            raise ImporterError(f"Squeeze '{n.name}': dim {a} of {x.shape} "
                                f"is not 1")
        x = n.e.squeeze(x, a)
    return [x]


@converter("Unsqueeze", attrs=("axes",))
def _unsqueeze(n: Node):
    x = n.input(0)
    axes = _axes_input(n, 1)
    if axes is None:
        raise n.unsupported("missing axes")
    rank = x.rank + len(axes)
    for a in sorted(_norm_axis(a, rank) for a in axes):
        x = n.e.unsqueeze(x, a)
    return [x]


@converter("Concat", attrs=("axis",))
def _concat(n: Node):
    vals = [v for v in n.inputs if v is not None]
    axis = _norm_axis(n.attr("axis"), vals[0].rank)
    return [n.e.concat(vals, axis)]


@converter("Split", attrs=("axis", "split", "num_outputs"))
def _split(n: Node):
    x = n.input(0)
    axis = _norm_axis(n.attr("axis", 0), x.rank)
    if n.opset >= 13:
        split = n.input(1)
        split = None if split is None else _ints(n.const_input(1, "split"))
    else:
        split = n.attr("split")
        split = None if split is None else _ints(split)
    k = n.num_outputs
    dim = x.shape[axis]
    if split is None:
        chunk = -(-dim // k)
        split = [min(chunk, dim - i * chunk) for i in range(k)]
    if sum(split) != dim or len(split) != k:
        raise ImporterError(f"Split '{n.name}': split {split} does not match "
                            f"dim {dim} / {k} outputs")
    outs, start = [], 0
    for s in split:
        outs.append(n.e.slice_axis(x, axis, start, s))
        start += s
    return outs


@converter("Slice", attrs=("starts", "ends", "axes"))
def _slice(n: Node):
    x = n.input(0)
    if n.opset < 10:
        starts = _ints(n.attr("starts"))
        ends = _ints(n.attr("ends"))
        axes = n.attr("axes")
        axes = list(range(len(starts))) if axes is None else _ints(axes)
        steps = [1] * len(starts)
    else:
        starts = _ints(n.const_input(1, "starts"))
        ends = _ints(n.const_input(2, "ends"))
        axes = n.input(3)
        axes = (list(range(len(starts))) if axes is None
                else _ints(n.const_input(3, "axes")))
        steps = n.input(4)
        steps = [1] * len(starts) if steps is None else _ints(
            n.const_input(4, "steps"))
    e = n.e
    begin = [0] * x.rank
    size = list(x.shape)
    takes = []
    for s, t, a, st in zip(starts, ends, axes, steps):
        a = _norm_axis(a, x.rank)
        dim = x.shape[a]
        if st == 0:
            raise ImporterError(f"Slice '{n.name}': step 0")
        if s < 0:
            s += dim
        if t < 0:
            t += dim
        if st > 0:
            s = min(max(s, 0), dim)
            t = min(max(t, 0), dim)
        else:
            s = min(max(s, 0), dim - 1)
            t = min(max(t, -1), dim - 1)
        idx = np.arange(s, t, st)
        if st == 1:
            begin[a], size[a] = s, max(t - s, 0)
        else:
            takes.append((a, idx))
    y = e.slice(x, begin, size)
    for a, idx in takes:
        y = e.take(y, idx - begin[a], a)
    return [y]


@converter("Pad", attrs=("mode", "pads", "value"))
def _pad(n: Node):
    x = n.input(0)
    mode = n.attr("mode", "constant")
    if isinstance(mode, bytes):
        mode = mode.decode()
    if n.opset < 11:
        pads = _ints(n.attr("pads"))
        value = float(n.attr("value", 0.0))
    else:
        pads = _ints(n.const_input(1, "pads"))
        cv = n.input(2)
        value = 0 if cv is None else np.asarray(
            n.const_input(2, "constant_value")).reshape(-1)
        value = value if np.isscalar(value) else (value[0] if value.size
                                                   else 0)
        if n.input(3) is not None:
            axes = [_norm_axis(a, x.rank) for a in
                    _ints(n.const_input(3, "axes"))]
            full = [0] * (2 * x.rank)
            for i, a in enumerate(axes):
                full[a] = pads[i]
                full[a + x.rank] = pads[i + len(axes)]
            pads = full
    r = x.rank
    pairs = [(pads[i], pads[i + r]) for i in range(r)]
    e = n.e
    # Negative pads crop.
    begin = [max(-b, 0) for b, _ in pairs]
    size = [d - begin[i] - max(-pairs[i][1], 0)
            for i, d in enumerate(x.shape)]
    x = e.slice(x, begin, size)
    pairs = [(max(b, 0), max(a, 0)) for b, a in pairs]
    if mode == "constant":
        return [e.pad(x, pairs, np.asarray(value).astype(x.dtype))]
    if mode not in ("reflect", "edge"):
        raise n.unsupported(f"mode='{mode}' (supported: constant, reflect, "
                            f"edge)")
    for axis, (b, a) in enumerate(pairs):
        if b == 0 and a == 0:
            continue
        dim = x.shape[axis]
        if mode == "reflect" and (b >= dim or a >= dim):
            raise n.unsupported("reflect padding wider than the input")
        idx = np.pad(np.arange(dim), (b, a), mode=mode)
        x = e.take(x, idx, axis)
    return [x]


@converter("Constant", attrs=("value", "value_float", "value_floats",
                              "value_int", "value_ints", "sparse_value",
                              "value_string", "value_strings"))
def _constant(n: Node):
    a = n.attrs
    if "value" in a:
        return [Value.constant(a["value"])]
    if "value_float" in a:
        return [Value.constant(np.asarray(a["value_float"], np.float32))]
    if "value_floats" in a:
        return [Value.constant(np.asarray(a["value_floats"], np.float32))]
    if "value_int" in a:
        return [Value.constant(np.asarray(a["value_int"], np.int64))]
    if "value_ints" in a:
        return [Value.constant(np.asarray(a["value_ints"], np.int64))]
    raise n.unsupported("sparse or string constants")


@converter("ConstantOfShape", attrs=("value",))
def _constant_of_shape(n: Node):
    shape = _ints(n.const_input(0, "input"))
    v = n.attr("value")
    v = np.zeros([1], np.float32) if v is None else np.asarray(v)
    return [Value.constant(np.full(shape, v.reshape(-1)[0], v.dtype))]


@converter("Shape", attrs=("start", "end"))
def _shape(n: Node):
    x = n.input(0)
    start = n.attr("start", 0)
    end = n.attr("end", None)
    dims = list(x.shape)
    r = len(dims)
    s = max(0, min(r, start + r if start < 0 else start))
    t = r if end is None else max(0, min(r, end + r if end < 0 else end))
    return [Value.constant(np.asarray(dims[s:t], np.int64))]


@converter("Size")
def _size(n: Node):
    return [Value.constant(np.asarray(n.input(0).size, np.int64))]


@converter("Gather", attrs=("axis",))
def _gather(n: Node):
    x = n.input(0)
    axis = _norm_axis(n.attr("axis", 0), x.rank)
    idx = np.asarray(n.const_input(1, "indices")).astype(np.int64)
    idx = np.where(idx < 0, idx + x.shape[axis], idx)
    if x.is_const:
        return [Value.constant(np.take(x.const, idx, axis=axis))]
    y = n.e.take(x, idx.reshape(-1), axis)
    shape = x.shape[:axis] + idx.shape + x.shape[axis + 1:]
    return [n.e.reshape(y, shape)]


# --------------------------------------------------------------- reductions
def _reduce_axes(n: Node, x: Value):
    if n.opset >= 18 or (n.op_type == "ReduceSum" and n.opset >= 13):
        axes = n.input(1)
        axes = None if axes is None else _ints(n.const_input(1, "axes"))
    else:
        axes = n.attr("axes")
        axes = None if axes is None else _ints(axes)
    if not axes:
        if axes is not None and int(n.attr("noop_with_empty_axes", 0)):
            return []
        if axes is None and int(n.attr("noop_with_empty_axes", 0)):
            return []
        return list(range(x.rank))
    return sorted({_norm_axis(a, x.rank) for a in axes})


@converter("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin",
           attrs=("axes", "keepdims", "noop_with_empty_axes"))
def _reduce(n: Node):
    x = n.input(0)
    if x.dtype.kind != "f":
        raise n.unsupported(f"{x.dtype} input (float only)")
    axes = _reduce_axes(n, x)
    name, fold = {"ReduceMean": ("tosa.reduce_sum", np.sum),
                  "ReduceSum": ("tosa.reduce_sum", np.sum),
                  "ReduceMax": ("tosa.reduce_max", np.max),
                  "ReduceMin": ("tosa.reduce_min", np.min)}[n.op_type]
    y = x
    count = 1
    for a in axes:
        y = n.e.reduce(name, y, a, fold)
        count *= x.shape[a]
    if n.op_type == "ReduceMean" and axes:
        y = n.e.mul(y, _scalar(1.0 / count, y))
    if not int(n.attr("keepdims", 1)):
        for a in reversed(axes):
            y = n.e.squeeze(y, a)
    return [y]


# ------------------------------------------------------------------ resize
def _resize_taps(in_len, out_len, scale, mode, ctm, nearest_mode, cubic_a,
                 exclude_outside, roi):
    """Interpolation taps along one axis, following the ONNX reference.

    Returns (idx [out, T] int, weights [out, T] float64, outside [out] bool):
    out[i] = sum_t weights[i, t] * in[idx[i, t]], or the extrapolation value
    where ``outside`` is set (tf_crop_and_resize)."""
    out_w = scale * in_len          # the reference uses the float width
    if mode == "nearest":
        taps = 2
    elif mode == "linear":
        taps = 2
    else:
        taps = 4
    pad = (taps + 1) // 2
    idx = np.zeros((out_len, taps), np.int64)
    wts = np.zeros((out_len, taps), np.float64)
    outside = np.zeros(out_len, bool)
    for i in range(out_len):
        x = float(i)
        if ctm == "align_corners":
            xo = 0.0 if out_w == 1 else x * (in_len - 1) / (out_w - 1)
        elif ctm == "asymmetric":
            xo = x / scale
        elif ctm == "tf_half_pixel_for_nn":
            xo = (x + 0.5) / scale
        elif ctm == "tf_crop_and_resize":
            if out_w == 1:
                xo = (roi[1] - roi[0]) * (in_len - 1) / 2
            else:
                xo = x * (roi[1] - roi[0]) * (in_len - 1) / (out_w - 1)
            xo += roi[0] * (in_len - 1)
            if xo < 0 or xo > in_len - 1:
                outside[i] = True
                continue
        elif ctm == "pytorch_half_pixel":
            xo = -0.5 if out_w == 1 else (x + 0.5) / scale - 0.5
        else:  # half_pixel
            xo = (x + 0.5) / scale - 0.5
        xi = math.floor(xo)
        ratio = 1.0 if float(xo).is_integer() else xo - xi
        if mode == "nearest":
            if float(ratio).is_integer():
                c = [0.0, 1.0]
            elif nearest_mode == "round_prefer_ceil":
                c = [float(ratio < 0.5), float(ratio >= 0.5)]
            elif nearest_mode == "floor":
                c = [1.0, 0.0]
            elif nearest_mode == "ceil":
                c = [0.0, 1.0]
            else:
                c = [float(ratio <= 0.5), float(ratio > 0.5)]
        elif mode == "linear":
            c = [1 - ratio, ratio]
        else:
            A, r = cubic_a, ratio
            c = [((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
                 ((A + 2) * r - (A + 3)) * r * r + 1,
                 ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1,
                 ((A * ((1 - r) + 1) - 5 * A) * ((1 - r) + 1) + 8 * A) *
                 ((1 - r) + 1) - 4 * A]
        c = np.asarray(c, np.float64)
        # The `taps` padded-array positions nearest to xo (ties: lower).
        xp = xo + pad
        lim = in_len + 2 * pad
        cand = sorted(range(lim), key=lambda j: (abs(xp - j), j))[:taps]
        nb = np.asarray(sorted(cand)) - pad
        if exclude_outside:
            c = np.where((nb < 0) | (nb >= in_len), 0.0, c)
            c = c / c.sum()
        idx[i] = np.clip(nb, 0, in_len - 1)
        wts[i] = c
    return idx, wts, outside


@converter("Resize", "Upsample",
           attrs=("mode", "coordinate_transformation_mode", "cubic_coeff_a",
                  "exclude_outside", "extrapolation_value", "nearest_mode",
                  "antialias", "axes", "keep_aspect_ratio_policy", "scales"))
def _resize(n: Node):
    x = n.input(0)
    if x.dtype.kind != "f":
        raise n.unsupported(f"{x.dtype} input (float only)")
    mode = n.attr("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if mode not in ("nearest", "linear", "cubic"):
        raise n.unsupported(f"mode='{mode}' (supported: nearest, linear, "
                            f"cubic)")
    for a, dflt in (("antialias", 0), ("axes", None),
                    ("keep_aspect_ratio_policy", None)):
        if n.attr(a, dflt) != dflt:
            raise n.unsupported(f"attribute {a}")
    r = x.rank
    if n.op_type == "Upsample" or n.opset < 11:
        ctm = "asymmetric"
        nearest_mode = "floor"
        if n.op_type == "Upsample" and n.opset < 9:
            scales = np.asarray(n.attr("scales"), np.float64)
        else:
            scales = np.asarray(n.const_input(1, "scales"), np.float64)
        roi = None
        sizes = None
    else:
        ctm = n.attr("coordinate_transformation_mode", "half_pixel")
        ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
        nearest_mode = n.attr("nearest_mode", "round_prefer_floor")
        nearest_mode = (nearest_mode.decode() if isinstance(nearest_mode, bytes)
                        else nearest_mode)
        roi = n.input(1)
        roi = (None if roi is None or roi.size == 0
               else np.asarray(n.const_input(1, "roi"), np.float64))
        sc = n.input(2)
        scales = (None if sc is None or sc.size == 0 else
                  np.asarray(n.const_input(2, "scales"), np.float64))
        sz = n.input(3)
        sizes = (None if sz is None or sz.size == 0
                 else _ints(n.const_input(3, "sizes")))
    known = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
             "tf_half_pixel_for_nn", "tf_crop_and_resize")
    if ctm not in known:
        raise n.unsupported(f"coordinate_transformation_mode='{ctm}'")
    if sizes is not None:
        out = list(sizes)
        scales = np.asarray(out, np.float64) / np.asarray(x.shape, np.float64)
    else:
        out = [int(math.floor(d * s)) for d, s in zip(x.shape, scales)]
    cubic_a = float(n.attr("cubic_coeff_a", -0.75))
    excl = bool(int(n.attr("exclude_outside", 0)))
    extrap = float(n.attr("extrapolation_value", 0.0))
    e = n.e
    y = x
    # Resize the innermost physical axes last: with NHWC both spatial axes
    # are gathered over contiguous rows.
    for axis in range(r):
        roi_ax = None
        if ctm == "tf_crop_and_resize":
            roi_ax = (roi[axis], roi[axis + r])
        if out[axis] == x.shape[axis] and scales[axis] == 1.0 and \
                ctm != "tf_crop_and_resize":
            continue
        idx, w, outside = _resize_taps(x.shape[axis], out[axis],
                                       scales[axis], mode, ctm, nearest_mode,
                                       cubic_a, excl, roi_ax)
        y = _apply_taps(e, y, axis, idx, w, outside, extrap)
    return [y]


def _apply_taps(e, v: Value, axis, idx, w, outside, extrap):
    keep = [t for t in range(idx.shape[1]) if np.any(w[:, t] != 0)]
    bshape = [1] * v.rank
    bshape[axis] = len(idx)
    inside = ~outside
    onehot = (np.all((w == 0) | (w == 1)) and
              np.all(w[inside].sum(axis=1) == 1))
    if onehot:
        sel = idx[np.arange(len(idx)), np.argmax(w, axis=1)]
        y = e.take(v, np.where(outside, 0, sel), axis)
        if outside.any():
            mask = Value.constant(inside.astype(v.dtype).reshape(bshape))
            y = e.mul(y, mask)
    else:
        y = None
        for t in keep:
            g = e.take(v, idx[:, t], axis)
            wt = np.where(outside, 0.0, w[:, t]).astype(v.dtype)
            term = e.mul(g, Value.constant(wt.reshape(bshape)))
            y = term if y is None else e.add(y, term)
    if outside.any() and extrap != 0.0:
        add = np.where(outside, extrap, 0.0).astype(v.dtype).reshape(bshape)
        y = e.add(y, Value.constant(add))
    return y
