"""End to end: float model + calibration data -> integer-only native library
+ accuracy report (``python3 -m qnt quantize``, docs/quantization.md).

Steps, each one of qnt's own passes or compiled code:
import (ONNX -> TOSA) -> ``qnt-equalize-recipe{recipe=R}`` (BatchNorm
folding, cross-layer equalization, high-bias absorption) -> calibrate (the
equalized float model compiled by qnt) -> qnt-attach-stats ->
``qnt-quantize-recipe{recipe=R}`` (qnt-insert-clips, qnt-wess,
qnt-correct-bias, qnt-quantize, qnt-check-integer-only; both stages defined
in C++, lib/Pipelines/Pipelines.cpp) -> qnt-float-to-llvm -> shared library.
The report compares the quantized library with the float library compiled
by the same pipeline, on the evaluation data, side by side.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from pathlib import Path
from typing import Optional

import numpy as np

from . import calibration, capi, compiler, datasets, intref, runtime
from .fileutil import save_atomically, write_atomically

# The recipes of qnt-quantize-recipe (C++ is the definition; a test checks
# that qnt-opt lists exactly these names).
RECIPES = {
    "w8a8-per-channel": "8-bit activations (MSE clips), 8-bit per-channel weights",
    "w7a8-per-channel": "8-bit activations (MSE clips), 7-bit per-channel "
                        "weights (onnxruntime's reduce_range: AVX2 int8 "
                        "kernels in vpmaddubsw's exact range)",
    "w8a8-per-tensor": "8-bit activations (MSE clips), 8-bit per-tensor weights",
    "w4a4-minmax": "4-bit activations with min-max clips, 4-bit per-channel "
                   "weights (the naive baseline)",
    "w4a4-aciq": "4-bit activations with ACIQ Laplace clips, 4-bit "
                 "per-channel weights",
    "w8a8-per-tensor-wess": "w8a8-per-tensor with WESS: per-channel "
                            "power-of-two weight shifts, one multiplier per "
                            "layer",
    "w8a8-per-tensor-cle": "w8a8-per-tensor after ReLU6 -> ReLU, cross-layer "
                           "equalization and high-bias absorption (equalize "
                           "stage)",
    "w4a4-aciq-bc": "w4a4-aciq with analytic bias correction from the "
                    "BatchNorm priors",
    "w4a4-aciq-alloc-bc": "4-bit activations with ACIQ Laplace clips per "
                          "channel and ACIQ's per-channel bit allocation "
                          "(mean 4 bits, 1..8 per channel), 4-bit "
                          "per-channel weights, analytic bias correction",
    "syq-ternary": "SYQ ternary weights with pixel-wise scales (eta 0.05), "
                   "first and last layer 8-bit per-channel; 8-bit "
                   "activations (MSE clips)",
    "syq-binary": "SYQ binary weights with pixel-wise scales, first and last "
                  "layer 8-bit per-channel; 8-bit activations (MSE clips)",
}


# Recipes whose clips come from per-channel calibration statistics
# (qnt-insert-clips per-channel=true): quantize_model calibrates per channel.
PER_CHANNEL_RECIPES = {"w4a4-aciq-alloc-bc"}
# Requantization rounding unless asked otherwise (qnt-quantize's default):
# TOSA's one rounding; "tflite" gives TFLite's bits.
DEFAULT_ROUNDING = "single_round"


class QuantizeError(Exception):
    pass


def equalize_text(text: str, recipe: str = "w8a8-per-channel",
                  pipeline: Optional[str] = None,
                  locations: bool = False) -> str:
    """Stage 1 (before calibration): ``qnt-equalize-recipe{recipe=R}``, or
    ``pipeline`` (a textual pass pipeline) instead when given
    (``locations``: printed with its locations)."""
    if pipeline is None:
        if recipe not in RECIPES:
            raise QuantizeError(f"unknown recipe '{recipe}' (known: "
                                f"{', '.join(RECIPES)})")
        pipeline = f"builtin.module(qnt-equalize-recipe{{recipe={recipe}}})"
    try:
        res = capi.run_pipeline(text, pipeline, locations=locations)
    except capi.QntError as exc:
        raise QuantizeError("equalization failed:\n" +
                            _errors_only(str(exc))) from None
    _REMARKS.extend(remarks(res.diagnostics))
    return res.output


def _layer_option(name: str, specs) -> str:
    """` name=k1=b1,k2=b2` for the recipe pipeline, or '' (checked: the
    pipeline syntax cannot carry every character)."""
    if not specs:
        return ""
    for spec in specs:
        key, sep, bits = spec.rpartition("=")
        if not sep or not key or not bits.isdigit():
            raise QuantizeError(f"--{name}: expected KEY=BITS, got '{spec}'")
        if re.search(r"[\s,{}\"']", key):
            raise QuantizeError(f"--{name}: '{key}' has a character a pass "
                                "option cannot carry (space, comma, brace, "
                                "quote): use a shorter piece of the name")
    return f" {name}={','.join(specs)}"


def check_min_multiplier_bits(value, name: str = "min_multiplier_bits"):
    """QuantizeError unless ``value`` is an int in 1..31 (``name``: how the
    caller calls the option in the message)."""
    if not isinstance(value, int):
        raise QuantizeError(f"{name} must be an integer in 1..31, got "
                            f"{value!r}")
    if not 1 <= value <= 31:
        raise QuantizeError(f"{name} must be in 1..31, got {value}")


def quantize_text(text_with_stats: str, recipe: str,
                  rounding: str = DEFAULT_ROUNDING,
                  pipeline: Optional[str] = None,
                  layer_bits=(), layer_weight_bits=(),
                  locations: bool = False,
                  weight_asymmetric: bool = False,
                  share_input_grid: bool = False,
                  residual_add: str = "single-rounding",
                  min_multiplier_bits: int = 11) -> str:
    """The integer program of a model that carries calibration statistics
    (stage 2 of ``recipe``, or ``pipeline`` instead when given).
    ``layer_bits`` / ``layer_weight_bits``: per-layer activation / weight
    widths, ``KEY=BITS`` (docs/quantization.md, mixed precision).
    ``weight_asymmetric``: asymmetric uniform weights (zero points).
    ``share_input_grid``: max pooling and channel padding keep their input's
    grid (no clip of their own; one requantization less each).
    ``residual_add``: ``single-rounding`` or ``tflite`` (qnt-quantize
    residual-add, docs/quantization.md). ``min_multiplier_bits``: the
    fewest significant bits a requantization multiplier may be rounded to
    so that the requantization needs no 64-bit product (1..31; 31 keeps
    full Q31 multipliers; qnt-quantize min-multiplier-bits)."""
    check_min_multiplier_bits(min_multiplier_bits)
    if pipeline is None:
        if recipe not in RECIPES:
            raise QuantizeError(f"unknown recipe '{recipe}' (known: "
                                f"{', '.join(RECIPES)})")
        pipeline = (f"builtin.module(qnt-quantize-recipe{{recipe={recipe} "
                    f"rounding={rounding} residual-add={residual_add} "
                    f"min-multiplier-bits={min_multiplier_bits}"
                    f"{' weight-asymmetric=true' if weight_asymmetric else ''}"
                    f"{' share-input-grid=true' if share_input_grid else ''}"
                    f"{_layer_option('layer-bits', layer_bits)}"
                    f"{_layer_option('layer-weight-bits', layer_weight_bits)}}})")
    try:
        res = capi.run_pipeline(text_with_stats, pipeline, locations=locations)
    except capi.QntError as exc:
        raise QuantizeError("quantization failed:\n" + _errors_only(str(exc))) from None
    _REMARKS.extend(remarks(res.diagnostics))
    return res.output


def correct_bias_empirical(text: str, xc: np.ndarray, *, bits: int,
                           per_channel: bool, batch: int = 1,
                           quiet: bool = True):
    """Empirical bias correction (``qnt-correct-bias{source=stats}``): calibrate
    ``text`` per channel on ``xc``, subtract (Q(W) - W) E[x] with E[x] the
    measured per-channel means of each layer's input, for the weights
    ``qnt-quantize{weight-bits=bits weight-per-channel=per_channel}`` will
    produce. Returns (corrected text without statistics, per-tensor
    statistics of the same calibration run, to attach to it)."""
    try:
        stats = calibration.calibrate(text, xc, batch=batch, quiet=quiet,
                                      per_channel=True)
    except calibration.CalibrationError as exc:
        raise QuantizeError(str(exc)) from None
    pc = "true" if per_channel else "false"
    with tempfile.TemporaryDirectory(prefix="qnt-bc-") as tmp:
        path = Path(tmp) / "stats.json"
        path.write_text(json.dumps(stats))
        try:
            res = capi.run_pipeline(
                text, f"builtin.module(qnt-attach-stats{{stats-file={path} "
                      f"per-channel=true}}, func.func(qnt-correct-bias{{"
                      f"source=stats weight-bits={bits} weight-per-channel={pc}"
                      f"}}), qnt-strip-stats)")
        except capi.QntError as exc:
            raise QuantizeError("bias correction failed:\n" +
                                _errors_only(str(exc))) from None
    _REMARKS.extend(remarks(res.diagnostics))
    per_tensor = dict(stats)
    # The corrected module has the same ops in the same order (only bias
    # constants changed) but, reprinted, other source locations: the
    # entries keep their op names for qnt-attach-stats to check, not "loc".
    per_tensor["activations"] = [
        {k: v for k, v in e.items() if k not in ("axis", "channels", "loc")}
        for e in stats["activations"]]
    return res.output, per_tensor


# Remarks of the last equalize_text / quantize_text calls (quantize_model
# resets it and puts them in its report).
_REMARKS: list = []


def remarks(diagnostics: str) -> list:
    """The remark lines of MLIR diagnostics ("<loc>: remark: text"), without
    the operation dumps that follow them, in order, without repeats."""
    out = []
    for line in diagnostics.splitlines():
        if ": remark: " in line and line not in out:
            out.append(line.strip())
    return out


def _errors_only(diagnostics: str, width: int = 160) -> str:
    """The error lines of MLIR diagnostics, each with its source line cut to
    ``width`` characters (statistics attributes make them very long)."""
    out, lines = [], diagnostics.splitlines()
    for i, line in enumerate(lines):
        if ": error:" in line:
            out.append(line)
            if i + 1 < len(lines) and not lines[i + 1].lstrip().startswith("^"):
                src = lines[i + 1].strip()
                out.append("    " + (src[:width] + " ..." if len(src) > width else src))
    return "\n".join(out) or diagnostics


_CONST_RE = re.compile(
    r'"?tosa\.const"?\(?\)?.*?:\s*\(\)\s*->\s*tensor<([0-9x]*)x?([if][0-9]+)>')


_DEF_RE = re.compile(r'^\s*(%[\w.#]+)\s*=\s*"?([\w.]+)"?(.*)$')
_CONTRACTIONS = ("tosa.conv2d", "tosa.depthwise_conv2d", "tosa.matmul")


def _const_bytes(line):
    m = _CONST_RE.search(line)
    if not m:
        return None
    dims = [int(d) for d in m.group(1).split("x") if d]
    bits = int(m.group(2)[1:])
    return int(np.prod(dims, dtype=np.int64)) * max(bits, 8) // 8


def constant_bytes(text: str) -> dict:
    """Bytes of the module's tosa.const tensors: ``weights`` (the weight
    operand of convolutions and matmuls, through reshapes, qnt.unpack and
    SYQ's cast of a multiply: packed sub-byte weights count their packed
    bytes) and ``other`` (biases, zero points, SYQ's subgroup multipliers)."""
    consts, source = {}, {}
    contraction_weights = []
    for line in text.splitlines():
        m = _DEF_RE.match(line)
        if not m:
            continue
        name, op, rest = m.groups()
        if op == "tosa.const":
            b = _const_bytes(line)
            if b is not None:
                consts[name] = b
        elif op in ("tosa.reshape", "qnt.unpack", "tosa.cast", "tosa.mul"):
            # (SYQ: cast(mul(unpack(codes), multipliers)): the codes count.)
            operands = re.findall(r"%[\w.#]+", rest)
            if operands:
                source[name] = operands[0]
        elif op in _CONTRACTIONS:
            operands = re.findall(r"%[\w.#]+", rest.split("{")[0].split(":")[0])
            if len(operands) > 1:
                contraction_weights.append(operands[1])
    weights = set()
    for w in contraction_weights:
        while w in source:
            w = source[w]
        if w in consts:
            weights.add(w)
    wbytes = sum(consts[w] for w in weights)
    return {"weights": wbytes, "other": sum(consts.values()) - wbytes}


def weight_bytes(text: str) -> int:
    """Bytes of every tosa.const tensor in a module (weights, biases)."""
    b = constant_bytes(text)
    return b["weights"] + b["other"]


LAYER_SQNR_SAMPLES = 256


def _loc_key(loc: str) -> str:
    """'loc("name")' or '"name"' -> 'name'."""
    loc = loc.strip()
    if loc.startswith("loc(") and loc.endswith(")"):
        loc = loc[4:-1]
    return loc.strip().strip('"')


def layer_sqnr(float_text: str, quant_text: str, x: np.ndarray,
               batch: int) -> list:
    """Per-layer SQNR of an integer program against its float model on the
    inputs ``x``: for every requantization that ``qnt-quantize`` recorded
    with ``qnt.result_params`` (the grid of its codes), the codes as real
    values ((q - z) s, computed by qnt.intref from the program) against the
    float model's activation at the same location (the value the clip was
    calibrated on, exposed by qnt-expose-activations and run natively), so
    the error includes the clipping. Both modules need their locations.
    Returns [{"loc", "op", "sqnr_db", "bits"}] in program order."""
    from . import intref
    x = np.asarray(x)
    n = len(x) - len(x) % batch
    if n == 0:
        return []
    x = x[:n]
    inst, described = calibration.calibration_build(float_text)
    with tempfile.TemporaryDirectory(prefix="qnt-layers-") as tmp:
        lib = runtime.CompiledModel(compiler.compile_mlir(
            inst, Path(tmp) / "layers.so")).forward
        outs = lib.run_dataset(x)
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    acts = outs[len(outs) - len(described):]
    # Several float values can share a location (an ONNX Gemm is a matmul
    # and a bias add): the last one is the node's output, the one a kept
    # clip follows (a clip between a matmul and its bias add is dropped).
    floats = {}
    for (op, loc), a in zip(described, acts):
        floats[_loc_key(loc)] = (op, a)
    prog = intref.load(quant_text)
    targets = []
    for op, _ in prog._steps:
        attr = op.attrs.get("qnt.result_params")
        key = _loc_key(op.loc)
        if attr is None or key not in floats:
            continue
        targets.append((key, op.results[0], intref.parse_uniform(attr)))
    if not targets:
        return []
    sums = {k: [0.0, 0.0] for k, _, _ in targets}
    for start in range(0, n, batch):
        env = prog.trace(x[start:start + batch])
        for key, name, u in targets:
            codes = np.asarray(env[name], np.float64)
            ref = np.asarray(floats[key][1], np.float64)
            per_call = len(ref) // (n // batch)
            ref = ref[start // batch * per_call:(start // batch + 1) * per_call]
            if ref.size != codes.size:
                continue
            scale, zp = np.asarray(u.scales), np.asarray(u.zero_points)
            if u.axis is not None and len(u.scales) > 1:
                shape = [1] * codes.ndim
                shape[u.axis] = -1
                scale, zp = scale.reshape(shape), zp.reshape(shape)
            real = (codes - zp) * scale
            ref = ref.reshape(real.shape)
            sums[key][0] += float(np.sum(ref ** 2))
            sums[key][1] += float(np.sum((ref - real) ** 2))
    rows = []
    for key, _, u in targets:
        sig, err = sums[key]
        rows.append({"loc": key, "op": floats[key][0], "bits": u.bits,
                     "sqnr_db": float("inf") if err == 0 else
                     float(10 * np.log10(max(sig, 1e-300) / err))})
    return rows


def _outputs(model, x):
    out = model.run_dataset(x)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def sqnr_db(ref: np.ndarray, got: np.ndarray) -> float:
    """10 log10(sum ref^2 / sum (ref - got)^2) over all elements."""
    ref = np.asarray(ref, np.float64)
    err = np.sum((ref - np.asarray(got, np.float64)) ** 2)
    sig = np.sum(ref ** 2)
    if err == 0:
        return float("inf")
    return float(10 * np.log10(sig / err)) if sig > 0 else float("-inf")


def _latency(fn_a, fn_b, x, repeats=200):
    """Median seconds per call of two functions, interleaved."""
    ta, tb = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn_a(x)
        t1 = time.perf_counter()
        fn_b(x)
        t2 = time.perf_counter()
        ta.append(t1 - t0)
        tb.append(t2 - t1)
    return float(np.median(ta)), float(np.median(tb))


def _clips_per_channel(pipeline: str) -> bool:
    """Whether a stage-2 pipeline's qnt-insert-clips clips per channel
    (its `per-channel=true`; not qnt-quantize's `weight-per-channel`)."""
    return any(re.search(r"(?<![\w-])per-channel=true", m.group(1))
               for m in re.finditer(r"qnt-insert-clips\{([^}]*)\}", pipeline))


def quantize_model(model: Path, recipe: str, out_dir: Path, *,
                   calib: Optional[str] = None, samples: int = 1000,
                   batch: int = 1, rounding: str = DEFAULT_ROUNDING,
                   limit: Optional[int] = None, quiet: bool = False,
                   pipelines: Optional[tuple] = None,
                   empirical_bias_correction: Optional[tuple] = None,
                   layer_bits=(), layer_weight_bits=(),
                   target_cpu: Optional[str] = None,
                   target_triple: Optional[str] = None,
                   weight_asymmetric: bool = False,
                   share_input_grid: bool = False,
                   residual_add: str = "single-rounding",
                   min_multiplier_bits: int = 11,
                   parallel: bool = False,
                   parallel_min_work: Optional[int] = None) -> dict:
    """Quantizes ``model`` (.onnx or .mlir) with ``recipe`` and writes
    ``out_dir``/{model.quant.mlir, model.so, report.json, report.md}.
    Returns the report. ``pipelines``: (equalize, quantize) textual pass
    pipelines replacing the recipe's two stages (experiments; ``recipe`` is
    then only the report's label). ``empirical_bias_correction``: (bits,
    per_channel) of the weights stage 2 will quantize: correct the biases
    with measured input means (``correct_bias_empirical``) between the two
    stages. ``layer_bits`` / ``layer_weight_bits``: mixed precision,
    ``KEY=BITS`` entries (see ``quantize_text``). ``target_cpu`` /
    ``target_triple``: the written library's target (compiler.compile_mlir);
    when it cannot run here (compiler.missing_cpu_features) the report's
    accuracy and latency are of both programs compiled for this machine
    (a remark says so).
    ``weight_asymmetric``: asymmetric uniform weights. ``share_input_grid``:
    max pooling and channel padding keep their input's grid, and
    ``residual_add`` and ``min_multiplier_bits`` (see
    ``quantize_text``). ``parallel``: both
    libraries run their kernels on OpenMP threads (compile_mlir;
    ``parallel_min_work`` as there). Recipes in
    ``PER_CHANNEL_RECIPES`` (and ``pipelines`` whose stage 2 runs
    ``qnt-insert-clips{per-channel=true}``) calibrate per channel."""
    from .importer import import_onnx
    model = Path(model)
    if pipelines is None and recipe not in RECIPES:
        raise QuantizeError(f"unknown recipe '{recipe}' (known: "
                            f"{', '.join(RECIPES)})")
    # Before calibration (minutes on a large model), not after it.
    check_min_multiplier_bits(min_multiplier_bits)
    if not model.exists():
        raise QuantizeError(f"{model}: no such file")
    if model.suffix == ".onnx":
        text = import_onnx(str(model), batch=batch).text
    elif model.suffix == ".mlir":
        text = model.read_text()
    else:
        raise QuantizeError(f"{model}: expected an .onnx or .mlir model")

    # Data: Fashion-MNIST (labelled) or an .npy of inputs (unlabelled).
    labels = None
    if calib is None or calib == "fmnist":
        xc, _ = datasets.calibration_set(samples)
        x, labels = datasets.evaluation_set()
        data_name = ("Fashion-MNIST: calibration split of train (seeded), "
                     "evaluation on t10k")
    elif calib == "photos":
        from . import photos
        x, _names = photos.blazeface_inputs()
        xc = x
        data_name = "photos from Debian packages (calibration = evaluation set)"
    else:
        xc = np.load(calib)[:samples]
        x = xc
        data_name = f"{calib} (calibration = evaluation set)"
    if limit is not None:
        x = x[:limit]
        labels = labels[:limit] if labels is not None else None

    per_channel = (recipe in PER_CHANNEL_RECIPES if pipelines is None
                   else _clips_per_channel(pipelines[1]))
    if per_channel and empirical_bias_correction:
        raise QuantizeError("empirical bias correction with per-channel "
                            "clips is not supported")
    t0 = time.perf_counter()
    _REMARKS.clear()
    # The stages keep their locations (ONNX node names) for the per-layer
    # SQNR; the library is built from the same program printed without them.
    prepared = equalize_text(text, recipe,
                             pipelines[0] if pipelines else None,
                             locations=True)
    if empirical_bias_correction:
        bits, per_channel = empirical_bias_correction
        prepared, stats = correct_bias_empirical(
            prepared, xc, bits=bits, per_channel=per_channel, batch=batch,
            quiet=quiet)
    else:
        try:
            stats = calibration.calibrate(prepared, xc, batch=batch,
                                          quiet=quiet, model_name=str(model),
                                          per_channel=per_channel)
        except calibration.CalibrationError as exc:
            raise QuantizeError(str(exc)) from None
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="qnt-quantize-") as tmp:
        tmp = Path(tmp)
        stats_path = tmp / "stats.json"
        stats_path.write_text(json.dumps(stats))
        with_stats = calibration.attach(prepared, stats_path, locations=True,
                                        per_channel=per_channel)
        quant_located = quantize_text(with_stats, recipe, rounding,
                                      pipelines[1] if pipelines else None,
                                      layer_bits, layer_weight_bits,
                                      locations=True,
                                      weight_asymmetric=weight_asymmetric,
                                      share_input_grid=share_input_grid,
                                      residual_add=residual_add,
                                      min_multiplier_bits=min_multiplier_bits)
        quant = capi.run_pipeline(quant_located).output
        t2 = time.perf_counter()
        target = {"target_cpu": target_cpu, "target_triple": target_triple,
                  "parallel": parallel,
                  "parallel_min_work": parallel_min_work}
        # The report runs both libraries here. A target whose code cannot
        # run on this machine gets its model.so, and the report the same
        # programs compiled for this machine (the quantized one is
        # integer-only, exact on every kernel set: the same codes).
        try:
            elsewhere = compiler.missing_cpu_features(target_cpu,
                                                      target_triple)
        except compiler.CompileError as exc:
            raise QuantizeError(str(exc)) from None
        here = ({"parallel": parallel, "parallel_min_work": parallel_min_work}
                if elsewhere else target)
        try:
            float_so = compiler.compile_mlir(text, tmp / "float.so", **here)
        except compiler.CompileError as exc:
            raise QuantizeError(str(exc)) from None
        # Build everything in the temporary directory first: a failure
        # leaves no partial output.
        quant_so = compiler.compile_mlir(quant, tmp / "model.so", **here)
        target_so = quant_so
        if elsewhere:
            target_so = compiler.compile_mlir(quant, tmp / "model.target.so",
                                              **target)
            _REMARKS.append(
                f"model.so is for the target ("
                f"{', '.join(v for v in (target_cpu, target_triple) if v)}), "
                f"which cannot run here ({elsewhere}): the accuracy and "
                f"latency above are of the same programs compiled for this "
                f"machine")
        t3 = time.perf_counter()
        fmodel = runtime.CompiledModel(float_so)
        qmodel = runtime.CompiledModel(quant_so)
        ref = _outputs(fmodel, x)
        got = _outputs(qmodel, x)
        names = [n for n, _, _ in qmodel.forward.outputs]
        one = x[:batch]
        lat_f, lat_q = _latency(fmodel.forward, qmodel.forward, one)
        try:
            layers = layer_sqnr(prepared, quant_located,
                                x[:LAYER_SQNR_SAMPLES], batch)
        except intref.IntrefError as exc:
            # The report goes on without it (e.g. an op intref lacks).
            layers = []
            _REMARKS.append(f"per-layer SQNR not available: {exc}")
        report = {
            "model": str(model), "recipe": recipe,
            "recipe_description": RECIPES.get(recipe, " -> ".join(pipelines or ())),
            "layer_bits": list(layer_bits),
            "layer_weight_bits": list(layer_weight_bits),
            "weight_asymmetric": bool(weight_asymmetric),
            "share_input_grid": bool(share_input_grid),
            "residual_add": residual_add,
            "min_multiplier_bits": int(min_multiplier_bits),
            "rounding": rounding,
            "batch": batch, "data": data_name,
            "calibration_samples": int(len(xc)), "evaluated": int(len(x)),
            "outputs": {
                n: {"sqnr_db": sqnr_db(r, g),
                    "max_abs_diff": float(np.abs(np.asarray(r, np.float64) -
                                                 g).max())}
                for n, r, g in zip(names, ref, got)},
            "layers": layers,
            "layer_sqnr_samples": int(min(len(x), LAYER_SQNR_SAMPLES)),
            "weight_bytes": {"fp32": weight_bytes(text),
                             "quantized": weight_bytes(quant)},
            "constant_bytes": {"fp32": constant_bytes(text),
                               "quantized": constant_bytes(quant)},
            "latency_ms": {"fp32": lat_f * 1e3, "quantized": lat_q * 1e3},
            "remarks": list(_REMARKS),
            "seconds": {"calibrate": round(t1 - t0, 2),
                        "quantize": round(t2 - t1, 2),
                        "compile": round(t3 - t2, 2)},
        }
        if labels is not None:
            report["top1"] = {
                "fp32": float((ref[0].argmax(1) == labels).mean()),
                "quantized": float((got[0].argmax(1) == labels).mean())}
            report["agreement"] = float((ref[0].argmax(1) ==
                                         got[0].argmax(1)).mean())
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(out_dir / "model.quant.mlir", quant)
        data = Path(target_so).read_bytes()
        save_atomically(out_dir / "model.so", lambda f: Path(f).write_bytes(data))
        write_atomically(out_dir / "report.json",
                         json.dumps(report, indent=2) + "\n")
        write_atomically(out_dir / "report.md", format_report(report))
    return report


def format_report(r: dict) -> str:
    lines = [f"# qnt quantize: {Path(r['model']).name}, recipe {r['recipe']}",
             "", f"{r['recipe_description']}"
             f"{'; asymmetric weights' if r.get('weight_asymmetric') else ''}"
             f"{'; shared pooling/padding grids' if r.get('share_input_grid') else ''}"
             f"{'; tflite residual adds' if r.get('residual_add') == 'tflite' else ''}"
             f"; rounding {r['rounding']}; multipliers of at least "
             f"{r.get('min_multiplier_bits', 31)} bits; "
             f"batch {r['batch']}.", f"Data: {r['data']}; "
             f"{r['calibration_samples']} calibration samples, "
             f"{r['evaluated']} evaluated.", ""]
    mixed = [f"activations {', '.join(r['layer_bits'])}"
             if r.get("layer_bits") else "",
             f"weights {', '.join(r['layer_weight_bits'])}"
             if r.get("layer_weight_bits") else ""]
    if any(mixed):
        lines += ["Per-layer widths: " + "; ".join(m for m in mixed if m) +
                  ".", ""]
    lines += ["| | fp32 | quantized |", "|---|---:|---:|"]
    if "top1" in r:
        lines.append(f"| top-1 (%) | {r['top1']['fp32'] * 100:.2f} | "
                     f"{r['top1']['quantized'] * 100:.2f} |")
    cb = r["constant_bytes"]
    fw, qw = cb["fp32"]["weights"], cb["quantized"]["weights"]
    lines.append(f"| weights (bytes) | {fw} | {qw} ({qw / max(fw, 1):.3f}x) |")
    wb = r["weight_bytes"]
    lines.append(f"| all constants (bytes) | {wb['fp32']} | {wb['quantized']} "
                 f"({wb['quantized'] / max(wb['fp32'], 1):.3f}x) |")
    lat = r["latency_ms"]
    lines.append(f"| latency, median (ms) | {lat['fp32']:.3f} | "
                 f"{lat['quantized']:.3f} |")
    lines.append("")
    if "agreement" in r:
        lines.append(f"Top-1 agreement with fp32: {r['agreement'] * 100:.2f}%.")
    lines.append("")
    if r.get("layers"):
        lines.append(f"Per-layer SQNR of the integer program against the "
                     f"float model ({r['layer_sqnr_samples']} samples; "
                     f"activations as the clips see them):")
        lines.append("")
        lines.append("| layer (location) | op | bits | SQNR (dB) |")
        lines.append("|---|---|---:|---:|")
        for layer in r["layers"]:
            lines.append(f"| `{layer['loc']}` | {layer['op']} | "
                         f"{layer['bits']} | {layer['sqnr_db']:.1f} |")
        lines.append("")
    lines.append("| output | SQNR vs fp32 (dB) | max abs diff |")
    lines.append("|---|---:|---:|")
    for n, o in r["outputs"].items():
        lines.append(f"| {n} | {o['sqnr_db']:.2f} | {o['max_abs_diff']:.4g} |")
    if r.get("remarks"):
        lines += ["", f"Compiler remarks ({len(r['remarks'])}):", ""]
        lines += [f"- {m}" for m in r["remarks"]]
    return "\n".join(lines) + "\n"
