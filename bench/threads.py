#!/usr/bin/python3
"""Two threads against one: qnt int8 libraries at several parallel-min-work.

    /usr/bin/python3 bench/threads.py [--rounds 10] [--budget 0.3]
                                      [--work 0,5000,20000,60000] [--write]

Models: the bundled Fashion-MNIST model at batch 1 and 64 and MediaPipe
BlazeFace front at batch 1, quantized as bench/e2e.py does (recipe
w8a8-per-channel, 256 Fashion-MNIST calibration images / the BlazeFace
calibration photos). For each model one sequential library
(``compile_mlir(parallel=False)``) and one ``parallel=True`` library per
``parallel_min_work`` value are compiled; every library's outputs are
checked equal to the sequential one's before timing.

Timing: bench/fp32.py's C harness around ``qnt_invoke`` in this one
process; the parallel libraries run with ``set_num_threads(2)``. A round
measures every library of a model once, in an order rotated every round;
the table gives the median over the rounds of the per-round medians and
the speed-up of each 2-thread library over the 1-thread one of the same
round set.

Caveat: the OpenMP runtime keeps its worker thread spinning for a while
after a parallel loop (libomp's KMP_BLOCKTIME), so the 1-thread library,
timed in the same process, may share its core with that spinning thread.
The 1-thread column can therefore be slower than in bench/e2e.py (which
has the same effect); comparisons among the 2-thread columns are not
affected.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402

from e2e import CALIB_SAMPLES, FMNIST, build_int8  # noqa: E402
from fp32 import Harness, QntRunner, _ms, iters_for, machine_info  # noqa: E402
from qnt import compiler, datasets, photos  # noqa: E402
from qnt.reference import blazeface  # noqa: E402

DOC = REPO / "docs" / "performance-threads.md"


def parse_work(text):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of integers: {text}")
    if not values or any(v < 0 for v in values):
        raise argparse.ArgumentTypeError("values must be >= 0")
    return values


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--budget", type=float, default=0.3,
                    help="seconds per measurement (default 0.3)")
    ap.add_argument("--work", type=parse_work, default=[0, 5000, 20000, 60000],
                    help="parallel_min_work values (default 0,5000,20000,60000)")
    ap.add_argument("--write", action="store_true",
                    help=f"write {DOC.relative_to(REPO)}")
    args = ap.parse_args()
    if args.rounds < 1 or args.budget <= 0:
        ap.error("--rounds must be >= 1 and --budget > 0")
    bf_model = blazeface.model_path()
    if not bf_model.exists():
        sys.exit(f"threads.py: {bf_model} is missing: run "
                 f"scripts/fetch_blazeface.sh")
    started = datetime.datetime.now().astimezone()
    x, _ = datasets.evaluation_set()
    xc, _ = datasets.calibration_set(CALIB_SAMPLES)
    bx, _ = photos.blazeface_inputs()
    configs = [("Fashion-MNIST", FMNIST, 1, x[:1], xc),
               ("Fashion-MNIST", FMNIST, 64, x[:64], xc),
               ("BlazeFace front 128", bf_model, 1, bx[:1], bx)]
    variants = [("1 thread", None)] + [(f"2 threads, min-work {w}", w)
                                       for w in args.work]
    work = Path(tempfile.mkdtemp(prefix="qnt-threads-"))
    results = []
    try:
        harness = Harness(work)
        for ci, (name, path, batch, data, calib) in enumerate(configs):
            print(f"building {name} batch {batch} ...", file=sys.stderr)
            text, _ = compiler.load_source(
                path, batch=batch if path == FMNIST else None)
            quant, _ = build_int8(text, calib, batch, name)
            runners = {}
            for label, w in variants:
                so = work / f"c{ci}-{w}.so"
                compiler.compile_mlir(quant, so, parallel=w is not None,
                                      parallel_min_work=w)
                r = QntRunner(harness, so, [data])
                if w is not None:
                    r.model.set_num_threads(2)
                runners[label] = r
            want = runners["1 thread"].outputs()
            for label, r in runners.items():
                if not all(np.array_equal(a, b)
                           for a, b in zip(want, r.outputs())):
                    sys.exit(f"threads.py: {name} batch {batch}: {label} "
                             "differs from the 1-thread library")
            plan = {}
            for label, r in runners.items():
                t = float(np.median(r.times_ms(1, 3)))
                n = iters_for(t, args.budget)
                plan[label] = (min(20, max(1, n // 5)), n)
            rounds = {label: [] for label in runners}
            labels = list(runners)
            for rd in range(args.rounds):
                k = rd % len(labels)
                for label in labels[k:] + labels[:k]:
                    warm, n = plan[label]
                    rounds[label].append(
                        float(np.median(runners[label].times_ms(warm, n))))
            one = statistics.median(rounds["1 thread"])
            results.append({"model": name, "batch": batch, "cells": [
                (label, statistics.median(v), min(v), max(v),
                 one / statistics.median(v)) for label, v in rounds.items()]})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = format_table(results, variants)
    print(table)
    if args.write:
        info = machine_info()
        changed = ("; tracked files changed since: " +
                   ", ".join(info["changed_files"])
                   if info["changed_files"] else "")
        DOC.write_text(f"""# Performance: 1 and 2 threads, by parallel-min-work

Generated by `/usr/bin/python3 bench/threads.py --write --rounds
{args.rounds}` (do not edit by hand; the method and its caveat are in the
script's docstring). qnt int8 (recipe w8a8-per-channel) libraries, median
of {args.rounds} interleaved rounds (range of the round medians in
brackets); speed-up: 1-thread median / that column's median.

| | |
|---|---|
| CPU | {info['cpu']}, {info['cpus']} CPUs visible; `clang -march=native` = {info['march_native']} |
| compiler | {info['clang']}; `build/bin/qnt-opt` built {info['qnt_opt_built']} |
| source | commit {info['commit']}{changed} |
| run | started {started.isoformat(timespec='seconds')} |

{table}
`parallel-min-work` (`compile_mlir(parallel_min_work=)`, `qnt compile
--parallel-min-work`): loops of fewer estimated operations stay sequential
([runtime.md](runtime.md), C interface). The 1-thread library is timed in the
same process as the OpenMP ones, whose worker thread keeps spinning for a
while after each parallel loop; its column can be slower than in
[performance-e2e.md](performance-e2e.md).
""")


def format_table(results, variants):
    head = "| model | batch | " + " | ".join(label for label, _ in variants) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(variants)]
    for r in results:
        cells = []
        for label, med, lo, hi, speedup in r["cells"]:
            s = f"{_ms(med)} ms ({_ms(lo)}-{_ms(hi)})"
            if label != "1 thread":
                s += f", {speedup:.2f}x"
            cells.append(s)
        lines.append(f"| {r['model']} | {r['batch']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
