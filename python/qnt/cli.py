"""Command line: ``python3 -m qnt <command> ...`` (PYTHONPATH=python).

    qnt import  model.onnx -o model.mlir [--batch N] [--input-shape x=1x1x28x28]
    qnt compile model.onnx|model.mlir -o model.so [--batch N] [--emit-mlir F]
    qnt run     model.so input.npy... -o out.npy|out.npz [-o out2.npy]
    qnt info    model.so
    qnt eval    [model.onnx|.mlir|.so] [--batch 64] [--limit N] [--ort]
                [--scalar] [--json F]
    qnt calibrate model.onnx|.mlir -o stats.json [--attach out.mlir]
    qnt quantize model.onnx|.mlir -o OUT/ [--recipe R] [--calib fmnist]

Errors go to stderr with exit status 1, and no output file is left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


class CliError(Exception):
    pass


def _shape_overrides(items):
    res = {}
    for it in items or []:
        name, sep, dims = it.rpartition("=")
        if not sep or not name:
            raise CliError(f"--input-shape '{it}': expected NAME=D0xD1x...")
        try:
            res[name] = tuple(int(d) for d in dims.lower().split("x"))
        except ValueError:
            raise CliError(f"--input-shape '{it}': dimensions must be "
                           f"integers") from None
        if any(d <= 0 for d in res[name]):
            raise CliError(f"--input-shape '{it}': dimensions must be > 0")
    return res


def _add_shape_args(p):
    p.add_argument("--batch", type=int, default=None,
                   help="fix dimension 0 of every input (compile-time batch "
                        "size)")
    p.add_argument("--input-shape", action="append", metavar="NAME=AxBx..",
                   help="static shape of an input (repeatable)")


def cmd_import(args):
    from .importer import import_onnx, write_atomically
    res = import_onnx(args.model, batch=args.batch,
                      input_shapes=_shape_overrides(args.input_shape),
                      fold_bn=not args.no_fold_bn)
    out = args.output or str(Path(args.model).with_suffix(".mlir"))
    text = f"// Imported from {Path(args.model).name} by qnt\n" + res.text
    write_atomically(out, text)
    if args.verbose:
        print(f"wrote {out}", file=sys.stderr)


def _check_parallel_args(args):
    """--parallel-min-work: with --parallel, >= 0; checked before anything
    is written."""
    n = args.parallel_min_work
    if n is not None and not args.parallel:
        raise CliError("--parallel-min-work needs --parallel")
    if n is not None and n < 0:
        raise CliError(f"--parallel-min-work must be >= 0, got {n}")


def cmd_compile(args):
    _check_parallel_args(args)
    from . import compiler
    from .importer import write_atomically
    src = Path(args.model)
    text, sigs = compiler.load_source(
        src, batch=args.batch,
        input_shapes=_shape_overrides(args.input_shape))
    out = args.output or str(src.with_suffix(".so"))
    if args.emit_mlir:
        write_atomically(args.emit_mlir, text)
    try:
        compiler.compile_mlir(text, out, sigs=sigs,
                              keep_temps=args.keep_temps or None,
                              target_cpu=args.target_cpu,
                              target_triple=args.target_triple,
                              parallel=args.parallel,
                              parallel_min_work=args.parallel_min_work)
    except compiler.CompileError as exc:
        raise CliError(str(exc)) from None
    if args.verbose:
        print(f"wrote {out}", file=sys.stderr)


def _save_atomic(path, save):
    from .fileutil import save_atomically
    save_atomically(path, save)


def cmd_run(args):
    from .runtime import CompiledModel
    m = CompiledModel(args.library)
    if args.function and args.function not in m._by_name:
        raise CliError(f"no entry point @{args.function} (has: "
                       f"{', '.join(f.name for f in m.functions)})")
    fn = m[args.function] if args.function else m.forward
    if args.threads is not None:
        try:
            m.set_num_threads(args.threads)
        except Exception as exc:
            raise CliError(str(exc)) from None
    inputs = []
    for p in args.inputs:
        try:
            inputs.append(np.load(p, allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise CliError(f"{p}: cannot read .npy: {exc}") from None
    exact = len(inputs) == len(fn.inputs) and all(
        a.shape == shape for a, (_, shape, _) in zip(inputs, fn.inputs))
    if exact:
        outs = fn(*inputs)
    else:
        # More (or fewer) samples than the compiled batch: run in batches.
        ok = len(inputs) == len(fn.inputs) and all(
            a.shape[1:] == shape[1:] for a, (_, shape, _) in
            zip(inputs, fn.inputs))
        if not ok:
            want = ", ".join(f"{n}{list(s)}" for n, s, _ in fn.inputs)
            got = ", ".join(str(list(a.shape)) for a in inputs)
            raise CliError(f"inputs {got} do not match @{fn.name}({want})")
        outs = fn.run_dataset(*inputs)
    names = [n for n, _, _ in fn.outputs]
    outputs = args.output or []
    if len(outputs) == 1 and outputs[0].endswith(".npz"):
        _save_atomic(outputs[0], lambda t: np.savez(
            t, **{f"output_{i}" if not n.isidentifier() else n: o
                  for i, (n, o) in enumerate(zip(names, outs))}))
    elif outputs:
        if len(outputs) != len(outs):
            raise CliError(f"the model has {len(outs)} outputs "
                           f"({', '.join(names)}): give that many -o files "
                           f"or one .npz")
        for path, o in zip(outputs, outs):
            _save_atomic(path, lambda t, o=o: np.save(t, o))
    else:
        for n, o in zip(names, outs):
            print(f"{n}: {o.dtype}{list(o.shape)}")
            print(o)


def cmd_info(args):
    from .runtime import CompiledModel
    m = CompiledModel(args.library)
    for f in m.functions:
        ins = ", ".join(f"{n}: {d.name}{list(s)}" for n, s, d in f.inputs)
        outs = ", ".join(f"{n}: {d.name}{list(s)}" for n, s, d in f.outputs)
        print(f"@{f.name}({ins}) -> ({outs})")
    if m.missing_cpu_features:
        print(f"cannot run here: compiled for CPU features this machine "
              f"lacks ({m.missing_cpu_features})")


def cmd_eval(args):
    from .evaluate import EvalError, evaluate, format_report, write_json
    if args.json and os.path.isdir(args.json):
        raise CliError(f"--json {args.json}: is a directory")
    if args.json and not os.path.isdir(os.path.dirname(
            os.path.abspath(args.json))):
        raise CliError(f"--json {args.json}: directory does not exist")
    try:
        res = evaluate(args.model, batch=args.batch, limit=args.limit,
                       ort=args.ort, vectorize=not args.scalar)
    except EvalError as exc:
        raise CliError(str(exc)) from None
    print(format_report(res))
    if args.json:
        write_json(args.json, res)
        if args.verbose:
            print(f"wrote {args.json}", file=sys.stderr)


def cmd_calibrate(args):
    from . import calibration, datasets
    from .importer import import_onnx, write_atomically
    from .calibration import CalibrationError
    model = Path(args.model)
    if not model.exists():
        raise CliError(f"{model}: no such file")
    if model.suffix == ".onnx":
        text = import_onnx(str(model), batch=args.batch).text
    elif model.suffix == ".mlir":
        text = model.read_text()
    else:
        raise CliError(f"{model}: expected an .onnx or .mlir model")
    if args.data:
        import numpy as np
        data = np.load(args.data)
        if args.samples:
            data = data[:args.samples]
    else:
        data, _ = datasets.calibration_set(args.samples, seed=args.seed)
    try:
        result = calibration.calibrate(
            text, data, batch=args.batch, bins=args.bins,
            per_channel=args.per_channel, quiet=args.quiet,
            model_name=str(model))
    except CalibrationError as exc:
        raise CliError(str(exc)) from None
    for line in calibration.nonfinite_report(result):
        print(f"qnt calibrate: warning: {line}", file=sys.stderr)
    write_atomically(args.output, json.dumps(result))
    if args.attach:
        write_atomically(args.attach, calibration.attach(text, args.output))
    if not args.quiet:
        print(f"qnt calibrate: {len(result['activations'])} activations, "
              f"{result['samples']} samples -> {args.output}", file=sys.stderr)


def cmd_quantize(args):
    _check_parallel_args(args)
    from .quantize import (QuantizeError, check_min_multiplier_bits,
                           format_report, quantize_model)
    try:
        # (quantize_model checks it too, under its Python name.)
        check_min_multiplier_bits(args.min_multiplier_bits,
                                  "--min-multiplier-bits")
        rep = quantize_model(Path(args.model), args.recipe, Path(args.output),
                             calib=args.calib, samples=args.samples,
                             batch=args.batch, rounding=args.rounding,
                             limit=args.limit, quiet=args.quiet,
                             layer_bits=args.layer_bits or (),
                             layer_weight_bits=args.layer_weight_bits or (),
                             target_cpu=args.target_cpu,
                             target_triple=args.target_triple,
                             weight_asymmetric=args.weight_asymmetric,
                             share_input_grid=args.share_input_grid,
                             residual_add=args.residual_add,
                             min_multiplier_bits=args.min_multiplier_bits,
                             parallel=args.parallel,
                             parallel_min_work=args.parallel_min_work)
    except QuantizeError as exc:
        raise CliError(str(exc)) from None
    print(format_report(rep), end="")


def _add_target_args(p):
    p.add_argument("--target-cpu", metavar="CPU",
                   help="generate code for this CPU (clang -march: e.g. "
                        "x86-64-v3, skylake-avx512, znver4) instead of the "
                        "host; the vector tiles follow its registers")
    p.add_argument("--target-triple", metavar="TRIPLE",
                   help="generate code for this target triple (clang "
                        "--target); a shared library for another OS or "
                        "architecture needs its sysroot")
    p.add_argument("--parallel", action="store_true",
                   help="run the kernels' outer loops on OpenMP threads (the "
                        "library links LLVM's libomp; thread count: "
                        "OMP_NUM_THREADS, `qnt run --threads`, or "
                        "qnt_set_num_threads)")
    p.add_argument("--parallel-min-work", type=int, metavar="N",
                   help="with --parallel: kernel loops of fewer than N "
                        "estimated operations stay sequential, as threads "
                        "cost more than they save there (default 20000; 0: "
                        "every kernel loop runs on the threads)")


def build_parser():
    ap = argparse.ArgumentParser(prog="qnt", description="qnt: an MLIR "
                                 "quantization compiler")
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="ONNX -> TOSA MLIR")
    p.add_argument("model")
    p.add_argument("-o", "--output")
    _add_shape_args(p)
    p.add_argument("--no-fold-bn", action="store_true",
                   help="keep BatchNormalization after Conv unfolded")
    p.set_defaults(fn=cmd_import)

    p = sub.add_parser("compile", help=".onnx/.mlir -> shared library")
    p.add_argument("model")
    p.add_argument("-o", "--output")
    _add_shape_args(p)
    p.add_argument("--emit-mlir", metavar="FILE",
                   help="also write the imported TOSA module")
    p.add_argument("--keep-temps", action="store_true",
                   help="keep the intermediate files (printed)")
    _add_target_args(p)
    p.set_defaults(fn=cmd_compile)

    p = sub.add_parser("run", help="run a compiled library on .npy inputs")
    p.add_argument("library")
    p.add_argument("inputs", nargs="*")
    p.add_argument("-o", "--output", action="append",
                   help="output .npy (one per output) or a single .npz")
    p.add_argument("--function", help="entry point (default: forward)")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="threads for a library compiled with --parallel")
    p.set_defaults(fn=cmd_run)

    p = sub.add_parser("info", help="print a library's entry points")
    p.add_argument("library")
    p.set_defaults(fn=cmd_info)

    p = sub.add_parser("eval", help="compile a model and measure accuracy "
                       "and speed on real data (Fashion-MNIST t10k, or "
                       "photos for BlazeFace)")
    p.add_argument("model", nargs="?", default=None,
                   help=".onnx, .mlir or compiled .so (default: "
                        "models/fmnist_mobilenet.onnx)")
    p.add_argument("--batch", type=int, default=None,
                   help="compiled batch size (default 64 when the ONNX "
                        "batch dimension is free)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="only the first N images")
    p.add_argument("--ort", action="store_true",
                   help="also run onnxruntime on the same data and report "
                        "the agreement")
    p.add_argument("--scalar", action="store_true",
                   help="compile with scalar loops (no vectorization)")
    p.add_argument("--json", metavar="FILE",
                   help="also write the results as JSON")
    p.set_defaults(fn=cmd_eval)

    p = sub.add_parser("calibrate", help="statistics of every activation over "
                       "calibration data (docs/calibration.md)")
    p.add_argument("model", help=".onnx or .mlir (TOSA) model")
    p.add_argument("-o", "--output", required=True, help="statistics JSON")
    p.add_argument("--attach", metavar="OUT.mlir",
                   help="also write the model with qnt.stats attached")
    p.add_argument("--data", help=".npy with the samples along axis 0 "
                   "(default: the Fashion-MNIST calibration split)")
    p.add_argument("--samples", type=int, default=1000,
                   help="number of samples (default 1000)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the calibration split (default 0)")
    p.add_argument("--batch", type=int, default=64, help="batch size (default 64)")
    p.add_argument("--bins", type=int, default=2048,
                   help="histogram bins (default 2048)")
    p.add_argument("--per-channel", action="store_true",
                   help="statistics per channel (last dimension) too")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(fn=cmd_calibrate)

    from .quantize import DEFAULT_ROUNDING, RECIPES
    p = sub.add_parser("quantize", help="float model -> integer-only library "
                       "+ accuracy report (docs/quantization.md)")
    p.add_argument("model", help=".onnx or .mlir (TOSA) model")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="output directory: model.quant.mlir, model.so, "
                        "report.json, report.md")
    p.add_argument("--recipe", default="w8a8-per-channel",
                   choices=list(RECIPES),
                   help="quantization recipe (default w8a8-per-channel)")
    p.add_argument("--calib", default="fmnist",
                   help="calibration data: fmnist (default; evaluation on "
                        "t10k), photos (BlazeFace inputs), or an .npy of "
                        "inputs")
    p.add_argument("--samples", type=int, default=1000,
                   help="calibration samples (default 1000)")
    p.add_argument("--batch", type=int, default=1,
                   help="compiled batch size (default 1)")
    p.add_argument("--rounding", default=DEFAULT_ROUNDING,
                   choices=["tflite", "single_round", "double_round"],
                   help="requantization rounding (default single_round: "
                        "one rounding, as TOSA rescale; tflite: gemmlowp / "
                        "TFLite semantics)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="evaluate only the first N samples")
    p.add_argument("--layer-bits", action="append", metavar="KEY=BITS",
                   help="mixed precision: activation width for the layers "
                        "whose ONNX node name (location) contains KEY, or "
                        "KEY=input for the model input (repeatable; the last "
                        "match wins)")
    p.add_argument("--layer-weight-bits", action="append", metavar="KEY=BITS",
                   help="mixed precision: weight width (2..8) for the layers "
                        "whose node name contains KEY, or KEY=first / last "
                        "(repeatable)")
    p.add_argument("--weight-asymmetric", action="store_true",
                   help="asymmetric uniform weights: the full grid over "
                        "[min(w,0), max(w,0)] with a zero point per tensor "
                        "or channel (default: symmetric)")
    p.add_argument("--share-input-grid", action="store_true",
                   help="max pooling and channel padding (a concat of one "
                        "activation with constants) keep their input's grid "
                        "instead of a clip of their own: one requantization "
                        "less per such tensor, at some accuracy cost "
                        "(docs/quantization.md)")
    p.add_argument("--residual-add", default="single-rounding",
                   choices=["single-rounding", "tflite"],
                   help="residual adds of two activations: one rounding of "
                        "an exact integer sum (default), or TFLite's "
                        "rescale-add-requantize (docs/quantization.md)")
    p.add_argument("--min-multiplier-bits", type=int, default=11,
                   metavar="BITS",
                   help="fewest significant bits (1..31) a requantization "
                        "multiplier may be rounded to so that its product "
                        "with every accumulator fits in 32 bits: one i32 "
                        "multiply instead of a 64-bit one (default 11; 31 "
                        "keeps full Q31 multipliers; docs/quantization.md)")
    _add_target_args(p)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(fn=cmd_quantize)
    return ap


def main(argv=None):
    from .compiler import CompileError
    from .importer import ImporterError
    from .runtime import RuntimeError_
    from .tools import ToolNotFound
    args = build_parser().parse_args(argv)
    try:
        args.fn(args)
    except (CliError, ImporterError, CompileError, RuntimeError_,
            ToolNotFound) as exc:
        print(f"qnt {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        # Unreadable inputs, missing output directories, full disks: the
        # message names the file; no traceback.
        where = f": '{exc.filename}'" if exc.filename else ""
        print(f"qnt {args.command}: error: {exc.strerror or exc}{where}",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
