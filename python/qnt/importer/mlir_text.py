"""Textual MLIR emission: types, constant attributes, resource blobs, functions.

Debian's MLIR has no Python bindings, so the importer writes MLIR as text.
Every operation is printed in the *generic* form
(``%1 = "tosa.add"(%a, %b) : (T, T) -> T``), which the parser accepts for all
ops regardless of their custom assembly format; ``mlir-opt`` prints the pretty
form back.

Large constants become ``dense_resource<name>`` blobs in the module's
``dialect_resources`` section (hex of a 4-byte alignment header followed by
the little-endian data), so multi-megabyte weights parse quickly.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

# numpy dtype -> MLIR element type.  Signless integers: ONNX signed types map
# one to one; unsigned ONNX types are rejected by the importer (TOSA integer
# arithmetic is signed).
_ELEM = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.float64): "f64",
    np.dtype(np.int8): "i8",
    np.dtype(np.int16): "i16",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "i1",
}
_ELEM_REV = {v: k for k, v in _ELEM.items()}

# Constants with more elements than this go to a resource blob.
INLINE_LIMIT = 16


def elem_type(dtype) -> str:
    dtype = np.dtype(dtype)
    if dtype not in _ELEM:
        raise ValueError(f"no MLIR element type for numpy dtype {dtype}")
    return _ELEM[dtype]


def dtype_of_elem(elem: str) -> np.dtype:
    if elem not in _ELEM_REV:
        raise ValueError(f"unsupported MLIR element type '{elem}'")
    return _ELEM_REV[elem]


def supported_dtype(dtype) -> bool:
    return np.dtype(dtype) in _ELEM


def tensor_type(shape, dtype) -> str:
    dims = "".join(f"{int(d)}x" for d in shape)
    return f"tensor<{dims}{elem_type(dtype)}>"


def shape_type(rank: int) -> str:
    return f"!tosa.shape<{rank}>"


def _hex_bits(x: np.generic) -> str:
    bits = np.array(x).view(f"u{x.dtype.itemsize}").item()
    return f"0x{bits:0{2 * x.dtype.itemsize}X}"


def scalar_literal(x, dtype) -> str:
    """An MLIR literal for one element (exact: floats round-trip)."""
    dtype = np.dtype(dtype)
    x = np.asarray(x, dtype=dtype).reshape(())[()]
    if dtype == np.bool_:
        return "true" if x else "false"
    if dtype.kind in "iu":
        return str(int(x))
    if not np.isfinite(x):
        return _hex_bits(np.asarray(x, dtype=dtype).reshape(())[()])
    digits = {2: 5, 4: 9, 8: 17}[dtype.itemsize]
    return f"{float(x):.{digits - 1}e}"


def typed_scalar_attr(x, dtype) -> str:
    """``1.5 : f32`` style attribute."""
    return f"{scalar_literal(x, dtype)} : {elem_type(dtype)}"


def _nested(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return scalar_literal(arr, arr.dtype)
    return "[" + ", ".join(_nested(a) for a in arr) + "]"


def mlir_string(s: str) -> str:
    """A quoted MLIR string literal."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\{b:02X}" for b in ch.encode("utf-8"))
    return '"' + "".join(out) + '"'


def sanitize(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not s or s[0].isdigit():
        s = "_" + s
    return s


class ModuleText:
    """Collects functions and resource blobs of one module."""

    def __init__(self):
        self.functions: list[str] = []
        self._blobs: dict[str, str] = {}       # name -> hex
        self._blob_by_key: dict[tuple, str] = {}

    def dense_attr(self, arr: np.ndarray, hint: str = "cst") -> str:
        """A dense elements attribute (inline or resource) for ``arr``."""
        arr = np.asarray(arr, order="C")
        ttype = tensor_type(arr.shape, arr.dtype)
        if arr.size == 0:
            return f"dense<> : {ttype}"
        flat = arr.reshape(-1)
        if arr.dtype == np.bool_ or arr.size <= INLINE_LIMIT:
            if np.all(flat == flat[0]) and not (arr.dtype.kind == "f" and
                                                np.isnan(flat).any()):
                return f"dense<{scalar_literal(flat[0], arr.dtype)}> : {ttype}"
            return f"dense<{_nested(arr)}> : {ttype}"
        if np.all(flat == flat[0]) and np.isfinite(flat[0]):
            return f"dense<{scalar_literal(flat[0], arr.dtype)}> : {ttype}"
        data = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        key = (ttype, hashlib.sha1(data).hexdigest())
        name = self._blob_by_key.get(key)
        if name is None:
            base = sanitize(hint)[:48]
            name = base
            i = 0
            while name in self._blobs:
                i += 1
                name = f"{base}_{i}"
            self._blobs[name] = "0x04000000" + data.hex().upper()
            self._blob_by_key[key] = name
        return f"dense_resource<{name}> : {ttype}"

    def render(self) -> str:
        out = ["module {"]
        out.extend(self.functions)
        out.append("}")
        if self._blobs:
            out.append("")
            out.append("{-#")
            out.append("  dialect_resources: {")
            out.append("    builtin: {")
            items = [f'      {k}: "{v}"' for k, v in self._blobs.items()]
            out.append(",\n".join(items))
            out.append("    }")
            out.append("  }")
            out.append("#-}")
        return "\n".join(out) + "\n"
