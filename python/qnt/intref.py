"""An independent numpy interpreter of qnt's integer programs (the oracle).

``load(text)`` normalizes MLIR text with ``qnt-opt --mlir-print-op-generic``
and parses the generic form of one function; ``Program.run(*inputs)``
executes it on concrete arrays.  The op semantics are written here from the
TOSA 1.0 definitions and qnt's dialect documentation, not from qnt's compiled
code, so that the native library can be checked against it bit for bit
(docs/intref.md lists the ops and the limits).

Integer arithmetic is done in int64 (or, for dot products whose bound proves
it exact, in float32/float64 through BLAS); every integer result must fit its
declared element type, else ``IntrefError`` (an overflow is a bug in the
program, not something to reproduce).  ``qnt.quantize`` and
``qnt.requantize`` are the exception by definition: their codes may be
unsigned (``ui8``, ``clamp [0, 255]``) and are stored as the two's complement
bit pattern of the signless result type, as qnt's runtime returns them.

    >>> prog = load(open("model.int.mlir").read())
    >>> logits, = prog.run(x)                    # x: float32, exact shape
    >>> logits, = prog.run_dataset(images)       # any sample count
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["IntrefError", "Program", "load", "rescale", "requantize"]

I32_MIN, I32_MAX = -2**31, 2**31 - 1

# qnt-opt prints dense literals with more elements than this as hex (raw
# little-endian data): exact bits (no decimal -> float rounding) and fast to
# read.  Splats stay decimal.
HEX_IF_LARGER = 1


class IntrefError(Exception):
    """Unsupported IR, a bad input, or an integer overflow in the program."""


# ------------------------------------------------------------------ types
@dataclass(frozen=True)
class TensorType:
    shape: tuple
    elem: str                     # "i8", "i32", "f32", "index", ...

    @property
    def is_int(self):
        return _int_width(self.elem) is not None

    @property
    def width(self):
        return _int_width(self.elem)

    @property
    def is_float(self):
        return self.elem in _FLOAT_DTYPES

    @property
    def dtype(self):
        return _storage_dtype(self.elem)

    def __str__(self):
        dims = "".join(f"{d}x" for d in self.shape)
        return f"tensor<{dims}{self.elem}>"


@dataclass(frozen=True)
class ShapeType:
    rank: int

    def __str__(self):
        return f"!tosa.shape<{self.rank}>"


_FLOAT_DTYPES = {"f32": np.float32, "f64": np.float64}


def _int_width(elem):
    if elem == "index":
        return 64
    m = re.fullmatch(r"i(\d+)", elem)
    return int(m.group(1)) if m and 1 <= int(m.group(1)) <= 64 else None


def _storage_dtype(elem):
    if elem in _FLOAT_DTYPES:
        return np.dtype(_FLOAT_DTYPES[elem])
    w = _int_width(elem)
    if w is None:
        raise IntrefError(f"unsupported element type '{elem}'")
    if w == 1:
        return np.dtype(np.bool_)
    for bits, dt in ((8, np.int8), (16, np.int16), (32, np.int32)):
        if w <= bits:
            return np.dtype(dt)
    return np.dtype(np.int64)


def _int_range(w):
    if w == 1:
        return 0, 1
    return -(1 << (w - 1)), (1 << (w - 1)) - 1


# ------------------------------------------------------------- text scanning
_TOK = re.compile(r'"(?:[^"\\]|\\.)*"|->|[()\[\]{}<>,]')
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">"}


def _close(s, i):
    """Index of the bracket closing the one at ``s[i]``."""
    stack = []
    for m in _TOK.finditer(s, i):
        t = m.group()
        if t in _PAIRS:
            stack.append(_PAIRS[t])
        elif t in (")", "]", "}", ">"):
            if not stack or stack[-1] != t:
                break
            stack.pop()
            if not stack:
                return m.start()
    raise IntrefError(f"unbalanced brackets in '{s[i:i + 80]}...'")


def _split_top(s, sep=","):
    """Split ``s`` on top-level ``sep`` (outside brackets and strings)."""
    parts, depth, start = [], 0, 0
    for m in _TOK.finditer(s):
        t = m.group()
        if t in _PAIRS:
            depth += 1
        elif t in (")", "]", "}", ">"):
            depth -= 1
        elif t == sep and depth == 0:
            parts.append(s[start:m.start()].strip())
            start = m.end()
    last = s[start:].strip()
    if last or parts:
        parts.append(last)
    return parts


def _parse_type(text):
    text = text.strip()
    m = re.fullmatch(r"tensor<(.*)>", text, re.S)
    if m:
        inner = m.group(1)
        dm = re.match(r"((?:(?:\d+|\?)x)*)", inner)
        dims = [d for d in dm.group(1).split("x") if d]
        elem = inner[dm.end():]
        if "?" in dims:
            raise IntrefError(f"dynamic shape in {text}: static shapes only")
        if elem not in _FLOAT_DTYPES and _int_width(elem) is None:
            raise IntrefError(f"unsupported element type in {text}")
        return TensorType(tuple(int(d) for d in dims), elem)
    m = re.fullmatch(r"!tosa\.shape<(\d+)>", text)
    if m:
        return ShapeType(int(m.group(1)))
    raise IntrefError(f"unsupported type '{text}'")


def _take_type(s, i):
    """A type starting at ``s[i]`` (after spaces): (text, end index)."""
    while i < len(s) and s[i].isspace():
        i += 1
    m = re.compile(r"[!\w.]+").match(s, i)
    if not m:
        raise IntrefError(f"expected a type at '{s[i:i + 40]}'")
    end = m.end()
    if end < len(s) and s[end] == "<":
        end = _close(s, end) + 1
    return s[i:end], end


# ---------------------------------------------------------- literal parsing
def _float_bits(tok, dtype):
    """A hex float literal (the bits of the element type)."""
    bits = int(tok, 16)
    itype = {4: np.uint32, 8: np.uint64}[np.dtype(dtype).itemsize]
    return np.array([bits], itype).view(dtype)[0]


def _scalar(tok, elem):
    tok = tok.strip()
    if elem in _FLOAT_DTYPES:
        if tok.lower().startswith(("0x", "-0x")):
            return _float_bits(tok, _FLOAT_DTYPES[elem])
        return float(tok)
    if tok == "true":
        return 1
    if tok == "false":
        return 0
    return int(tok, 0)


def _from_bytes(data, ttype, what):
    """Raw little-endian element data (hex literals and resource blobs)."""
    n = int(np.prod(ttype.shape, dtype=np.int64))
    if ttype.is_float:
        dt = np.dtype(_FLOAT_DTYPES[ttype.elem]).newbyteorder("<")
        arr = np.frombuffer(data, dt)
    elif ttype.width == 1:
        if len(data) == n:                          # one byte per element
            arr = np.frombuffer(data, np.uint8) != 0
        elif len(data) == 1 and n > 8:              # splat
            arr = np.array([data[0] != 0])
        else:                                       # packed bits
            arr = np.unpackbits(np.frombuffer(data, np.uint8),
                                bitorder="little")[:n].astype(bool)
            if len(arr) < n:
                arr = np.array([])
    else:
        w = ttype.width
        nb = (w + 7) // 8
        if len(data) % nb:
            raise IntrefError(f"{what}: {len(data)} bytes is not a multiple "
                              f"of {nb} for {ttype}")
        if w == 8 * nb and nb in (1, 2, 4, 8):
            arr = np.frombuffer(data, np.dtype(f"<i{nb}")).astype(np.int64)
        else:
            # Odd widths (i4, i48): ceil(w/8) little-endian bytes each.
            b = np.frombuffer(data, np.uint8).reshape(-1, nb).astype(np.int64)
            raw = np.zeros(len(b), np.int64)
            for k in range(nb):
                raw |= b[:, k] << (8 * k)
            raw &= (1 << w) - 1
            arr = np.where(raw >= (1 << (w - 1)), raw - (1 << w), raw)
    if arr.size == 1 and n != 1:
        arr = np.full(n, arr[0])
    if arr.size != n:
        raise IntrefError(f"{what}: {arr.size} elements for {ttype}")
    return _to_storage(arr.reshape(ttype.shape), ttype)


def _to_storage(arr, ttype):
    if ttype.is_int and ttype.width > 1:
        lo, hi = _int_range(ttype.width)
        if arr.size and (arr.min() < lo or arr.max() > hi):
            raise IntrefError(f"constant out of range for {ttype}")
    return np.ascontiguousarray(arr.astype(ttype.dtype))


def parse_dense(body, ttype, what="dense literal"):
    """The part between ``dense<`` and ``>`` for a tensor type."""
    body = body.strip()
    if body.startswith('"'):
        hexstr = body.strip('"')
        if not hexstr.lower().startswith("0x"):
            raise IntrefError(f"{what}: unsupported string literal")
        return _from_bytes(bytes.fromhex(hexstr[2:]), ttype, what)
    if "(" in body:
        raise IntrefError(f"{what}: complex literals are not supported")
    toks = [t for t in re.split(r"[\s\[\],]+", body) if t]
    n = int(np.prod(ttype.shape, dtype=np.int64))
    if ttype.is_float:
        if any(t.lower().startswith(("0x", "-0x")) for t in toks):
            vals = [_scalar(t, ttype.elem) for t in toks]
        else:
            vals = [float(t) for t in toks]
        arr = np.array(vals, np.float64).astype(ttype.dtype)
    elif ttype.is_int:
        vals = [_scalar(t, ttype.elem) for t in toks]
        arr = np.array(vals, np.int64)
    else:
        raise IntrefError(f"{what}: unsupported element type {ttype.elem}")
    if arr.size == 1 and n != 1:
        arr = np.full(n, arr[0], arr.dtype)
    if arr.size != n:
        raise IntrefError(f"{what}: {arr.size} elements for {ttype}")
    return _to_storage(arr.reshape(ttype.shape), ttype)


# -------------------------------------------------------------- the module
@dataclass
class Op:
    name: str
    results: list
    operands: list
    attrs: dict                  # name -> attribute text (props and attrs)
    in_types: list
    out_types: list
    loc: str = ""
    line: int = 0

    def where(self):
        return f"'{self.name}'" + (f" at loc({self.loc})" if self.loc else "")

    def error(self, msg):
        return IntrefError(f"{self.where()}: {msg}")


def _parse_attr_dict(body):
    out = {}
    for item in _split_top(body):
        if not item:
            continue
        key, eq, val = item.partition("=")
        key = key.strip().strip('"')
        out[key] = val.strip() if eq else "unit"
    return out


def _trailing_loc(line):
    """Index of the '(' of a top-level ``loc(...)`` ending the line."""
    end = len(line.rstrip()) - 1
    depth, cand = 0, None
    for m in _TOK.finditer(line):
        t = m.group()
        if t in _PAIRS:
            if depth == 0 and t == "(" and line[m.start() - 3:m.start()] == \
                    "loc":
                cand = m.start()
            depth += 1
        elif t in (")", "]", "}", ">"):
            depth -= 1
    if cand is not None and _close(line, cand) == end:
        return cand
    return None


_VALUE = r"%[\w$.\-]+(?::\d+)?"
_RESULTS = re.compile(rf"\s*((?:{_VALUE}\s*,\s*)*{_VALUE})\s*=\s*")


def _parse_op(line, lineno):
    results = []
    m = _RESULTS.match(line)
    pos = 0
    if m:
        for r in m.group(1).split(","):
            name, _, count = r.strip().partition(":")
            if count:
                results += [f"{name}#{i}" for i in range(int(count))]
            else:
                results.append(name)
        pos = m.end()
    m = re.compile(r'\s*"([^"]+)"\s*\(').match(line, pos)
    if not m:
        raise IntrefError(f"line {lineno}: cannot parse '{line[:100]}'")
    name = m.group(1)
    op = Op(name, results, [], {}, [], [], line=lineno)
    lp = m.end() - 1
    rp = _close(line, lp)
    op.operands = [o for o in _split_top(line[lp + 1:rp]) if o]
    i = rp + 1
    # The location first (for error messages): the trailing loc(...).
    lp = _trailing_loc(line)
    if lp is not None:
        op.loc = line[lp + 1:len(line.rstrip()) - 1]
        line = line[:lp - 3].rstrip()
    rest = line[i:].lstrip()
    i = len(line) - len(rest)
    if rest.startswith("["):
        raise op.error("ops with successors are not supported")
    if rest.startswith("<{"):
        j = _close(line, i)
        op.attrs.update(_parse_attr_dict(line[i + 2:j - 1]))
        rest = line[j + 1:].lstrip()
        i = len(line) - len(rest)
    if rest.startswith("("):
        raise op.error("ops with regions are not supported")
    if rest.startswith("{"):
        j = _close(line, i)
        op.attrs.update(_parse_attr_dict(line[i + 1:j]))
        rest = line[j + 1:].lstrip()
        i = len(line) - len(rest)
    if not rest.startswith(":"):
        raise op.error(f"cannot parse the op's type in '{rest[:80]}'")
    i += 1
    while line[i].isspace():
        i += 1
    if line[i] != "(":
        raise op.error("expected a function type")
    j = _close(line, i)
    in_txt = [t for t in _split_top(line[i + 1:j]) if t]
    k = line.index("->", j) + 2
    while line[k].isspace():
        k += 1
    if line[k] == "(":
        e = _close(line, k)
        out_txt = [t for t in _split_top(line[k + 1:e]) if t]
    else:
        t, _ = _take_type(line, k)
        out_txt = [t]
    op.in_types = [_parse_type(t) for t in in_txt]
    op.out_types = [_parse_type(t) for t in out_txt]
    if len(op.out_types) != len(op.results):
        raise op.error("result count does not match the type")
    return op


_ALIAS_DEF = re.compile(r"^([#!][A-Za-z_][\w$.\-]*)\s*=\s*(.*)$")
_ALIAS_USE = re.compile(r"[#!][A-Za-z_][\w$\-]*(?![\w$.\-<])")

_RESOURCE_ENTRY = re.compile(
    r'([A-Za-z_][\w$.\-]*|"(?:[^"\\]|\\.)*")\s*:\s*"0x([0-9A-Fa-f]*)"')


def _parse_resources(text):
    start = text.find("{-#")
    if start < 0:
        return {}
    sec = text[start:]
    m = re.search(r"\bbuiltin\s*:\s*\{", sec)
    if not m:
        return {}
    body = sec[m.end() - 1:_close(sec, m.end() - 1)]
    out = {}
    for e in _RESOURCE_ENTRY.finditer(body):
        out[e.group(1).strip('"')] = e.group(2)
    return out


def _normalize(text, func):
    from .tools import qnt_tool
    opt = qnt_tool("qnt-opt")
    cmd = [str(opt), "-", "--mlir-print-op-generic", "--mlir-print-debuginfo",
           "--allow-unregistered-dialect",
           f"--mlir-print-elementsattrs-with-hex-if-larger={HEX_IF_LARGER}"]
    p = subprocess.run(cmd, input=text, capture_output=True, text=True)
    if p.returncode != 0:
        raise IntrefError(f"qnt-opt could not parse the module:\n{p.stderr}")
    return p.stdout


def alias_table(lines) -> dict:
    """Alias definitions (``#loc3 = loc(...)``) of generic text: name ->
    value, location aliases reduced to what is inside ``loc(...)``."""
    aliases = {}
    for line in lines:
        m = _ALIAS_DEF.match(line)
        if m:
            value = m.group(2).strip()
            # Location aliases are used as loc(#loc3): keep the inside.
            lm = re.fullmatch(r"loc\((.*)\)", value)
            aliases[m.group(1)] = lm.group(1) if lm else value
    return aliases


def function_start(lines, func, error=None) -> int:
    """Index of the line opening ``"func.func"()`` @func in generic text;
    raises ``error`` (IntrefError by default) naming the functions there."""
    for n, line in enumerate(lines):
        s = line.strip()
        if s.startswith('"func.func"()'):
            m = re.search(r'sym_name\s*=\s*"((?:[^"\\]|\\.)*)"', s)
            if m and m.group(1) == func:
                return n
    names = re.findall(r'"func\.func"\(\).*?sym_name\s*=\s*"([^"]*)"',
                       "\n".join(lines))
    raise (error or IntrefError)(f"no function @{func} in the module "
                                 f"(functions: {names})")


def load(text: str, func: str = "forward") -> "Program":
    """Parse function ``func`` of an MLIR module (pretty or generic text)."""
    return Program(_normalize(text, func), func)


# ----------------------------------------------------------------- program
class Program:
    """One function of an integer (or mixed) TOSA + qnt program."""

    def __init__(self, generic_text: str, func: str = "forward"):
        self.func = func
        self._resources = _parse_resources(generic_text)
        lines = generic_text.splitlines()
        # Aliases (#loc3 = loc(...)): --mlir-print-local-scope would inline
        # them but also drops the dialect_resources section.
        self._aliases = alias_table(lines)
        start = function_start(lines, func)
        header = lines[start].strip()
        m = re.search(r"function_type\s*=\s*\(", header)
        j = _close(header, m.end() - 1)
        self.input_types = [_parse_type(t) for t in
                            _split_top(header[m.end():j]) if t]
        self.arg_names = []
        self.ops = []
        self.ret = None
        n = start + 1
        while n < len(lines):
            s = lines[n].strip()
            n += 1
            if not s:
                continue
            if s.startswith("^"):
                if self.ops or self.arg_names or not s.startswith("^bb0"):
                    raise IntrefError(f"@{func}: multiple blocks are not "
                                      f"supported")
                p = s.index("(") if "(" in s else -1
                if p >= 0:
                    for a in _split_top(s[p + 1:_close(s, p)]):
                        self.arg_names.append(a.split(":")[0].strip())
                continue
            if s.startswith("})"):
                break
            op = _parse_op(self._resolve(s), n)
            if op.name == "func.return":
                self.ret = op
                continue
            if self.ret is not None:
                raise op.error("op after func.return")
            self.ops.append(op)
        if self.ret is None:
            raise IntrefError(f"@{func}: no func.return found")
        if len(self.arg_names) != len(self.input_types):
            raise IntrefError(f"@{func}: {len(self.arg_names)} block "
                              f"arguments for {len(self.input_types)} inputs")
        self.output_types = list(self.ret.in_types)
        for t in self.input_types + self.output_types:
            if not isinstance(t, TensorType):
                raise IntrefError(f"@{func}: argument/result type {t} is not "
                                  f"a tensor")
        # Prepare every op (attributes are parsed and checked now), then
        # evaluate the ops that depend on constants only, once.
        self._consts = {}
        self._steps = []
        for op in self.ops:
            impl = _IMPLS.get(op.name)
            if impl is None:
                raise IntrefError(f"unsupported op {op.where()}")
            if len(op.in_types) != len(op.operands):
                raise op.error("operand count does not match the type")
            try:
                run = impl(self, op)
            except IntrefError as e:
                if str(e).startswith(op.where()):
                    raise
                raise op.error(str(e)) from None
            if all(o in self._consts for o in op.operands):
                self._exec(op, run, self._consts)
            else:
                self._steps.append((op, run))

    def _resolve(self, text):
        """Substitute alias references (repeatedly: aliases nest)."""
        if not self._aliases:
            return text
        for _ in range(16):
            new = _ALIAS_USE.sub(
                lambda m: self._aliases.get(m.group(0), m.group(0)), text)
            if new == text:
                break
            text = new
        return text

    # ------------------------------------------------------------ running
    def _exec(self, op, run, env):
        try:
            ins = [env[o] for o in op.operands]
        except KeyError as e:
            raise op.error(f"operand {e.args[0]} is not defined before use")
        try:
            outs = run(ins)
        except IntrefError as e:
            if str(e).startswith(op.where()):
                raise
            raise op.error(str(e)) from None
        if len(op.results) == 1:
            outs = [outs]
        for name, t, v in zip(op.results, op.out_types, outs):
            if isinstance(t, TensorType):
                if v.shape != t.shape:
                    raise op.error(f"computed shape {v.shape} but the result "
                                   f"type is {t}")
                if v.dtype != t.dtype:
                    raise op.error(f"internal: {v.dtype} result for {t}")
            env[name] = v

    def _env(self, inputs):
        if len(inputs) != len(self.input_types):
            raise IntrefError(f"@{self.func} expects {len(self.input_types)} "
                              f"inputs, got {len(inputs)}")
        env = dict(self._consts)
        for i, (name, t, x) in enumerate(zip(self.arg_names, self.input_types,
                                            inputs)):
            x = np.asarray(x)
            if x.shape != t.shape:
                raise IntrefError(f"@{self.func}: input {i} must have shape "
                                  f"{t.shape}, got {x.shape}")
            if t.is_int:
                if not np.issubdtype(x.dtype, np.integer) and x.dtype != bool:
                    raise IntrefError(f"@{self.func}: input {i} must be "
                                      f"integer ({t}), got {x.dtype}")
                x = _to_storage(x.astype(np.int64), t)
            else:
                x = np.ascontiguousarray(x, dtype=t.dtype)
            env[name] = x
        return env

    def run(self, *inputs):
        """Execute the function; returns the list of outputs."""
        env = self._env(inputs)
        for op, run in self._steps:
            self._exec(op, run, env)
        return [env[o] for o in self.ret.operands]

    def trace(self, *inputs):
        """Every value of one execution: {"%name": array} (for debugging a
        mismatch: find the first op whose result differs)."""
        env = self._env(inputs)
        for op, run in self._steps:
            self._exec(op, run, env)
        return env

    @property
    def batch_size(self):
        return self.input_types[0].shape[0]

    def run_dataset(self, x, batch=None):
        """Run samples ``x`` (N, ...) through a function with a fixed batch
        in dimension 0; the last chunk is padded by repeating its samples
        and the padding dropped.  ``x`` may be a list of arrays for a
        function with several inputs.  Returns the concatenated outputs."""
        xs = list(x) if isinstance(x, (list, tuple)) else [x]
        xs = [np.asarray(a) for a in xs]
        bs = self.batch_size
        if batch is not None and batch != bs:
            raise IntrefError(f"@{self.func} has batch size {bs}, not {batch}")
        n = len(xs[0])
        if any(len(a) != n for a in xs):
            raise IntrefError("inputs have different sample counts")
        results = [[] for _ in self.output_types]
        for s in range(0, n, bs):
            chunk = [a[s:s + bs] for a in xs]
            real = len(chunk[0])
            if real < bs:
                idx = np.arange(bs) % real
                chunk = [c[idx] for c in chunk]
            for r, o in zip(results, self.run(*chunk)):
                r.append(o[:real])
        return [np.concatenate(r) if r else np.empty((0,)) for r in results]


# ------------------------------------------------------------- attributes
def _attr(op, key, default=None, required=True):
    if key in op.attrs:
        return op.attrs[key]
    if default is not None or not required:
        return default
    raise op.error(f"missing attribute '{key}'")


def _attr_int(op, key, default=None):
    v = _attr(op, key, None if default is None else str(default))
    m = re.fullmatch(r"(-?\d+)(?:\s*:\s*(?:i|si|ui)\d+)?", v.strip())
    if not m:
        if v.strip() in ("true", "false"):
            return int(v.strip() == "true")
        raise op.error(f"attribute {key} = {v}: expected an integer")
    return int(m.group(1))


def _attr_scalar(op, key, elem):
    """An integer or float attribute converted for element type ``elem``."""
    v = _attr(op, key)
    m = re.fullmatch(r"(\S+)\s*:\s*(\w+)", v.strip())
    tok = m.group(1) if m else v.strip()
    try:
        if elem in _FLOAT_DTYPES:
            ty = m.group(2) if m and m.group(2) in _FLOAT_DTYPES else elem
            return _FLOAT_DTYPES[elem](_scalar(tok, ty))
        return _scalar(tok, elem)
    except ValueError:
        raise op.error(f"attribute {key} = {v}: unsupported form")


def _attr_array(op, key, default=None):
    v = _attr(op, key, default, required=default is None)
    if v is None:
        return None
    if isinstance(v, list):
        return v
    m = re.fullmatch(r"array<i\d+(?::(.*))?>", v.strip(), re.S)
    if not m:
        raise op.error(f"attribute {key} = {v}: expected array<i64: ...>")
    return [int(t) for t in (m.group(1) or "").split(",") if t.strip()]


def _elements_attr(prog, op, key):
    v = _attr(op, key).strip()
    m = re.fullmatch(r"(dense|dense_resource)<(.*)>\s*:\s*(tensor<.*>)", v,
                     re.S)
    if not m:
        raise op.error(f"unsupported attribute form {key} = {v[:80]}")
    ttype = _parse_type(m.group(3))
    if m.group(1) == "dense":
        return parse_dense(m.group(2), ttype, f"{op.where()} {key}")
    res = m.group(2).strip().strip('"')
    blob = prog._resources.get(res)
    if blob is None:
        raise op.error(f"dense_resource<{res}> has no blob in the module's "
                       f"dialect_resources section")
    data = bytes.fromhex(blob)
    if len(data) < 4:
        raise op.error(f"dense_resource<{res}> blob is too short")
    return _from_bytes(data[4:], ttype, f"{op.where()} dense_resource<{res}>")


@dataclass
class Uniform:
    signed: bool
    bits: int
    narrow: bool
    scales: list
    zero_points: list
    axis: int | None = None

    @property
    def qmin(self):
        if not self.signed:
            return 0
        return -(1 << (self.bits - 1)) + (1 if self.narrow else 0)

    @property
    def qmax(self):
        return (1 << self.bits) - 1 if not self.signed \
            else (1 << (self.bits - 1)) - 1


def parse_uniform(text):
    """``#qnt.uniform<si8 narrow, axis = 1, scales = [...], zero_points =
    [...]>`` (or the per-tensor ``scale = s, zero_point = z`` form)."""
    m = re.fullmatch(r"#qnt\.uniform<(.*)>", text.strip(), re.S)
    if not m:
        raise IntrefError(f"unsupported quantization parameters "
                          f"'{text.strip()[:80]}' (only #qnt.uniform)")
    parts = _split_top(m.group(1))
    sm = re.fullmatch(r"(si|ui)(\d+)(\s+narrow)?", parts[0].strip())
    if not sm:
        raise IntrefError(f"bad storage type in {text.strip()}")
    kv = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        kv[k.strip()] = v.strip()

    def num_list(v, conv):
        v = v.strip()
        if v.startswith("["):
            v = v[1:-1]
        return [conv(t) for t in v.split(",") if t.strip()]

    def f64(t):
        t = t.strip()
        return float(_float_bits(t, np.float64)) if t.lower().startswith(
            ("0x", "-0x")) else float(t)

    u = Uniform(sm.group(1) == "si", int(sm.group(2)), bool(sm.group(3)),
                [], [])
    if "axis" in kv:
        u.axis = int(kv["axis"])
        u.scales = num_list(kv.get("scales", ""), f64)
        u.zero_points = num_list(kv.get("zero_points", ""), int) or \
            [0] * len(u.scales)
    else:
        u.scales = num_list(kv.get("scale", ""), f64)
        u.zero_points = num_list(kv.get("zero_point", "0"), int)
    if not u.scales or len(u.zero_points) != len(u.scales):
        raise IntrefError(f"bad scales/zero points in {text.strip()}")
    return u


def _per_axis(values, axis, rank, dtype):
    """Values (one per slice along ``axis``, or one) shaped to broadcast."""
    a = np.asarray(values, dtype)
    if axis is None or a.size == 1:
        return a.reshape(()) if a.size == 1 else a
    shape = [1] * rank
    shape[axis] = a.size
    return a.reshape(shape)


# ------------------------------------------------- integer store / checks
def _fit(v, t, what="result"):
    """int64 values to the declared integer type; overflow is an error."""
    lo, hi = _int_range(t.width)
    if v.size:
        vmin, vmax = int(v.min()), int(v.max())
        if vmin < lo or vmax > hi:
            bad = vmin if vmin < lo else vmax
            idx = np.unravel_index(int(np.argmin(v) if vmin < lo else
                                       np.argmax(v)), v.shape)
            raise IntrefError(f"integer overflow: {what} value {bad} at index "
                              f"{tuple(int(i) for i in idx)} does not fit "
                              f"{t.elem} [{lo}, {hi}]")
    return np.ascontiguousarray(v.astype(t.dtype))


def _wrap(v, t, what="result"):
    """Codes to a signless result type: values in [-2^(w-1), 2^w - 1] are
    stored as their w-bit two's complement pattern."""
    w = t.width
    lo, hi = -(1 << (w - 1)), (1 << w) - 1
    if v.size and (int(v.min()) < lo or int(v.max()) > hi):
        raise IntrefError(f"{what} out of the range of {t.elem}: "
                          f"[{int(v.min())}, {int(v.max())}]")
    if w < 64 and v.size and int(v.max()) >= (1 << (w - 1)):
        v = ((v + (1 << (w - 1))) & ((1 << w) - 1)) - (1 << (w - 1))
    return np.ascontiguousarray(v.astype(t.dtype))


def _i64(x):
    if x.dtype == np.int64:
        return x
    if x.dtype.kind == "f":
        raise IntrefError("expected an integer tensor, got a float one")
    return x.astype(np.int64)


def _exact_dtype(bound):
    """A float type in which integer dot products with partial sums bounded
    by ``bound`` are exact whatever the summation order (every partial sum
    is an integer the type represents), else int64."""
    if bound <= 2**24:
        return np.float32
    if bound <= 2**53:
        return np.float64
    if bound >= 2**63:
        raise IntrefError("accumulator bound exceeds int64")
    return np.int64


def _exact_matmul(a, b, amax, bmax, k):
    """a @ b of integer-valued arrays, exact: float32/float64 BLAS when the
    bound max|a| * max|b| * k proves it exact (see _exact_dtype), else
    int64."""
    dt = _exact_dtype(int(amax) * int(bmax) * int(k))
    r = np.matmul(a.astype(dt, copy=False), b.astype(dt, copy=False))
    return r.astype(np.int64)


def _absmax(x):
    return int(np.abs(x).max()) if x.size else 0


def _scalar_operand(x, what):
    if x.size != 1:
        raise IntrefError(f"{what} must have one element, has {x.size}")
    return x.reshape(-1)[0]


# --------------------------------------------------------- rescale (public)
def _sat32(v):
    return np.clip(v, I32_MIN, I32_MAX)


def rescale(a, m, n, mode="tflite"):
    """Fixed-point ``a * m * 2^(-31-n)`` per qnt.requantize's rounding mode.

    ``a`` (int32 range), ``m`` (multiplier) and ``n`` (total right shift)
    are integer arrays or scalars that broadcast; returns int64.
      tflite:        RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(
                         sat32(a * 2^max(-n, 0)), m), max(n, 0))
      single_round:  sat32((a*m + 2^(s-1)) >> s), s = 31 + n
      double_round:  as single_round, the rounding term +-2^30 if s > 31
    """
    a = np.asarray(a, np.int64)
    m = np.asarray(m, np.int64)
    n = np.asarray(n, np.int64)
    if mode == "tflite":
        if n.size and (n.min() < -31 or n.max() > 31):
            raise IntrefError("tflite rescale: shift outside [-31, 31]")
        left = np.maximum(-n, 0)
        right = np.maximum(n, 0)
        s = _sat32(a << left) if left.any() else a
        # SaturatingRoundingDoublingHighMul(s, m) = (p + nudge) / 2^31 with C
        # (truncating) division, p = s*m, nudge = 2^30 if p >= 0 else
        # 1 - 2^30.  For p >= 0 the numerator is >= 0, so truncation is the
        # floor: (p + 2^30) >> 31.  For p < 0 the numerator is < 0 and
        # truncation is the ceiling: floor((p + 1 - 2^30 + 2^31 - 1) / 2^31)
        # = (p + 2^30) >> 31 again.  One expression for both signs (the
        # tests check it against the literal definition).
        h = s * m                      # |s*m| <= 2^62: no int64 overflow
        h += 1 << 30
        h >>= 31
        if (m == I32_MIN).any():       # the one overflow case
            h = np.where((s == I32_MIN) & (m == I32_MIN), I32_MAX, h)
        # RoundingDivideByPOT(h, right): ties away from zero.
        if not right.any():
            return h
        mask = (np.int64(1) << right) - 1
        threshold = (h < 0).astype(np.int64)
        threshold += mask >> 1
        up = (h & mask) > threshold
        h >>= right
        h += up
        return h
    if mode in ("single_round", "double_round"):
        s = 31 + n
        if s.size and (s.min() < 2 or s.max() > 62):
            raise IntrefError(f"{mode} rescale: shift outside [-29, 31]")
        r = np.int64(1) << (s - 1)
        if mode == "double_round" and (s > 31).any():
            r = r + np.where(s > 31, np.where(a >= 0, 1 << 30, -(1 << 30)), 0)
        y = a * m                      # |a*m| <= 2^62, + r < 2^63
        y += r
        y >>= s
        return _sat32(y)
    raise IntrefError(f"unknown rounding mode '{mode}'")


def requantize(x, multiplier, shift, *, axis=None, input_zp=0,
               channel_shift=None, output_zp=0, clamp_min, clamp_max,
               rounding="tflite", channel_output_zp=None,
               channel_clamp_min=None, channel_clamp_max=None):
    """qnt.requantize on integer arrays (read as signed); returns int64
    values before the store to the result type. ``channel_output_zp`` adds
    to ``output_zp`` per slice; ``channel_clamp_min``/``max`` replace the
    bounds per slice (they need ``axis``)."""
    x = np.asarray(x)
    rank = x.ndim
    if axis is not None and not 0 <= axis < rank:
        raise IntrefError(f"axis {axis} out of range for rank {rank}")
    channels = x.shape[axis] if axis is not None else 1
    for name, v in (("multiplier", multiplier), ("shift", shift)):
        if len(v) not in (1, channels):
            raise IntrefError(f"{name} has {len(v)} values for {channels} "
                              f"slices")
    n = np.asarray(shift, np.int64)
    if channel_shift is not None:
        if axis is None or len(channel_shift) != channels:
            raise IntrefError("channel_shift needs axis and one value per "
                              "slice")
        n = n + np.asarray(channel_shift, np.int64)
    m = _per_axis(multiplier, axis, rank, np.int64)
    n = _per_axis(n, axis, rank, np.int64)
    a = x.astype(np.int64)
    a -= input_zp
    info = np.iinfo(x.dtype) if x.dtype.kind in "iu" else None
    if info is None or info.min - input_zp < I32_MIN or \
            info.max - input_zp > I32_MAX:
        a = _sat32(a)                  # a = sat32(x - input_zp)
    y = rescale(a, m, n, rounding)
    per_slice = (channel_output_zp, channel_clamp_min, channel_clamp_max)
    if any(v is not None for v in per_slice):
        if axis is None or any(v is not None and len(v) != channels
                               for v in per_slice):
            raise IntrefError("channel_output_zp / channel_clamp_min / "
                              "channel_clamp_max need axis and one value "
                              "per slice")
    z = output_zp
    if channel_output_zp is not None:
        z = _per_axis([output_zp + v for v in channel_output_zp], axis, rank,
                      np.int64)
    lo = clamp_min if channel_clamp_min is None else \
        _per_axis(channel_clamp_min, axis, rank, np.int64)
    hi = clamp_max if channel_clamp_max is None else \
        _per_axis(channel_clamp_max, axis, rank, np.int64)
    y += z
    return np.minimum(np.maximum(y, lo), hi)


# ------------------------------------------------------------- op table
_IMPLS = {}


def _op(*names):
    def deco(fn):
        for n in names:
            _IMPLS[n] = fn
        return fn
    return deco


def _result(op, i=0):
    t = op.out_types[i]
    if not isinstance(t, TensorType):
        raise op.error(f"result {i} is not a tensor")
    return t


def _nargs(op, *counts):
    if len(op.operands) not in counts:
        raise op.error(f"expected {' or '.join(map(str, counts))} operands, "
                       f"got {len(op.operands)}")


@_op("tosa.const")
def _const(prog, op):
    _nargs(op, 0)
    value = _elements_attr(prog, op, "values")
    t = _result(op)
    if value.shape != t.shape or value.dtype != t.dtype:
        raise op.error(f"constant of shape {value.shape} for {t}")
    return lambda ins: value


@_op("qnt.unpack")
def _unpack(prog, op):
    """Element i: bits [(i mod k) b, (i mod k) b + b) of byte i // k
    (k = 8 // b), a signed b-bit integer."""
    _nargs(op, 1)
    b = _attr_int(op, "bits")
    if b not in (1, 2, 4):
        raise op.error(f"bits must be 1, 2 or 4, got {b}")
    t = _result(op)
    n = int(np.prod(t.shape, dtype=np.int64))
    k = 8 // b

    def run(ins):
        packed = np.asarray(ins[0]).astype(np.uint8).ravel()
        if packed.size != -(-n * b // 8):
            raise op.error(f"{packed.size} bytes for {n} {b}-bit values")
        i = np.arange(n)
        field = (packed[i // k] >> ((i % k) * b).astype(np.uint8)) & ((1 << b) - 1)
        value = field.astype(np.int16) - ((field >> (b - 1)) << b).astype(np.int16)
        return value.astype(t.dtype).reshape(t.shape)
    return run


@_op("tosa.const_shape")
def _const_shape(prog, op):
    _nargs(op, 0)
    v = _attr(op, "values").strip()
    m = re.fullmatch(r"dense<(.*)>\s*:\s*(tensor<.*>)", v, re.S)
    if not m:
        raise op.error(f"unsupported attribute form values = {v[:80]}")
    value = tuple(int(i) for i in parse_dense(m.group(1),
                                              _parse_type(m.group(2))).ravel())
    return lambda ins: value


def _shape_operand(x, op, what):
    if not isinstance(x, tuple):
        raise op.error(f"{what} must be a !tosa.shape value")
    return x


@_op("tosa.reshape")
def _reshape(prog, op):
    _nargs(op, 2)
    t = _result(op)

    def run(ins):
        shape = _shape_operand(ins[1], op, "the shape operand")
        x = ins[0]
        if x.size != int(np.prod(t.shape, dtype=np.int64)):
            raise op.error(f"cannot reshape {x.shape} to {t.shape}")
        y = x.reshape(shape)
        if y.shape != t.shape:
            raise op.error(f"shape operand {shape} for result {t}")
        return np.ascontiguousarray(y)
    return run


@_op("tosa.transpose")
def _transpose(prog, op):
    _nargs(op, 1)
    perms = _attr_array(op, "perms")
    if sorted(perms) != list(range(len(op.out_types[0].shape))):
        raise op.error(f"bad perms {perms}")
    return lambda ins: np.ascontiguousarray(np.transpose(ins[0], perms))


@_op("tosa.pad")
def _pad(prog, op):
    _nargs(op, 3)
    t = _result(op)

    def run(ins):
        x = ins[0]
        p = _shape_operand(ins[1], op, "the padding operand")
        if len(p) != 2 * x.ndim or min(p, default=0) < 0:
            raise op.error(f"padding {p} for rank {x.ndim}")
        c = _scalar_operand(ins[2], "pad_const")
        return np.pad(x, [(p[2 * i], p[2 * i + 1]) for i in range(x.ndim)],
                      constant_values=c).astype(t.dtype)
    return run


def _conv_attrs(op):
    pad = _attr_array(op, "pad")
    stride = _attr_array(op, "stride")
    dil = _attr_array(op, "dilation")
    if len(pad) != 4 or len(stride) != 2 or len(dil) != 2 or \
            min(pad) < 0 or min(stride) < 1 or min(dil) < 1:
        raise op.error(f"bad pad {pad} / stride {stride} / dilation {dil}")
    return pad, stride, dil


def _int_conv_operands(op, ins):
    for x in ins:
        if x.dtype.kind == "f":
            raise op.error("float convolutions/matmuls are not supported "
                           "(the reference is for integer programs)")


def _out_size(size, lo, hi, k, s, d):
    return (size + lo + hi - (k - 1) * d - 1) // s + 1


def _windows(xp, oh, ow, kh, kw, stride, dil):
    """[N, OH, OW, KH, KW, C] view of the padded input's windows."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    return as_strided(xp, (n, oh, ow, kh, kw, c),
                      (sn, sh * stride[0], sw * stride[1], sh * dil[0],
                       sw * dil[1], sc), writeable=False)


def _centered_weights(cache, w, wzp):
    """w - wzp as int64 and its max |.|, cached while ``w`` is the same
    (constant) array."""
    if cache.get("w") is not w or cache.get("wzp") != wzp:
        wc = _i64(w) - wzp
        cache.clear()
        cache.update(w=w, wzp=wzp, wc=wc, wmax=_absmax(wc))
    return cache


def _as_dtype_cached(cache, key, dt, make):
    k = (key, np.dtype(dt).str)
    if k not in cache:
        cache[k] = np.ascontiguousarray(make().astype(dt))
    return cache[k]


def _centered_input(x, zp, dt, pad):
    """(x - zp) in ``dt``, zero-padded spatially: padded positions hold the
    zero point, so they contribute 0."""
    xc = x.astype(dt)
    xc -= dt(zp) if dt is not np.int64 else zp
    if any(pad):
        xc = np.pad(xc, ((0, 0), (pad[0], pad[1]), (pad[2], pad[3]), (0, 0)))
    return xc


def _input_absmax(x, zp):
    if not x.size:
        return 0
    return max(abs(int(x.min()) - zp), abs(int(x.max()) - zp))


@_op("tosa.conv2d")
def _conv2d(prog, op):
    _nargs(op, 5)
    pad, stride, dil = _conv_attrs(op)
    t = _result(op)
    if not t.is_int:
        raise op.error("float convolutions are not supported")
    cache = {}

    def run(ins):
        x, w, bias, izp, wzp = ins
        _int_conv_operands(op, ins)
        if x.ndim != 4 or w.ndim != 4 or w.shape[3] != x.shape[3]:
            raise op.error(f"input {x.shape} / weight {w.shape}")
        izp = int(_scalar_operand(izp, "input_zp"))
        wzp = int(_scalar_operand(wzp, "weight_zp"))
        n, h, wd, c = x.shape
        o, kh, kw, _ = w.shape
        if bias.size not in (1, o):
            raise op.error(f"bias of {bias.size} values for {o} channels")
        oh = _out_size(h, pad[0], pad[1], kh, stride[0], dil[0])
        ow = _out_size(wd, pad[2], pad[3], kw, stride[1], dil[1])
        wcache = _centered_weights(cache, w, wzp)
        k = kh * kw * c
        dt = _exact_dtype(_input_absmax(x, izp) * wcache["wmax"] * k)
        wm = _as_dtype_cached(wcache, "wm", dt,
                              lambda: wcache["wc"].reshape(o, k).T)
        xp = _centered_input(x, izp, dt, pad)
        cols = _windows(xp, oh, ow, kh, kw, stride, dil).reshape(n * oh * ow,
                                                                  k)
        acc = np.matmul(cols, wm).astype(np.int64).reshape(n, oh, ow, o)
        acc += _i64(bias).reshape(-1)
        return _fit(acc, t)
    return run


@_op("tosa.depthwise_conv2d")
def _depthwise(prog, op):
    _nargs(op, 5)
    pad, stride, dil = _conv_attrs(op)
    t = _result(op)
    if not t.is_int:
        raise op.error("float convolutions are not supported")
    cache = {}

    def run(ins):
        x, w, bias, izp, wzp = ins
        _int_conv_operands(op, ins)
        if x.ndim != 4 or w.ndim != 4 or w.shape[2] != x.shape[3]:
            raise op.error(f"input {x.shape} / weight {w.shape}")
        izp = int(_scalar_operand(izp, "input_zp"))
        wzp = int(_scalar_operand(wzp, "weight_zp"))
        n, h, wd, c = x.shape
        kh, kw, _, mult = w.shape
        if bias.size not in (1, c * mult):
            raise op.error(f"bias of {bias.size} values for {c * mult} "
                           f"channels")
        oh = _out_size(h, pad[0], pad[1], kh, stride[0], dil[0])
        ow = _out_size(wd, pad[2], pad[3], kw, stride[1], dil[1])
        wcache = _centered_weights(cache, w, wzp)
        dt = _exact_dtype(_input_absmax(x, izp) * wcache["wmax"] * kh * kw)
        wk = _as_dtype_cached(wcache, "wk", dt, lambda: wcache["wc"])
        xp = _centered_input(x, izp, dt, pad)
        acc = np.zeros((n, oh, ow, c, mult), dt)
        hs = (oh - 1) * stride[0] + 1
        ws = (ow - 1) * stride[1] + 1
        for i in range(kh):
            for j in range(kw):
                win = xp[:, i * dil[0]:i * dil[0] + hs:stride[0],
                         j * dil[1]:j * dil[1] + ws:stride[1], :]
                acc += win[..., None] * wk[i, j]
        acc = acc.astype(np.int64).reshape(n, oh, ow, c * mult)
        acc += _i64(bias).reshape(-1)
        return _fit(acc, t)
    return run


@_op("tosa.matmul")
def _matmul(prog, op):
    _nargs(op, 4)
    t = _result(op)
    if not t.is_int:
        raise op.error("float matmul is not supported")

    def run(ins):
        a, b, azp, bzp = ins
        _int_conv_operands(op, ins)
        if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0] or \
                a.shape[2] != b.shape[1]:
            raise op.error(f"shapes {a.shape} x {b.shape}")
        ac = _i64(a) - int(_scalar_operand(azp, "a_zp"))
        bc = _i64(b) - int(_scalar_operand(bzp, "b_zp"))
        return _fit(_exact_matmul(ac, bc, _absmax(ac), _absmax(bc),
                                  a.shape[2]), t)
    return run


def _elementwise_int(fn, ins, t, op):
    if any(x.dtype.itemsize > 4 for x in ins):
        # 64-bit operands: exact Python integers, then the range check.
        v = fn(*[x.astype(object) for x in ins])
        lo, hi = _int_range(t.width)
        flat = v.ravel()
        if flat.size and (min(flat) < lo or max(flat) > hi):
            raise op.error(f"integer overflow in {t.elem}")
        return np.ascontiguousarray(v.astype(t.dtype))
    return _fit(fn(*[_i64(x) for x in ins]), t)


def _binary(npfn):
    def impl(prog, op):
        _nargs(op, 2)
        t = _result(op)

        def run(ins):
            a, b = ins
            if a.ndim != b.ndim:
                raise op.error("operands of different ranks")
            if t.is_int:
                return _elementwise_int(npfn, ins, t, op)
            return npfn(a.astype(t.dtype), b.astype(t.dtype)).astype(t.dtype)
        return run
    return impl


_op("tosa.add")(_binary(lambda a, b: a + b))
_op("tosa.sub")(_binary(lambda a, b: a - b))


@_op("tosa.mul")
def _mul(prog, op):
    _nargs(op, 3)
    t = _result(op)

    def run(ins):
        a, b, sh = ins
        if a.ndim != b.ndim:
            raise op.error("operands of different ranks")
        shift = int(_scalar_operand(sh, "shift"))
        if not t.is_int:
            if shift:
                raise op.error("float mul with a non-zero shift")
            return (a.astype(t.dtype) * b.astype(t.dtype)).astype(t.dtype)
        if shift and (a.dtype != np.int32 or b.dtype != np.int32):
            raise op.error("a non-zero shift needs i32 operands")
        if not 0 <= shift <= 63:
            raise op.error(f"shift {shift} outside [0, 63]")

        def prod(x, y):
            p = x * y
            if shift > 0:
                p = (p + (1 << (shift - 1))) >> shift
            return p
        return _elementwise_int(prod, [a, b], t, op)
    return run


@_op("tosa.cast")
def _cast(prog, op):
    _nargs(op, 1)
    t = _result(op)
    src = op.in_types[0]

    def run(ins):
        x = ins[0]
        if src.is_int and t.is_int:
            if t.width == 1:
                return x != 0
            return _fit(_i64(x), t, "cast")
        if src.is_int and t.is_float:
            return _i64(x).astype(t.dtype)
        if src.is_float and t.is_float:
            return x.astype(t.dtype)
        # float -> int: round half to even, saturate (TOSA); NaN unsupported.
        if np.isnan(x).any():
            raise op.error("NaN cast to an integer")
        lo, hi = _int_range(t.width)
        r = np.clip(np.rint(x.astype(np.float64)), lo, hi)
        return r.astype(np.int64).astype(t.dtype)
    return run


@_op("tosa.reduce_sum")
def _reduce_sum(prog, op):
    _nargs(op, 1)
    t = _result(op)
    axis = _attr_int(op, "axis")
    if not t.is_int:
        raise op.error("float reduce_sum is not supported (summation order)")

    def run(ins):
        x = _i64(ins[0])
        if not 0 <= axis < x.ndim:
            raise op.error(f"axis {axis} out of range")
        if _absmax(x) * x.shape[axis] >= 2**63:
            raise op.error("sum bound exceeds int64")
        return _fit(x.sum(axis=axis, keepdims=True), t)
    return run


@_op("tosa.max_pool2d")
def _max_pool(prog, op):
    _nargs(op, 1)
    kernel = _attr_array(op, "kernel")
    stride = _attr_array(op, "stride")
    pad = _attr_array(op, "pad")
    t = _result(op)
    if len(kernel) != 2 or len(stride) != 2 or len(pad) != 4:
        raise op.error("bad kernel/stride/pad")

    def run(ins):
        x = ins[0]
        n, h, w, c = x.shape
        oh = _out_size(h, pad[0], pad[1], kernel[0], stride[0], 1)
        ow = _out_size(w, pad[2], pad[3], kernel[1], stride[1], 1)
        if t.is_int:
            xv, fill = _i64(x), np.iinfo(np.int64).min
        else:
            xv, fill = x.astype(np.float64), -np.inf
        xp = np.pad(xv, ((0, 0), (pad[0], pad[1]), (pad[2], pad[3]), (0, 0)),
                    constant_values=fill)
        out = np.full((n, oh, ow, c), fill, xp.dtype)
        hs = (oh - 1) * stride[0] + 1
        ws = (ow - 1) * stride[1] + 1
        valid = np.zeros((oh, ow), bool)
        for i in range(kernel[0]):
            for j in range(kernel[1]):
                np.maximum(out, xp[:, i:i + hs:stride[0], j:j + ws:stride[1]],
                           out=out)
                rows = (np.arange(oh) * stride[0] + i - pad[0])
                cols = (np.arange(ow) * stride[1] + j - pad[2])
                valid |= ((rows >= 0) & (rows < h))[:, None] & \
                    ((cols >= 0) & (cols < w))[None, :]
        if not valid.all():
            raise op.error("a pooling window holds only padding")
        return out.astype(t.dtype)
    return run


@_op("tosa.clamp")
def _clamp(prog, op):
    _nargs(op, 1)
    t = _result(op)
    lo = _attr_scalar(op, "min_val", t.elem)
    hi = _attr_scalar(op, "max_val", t.elem)
    if lo > hi:
        raise op.error(f"min_val {lo} > max_val {hi}")

    def run(ins):
        if t.is_int:
            return _fit(np.clip(_i64(ins[0]), lo, hi), t)
        return np.clip(ins[0], t.dtype.type(lo), t.dtype.type(hi)).astype(
            t.dtype)
    return run


@_op("tosa.concat")
def _concat(prog, op):
    axis = _attr_int(op, "axis")
    t = _result(op)
    return lambda ins: np.concatenate(ins, axis=axis).astype(t.dtype)


def _quant_params(op, t_in, t_out):
    u = parse_uniform(_attr(op, "params"))
    rank = len(t_in.shape)
    if u.axis is not None:
        if not 0 <= u.axis < rank or t_in.shape[u.axis] != len(u.scales):
            raise op.error(f"axis {u.axis} with {len(u.scales)} scales for "
                           f"{t_in}")
    return u


@_op("qnt.quantize")
def _quantize(prog, op):
    _nargs(op, 1)
    t_in, t = op.in_types[0], _result(op)
    if not t_in.is_float or not t.is_int:
        raise op.error("expects a float input and an integer result")
    u = _quant_params(op, t_in, t)
    ft = t_in.dtype.type
    rank = len(t_in.shape)
    scale = _per_axis([ft(s) for s in u.scales], u.axis, rank, ft)
    zp = _per_axis(u.zero_points, u.axis, rank, np.int64)

    def run(ins):
        y = ins[0].astype(ft) / scale          # one division in the float type
        y = np.where(np.isnan(y), ft(0), y)    # NaN -> the zero point
        r = np.clip(np.rint(y).astype(np.float64), -2.0**62, 2.0**62)
        q = np.clip(r.astype(np.int64) + zp, u.qmin, u.qmax)
        return _wrap(q, t, "quantized code")
    return run


@_op("qnt.dequantize")
def _dequantize(prog, op):
    _nargs(op, 1)
    t_in, t = op.in_types[0], _result(op)
    if not t_in.is_int or not t.is_float:
        raise op.error("expects an integer input and a float result")
    u = _quant_params(op, t_in, t)
    ft = t.dtype.type
    rank = len(t_in.shape)
    scale = _per_axis([ft(s) for s in u.scales], u.axis, rank, ft)
    zp = _per_axis(u.zero_points, u.axis, rank, np.int64)
    w = t_in.width

    def run(ins):
        q = _i64(ins[0])
        if not u.signed and w < 64:
            q = q & ((1 << w) - 1)           # unsigned codes: zero-extend
        return ((q - zp).astype(ft) * scale).astype(ft)
    return run


_ROUNDING = ("tflite", "single_round", "double_round")


@_op("qnt.requantize")
def _requantize_op(prog, op):
    _nargs(op, 1)
    t_in, t = op.in_types[0], _result(op)
    if not t_in.is_int or not t.is_int:
        raise op.error("expects integer input and result")
    axis = _attr_int(op, "axis") if "axis" in op.attrs else None
    kw = dict(axis=axis, input_zp=_attr_int(op, "input_zp", 0),
              channel_shift=_attr_array(op, "channel_shift", [])
              if "channel_shift" in op.attrs else None,
              output_zp=_attr_int(op, "output_zp", 0),
              clamp_min=_attr_int(op, "clamp_min"),
              clamp_max=_attr_int(op, "clamp_max"))
    for key in ("channel_output_zp", "channel_clamp_min", "channel_clamp_max"):
        kw[key] = _attr_array(op, key) if key in op.attrs else None
    mult = _attr_array(op, "multiplier")
    shift = _attr_array(op, "shift")
    rounding = "tflite"
    if "rounding" in op.attrs:
        m = re.fullmatch(r"#qnt<rounding\s+(\w+)>", op.attrs["rounding"])
        if not m or m.group(1) not in _ROUNDING:
            raise op.error(f"unsupported rounding {op.attrs['rounding']}")
        rounding = m.group(1)
    kw["rounding"] = rounding
    if any(not 0 <= v <= I32_MAX for v in mult):
        raise op.error(f"multiplier outside [0, 2^31 - 1]: {mult}")
    if kw["clamp_min"] > kw["clamp_max"]:
        raise op.error("clamp_min > clamp_max")

    def run(ins):
        try:
            y = requantize(ins[0], mult, shift, **kw)
        except IntrefError as e:
            raise op.error(str(e)) from None
        return _wrap(y, t, "requantized value")
    return run
