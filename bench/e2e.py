#!/usr/bin/python3
"""End to end: qnt int8 against qnt fp32 and onnxruntime fp32 / int8.

    /usr/bin/python3 bench/e2e.py [--rounds 5] [--budget 0.3] [--write]
                                  [--json F]

Writes docs/performance-e2e.md with --write (the method is in the doc it
writes, format_doc below). Models: the bundled Fashion-MNIST model at batch
1 and 64, MediaPipe BlazeFace front at batch 1 (its graph fixes batch 1).
Runtimes, each at 1 and 2 threads, on the same real inputs:

* qnt fp32: the float model through qnt-float-to-llvm;
* qnt int8: the w8a8-per-channel recipe (equalize, calibrate on real data,
  quantize), the integer-only program through the same pipeline; before
  timing its output is checked bit-exact against qnt.intref (numpy);
* qnt int8 w7a8: the same with 7-bit weights (w7a8-per-channel, from the
  same calibration), on which qnt's AVX2 kernels take vpmaddubsw; checked
  the same way;
* 2 threads: the same programs compiled with parallel=True (OpenMP);
* onnxruntime fp32: the float ONNX; onnxruntime int8: its QDQ form written
  by qnt.reference.qdq from the same calibration data (onnxruntime fuses it
  into QLinearConv / QGemm; the optimized graph's op counts are reported).

Timing as in bench/fp32.py: qnt through a C loop around qnt_invoke,
onnxruntime through scripts/ort/run.js bench; interleaved rounds, the
order of the runtimes rotated every round; the median of the per-round
medians.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402

from fp32 import (Harness, QntRunner, _ms, iters_for, machine_info,  # noqa: E402
                  write_outputs)
from qnt import calibration, compiler, datasets, intref, photos  # noqa: E402
from qnt import quantize as qz  # noqa: E402
from qnt.reference import blazeface, ort, qdq  # noqa: E402

FMNIST = REPO / "models" / "fmnist_mobilenet.onnx"
DOC = REPO / "docs" / "performance-e2e.md"
RECIPE = "w8a8-per-channel"
# The same with 7-bit weights (onnxruntime's reduce_range), whose AVX2
# kernels take vpmaddubsw: its rows are "qnt int8 w7a8". Its equalize stage
# is RECIPE's (BatchNorm folding), so both share one calibration.
RECIPE_W7 = "w7a8-per-channel"
CALIB_SAMPLES = 256


def build_int8_recipes(text, xc, batch, name, recipes, locations=False):
    """Integer programs of `recipes` for `text`, which share their equalize
    stage (the first recipe's; checked), quantized from one calibration:
    (dict recipe -> program, the first recipe's timed stages).
    ``locations``: printed with their locations, e.g. ONNX node names."""
    first = recipes[0]
    t0 = time.perf_counter()
    prepared = qz.equalize_text(text, first, locations=locations)
    t1 = time.perf_counter()
    stats = calibration.calibrate(prepared, xc, batch=batch, quiet=True,
                                  model_name=name)
    t2 = time.perf_counter()
    programs = {}
    with tempfile.TemporaryDirectory(prefix="qnt-e2e-") as tmp:
        sp = Path(tmp) / "stats.json"
        sp.write_text(json.dumps(stats))
        with_stats = calibration.attach(prepared, sp, locations=locations)
        programs[first] = qz.quantize_text(with_stats, first,
                                           locations=locations)
        t3 = time.perf_counter()
        for other in recipes[1:]:
            if qz.equalize_text(text, other, locations=locations) != prepared:
                raise ValueError(f"{other}'s equalize stage differs from "
                                 f"{first}'s")
            programs[other] = qz.quantize_text(with_stats, other,
                                               locations=locations)
    return programs, {"equalize_s": t1 - t0, "calibrate_s": t2 - t1,
                      "quantize_s": t3 - t2}


def build_int8(text, xc, batch, name, locations=False, recipe=RECIPE):
    """The recipe's integer program for `text` and its timed stages
    (build_int8_recipes with one recipe)."""
    programs, stages = build_int8_recipes(text, xc, batch, name, (recipe,),
                                          locations=locations)
    return programs[recipe], stages


def timed_compile(text, out, parallel):
    t0 = time.perf_counter()
    compiler.compile_mlir(text, out, parallel=parallel)
    return time.perf_counter() - t0


def ort_ops(model_path, work):
    """Op counts of the graph onnxruntime runs (after its optimizer)."""
    import onnx
    opt = ort.save_optimized_model(model_path,
                                   work / (Path(model_path).stem + ".opt.onnx"))
    counts = collections.Counter(n.op_type for n in onnx.load(str(opt)).graph.node)
    return ", ".join(f"{k} {v}" for k, v in counts.most_common())


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.3,
                    help="seconds per measurement (default 0.3)")
    ap.add_argument("--write", action="store_true",
                    help=f"write {DOC.relative_to(REPO)}")
    ap.add_argument("--json", type=Path, help="also write raw results")
    args = ap.parse_args()
    if args.rounds < 1 or args.budget <= 0:
        ap.error("--rounds must be >= 1 and --budget > 0")
    if not ort.ort_available():
        sys.exit(f"e2e.py: onnxruntime-node is not installed in "
                 f"{ort.ort_dir()}: run scripts/install-ort.sh")
    bf_model = blazeface.model_path()
    if not bf_model.exists():
        sys.exit(f"e2e.py: {bf_model} is missing: run "
                 f"scripts/fetch_blazeface.sh")
    started = datetime.datetime.now().astimezone()
    info = machine_info()
    load_before = os.getloadavg()

    x, _ = datasets.evaluation_set()
    xc, _ = datasets.calibration_set(CALIB_SAMPLES)
    bx, _ = photos.blazeface_inputs()
    bname = blazeface.INPUT_NAME
    configs = [
        ("fmnist_mobilenet", FMNIST, 1, "input", x[:1], xc),
        ("fmnist_mobilenet", FMNIST, 64, "input", x[:64], xc),
        ("BlazeFace front 128", bf_model, 1, bname, bx[:1], bx),
    ]
    qnt_variants = [("qnt fp32", 1), ("qnt int8", 1), ("qnt int8 w7a8", 1),
                    ("qnt fp32", 2), ("qnt int8", 2), ("qnt int8 w7a8", 2)]
    ort_variants = [("onnxruntime fp32", 1), ("onnxruntime int8", 1),
                    ("onnxruntime fp32", 2), ("onnxruntime int8", 2)]
    work = Path(tempfile.mkdtemp(prefix="qnt-e2e-"))
    try:
        harness = Harness(work)
        runners, ort_models, build_rows, ort_graphs = {}, {}, [], {}
        for ci, (name, path, batch, iname, data, calib) in enumerate(configs):
            print(f"building {name} batch {batch} ...", file=sys.stderr)
            t0 = time.perf_counter()
            text, sigs = compiler.load_source(
                path, batch=batch if path == FMNIST else None)
            t_import = time.perf_counter() - t0
            built, stages = build_int8_recipes(text, calib, batch, name,
                                               (RECIPE, RECIPE_W7))
            quant, quant7 = built[RECIPE], built[RECIPE_W7]
            row = {"model": name, "batch": batch, "import_s": t_import,
                   **stages, "calibration_samples": len(calib)}
            programs = (("qnt fp32", text), ("qnt int8", quant),
                        ("qnt int8 w7a8", quant7))
            for label, prog in programs:
                for par in (False, True):
                    tag = "-".join(label.split()[1:])
                    so = work / f"c{ci}-{tag}-{int(par)}.so"
                    t = timed_compile(prog, so, par)
                    if not par:
                        row[f"compile_{tag}_s"] = t
                    runners[(ci, label, par)] = QntRunner(harness, so, [data])
            # Correctness before timing: the integer libraries are
            # bit-exact with the numpy reference; threads change nothing.
            for label, prog in programs[1:]:
                got = runners[(ci, label, False)].outputs()
                want = intref.load(prog).run(data)
                for g, w in zip(got, want):
                    if not np.array_equal(g, np.asarray(w)):
                        sys.exit(f"e2e.py: {name} batch {batch}: the "
                                 f"{label} library differs from qnt.intref")
            for label, _ in programs:
                seq = runners[(ci, label, False)].outputs()
                runners[(ci, label, True)].model.set_num_threads(2)
                par = runners[(ci, label, True)].outputs()
                if not all(np.array_equal(a, b) for a, b in zip(seq, par)):
                    sys.exit(f"e2e.py: {name} batch {batch} {label}: 2 "
                             "threads change the output")
            t0 = time.perf_counter()
            q_onnx = work / f"c{ci}-qdq.onnx"
            qdq.export_qdq(path, {iname: calib}, q_onnx,
                           batch=64 if path == FMNIST else None)
            row["qdq_export_s"] = time.perf_counter() - t0
            ort_models[(ci, "onnxruntime fp32")] = path
            ort_models[(ci, "onnxruntime int8")] = q_onnx
            if batch == 1:
                ort_graphs[name] = ort_ops(q_onnx, work)
            build_rows.append(row)

        def qnt_runner(ci, label, threads):
            r = runners[(ci, label, threads > 1)]
            if threads > 1:
                r.model.set_num_threads(threads)
            return r

        plan = {}
        for ci, (name, path, batch, iname, data, _) in enumerate(configs):
            for label, th in qnt_variants:
                t = float(np.median(qnt_runner(ci, label, th).times_ms(1, 3)))
                n = iters_for(t, args.budget)
                plan[(ci, label, th)] = (min(20, max(1, n // 5)), n)
            for label, th in ort_variants:
                rb = ort.benchmark_onnxruntime(
                    ort_models[(ci, label)], {iname: data}, threads=th,
                    warmup=3, iters=5)
                n = iters_for(rb["median_ms"], args.budget)
                plan[(ci, label, th)] = (min(20, max(1, n // 5)), n)

        order = qnt_variants + ort_variants
        rounds = {(ci, v, th): [] for ci in range(len(configs))
                  for v, th in order}
        for rd in range(args.rounds):
            print(f"round {rd + 1}/{args.rounds}", file=sys.stderr)
            for ci, (name, path, batch, iname, data, _) in enumerate(configs):
                # The variant measured first in a round runs up to ~10 %
                # faster on this VM, whichever it is: the order rotates
                # every round so that no variant always goes first.
                k = (rd + ci) % len(order)
                for label, th in order[k:] + order[:k]:
                    warm, n = plan[(ci, label, th)]
                    if label.startswith("onnxruntime"):
                        med = ort.benchmark_onnxruntime(
                            ort_models[(ci, label)], {iname: data},
                            threads=th, warmup=warm, iters=n)["median_ms"]
                    else:
                        med = float(np.median(
                            qnt_runner(ci, label, th).times_ms(warm, n)))
                    rounds[(ci, label, th)].append(med)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    finished = datetime.datetime.now().astimezone()
    rows = []
    for ci, (name, path, batch, _, _, _) in enumerate(configs):
        med = {k[1:]: statistics.median(v) for k, v in rounds.items()
               if k[0] == ci}
        for label, th in order:
            m = med[(label, th)]
            meds = rounds[(ci, label, th)]
            rows.append({
                "model": name, "batch": batch, "runtime": label,
                "threads": th, "median_ms": m, "min_round_ms": min(meds),
                "max_round_ms": max(meds), "images_per_s": batch / m * 1e3,
                "qnt_fp32_over": med[("qnt fp32", th)] / m,
                "ort_int8_over": med[("onnxruntime int8", th)] / m,
                "round_medians_ms": meds})
    result = {"machine": info, "started": started.isoformat(timespec="seconds"),
              "finished": finished.isoformat(timespec="seconds"),
              "load_before": load_before, "load_after": os.getloadavg(),
              "rounds": args.rounds, "budget_s": args.budget,
              "results": rows, "build": build_rows, "ort_graphs": ort_graphs}
    table = format_tables(result)
    write_outputs(result, table, args, DOC, format_doc)


def format_tables(r):
    lines = ["| model | batch | runtime | threads | median latency (ms) | "
             "range of round medians (ms) | images/s | speed-up over qnt "
             "fp32 | speed-up over onnxruntime int8 |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for row in r["results"]:
        lines.append(
            f"| {row['model']} | {row['batch']} | {row['runtime']} | "
            f"{row['threads']} | {_ms(row['median_ms'])} | "
            f"{_ms(row['min_round_ms'])} – {_ms(row['max_round_ms'])} | "
            f"{row['images_per_s']:.0f} | {row['qnt_fp32_over']:.2f} | "
            f"{row['ort_int8_over']:.2f} |")
    lines += ["", "| model | batch | import (s) | equalize (s) | calibrate "
              "(s, samples) | quantize passes (s) | compile fp32 (s) | "
              "compile int8 (s) | compile int8 w7a8 (s) | QDQ export for "
              "onnxruntime (s) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for b in r["build"]:
        lines.append(
            f"| {b['model']} | {b['batch']} | {b['import_s']:.2f} | "
            f"{b['equalize_s']:.2f} | {b['calibrate_s']:.1f} "
            f"({b['calibration_samples']}) | {b['quantize_s']:.2f} | "
            f"{b['compile_fp32_s']:.1f} | {b['compile_int8_s']:.1f} | "
            f"{b['compile_int8-w7a8_s']:.1f} | {b['qdq_export_s']:.1f} |")
    return "\n".join(lines)


def format_doc(r, table):
    m = r["machine"]
    graphs = "\n".join(f"* {k}: {v}" for k, v in r["ort_graphs"].items())
    return f"""# End-to-end performance: qnt int8 against qnt fp32 and onnxruntime

Generated by `/usr/bin/python3 bench/e2e.py --write` (do not edit by hand;
rerun it). GEMM and layer kernels: [performance.md](performance.md).

## Machine and run

| | |
|---|---|
| date | {r['started']} to {r['finished']} |
| CPU | {m['cpu']}, {m['cpus']} CPUs visible, {m['memory']}; /proc/cpuinfo: {', '.join(m['isa'])}; `clang -march=native` = {m['march_native']} |
| OS | {m['os']} |
| compiler | {m['clang']}; `build/bin/qnt-opt` built {m['qnt_opt_built']} |
| source | commit {m['commit']}{'; tracked files changed since: ' + ', '.join(m['changed_files']) if m['changed_files'] else ''} |
| onnxruntime | {m['onnxruntime']} under node {m['node']} |
| load average (1/5/15 min) | before {' / '.join(f'{v:.2f}' for v in r['load_before'])}, after {' / '.join(f'{v:.2f}' for v in r['load_after'])} |
| rounds | {r['rounds']}, about {r['budget_s']} s per measurement |

## Results

"speed-up over qnt fp32" is qnt fp32's median latency at the same thread
count divided by this row's (above 1: faster than qnt fp32); "speed-up over
onnxruntime int8" likewise. images/s = batch / median latency.

{table}

## Method

* Models and inputs: `models/fmnist_mobilenet.onnx` at batch 1 and 64 on
  the first Fashion-MNIST t10k images; MediaPipe BlazeFace front 128x128 at
  batch 1 (its graph hard-codes batch 1) on the first photo of
  `qnt.photos.blazeface_inputs()`.
* qnt int8: recipe `{RECIPE}` (`qnt-equalize-recipe`, calibration with
  qnt's compiled float model on {CALIB_SAMPLES} seeded Fashion-MNIST train
  images, or on all photos for BlazeFace, `qnt-quantize-recipe`), then
  `qnt-float-to-llvm` with the host's int8 kernels (on AVX2 the layers
  whose 8-bit weights reorder into pairs `vpmaddubsw` cannot saturate take
  its quads, the others `vpmaddwd` pairs: `bench/maddubs_pairs.py`);
  before timing, its output on the timed input is checked equal to
  `qnt.intref` (numpy).
* qnt int8 w7a8: recipe `{RECIPE_W7}` (7-bit per-channel weights, as
  onnxruntime's `reduce_range` quantizes them for AVX2) quantized from the
  same calibration statistics; on its weights qnt's AVX2 kernels take
  `vpmaddubsw` + `vpmaddwd` (exact: no i16 pair sum can saturate); checked
  against `qnt.intref` the same way. Its accuracy next to w8a8's:
  [quantization-results.md](quantization-results.md) (Fashion-MNIST),
  [blazeface-quantization.md](blazeface-quantization.md).
* 2 threads: the same programs compiled with `parallel=True` (the int8
  kernels' row loops and the float path's outer tile loops on OpenMP
  threads) and run with `set_num_threads(2)`; outputs checked equal to the
  1-thread libraries. The 1-thread rows use libraries compiled without
  OpenMP.
* onnxruntime int8: `qnt.reference.qdq.export_qdq` on the same calibration
  data (uint8 activations from min/max ranges, int8 per-channel Conv
  weights, int32 biases). The graph onnxruntime runs after its optimizer
  (`run.js --optimized-model`):
{graphs}
* onnxruntime sessions: `intraOpNumThreads` = threads, `interOpNumThreads`
  = 1, sequential execution, graph optimization `all`; timed per call
  around `await session.run(...)` (includes node's call overhead).
* qnt timing: a C loop around `qnt_invoke` (bench/fp32.py's harness).
* Each measurement: warm-up calls, then enough timed calls for about
  {r['budget_s']} s (at least 3); its value is the median call time.
  Rounds interleave every configuration, in an order that rotates every
  round (on this VM whichever runs first in a round tends to be up to
  ~10 % faster); the table reports the median of
  the {r['rounds']} per-round medians and their range. The range covers
  this run only: between two runs (fresh processes, fresh libraries) a
  row's median has moved by up to ~5 % for Fashion-MNIST batch 1 int8
  (0.062 against 0.065 ms) and ~9 % for BlazeFace int8 (0.732 against
  0.798 ms), with tight ranges within each run, and up to ~12 % for
  Fashion-MNIST batch 1 w7a8 (0.052 against 0.059 ms). For that one the
  cause is the stack's offset modulo 4 KiB, which address-space
  randomization draws afresh per process (most likely 4K aliasing
  between the kernels' stack spill slots and their buffers, whose large
  blocks start at the same page offset in every process; the other rows
  were not checked): calling the same Fashion-MNIST w7a8 library with the
  stack shifted in 256-byte steps within one process, 2 of 16 offsets
  were slow (61.2 and 56.8 us against 53.2-54.0), and with randomization
  off (`setarch -R`) 4 of 4 processes were fast, with it 3 of 12 were
  slow (by 4-14 %); compare rows of one run.
* Build times: one run each, wall time; "compile" is qnt-opt +
  mlir-translate + clang for the 1-thread library.
"""


if __name__ == "__main__":
    main()
