"""Shared fixtures for qnt's Python tests.

``ref``: independent numpy implementations of the operators (direct loops
over windows; no code shared with the importer) used as expected values.
``build``: makes small ONNX models; ``compile_run``: ONNX model -> TOSA ->
shared library -> outputs.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "python") not in sys.path:
    sys.path.insert(0, str(REPO / "python"))


class Ref:
    """Straightforward numpy reference implementations (NCHW)."""

    @staticmethod
    def conv(x, w, b=None, strides=(1, 1), pads=(0, 0, 0, 0),
             dilations=(1, 1), group=1):
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        xp = np.pad(x.astype(np.float64),
                    ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
        dh, dw = dilations
        sh, sw = strides
        oh = (xp.shape[2] - (kh - 1) * dh - 1) // sh + 1
        ow = (xp.shape[3] - (kw - 1) * dw - 1) // sw + 1
        y = np.zeros((n, o, oh, ow))
        og = o // group
        for oc in range(o):
            g = oc // og
            for i in range(oh):
                for j in range(ow):
                    win = xp[:, g * cg:(g + 1) * cg,
                             i * sh:i * sh + (kh - 1) * dh + 1:dh,
                             j * sw:j * sw + (kw - 1) * dw + 1:dw]
                    y[:, oc, i, j] = (win * w[oc]).sum(axis=(1, 2, 3))
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y.astype(np.float32)

    @staticmethod
    def pool(x, kind, kernel, strides, pads=(0, 0, 0, 0), ceil=False,
             count_include_pad=False):
        n, c, h, w = x.shape
        kh, kw = kernel
        sh, sw = strides

        def out(size, pb, pe, k, s):
            span = size + pb + pe - k
            o = (-(-span // s) if ceil else span // s) + 1
            if ceil and (o - 1) * s >= size + pb:
                o -= 1
            return o
        oh = out(h, pads[0], pads[2], kh, sh)
        ow = out(w, pads[1], pads[3], kw, sw)
        y = np.zeros((n, c, oh, ow), np.float64)
        for i in range(oh):
            for j in range(ow):
                h0, w0 = i * sh - pads[0], j * sw - pads[1]
                h1, w1 = h0 + kh, w0 + kw
                hs, ws = max(h0, 0), max(w0, 0)
                he, we = min(h1, h), min(w1, w)
                win = x[:, :, hs:he, ws:we].astype(np.float64)
                if kind == "max":
                    y[:, :, i, j] = win.max(axis=(2, 3))
                else:
                    if count_include_pad:
                        cnt = ((min(h1, h + pads[2]) - h0) *
                               (min(w1, w + pads[3]) - w0))
                    else:
                        cnt = (he - hs) * (we - ws)
                    y[:, :, i, j] = win.sum(axis=(2, 3)) / cnt
        return y.astype(np.float32)

    @staticmethod
    def batchnorm(x, s, b, mean, var, eps=1e-5):
        sh = (1, -1) + (1,) * (x.ndim - 2)
        return ((x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) *
                s.reshape(sh) + b.reshape(sh)).astype(np.float32)

    @staticmethod
    def softmax(x, axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return (e / e.sum(axis=axis, keepdims=True)).astype(np.float32)

    @staticmethod
    def resize_nearest_asymmetric(x, scale_h, scale_w):
        """ONNX nearest + asymmetric + floor (integer upsampling)."""
        n, c, h, w = x.shape
        oh, ow = int(h * scale_h), int(w * scale_w)
        ih = np.minimum((np.arange(oh) / scale_h).astype(int), h - 1)
        iw = np.minimum((np.arange(ow) / scale_w).astype(int), w - 1)
        return x[:, :, ih][:, :, :, iw]

    @staticmethod
    def resize_linear_half_pixel(x, oh, ow):
        """Bilinear, half_pixel coordinates, edge clamping."""
        def axis_weights(n_in, n_out):
            m = np.zeros((n_out, n_in))
            for o in range(n_out):
                src = (o + 0.5) * n_in / n_out - 0.5
                src = min(max(src, 0.0), n_in - 1)
                lo = int(np.floor(src))
                hi = min(lo + 1, n_in - 1)
                f = src - lo
                m[o, lo] += 1 - f
                m[o, hi] += f
            return m
        mh = axis_weights(x.shape[2], oh)
        mw = axis_weights(x.shape[3], ow)
        return np.einsum("ah,nchw,bw->ncab", mh, x.astype(np.float64),
                         mw).astype(np.float32)


@pytest.fixture
def ref():
    return Ref()


class Builder:
    """Small ONNX models from nodes."""

    def __init__(self, opset=13):
        from onnx import helper
        self.helper = helper
        self.opset = opset
        self.nodes, self.inputs, self.outputs, self.inits = [], [], [], []
        self._n = 0

    def input(self, name, shape, dtype=np.float32):
        from onnx import mapping
        t = mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(dtype)]
        self.inputs.append(self.helper.make_tensor_value_info(name, t, shape))
        return name

    def const(self, arr, name=None):
        from onnx import numpy_helper
        self._n += 1
        name = name or f"c{self._n}"
        self.inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(self, op, inputs, n_out=1, name=None, **attrs):
        self._n += 1
        outs = [f"{op.lower()}{self._n}_{i}" for i in range(n_out)]
        self.nodes.append(self.helper.make_node(
            op, inputs, outs, name=name or f"{op}_{self._n}", **attrs))
        return outs[0] if n_out == 1 else outs

    def output(self, name, dtype=np.float32):
        from onnx import mapping
        t = mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(dtype)]
        self.outputs.append(self.helper.make_tensor_value_info(name, t, None))

    def model(self):
        h = self.helper
        g = h.make_graph(self.nodes, "test", self.inputs, self.outputs,
                         self.inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", self.opset)])
        m.ir_version = 7
        return m


@pytest.fixture
def build():
    return Builder


def _compile_run(model, feeds, **import_kw):
    from qnt import compiler
    from qnt.importer import import_onnx
    from qnt.runtime import CompiledModel
    res = import_onnx(model, **import_kw)
    so = compiler.cached_compile(res.text, sigs=[s.to_json() for s in
                                                 res.signatures])
    lib = CompiledModel(so)
    names = [t.name for t in res.signature.inputs]
    outs = lib(*[feeds[n] for n in names])
    return outs, res.text


@pytest.fixture
def compile_run():
    """compile_run(model, {input: array}, **import_kw) -> (outputs, mlir)."""
    return _compile_run
