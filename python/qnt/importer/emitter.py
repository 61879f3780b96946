"""Values with tracked physical layout, and the TOSA op emitter.

A :class:`Value` is one ONNX tensor.  Its ``shape`` is always the *logical*
(ONNX) shape.  It is either a compile-time constant (a numpy array in logical
layout: all arithmetic on constants is folded in numpy) or an SSA value of the
function being built.  An SSA value has a *physical layout*:

* ``perm``: the SSA tensor is ``transpose(logical, perm)``.  Convolutions and
  pools produce NHWC results, i.e. ``perm == (0, 2, 3, 1)`` for a logical NCHW
  tensor; elementwise ops keep the layout of their operands.
* ``flat``: the SSA tensor is a 2-D ``[A, B]`` matrix whose columns are a fixed
  permutation of the logical columns; it is what ``Flatten`` of an NHWC tensor
  yields without a transpose.  A following ``Gemm``/``MatMul`` with constant
  weights absorbs the permutation into the weights.

:meth:`Emitter.phys` returns a value in any requested layout, emitting (and
caching) at most one ``tosa.transpose`` per value and layout; when the
permutation only moves dimensions of size 1 it is a ``tosa.reshape``.
"""

from __future__ import annotations

import numpy as np

from . import mlir_text as mt
from .errors import ImporterError


def _identity(rank):
    return tuple(range(rank))


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


class FlatLayout:
    """SSA = reshape(transpose(pre_logical, pre_perm), [A, B]).

    ``pre_perm`` keeps the first ``axis`` dims in place, so only the columns
    are permuted: physical column j holds logical column ``col_perm[j]``.
    """

    def __init__(self, pre_shape, pre_perm, axis):
        self.pre_shape = tuple(pre_shape)
        self.pre_perm = tuple(pre_perm)
        self.axis = axis

    @property
    def col_perm(self) -> np.ndarray:
        tail = self.pre_shape[self.axis:]
        sub = [p - self.axis for p in self.pre_perm[self.axis:]]
        return np.arange(int(np.prod(tail, dtype=np.int64))).reshape(
            tail).transpose(sub).reshape(-1)


class Value:
    __slots__ = ("shape", "dtype", "const", "ssa", "perm", "flat", "_cache")

    def __init__(self, shape, dtype, const=None, ssa=None, perm=None,
                 flat=None):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.const = const
        self.ssa = ssa
        self.perm = None if perm is None or tuple(perm) == _identity(
            len(self.shape)) else tuple(perm)
        self.flat = flat
        self._cache = {}

    @staticmethod
    def constant(arr) -> "Value":
        arr = np.asarray(arr)
        return Value(arr.shape, arr.dtype, const=arr)

    @property
    def is_const(self) -> bool:
        return self.const is not None

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        kind = "const" if self.is_const else self.ssa
        return f"Value({kind}, {self.shape}, {self.dtype}, perm={self.perm})"


# Elementwise op -> numpy folder.
_FOLD = {
    "tosa.add": np.add,
    "tosa.sub": np.subtract,
    "tosa.mul": np.multiply,
    "tosa.maximum": np.maximum,
    "tosa.minimum": np.minimum,
    "tosa.pow": np.power,
    "tosa.equal": np.equal,
    "tosa.greater": np.greater,
    "tosa.greater_equal": np.greater_equal,
    "tosa.logical_and": np.logical_and,
    "tosa.logical_or": np.logical_or,
    "tosa.logical_xor": np.logical_xor,
    "tosa.logical_not": np.logical_not,
    "tosa.abs": np.abs,
    "tosa.exp": np.exp,
    "tosa.log": np.log,
    "tosa.tanh": np.tanh,
    "tosa.floor": np.floor,
    "tosa.ceil": np.ceil,
    "tosa.sin": np.sin,
    "tosa.cos": np.cos,
    "tosa.reciprocal": np.reciprocal,
    "tosa.rsqrt": lambda x: np.reciprocal(np.sqrt(x)),
    "tosa.sigmoid": lambda x: np.reciprocal(1 + np.exp(-x)),
    "tosa.select": np.where,
}

_BOOL_RESULT = {"tosa.equal", "tosa.greater", "tosa.greater_equal"}


class Emitter:
    """Builds the body of one ``func.func`` from :class:`Value` operations."""

    def __init__(self, module: mt.ModuleText):
        self.module = module
        self.lines: list[str] = []
        self.types: dict[str, str] = {}
        self._n = 0
        self._const_cache: dict[str, str] = {}
        self.loc = None          # location attached to emitted ops
        self.hint = "cst"        # resource name hint for constants

    # ---------------------------------------------------------------- text
    def fresh(self) -> str:
        self._n += 1
        return f"%{self._n - 1}"

    def op(self, name: str, operands, result_type: str, attrs: str = "",
           ) -> str:
        res = self.fresh()
        ots = ", ".join(self.types[o] for o in operands)
        attr_txt = f" {{{attrs}}}" if attrs else ""
        loc = f" loc({mt.mlir_string(self.loc)})" if self.loc else ""
        self.lines.append(
            f"    {res} = \"{name}\"({', '.join(operands)}){attr_txt} : "
            f"({ots}) -> {result_type}{loc}")
        self.types[res] = result_type
        return res

    def const_ssa(self, arr: np.ndarray) -> str:
        arr = np.asarray(arr, order="C")
        ttype = mt.tensor_type(arr.shape, arr.dtype)
        if arr.size == 0:
            key = "empty:" + ttype
            if key not in self._const_cache:
                res = self.fresh()
                self.lines.append(f"    {res} = tensor.empty() : {ttype}")
                self.types[res] = ttype
                self._const_cache[key] = res
            return self._const_cache[key]
        attr = self.module.dense_attr(arr, self.hint)
        if attr not in self._const_cache:
            self._const_cache[attr] = self.op("tosa.const", [], ttype,
                                              f"values = {attr}")
        return self._const_cache[attr]

    def shape_ssa(self, values) -> str:
        values = [int(v) for v in values]
        n = len(values)
        body = "[" + ", ".join(map(str, values)) + "]" if n else ""
        attr = f"values = dense<{body}> : tensor<{n}xindex>"
        key = "shape:" + attr
        if key not in self._const_cache:
            self._const_cache[key] = self.op("tosa.const_shape", [],
                                             mt.shape_type(n), attr)
        return self._const_cache[key]

    def zero_point(self, dtype) -> str:
        return self.const_ssa(np.zeros([1], dtype=dtype))

    # ------------------------------------------------------------ layouts
    @staticmethod
    def phys_shape(v: Value, perm=None):
        perm = perm if perm is not None else _identity(v.rank)
        return tuple(v.shape[p] for p in perm)

    def _reshape_ssa(self, ssa: str, shape, dtype) -> str:
        ttype = mt.tensor_type(shape, dtype)
        if self.types[ssa] == ttype:
            return ssa
        return self.op("tosa.reshape", [ssa, self.shape_ssa(shape)], ttype)

    def _transpose_ssa(self, ssa: str, in_shape, t, dtype) -> str:
        out_shape = tuple(in_shape[i] for i in t)
        nonunit_in = [i for i in range(len(in_shape)) if in_shape[i] != 1]
        nonunit_out = [i for i in t if in_shape[i] != 1]
        if nonunit_in == nonunit_out:
            return self._reshape_ssa(ssa, out_shape, dtype)
        perms = ", ".join(map(str, t))
        return self.op("tosa.transpose", [ssa],
                       mt.tensor_type(out_shape, dtype),
                       f"perms = array<i32: {perms}>")

    def _unflatten(self, v: Value) -> str:
        """SSA of a flat-layout value in identity layout."""
        f = v.flat
        pre_phys = tuple(f.pre_shape[p] for p in f.pre_perm)
        x = self._reshape_ssa(v.ssa, pre_phys, v.dtype)
        x = self._transpose_ssa(x, pre_phys, _inverse(f.pre_perm), v.dtype)
        return self._reshape_ssa(x, v.shape, v.dtype)

    def phys(self, v: Value, perm=None) -> str:
        """SSA name of ``v`` laid out as ``transpose(logical, perm)``."""
        ident = _identity(v.rank)
        perm = ident if perm is None else tuple(perm)
        if v.size == 0 or v.is_const:
            arr = (np.zeros(v.shape, v.dtype) if v.size == 0 else v.const)
            return self.const_ssa(np.transpose(arr, perm))
        if perm in v._cache:
            return v._cache[perm]
        if v.flat is not None:
            src, cur = self._unflatten(v), ident
            v._cache[ident] = src
        else:
            src, cur = v.ssa, (v.perm or ident)
        if cur == perm:
            res = src
        else:
            cur_shape = self.phys_shape(v, cur)
            t = tuple(cur.index(p) for p in perm)
            res = self._transpose_ssa(src, cur_shape, t, v.dtype)
        v._cache[perm] = res
        return res

    def result(self, ssa: str, shape, dtype, perm=None) -> Value:
        return Value(shape, dtype, ssa=ssa, perm=perm)

    # ----------------------------------------------------- shape-only ops
    def reshape(self, v: Value, shape) -> Value:
        shape = tuple(int(d) for d in shape)
        if int(np.prod(shape, dtype=np.int64)) != v.size:
            raise ImporterError(f"cannot reshape {v.shape} to {shape}")
        if v.is_const:
            return Value.constant(v.const.reshape(shape))
        if v.size == 0:
            return Value(shape, v.dtype, ssa=None, const=np.zeros(shape,
                                                                  v.dtype))
        if shape == v.shape:
            return v
        if v.flat is None:
            cur = v.perm or _identity(v.rank)
            nonunit = [p for p in cur if v.shape[p] != 1]
            if nonunit == sorted(nonunit):
                # Physical element order equals logical order.
                ssa = self._reshape_ssa(v.ssa, shape, v.dtype)
                return self.result(ssa, shape, v.dtype)
            flat = self._as_flatten(v, shape)
            if flat is not None:
                return flat
        ssa = self._reshape_ssa(self.phys(v), shape, v.dtype)
        return self.result(ssa, shape, v.dtype)

    def _as_flatten(self, v: Value, shape):
        """Flatten of a permuted value to 2-D without a transpose, if the
        permutation keeps the leading dims."""
        if len(shape) != 2:
            return None
        cur = v.perm
        acc = 1
        for axis in range(v.rank + 1):
            if acc == shape[0] and tuple(cur[:axis]) == _identity(axis):
                ssa = self._reshape_ssa(v.ssa, shape, v.dtype)
                return Value(shape, v.dtype, ssa=ssa,
                             flat=FlatLayout(v.shape, cur, axis))
            if axis < v.rank:
                acc *= v.shape[axis]
        return None

    def transpose(self, v: Value, perm) -> Value:
        """Logical transpose: free for SSA values (only the layout changes)."""
        perm = tuple(int(p) for p in perm)
        if v.is_const:
            return Value.constant(np.transpose(v.const, perm))
        shape = tuple(v.shape[p] for p in perm)
        if v.size == 0:
            return Value.constant(np.zeros(shape, v.dtype))
        if v.flat is not None:
            base, cur = self.phys(v), _identity(v.rank)
        else:
            base, cur = v.ssa, (v.perm or _identity(v.rank))
        inv = _inverse(perm)
        new = tuple(inv[c] for c in cur)
        return Value(shape, v.dtype, ssa=base, perm=new)

    def unsqueeze(self, v: Value, axis: int) -> Value:
        shape = v.shape[:axis] + (1,) + v.shape[axis:]
        if v.is_const or v.size == 0 or v.flat is not None or v.perm is None:
            return self.reshape(v, shape)
        cur = v.perm
        new = tuple(p if p < axis else p + 1 for p in cur) + (axis,)
        phys = tuple(shape[p] for p in new)
        ssa = self._reshape_ssa(v.ssa, phys, v.dtype)
        return Value(shape, v.dtype, ssa=ssa, perm=new)

    def squeeze(self, v: Value, axis: int) -> Value:
        assert v.shape[axis] == 1
        shape = v.shape[:axis] + v.shape[axis + 1:]
        if v.is_const or v.size == 0 or v.flat is not None or v.perm is None:
            return self.reshape(v, shape)
        new = tuple(p if p < axis else p - 1 for p in v.perm if p != axis)
        phys = tuple(shape[p] for p in new)
        ssa = self._reshape_ssa(v.ssa, phys, v.dtype)
        return Value(shape, v.dtype, ssa=ssa, perm=new)

    def expand_rank(self, v: Value, rank: int) -> Value:
        while v.rank < rank:
            v = self.unsqueeze(v, 0)
        return v

    # -------------------------------------------------------- elementwise
    def _layout_for(self, values, rank):
        """Physical layout for an elementwise result of ``rank``."""
        best = None
        votes = {}
        for v in values:
            if v.is_const or v.rank != rank or v.size == 0:
                continue
            p = v.perm if v.flat is None else None
            p = p or _identity(rank)
            votes[p] = votes.get(p, 0) + 1
            if best is None:
                best = p
        if not votes:
            return _identity(rank)
        top = max(votes.values())
        if votes[best] == top:
            return best
        return next(p for p, n in votes.items() if n == top)

    def elementwise(self, name: str, inputs, out_dtype=None, attrs: str = "",
                    extra=(), fold=None) -> Value:
        """An elementwise TOSA op with numpy broadcasting.

        ``extra`` are trailing SSA operands (e.g. the shift of tosa.mul).
        """
        shape = tuple(np.broadcast_shapes(*[v.shape for v in inputs]))
        if out_dtype is None:
            out_dtype = (np.bool_ if name in _BOOL_RESULT else
                         inputs[-1].dtype)
        out_dtype = np.dtype(out_dtype)
        if all(v.is_const for v in inputs):
            fn = fold or _FOLD[name]
            with np.errstate(all="ignore"):
                res = fn(*[v.const for v in inputs])
            return Value.constant(np.asarray(res).astype(out_dtype,
                                                         copy=False))
        if int(np.prod(shape, dtype=np.int64)) == 0:
            return Value.constant(np.zeros(shape, out_dtype))
        rank = len(shape)
        perm = self._layout_for(inputs, rank)
        operands = []
        for v in inputs:
            if v.is_const:
                arr = v.const.reshape((1,) * (rank - v.rank) + v.shape)
                operands.append(self.const_ssa(np.transpose(arr, perm)))
            else:
                operands.append(self.phys(self.expand_rank(v, rank), perm))
        pshape = tuple(shape[p] for p in perm)
        ssa = self.op(name, operands + list(extra),
                      mt.tensor_type(pshape, out_dtype), attrs)
        return Value(shape, out_dtype, ssa=ssa, perm=perm)

    def add(self, a, b):
        return self.elementwise("tosa.add", [a, b])

    def sub(self, a, b):
        return self.elementwise("tosa.sub", [a, b])

    def mul(self, a, b):
        if a.is_const and b.is_const:
            return self.elementwise("tosa.mul", [a, b])
        shift = self.const_ssa(np.zeros([1], np.int8))
        return self.elementwise("tosa.mul", [a, b], extra=[shift])

    def div(self, a, b):
        if a.dtype.kind == "f":
            if a.is_const and b.is_const:
                return Value.constant((a.const / b.const).astype(a.dtype))
            return self.mul(a, self.unary("tosa.reciprocal", b))
        if a.dtype != np.int32:
            raise ImporterError(
                f"integer Div is only supported for int32 (got {a.dtype})")
        return self.elementwise(
            "tosa.intdiv", [a, b],
            fold=lambda x, y: (np.trunc(x / y)).astype(np.int32))

    def unary(self, name, v, attrs="", out_dtype=None, fold=None):
        return self.elementwise(name, [v], out_dtype=out_dtype, attrs=attrs,
                                fold=fold)

    def clamp(self, v: Value, lo, hi) -> Value:
        dt = v.dtype
        if dt.kind == "f":
            lo = -np.inf if lo is None else lo
            hi = np.inf if hi is None else hi
        else:
            info = np.iinfo(dt)
            lo = info.min if lo is None else max(int(lo), info.min)
            hi = info.max if hi is None else min(int(hi), info.max)
        if lo > hi:
            # ONNX: min(max(x, lo), hi) -> everything becomes hi.
            lo = hi
        attrs = (f"min_val = {mt.typed_scalar_attr(lo, dt)}, "
                 f"max_val = {mt.typed_scalar_attr(hi, dt)}")
        return self.unary("tosa.clamp", v, attrs,
                          fold=lambda x: np.clip(x, np.asarray(lo, dt),
                                                 np.asarray(hi, dt)))

    def select(self, cond, a, b):
        return self.elementwise("tosa.select", [cond, a, b],
                                out_dtype=a.dtype)

    def cast(self, v: Value, dtype) -> Value:
        dtype = np.dtype(dtype)
        if v.dtype == dtype:
            return v
        if v.is_const:
            return Value.constant(v.const.astype(dtype))
        return self.unary("tosa.cast", v, out_dtype=dtype,
                          fold=lambda x: x.astype(dtype))

    # ------------------------------------------------------- axis-wise ops
    def _phys_axis(self, v: Value, axis: int):
        """(ssa, perm, physical axis) of ``v`` for an op along ``axis``."""
        perm = (v.perm if v.flat is None else None) or _identity(v.rank)
        ssa = self.phys(v, perm)
        return ssa, perm, perm.index(axis)

    def reduce(self, name: str, v: Value, axis: int, fold) -> Value:
        """keepdims reduction along one logical axis."""
        shape = v.shape[:axis] + (1,) + v.shape[axis + 1:]
        if v.is_const:
            return Value.constant(fold(v.const, axis=axis, keepdims=True)
                                  .astype(v.dtype))
        ssa, perm, pax = self._phys_axis(v, axis)
        pshape = tuple(shape[p] for p in perm)
        res = self.op(name, [ssa], mt.tensor_type(pshape, v.dtype),
                      f"axis = {pax} : i32")
        return Value(shape, v.dtype, ssa=res, perm=perm)

    def slice(self, v: Value, starts, sizes) -> Value:
        starts = tuple(int(s) for s in starts)
        sizes = tuple(int(s) for s in sizes)
        if starts == (0,) * v.rank and sizes == v.shape:
            return v
        if v.is_const or any(s == 0 for s in sizes):
            arr = v.const if v.is_const else np.zeros(v.shape, v.dtype)
            idx = tuple(slice(b, b + n) for b, n in zip(starts, sizes))
            return Value.constant(arr[idx])
        perm = (v.perm if v.flat is None else None) or _identity(v.rank)
        ssa = self.phys(v, perm)
        pst = [starts[p] for p in perm]
        psz = [sizes[p] for p in perm]
        res = self.op("tosa.slice", [ssa, self.shape_ssa(pst),
                                     self.shape_ssa(psz)],
                      mt.tensor_type(psz, v.dtype))
        return Value(sizes, v.dtype, ssa=res, perm=perm)

    def slice_axis(self, v: Value, axis: int, start: int, size: int):
        starts = [0] * v.rank
        sizes = list(v.shape)
        starts[axis] = start
        sizes[axis] = size
        return self.slice(v, starts, sizes)

    def reverse(self, v: Value, axis: int) -> Value:
        if v.is_const:
            return Value.constant(np.flip(v.const, axis))
        if v.shape[axis] <= 1 or v.size == 0:
            return v
        ssa, perm, pax = self._phys_axis(v, axis)
        res = self.op("tosa.reverse", [ssa], self.types[ssa],
                      f"axis = {pax} : i32")
        return Value(v.shape, v.dtype, ssa=res, perm=perm)

    def concat(self, values, axis: int) -> Value:
        values = [v for v in values if v.size != 0] or values[:1]
        if len(values) == 1:
            return values[0]
        shape = list(values[0].shape)
        shape[axis] = sum(v.shape[axis] for v in values)
        if all(v.is_const for v in values):
            return Value.constant(np.concatenate([v.const for v in values],
                                                 axis))
        perm = self._layout_for(values, len(shape))
        ops = [self.phys(v, perm) for v in values]
        pshape = [shape[p] for p in perm]
        res = self.op("tosa.concat", ops,
                      mt.tensor_type(pshape, values[0].dtype),
                      f"axis = {perm.index(axis)} : i32")
        return Value(shape, values[0].dtype, ssa=res, perm=perm)

    def take(self, v: Value, indices, axis: int) -> Value:
        """``np.take(v, indices, axis)`` for constant 1-D ``indices``."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = v.shape[axis]
        if v.is_const:
            return Value.constant(np.take(v.const, idx, axis=axis))
        shape = v.shape[:axis] + (len(idx),) + v.shape[axis + 1:]
        if len(idx) == 0 or v.size == 0:
            return Value.constant(np.zeros(shape, v.dtype))
        if np.array_equal(idx, np.arange(n)):
            return v
        # Contiguous runs (ascending or descending) become slices.
        runs = []
        start = 0
        while start < len(idx):
            end = start + 1
            step = 0
            if end < len(idx) and abs(int(idx[end]) - int(idx[start])) == 1:
                step = int(idx[end]) - int(idx[start])
                while end < len(idx) and idx[end] - idx[end - 1] == step:
                    end += 1
            runs.append((start, end, step))
            start = end
        if len(runs) <= 4:
            parts = []
            for s, e, step in runs:
                lo = int(min(idx[s], idx[e - 1]))
                part = self.slice_axis(v, axis, lo, e - s)
                if step < 0:
                    part = self.reverse(part, axis)
                parts.append(part)
            return self.concat(parts, axis)
        return self._gather_axis(v, idx, axis)

    def _gather_axis(self, v: Value, idx, axis: int) -> Value:
        ssa, perm, pax = self._phys_axis(v, axis)
        pshape = [v.shape[p] for p in perm]
        outer = int(np.prod(pshape[:pax], dtype=np.int64))
        inner = int(np.prod(pshape[pax + 1:], dtype=np.int64))
        x3 = self._reshape_ssa(ssa, (outer, pshape[pax], inner), v.dtype)
        ind = np.broadcast_to(idx.astype(np.int32), (outer, len(idx)))
        out3 = (outer, len(idx), inner)
        g = self.op("tosa.gather", [x3, self.const_ssa(ind)],
                    mt.tensor_type(out3, v.dtype))
        pshape[pax] = len(idx)
        res = self._reshape_ssa(g, pshape, v.dtype)
        shape = v.shape[:axis] + (len(idx),) + v.shape[axis + 1:]
        return Value(shape, v.dtype, ssa=res, perm=perm)

    def pad(self, v: Value, pads, value) -> Value:
        """Constant padding; ``pads`` is [(before, after)] per logical dim."""
        pads = [(int(b), int(e)) for b, e in pads]
        if all(b == 0 and e == 0 for b, e in pads):
            return v
        shape = tuple(d + b + e for d, (b, e) in zip(v.shape, pads))
        if v.is_const:
            return Value.constant(np.pad(v.const, pads,
                                         constant_values=value))
        if v.size == 0:
            return Value.constant(np.full(shape, value, v.dtype))
        perm = (v.perm if v.flat is None else None) or _identity(v.rank)
        ssa = self.phys(v, perm)
        flat = []
        for p in perm:
            flat.extend(pads[p])
        pc = self.const_ssa(np.full([1], value, v.dtype))
        pshape = [shape[p] for p in perm]
        res = self.op("tosa.pad", [ssa, self.shape_ssa(flat), pc],
                      mt.tensor_type(pshape, v.dtype))
        return Value(shape, v.dtype, ssa=res, perm=perm)

    def tile(self, v: Value, multiples) -> Value:
        multiples = tuple(int(m) for m in multiples)
        if all(m == 1 for m in multiples):
            return v
        if v.is_const:
            return Value.constant(np.tile(v.const, multiples))
        shape = tuple(d * m for d, m in zip(v.shape, multiples))
        perm = (v.perm if v.flat is None else None) or _identity(v.rank)
        ssa = self.phys(v, perm)
        pm = [multiples[p] for p in perm]
        res = self.op("tosa.tile", [ssa, self.shape_ssa(pm)],
                      mt.tensor_type([shape[p] for p in perm], v.dtype))
        return Value(shape, v.dtype, ssa=res, perm=perm)

    def broadcast_to(self, v: Value, shape) -> Value:
        shape = tuple(shape)
        if v.shape == shape:
            return v
        if v.is_const:
            return Value.constant(np.broadcast_to(v.const, shape).copy())
        v = self.expand_rank(v, len(shape))
        return self.tile(v, [s if d == 1 else 1
                             for d, s in zip(v.shape, shape)])

    # ------------------------------------------------------------ compute
    def matmul(self, a: Value, b: Value) -> Value:
        """2-D ``a @ b`` via tosa.matmul; folds a flat layout of ``a`` into a
        constant ``b``."""
        m, k = a.shape
        k2, n = b.shape
        assert k == k2, (a.shape, b.shape)
        if a.is_const and b.is_const:
            return Value.constant(a.const @ b.const)
        if a.flat is not None and b.is_const and not a.is_const:
            a_ssa = a.ssa
            b = Value.constant(b.const[a.flat.col_perm])
        else:
            a_ssa = self.phys(a)
        a3 = self._reshape_ssa(a_ssa, (1, m, k), a.dtype)
        b3 = self._reshape_ssa(self.phys(b), (1, k, n), b.dtype)
        zp = self.zero_point(a.dtype)
        r = self.op("tosa.matmul", [a3, b3, zp, zp],
                    mt.tensor_type((1, m, n), a.dtype))
        return self.result(self._reshape_ssa(r, (m, n), a.dtype), (m, n),
                           a.dtype)

    def batch_matmul(self, a: Value, b: Value) -> Value:
        """3-D batched matmul with equal batch sizes."""
        bs, m, k = a.shape
        _, _, n = b.shape
        if a.is_const and b.is_const:
            return Value.constant(np.matmul(a.const, b.const))
        zp = self.zero_point(a.dtype)
        r = self.op("tosa.matmul", [self.phys(a), self.phys(b), zp, zp],
                    mt.tensor_type((bs, m, n), a.dtype))
        return self.result(r, (bs, m, n), a.dtype)
