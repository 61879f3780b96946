"""Calibration on real data with the model compiled by qnt itself.

``calibrate`` builds a calibration variant of the model with the
``qnt-expose-activations`` pass (every activation to be quantized becomes an
extra result), compiles it with the float pipeline, runs the data through it
batch by batch and folds each activation into a streaming ``RunningStats``:
memory does not depend on the number of samples. The result is written as
JSON and attached to the IR with ``qnt-attach-stats``.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import capi, compiler, runtime
from .stats import CalibrationError, ChannelStats, RunningStats

_ATTR_RE = re.compile(r'qnt\.activation = "([^"]*)", qnt\.loc = "((?:[^"\\]|\\.)*)"')


def _unescape(s: str) -> str:
    # MLIR prints non-printable and quote characters in strings as \XX.
    return re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def calibration_build(mlir_text: str, func_name: str = "forward"):
    """The instrumented module and, per activation, (op name, location)."""
    out = capi.run_pipeline(
        mlir_text, f"builtin.module(qnt-expose-activations{{func-name={func_name}}})").output
    header = out[out.index(f"func.func @{func_name}("):]
    header = header[:header.index("{\n")]
    described = [(op, _unescape(loc)) for op, loc in _ATTR_RE.findall(header)]
    return out, described


class _Progress:
    def __init__(self, total, quiet, stream=sys.stderr):
        self.total, self.quiet, self.stream = total, quiet, stream
        self.start = self.last = time.perf_counter()

    def update(self, done, final=False):
        now = time.perf_counter()
        # Redraw in place on a terminal; elsewhere (logs, CI) only the total.
        live = getattr(self.stream, "isatty", lambda: False)()
        if self.quiet or (not final and (not live or now - self.last < 0.5)):
            return
        self.last = now
        rate = done / max(now - self.start, 1e-9)
        end = "\n" if final else "\r"
        print(f"calibrate: {done}/{self.total} samples, {rate:.0f} samples/s",
              end=end, file=self.stream, flush=True)


# Per-channel calibration feeds the statistics this many samples at a time.
_CHANNEL_GROUP = 64


def calibrate(mlir_text: str, inputs: np.ndarray, *, batch: int, bins: int = 2048,
              per_channel: bool = False, quiet: bool = False,
              func_name: str = "forward", model_name: str = "") -> dict:
    """Statistics of every activation of ``func_name`` over ``inputs`` (one
    array, samples along axis 0, for a single-input model compiled at
    ``batch``). Returns the JSON-ready dict (docs/calibration.md)."""
    inputs = np.asarray(inputs)
    if inputs.shape[0] == 0:
        raise CalibrationError("the calibration set is empty")
    text, described = calibration_build(mlir_text, func_name)
    with tempfile.TemporaryDirectory(prefix="qnt-calib-") as tmp:
        model = runtime.CompiledModel(compiler.compile_mlir(text, Path(tmp) / "calib.so"))
        fn = model.forward
        n_orig = len(fn.outputs) - len(described)
        shapes = [shape for _, shape, _ in fn.outputs[n_orig:]]
        in_shape = fn.inputs[0][1]
        if in_shape[0] != batch or tuple(in_shape[1:]) != inputs.shape[1:]:
            raise CalibrationError(f"the model takes {in_shape}, the data is "
                                   f"{inputs.shape} in batches of {batch}")
        stats = [ChannelStats(s[-1], axis=len(s) - 1, bins=bins) if per_channel
                 else RunningStats(bins=bins) for s in shapes]
        # The model input is quantized too (qnt.quantize at the entry): its
        # statistics come from the data itself, per tensor.
        input_stats = RunningStats(bins=bins)
        input_nan = int(np.isnan(inputs).sum()) if inputs.dtype.kind == "f" else 0
        input_inf = int(np.isinf(inputs).sum()) if inputs.dtype.kind == "f" else 0
        progress = _Progress(len(inputs), quiet)
        buf = np.zeros(in_shape, inputs.dtype)
        pending = [[] for _ in shapes]
        buffered = 0
        group = _CHANNEL_GROUP if per_channel else 1
        for start in range(0, len(inputs), batch):
            chunk = inputs[start:start + batch]
            n = len(chunk)
            buf[:n] = chunk
            buf[n:] = 0
            input_stats.update(chunk)
            outs = fn(buf)
            for p, shape, act in zip(pending, shapes, outs[n_orig:]):
                p.append(_real_rows(act, shape, n, batch))
            buffered += n
            if buffered >= group or start + n >= len(inputs):
                # Per-channel statistics update one histogram per channel:
                # feed them groups of samples (stacked on axis 0; the
                # channel axis is the last), not one small batch at a time.
                for s, p in zip(stats, pending):
                    s.update(np.concatenate(p, axis=0) if len(p) > 1 else p[0])
                    p.clear()
                buffered = 0
            progress.update(start + n)
        progress.update(len(inputs), final=True)
    acts = []
    for k, ((op, loc), shape, s) in enumerate(zip(described, shapes, stats)):
        entry = {"index": k, "op": op, "loc": loc, "shape": list(shape)}
        if per_channel:
            entry["axis"] = len(shape) - 1
            entry["channels"] = [c.to_dict() for c in s.channels]
            entry["stats"] = _merge_channels(s).to_dict()
        else:
            entry["stats"] = s.to_dict()
        acts.append(entry)
    return {"version": 1, "model": model_name, "function": func_name,
            "samples": int(len(inputs)), "batch": batch, "bins": bins,
            "inputs": {"nan": input_nan, "inf": input_inf},
            "arguments": [{"index": 0, "stats": input_stats.to_dict()}],
            "activations": acts}


def _batch_axis(shape, batch):
    """The batch dimension: the first one that is not 1 (TOSA matmuls carry
    the batch in dimension 1 after a leading 1)."""
    for axis, d in enumerate(shape):
        if d != 1:
            return axis if d == batch else None
    return 0 if batch == 1 else None


def _real_rows(act, shape, n, batch):
    """The part of an activation computed from the n real samples of a
    batch padded to ``batch`` (padding must not enter the statistics)."""
    if n == batch:
        return act
    axis = _batch_axis(shape, batch)
    if axis is None:
        raise CalibrationError(
            f"an activation of shape {tuple(shape)} has no batch dimension of "
            f"size {batch}: use a sample count that is a multiple of {batch}")
    return np.take(act, np.arange(n), axis=axis)


def _merge_channels(cs: ChannelStats) -> RunningStats:
    total = RunningStats(bins=cs.channels[0].bins)
    for c in cs.channels:
        total.merge(c)
    return total


def attach(mlir_text: str, stats_path, func_name: str = "forward",
           locations: bool = False, per_channel: bool = False) -> str:
    """``mlir_text`` with ``qnt.stats`` on every activation's producer
    (``locations``: printed with its locations; ``per_channel``: the
    per-channel statistics as ``#qnt.channel_stats``)."""
    flag = " per-channel=true" if per_channel else ""
    return capi.run_pipeline(
        mlir_text, f"builtin.module(qnt-attach-stats{{stats-file={stats_path} "
                   f"func-name={func_name}{flag}}})", locations=locations).output


def nonfinite_report(result: dict) -> list:
    """Human-readable lines for every NaN/Inf seen (inputs and activations)."""
    lines = []
    i = result["inputs"]
    if i["nan"] or i["inf"]:
        lines.append(f"inputs: {i['nan']} NaN, {i['inf']} Inf")
    for a in result["activations"]:
        s = a["stats"]
        if s["nan"] or s["inf"]:
            lines.append(f"activation {a['index']} ({a['op']} {a['loc']}): "
                         f"{s['nan']} NaN, {s['inf']} Inf (not in the statistics)")
    return lines
