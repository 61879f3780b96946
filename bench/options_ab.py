#!/usr/bin/python3
"""Quantization options side by side: one model, several option sets of the
int8 recipe, timed in the same run.

    /usr/bin/python3 bench/options_ab.py [--model blazeface|fmnist]
                                         [--batch N] [--rounds 11]
                                         [--variant NAME=KEY:VALUE,...]...
                                         [--write] [--json F]

Without ``--variant`` it compares the recipe as is with three of its
options undone: ``rounding=tflite`` (gemmlowp / TFLite requantization
rounding), ``residual_add=tflite`` (TFLite's residual adds) and
``min_multiplier_bits=31`` (full Q31 multipliers); ``--write`` runs that
comparison on BlazeFace (batch 1) and Fashion-MNIST (batch 1 and 64) and
writes docs/performance-options.md. A variant is a name and
``quantize_text`` keyword arguments (``residual_add``, ``rounding``,
``min_multiplier_bits``, ``share_input_grid``, ``weight_asymmetric``),
e.g. ``--variant tflite-adds=residual_add:tflite``; a bare name
(``default=``) is the recipe as is.

Method. The model is equalized and calibrated once (bench/e2e.py's recipe,
w8a8-per-channel: 256 Fashion-MNIST calibration images, or the BlazeFace
photos); each variant quantizes that same calibrated model, is compiled
with the host's int8 kernels and checked bit-exact against qnt.intref on
the timed input before timing. The fp32 library of the model is timed
alongside. Each round times every library once (bench/fp32.py's C loop
around qnt_invoke, about ``--budget`` s, the median call), in an order
that rotates every round; the table gives the median of the per-round
medians, their range, and each variant's latency relative to the first.
Agreement with fp32: the SQNR of each variant's outputs against the fp32
library's on the evaluation inputs (all photos; 256 Fashion-MNIST test
images), the mean over the model's outputs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402

from e2e import CALIB_SAMPLES, FMNIST, RECIPE  # noqa: E402
from fp32 import (Harness, QntRunner, _ms, iters_for, machine_info,  # noqa: E402
                  write_outputs)
from qnt import calibration, compiler, datasets, intref, photos, runtime  # noqa: E402
from qnt import quantize as qz  # noqa: E402
from qnt.reference import blazeface  # noqa: E402

DOC = REPO / "docs" / "performance-options.md"
DEFAULT_VARIANTS = ["default=",
                    "tflite rounding=rounding:tflite",
                    "tflite adds=residual_add:tflite",
                    "Q31 multipliers=min_multiplier_bits:31"]
# --write: the default variants on each (model, batch).
WRITE_CONFIGS = [("blazeface", 1), ("fmnist", 1), ("fmnist", 64)]
KEYS = {"residual_add": str, "rounding": str, "min_multiplier_bits": int,
        "share_input_grid": lambda v: {"true": True, "false": False}[v],
        "weight_asymmetric": lambda v: {"true": True, "false": False}[v]}


def parse_variant(spec):
    """'NAME=KEY:VALUE,...' -> (name, kwargs for quantize_text)."""
    name, sep, rest = spec.partition("=")
    if not sep or not name:
        raise ValueError(f"variant '{spec}': expected NAME=KEY:VALUE,...")
    kwargs = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition(":")
        if not sep or key not in KEYS:
            raise ValueError(f"variant '{spec}': '{item}' is not KEY:VALUE "
                             f"with KEY in {', '.join(KEYS)}")
        try:
            kwargs[key] = KEYS[key](value)
        except KeyError:
            raise ValueError(f"variant '{spec}': {key} takes true or false")
    return name, kwargs


def sqnr_db(ref, got):
    ref = np.asarray(ref, np.float64)
    err = np.asarray(got, np.float64) - ref
    return float(10 * np.log10(max(np.sum(ref ** 2), 1e-30) /
                               max(np.sum(err ** 2), 1e-30)))


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", choices=("blazeface", "fmnist"),
                    default="blazeface")
    ap.add_argument("--batch", type=int, default=1, help="fmnist only")
    ap.add_argument("--rounds", type=int, default=11)
    ap.add_argument("--budget", type=float, default=0.3,
                    help="seconds per measurement (default 0.3)")
    ap.add_argument("--variant", action="append",
                    help="NAME=KEY:VALUE,... (repeatable; default: the "
                         "recipe, tflite residual adds, Q31 multipliers)")
    ap.add_argument("--write", action="store_true",
                    help=f"write {DOC.relative_to(REPO)} (default variants "
                         "on every configuration of WRITE_CONFIGS)")
    ap.add_argument("--json", type=Path, help="also write raw results")
    args = ap.parse_args()
    if args.rounds < 1 or args.budget <= 0 or args.batch < 1:
        ap.error("--rounds and --batch must be >= 1 and --budget > 0")
    if args.write and (args.variant or args.model != "blazeface" or
                       args.batch != 1):
        ap.error("--write documents the default comparison only")
    try:
        variants = [parse_variant(v)
                    for v in (args.variant or DEFAULT_VARIANTS)]
    except ValueError as exc:
        ap.error(str(exc))
    if len({n for n, _ in variants}) != len(variants):
        ap.error("variant names must differ")
    configs = WRITE_CONFIGS if args.write else [(args.model, args.batch)]
    info = machine_info()
    started = datetime.datetime.now().astimezone()
    runs = [run_config(model, batch, variants, args)
            for model, batch in configs]
    finished = datetime.datetime.now().astimezone()
    result = {"machine": info, "recipe": RECIPE,
              "started": started.isoformat(timespec="seconds"),
              "finished": finished.isoformat(timespec="seconds"),
              "rounds": args.rounds, "budget_s": args.budget, "runs": runs}
    table = "\n\n".join(format_table(r) for r in runs)
    write_outputs(result, table, args, DOC, format_doc)


def run_config(model, batch, variants, args):
    """Every variant and the fp32 library of one model and batch, timed
    side by side; returns {"model": title, "variants": rows}."""
    if model == "blazeface":
        path = blazeface.model_path()
        if not path.exists():
            sys.exit(f"options_ab.py: {path} is missing: run "
                     "scripts/fetch_blazeface.sh")
        calib, _ = photos.blazeface_inputs()
        evaluation, title = calib, f"BlazeFace front 128, batch {batch}"
        text, _ = compiler.load_source(path, batch=batch)
    else:
        calib, _ = datasets.calibration_set(CALIB_SAMPLES)
        evaluation = datasets.evaluation_set()[0][:max(256, batch)]
        title = f"fmnist_mobilenet, batch {batch}"
        text, _ = compiler.load_source(FMNIST, batch=batch)
    timed = evaluation[:batch]
    print(f"calibrating {title} ...", file=sys.stderr)
    prepared = qz.equalize_text(text, RECIPE)
    stats = calibration.calibrate(prepared, calib, batch=batch, quiet=True)
    work = Path(tempfile.mkdtemp(prefix="qnt-options-ab-"))
    try:
        sp = work / "stats.json"
        sp.write_text(json.dumps(stats))
        with_stats = calibration.attach(prepared, sp)
        harness = Harness(work)
        fp_so = compiler.compile_mlir(text, work / "fp32.so")
        ref = runtime.CompiledModel(fp_so).forward.run_dataset(evaluation)
        runners = {"qnt fp32": QntRunner(harness, fp_so, [timed])}
        rows = {}
        for i, (name, kwargs) in enumerate(variants):
            print(f"variant {name} ...", file=sys.stderr)
            quant = qz.quantize_text(with_stats, RECIPE, **kwargs)
            so = compiler.compile_mlir(quant, work / f"v{i}.so")
            runner = QntRunner(harness, so, [timed])
            want = intref.load(quant).run(timed)
            if not all(np.array_equal(g, np.asarray(w))
                       for g, w in zip(runner.outputs(), want)):
                sys.exit(f"options_ab.py: variant {name}: the library "
                         "differs from qnt.intref")
            got = runtime.CompiledModel(so).forward.run_dataset(evaluation)
            runners[name] = runner
            rows[name] = {
                "options": kwargs,
                "requantizations": quant.count("qnt.requantize "),
                "sqnr_db": statistics.mean(
                    sqnr_db(r, g) for r, g in zip(ref, got))}
        names = list(runners)
        plan = {}
        for n in names:
            t = float(np.median(runners[n].times_ms(1, 3)))
            k = iters_for(t, args.budget)
            plan[n] = (min(20, max(1, k // 5)), k)
        meds = {n: [] for n in names}
        for rd in range(args.rounds):
            print(f"{title}: round {rd + 1}/{args.rounds}", file=sys.stderr)
            k = rd % len(names)
            for n in names[k:] + names[:k]:
                warm, iters = plan[n]
                meds[n].append(float(np.median(runners[n].times_ms(warm,
                                                                   iters))))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {n: statistics.median(v) for n, v in meds.items()}
    first = variants[0][0]
    for n in names:
        rows.setdefault(n, {})
        rows[n].update({"median_ms": med[n], "min_round_ms": min(meds[n]),
                        "max_round_ms": max(meds[n]),
                        "round_medians_ms": meds[n],
                        "fp32_over": med["qnt fp32"] / med[n],
                        "relative_to_first": med[n] / med[first]})
    return {"model": title, "variants": rows}


def format_table(r):
    rows = r["variants"]
    first = next(iter(n for n in rows if n != "qnt fp32"))
    lines = [f"{r['model']}, recipe {RECIPE}, 1 thread:", "",
             "| library | options | median latency (ms) | range of round "
             f"medians (ms) | latency / {first}'s | speed-up over qnt fp32 "
             "| requantizations | SQNR vs fp32 (dB) |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for n, row in rows.items():
        opts = ", ".join(f"{k}={v}" for k, v in row.get("options", {}).items())
        sq = f"{row['sqnr_db']:.1f}" if "sqnr_db" in row else ""
        rq = row.get("requantizations", "")
        lines.append(
            f"| {n} | {opts or ('the recipe' if n != 'qnt fp32' else '')} | "
            f"{_ms(row['median_ms'])} | {_ms(row['min_round_ms'])} – "
            f"{_ms(row['max_round_ms'])} | {row['relative_to_first']:.3f} | "
            f"{row['fp32_over']:.2f} | {rq} | {sq} |")
    return "\n".join(lines)


def format_doc(r, table):
    m = r["machine"]
    return f"""# Performance: quantization options side by side

Generated by `/usr/bin/python3 bench/options_ab.py --write` (do not edit
by hand; the method is in the script's docstring). Each table: one
calibrated model quantized four ways ([quantization.md](quantization.md)):
the recipe as is (`default`: `single_round` requantizations, single-rounding
residual adds, multipliers rounded to the bits that keep the requantization
in 32 bits, `min-multiplier-bits=11`); `tflite rounding` (requantizations
with gemmlowp / TFLite rounding: a rounding doubling high multiply, then a
rounding shift with ties away from zero); `tflite adds` (residual adds with both inputs
rescaled to max(S_a, S_b) / 2^20, added, requantized with a 64-bit
product); `Q31 multipliers` (`min-multiplier-bits=31`: every multiplier at
full precision, so every requantization of a convolution needs a 64-bit
product). Every library is checked bit-exact against qnt.intref first.
End-to-end comparisons with onnxruntime: [performance-e2e.md](performance-e2e.md).

| | |
|---|---|
| date | {r['started']} to {r['finished']} |
| CPU | {m['cpu']}, {m['cpus']} CPUs visible; /proc/cpuinfo: {', '.join(m['isa'])}; `clang -march=native` = {m['march_native']} |
| compiler | {m['clang']} |
| source | commit {m['commit']}{'; tracked files changed since: ' + ', '.join(m['changed_files']) if m['changed_files'] else ''} |
| rounds | {r['rounds']}, about {r['budget_s']} s per measurement |

{table}
"""


if __name__ == "__main__":
    main()
