"""Per-layer weight-range report for the weight-equalization passes.

Cross-layer equalization (``qnt-equalize``) and WESS (``qnt-wess``) rescale
each layer's output channels so that one per-tensor weight grid fits them
better.  This module reads the layers' constant weights from a module before
and after such a pass and reports, per layer, the spread of the per-output-
channel ranges ``r_c = max |w|`` over channel ``c``:

    >>> report = range_report(before_text, after_text)
    >>> print(format_markdown(report))
    >>> open("ranges.json", "w").write(report_to_json(report))
    >>> a, b = layer_weights(before_text), layer_weights(after_text)
    >>> plot_ranges(a[0], b[0], "layer0.png")

Layers are the ops of one function (default ``@forward``) with constant
weights, in program order:

* ``tosa.conv2d``: weights operand #1, OHWI; output channel = dim 0;
* ``tosa.depthwise_conv2d``: weights operand #1, HWCM; output channel
  ``c * M + m`` (the last two dims flattened);
* ``tosa.matmul``: operand #1, [B, K, N], a constant possibly through
  ``tosa.reshape`` ops; output channel = the last dim.

Ops whose weights are not constant are not layers (WESS skips them too).
Weights may be ``dense<...>`` literals or ``dense_resource<...>`` blobs.  A
``qnt.pow2_scale`` that directly consumes a layer's result on its
output-channel axis (what WESS inserts) gives the layer's ``shifts``.

The text is normalized to generic form by ``qnt-opt`` (``intref._normalize``)
and parsed with ``qnt.intref``'s helpers; parse errors are
``intref.IntrefError``, a report over mismatched modules is ``ValueError``.
"""

from __future__ import annotations

import json
import math
import re
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import intref
from .fileutil import save_atomically

__all__ = ["Layer", "layer_weights", "location_name", "channel_ranges",
           "range_report", "report_to_json", "format_markdown", "plot_ranges"]

_LAYER_OPS = {"tosa.conv2d": "conv2d",
              "tosa.depthwise_conv2d": "depthwise_conv2d",
              "tosa.matmul": "matmul"}
# Ops whose parse errors must not be skipped: everything the report reads.
_NEEDED_OPS = set(_LAYER_OPS) | {"tosa.const", "tosa.reshape",
                                 "qnt.pow2_scale"}
_OP_NAME = re.compile(r'\s*(?:%[^=]*=\s*)?"([^"]+)"\s*\(')
# A file location "file":line:col (qnt-opt's own "<stdin>":3:10 when the text
# had no locations) names no layer.
_FILE_LOC = re.compile(r'"(?:[^"\\]|\\.)*"\s*:\s*\d+')
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


@dataclass
class Layer:
    """One layer's constant weights.

    ``name``: the op's location name (e.g. the ONNX node name of
    ``loc("...")``), or ``"op#k"`` (k = the layer's 0-based position in the
    function) when the op has no name location.  ``op``: ``"conv2d"``,
    ``"depthwise_conv2d"`` or ``"matmul"``.  ``weights``: float32 in the op's
    layout (OHWI, HWCM, [B, K, N]).  ``shifts``: the per-output-channel
    shifts of a ``qnt.pow2_scale`` consuming the layer's result, or None.
    """

    name: str
    op: str
    weights: np.ndarray
    shifts: list | None = None

    @property
    def channels(self) -> int:
        """The number of output channels."""
        s = self.weights.shape
        if self.op == "conv2d":
            return s[0]
        if self.op == "depthwise_conv2d":
            return s[2] * s[3]
        return s[-1]


# ------------------------------------------------------------------ parsing
def _function_lines(generic, func):
    """The op lines of ``func``'s body (top level only) and the aliases."""
    lines = generic.splitlines()
    aliases = intref.alias_table(lines)
    start = intref.function_start(lines, func, error=ValueError)
    indent = len(lines[start]) - len(lines[start].lstrip())
    body, op_indent = [], None
    for n in range(start + 1, len(lines)):
        line = lines[n]
        s = line.strip()
        if not s:
            continue
        if s.startswith("^"):              # block labels
            continue
        ind = len(line) - len(line.lstrip())
        if ind <= indent:                  # the function's closing "})"
            break
        if s.startswith("}"):              # ends of other ops' regions
            continue
        if op_indent is None:
            op_indent = ind
        if ind == op_indent:               # not inside another op's region
            body.append((n + 1, s))
    return body, aliases


def _resolve(text, aliases):
    """Substitute alias references (repeatedly: aliases nest)."""
    for _ in range(16):
        new = intref._ALIAS_USE.sub(
            lambda m: aliases.get(m.group(0), m.group(0)), text)
        if new == text:
            break
        text = new
    return text


def _parse_ops(generic, func):
    """Parsed ops of ``func`` (ops the report does not read and that intref
    cannot parse are skipped) and the module's resource blobs."""
    body, aliases = _function_lines(generic, func)
    ops = []
    for lineno, s in body:
        m = _OP_NAME.match(s)
        needed = m is not None and m.group(1) in _NEEDED_OPS
        try:
            ops.append(intref._parse_op(_resolve(s, aliases), lineno))
        except intref.IntrefError:
            if needed:
                raise
    return ops, intref._parse_resources(generic)


def location_name(loc: str, aliases: dict):
    """The name of a location as printed (``loc(...)``'s inside, aliases
    such as ``#loc3`` expanded with ``aliases``, e.g. from
    ``intref.alias_table``): e.g. an ONNX node name; None if it has none."""
    return _loc_name(_resolve(loc, aliases))


def _loc_name(loc):
    """The name of a location: the first string of it that is not a file
    name of a file:line:col location; None if there is none."""
    files = {m.start() for m in _FILE_LOC.finditer(loc)}
    for m in _STRING.finditer(loc):
        if m.start() not in files:
            return _unescape(m.group(1))
    return None


def _unescape(s):
    """An MLIR string literal's body: ``\\XX`` hex bytes, ``\\\\``."""
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\" and re.fullmatch(r"[0-9A-Fa-f]{2}", s[i + 1:i + 3]):
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
        elif s[i] == "\\" and i + 1 < len(s):
            out += s[i + 1].encode()
            i += 2
        else:
            out += s[i].encode()
            i += 1
    return out.decode("utf-8", "replace")


def _constant(defs, value, holder):
    """The float32 value of ``value`` if it is a ``tosa.const`` (through
    ``tosa.reshape`` ops), else None."""
    shape = None
    op = defs.get(value)
    while op is not None and op.name == "tosa.reshape":
        if shape is None:
            shape = op.out_types[0].shape
        op = defs.get(op.operands[0])
    if op is None or op.name != "tosa.const":
        return None
    arr = intref._elements_attr(holder, op, "values")
    arr = np.asarray(arr, np.float32)
    return arr.reshape(shape) if shape is not None else arr


def _shifts(users, result, rank):
    """Shifts of a ``qnt.pow2_scale`` on ``result``'s last (output-channel)
    axis, or None."""
    for u in users.get(result, []):
        if u.name == "qnt.pow2_scale" and u.operands[0] == result:
            if intref._attr_int(u, "axis") == rank - 1:
                return intref._attr_array(u, "shifts")
    return None


def layer_weights(text: str, func: str = "forward") -> list[Layer]:
    """The layers of function ``func`` of an MLIR module (pretty or generic
    text), in program order; see the module docstring."""
    generic = intref._normalize(text, func)
    ops, resources = _parse_ops(generic, func)
    # intref._elements_attr reads dense_resource blobs from ``._resources``.
    holder = types.SimpleNamespace(_resources=resources)
    defs, users = {}, {}
    for op in ops:
        for r in op.results:
            defs[r] = op
        for o in op.operands:
            users.setdefault(o, []).append(op)
    layers = []
    for op in ops:
        kind = _LAYER_OPS.get(op.name)
        if kind is None or len(op.operands) < 2:
            continue
        w = _constant(defs, op.operands[1], holder)
        if w is None:
            continue
        want = 3 if kind == "matmul" else 4
        if w.ndim != want:
            raise op.error(f"weights of rank {w.ndim}, expected {want}")
        name = _loc_name(op.loc) or f"op#{len(layers)}"
        shifts = _shifts(users, op.results[0], len(op.out_types[0].shape))
        layer = Layer(name, kind, w, shifts)
        if shifts is not None and len(shifts) != layer.channels:
            raise op.error(f"qnt.pow2_scale has {len(shifts)} shifts for "
                           f"{layer.channels} output channels")
        layers.append(layer)
    return layers


# ------------------------------------------------------------------- ranges
def channel_ranges(layer: Layer) -> np.ndarray:
    """max |w| per output channel (float32, ``layer.channels`` values)."""
    a = np.abs(layer.weights)
    if layer.op == "conv2d":                       # OHWI
        return a.reshape(a.shape[0], -1).max(axis=1)
    n = layer.channels                             # HWCM -> c*M+m; [B,K,N]
    return a.reshape(-1, n).max(axis=0)


def _stats(r):
    lo, hi = float(r.min()), float(r.max())
    return {"min": lo, "median": float(np.median(r)), "max": hi,
            "max_over_min": hi / lo if lo > 0 else math.inf}


def _round_sig(x, digits=6):
    return float(f"{x:.{digits}g}")


def range_report(before: str, after: str, func: str = "forward"
                 ) -> list[dict]:
    """Per-layer channel-range statistics of two versions of a module.

    Layers are paired by position (the counts, op kinds and channel counts
    must match, else ValueError).  Each entry has ``name`` (before's name,
    or after's when before has none), ``op``, ``channels``, ``before`` and
    ``after`` (each ``{"min", "median", "max", "max_over_min"}`` of the
    channel ranges; ``max_over_min`` is ``math.inf`` when the smallest range
    is 0), ``scales`` (per channel after/before range ratio rounded to 6
    significant digits: ``2^-shift`` for WESS; ``nan`` where the before range
    is 0) and ``shifts`` (after's ``qnt.pow2_scale`` shifts or None).  Use
    ``report_to_json`` for JSON (non-finite numbers become null).
    """
    a, b = layer_weights(before, func), layer_weights(after, func)
    if len(a) != len(b):
        raise ValueError(f"layer counts differ: {len(a)} layers before, "
                         f"{len(b)} after (@{func})")
    report = []
    for k, (x, y) in enumerate(zip(a, b)):
        if x.op != y.op or x.channels != y.channels:
            raise ValueError(f"layer {k} ({x.name}) differs: {x.op} with "
                             f"{x.channels} channels before, {y.op} with "
                             f"{y.channels} after")
        rx, ry = channel_ranges(x), channel_ranges(y)
        ratio = ry.astype(np.float64) / np.where(rx > 0, rx, 1)
        scales = [_round_sig(float(q)) if p > 0 else math.nan
                  for p, q in zip(rx, ratio)]
        name = y.name if x.name == f"op#{k}" else x.name
        report.append({"name": name, "op": x.op, "channels": x.channels,
                       "before": _stats(rx), "after": _stats(ry),
                       "scales": scales, "shifts": y.shifts})
    return report


def _finite_or_none(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite_or_none(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite_or_none(x) for x in v]
    return v


def report_to_json(report: list[dict], **dumps_kw) -> str:
    """``report`` as strict JSON: ``inf`` (``max_over_min`` with a zero
    range) and ``nan`` (undefined ``scales``) become ``null``."""
    return json.dumps(_finite_or_none(report), allow_nan=False, **dumps_kw)


# ----------------------------------------------------------------- markdown
def _num(x):
    return "inf" if math.isinf(x) else f"{x:.4g}"


def format_markdown(report: list[dict]) -> str:
    """A Markdown table: layer, op, channels, max/min range ratio and median
    range, each as ``before -> after``."""
    rows = ["| layer | op | channels | max/min range | median range |",
            "|---|---|---:|---|---|"]
    for e in report:
        name = e["name"].replace("|", "\\|")
        b, a = e["before"], e["after"]
        rows.append(f"| {name} | {e['op']} | {e['channels']} | "
                    f"{_num(b['max_over_min'])} -> {_num(a['max_over_min'])} "
                    f"| {_num(b['median'])} -> {_num(a['median'])} |")
    return "\n".join(rows) + "\n"


# --------------------------------------------------------------------- plot
def plot_ranges(before: Layer, after: Layer | None, path,
                title: str | None = None) -> Path:
    """A PNG bar chart of the per-output-channel weight ranges of one layer
    before and after (or of ``before`` alone when ``after`` is None), on a
    log y axis, with the largest before-range (the per-tensor range) as a
    dashed line.  Zero ranges cannot be drawn on the log axis and are left
    out.  Written atomically to ``path``, which is returned."""
    # The Agg canvas directly: no pyplot, no change of the global backend.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rb = channel_ranges(before)
    series = [("before", rb)]
    if after is not None:
        if after.channels != before.channels:
            raise ValueError(f"{before.name}: {before.channels} channels "
                             f"before, {after.channels} after")
        series.append(("after", channel_ranges(after)))
    n = len(rb)
    fig = Figure(figsize=(min(max(8.0, 0.12 * n + 3), 24.0), 4.0), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / len(series)
    x = np.arange(n)
    for i, (label, r) in enumerate(series):
        pos = r > 0
        ax.bar(x[pos] + (i - (len(series) - 1) / 2) * width, r[pos], width,
               label=label)
    if rb.max() > 0:
        ax.axhline(float(rb.max()), color="gray", linestyle="--",
                   linewidth=0.8, label="max before")
    ax.set_yscale("log")
    ax.set_xlabel("output channel")
    ax.set_ylabel("max |w|")
    ax.set_title(title or f"{before.name} ({before.op})", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    save_atomically(path, lambda tmp: fig.savefig(tmp, format="png"))
    return Path(path)
