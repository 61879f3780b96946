#!/usr/bin/python3
"""fp32 speed of qnt against onnxruntime, side by side, single thread.

    /usr/bin/python3 bench/fp32.py [--rounds 7] [--budget 0.4] [--cpu N]
                                   [--write] [--json F]

Configurations: the bundled Fashion-MNIST model at batch 1 and 64, and
MediaPipe BlazeFace front (scripts/fetch_blazeface.sh) at batch 1 (its ONNX
graph hard-codes batch 1 in its output Reshapes, so the importer cannot
compile it for another batch and onnxruntime rejects other batches too).

Runtimes, each on the same real input (Fashion-MNIST t10k images, the
astronaut photo):

* qnt fp32: ``compiler.float_pipeline()`` (tiled + vectorized);
* qnt fp32 scalar: ``compiler.float_pipeline(vectorize=False)``;
* onnxruntime 1.30 fp32 (npm onnxruntime-node), intraOpNumThreads=1,
  interOpNumThreads=1, sequential, graph optimization ``all``.

Method: every library is compiled afresh (import and qnt-opt + mlir-translate
+ clang timed separately).  qnt is timed by a small C harness built by this
script (clang -O2) and called once per measurement through ctypes: it calls
``qnt_invoke`` ``warmup`` times untimed, then ``iters`` times, each call timed
with ``clock_gettime(CLOCK_MONOTONIC)``, so no Python runs inside the timed
region.  onnxruntime is timed by ``scripts/ort/run.js bench`` (per call
``process.hrtime`` around ``await session.run``, which includes
onnxruntime-node's call overhead; session creation and node start-up are
outside).  One *measurement* gives the median over its iterations; the
iteration count is chosen so a measurement lasts about ``--budget`` seconds
(at least 3 iterations).  Measurements are interleaved: each round measures
every configuration and runtime once, in the order A,B,C,A,B,C,...; the
reported latency is the median over ``--rounds`` rounds of the per-round
medians, with the range of the per-round medians next to it.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

import numpy as np  # noqa: E402

from qnt import compiler, datasets, photos  # noqa: E402
from qnt.evaluate import relative_error  # noqa: E402
from qnt.reference import blazeface, ort  # noqa: E402
from qnt.runtime import CompiledModel  # noqa: E402
from qnt.tools import llvm_tool  # noqa: E402

FMNIST = REPO / "models" / "fmnist_mobilenet.onnx"
DOC = REPO / "docs" / "performance-fp32.md"

HARNESS_C = r"""
#include <stdint.h>
#include <time.h>
typedef int (*qnt_invoke_fn)(int, void **, void **);
static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
/* warmup untimed calls, then iters timed calls; ns[i] = time of call i. */
int qnt_bench(qnt_invoke_fn f, int index, void **ins, void **outs,
              int warmup, int iters, int64_t *ns) {
  for (int i = 0; i < warmup; ++i)
    if (f(index, ins, outs)) return -1;
  for (int i = 0; i < iters; ++i) {
    int64_t t0 = now_ns();
    if (f(index, ins, outs)) return -1;
    ns[i] = now_ns() - t0;
  }
  return 0;
}
"""


class Harness:
    def __init__(self, workdir: Path):
        src = workdir / "harness.c"
        src.write_text(HARNESS_C)
        so = workdir / "harness.so"
        subprocess.run([str(llvm_tool("clang")), "-O2", "-shared", "-fPIC",
                        str(src), "-o", str(so)], check=True)
        self.lib = ctypes.CDLL(str(so))
        self.lib.qnt_bench.restype = ctypes.c_int
        self.lib.qnt_bench.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                       ctypes.c_void_p, ctypes.c_void_p,
                                       ctypes.c_int, ctypes.c_int,
                                       ctypes.c_void_p]


class QntRunner:
    """One compiled library, its buffers, and the C timing loop."""

    def __init__(self, harness, so_path, inputs):
        self.h = harness
        self.model = CompiledModel(so_path)
        fn = self.model.forward
        self.index = fn.index
        self.ins = [np.ascontiguousarray(a, dtype=d) for a, (_, s, d) in
                    zip(inputs, fn.inputs)]
        for a, (n, s, _) in zip(self.ins, fn.inputs):
            assert a.shape == s, (n, a.shape, s)
        self.outs = [np.empty(s, d) for _, s, d in fn.outputs]
        self.ins_c = (ctypes.c_void_p * len(self.ins))(
            *[a.ctypes.data for a in self.ins])
        self.outs_c = (ctypes.c_void_p * len(self.outs))(
            *[o.ctypes.data for o in self.outs])
        self.fptr = ctypes.cast(self.model._lib.qnt_invoke, ctypes.c_void_p)

    def times_ms(self, warmup, iters):
        ns = np.zeros(iters, np.int64)
        rc = self.h.lib.qnt_bench(self.fptr, self.index, self.ins_c,
                                  self.outs_c, warmup, iters,
                                  ns.ctypes.data)
        if rc != 0:
            raise RuntimeError("qnt_invoke failed")
        return ns / 1e6

    def outputs(self):
        self.times_ms(0, 1)
        return [o.copy() for o in self.outs]


def compile_timed(path, batch, vectorize, out):
    t0 = time.perf_counter()
    text, sigs = compiler.load_source(path, batch=batch)
    t1 = time.perf_counter()
    compiler.compile_mlir(text, out, sigs=sigs,
                          pipeline=compiler.float_pipeline(vectorize))
    t2 = time.perf_counter()
    return out, t1 - t0, t2 - t1


def machine_info():
    cpu = "unknown"
    flags = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    isa = [f for f in ("fma", "avx2", "avx512f", "avx512bw", "avx512vl",
                       "avx512_vnni", "avx_vnni", "amx_int8") if f in flags]
    native = subprocess.run([str(llvm_tool("clang")), "-march=native", "-###",
                             "-x", "c", "-c", "/dev/null"],
                            capture_output=True, text=True).stderr
    cpu_flag = native.split('"-target-cpu" "', 1)
    target = cpu_flag[1].split('"', 1)[0] if len(cpu_flag) > 1 else "?"
    hv = "hypervisor" in flags
    clang = subprocess.run([str(llvm_tool("clang")), "--version"],
                           capture_output=True, text=True).stdout
    git = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short",
                          "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(REPO), "diff", "--name-only",
                            "HEAD"], capture_output=True, text=True)
    changed = dirty.stdout.split()
    opt = Path(os.environ.get("QNT_BUILD_DIR", REPO / "build")) / "bin" / \
        "qnt-opt"
    built = (datetime.datetime.fromtimestamp(opt.stat().st_mtime)
             .astimezone().isoformat(timespec="seconds")
             if opt.exists() else "?")
    os_name = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {
        "cpu": cpu + (" (virtual machine)" if hv else ""),
        "cpus": os.cpu_count(), "memory": mem, "isa": isa,
        "march_native": target, "qnt_opt_built": built,
        "os": f"{os_name}, Linux {platform.release()}",
        "clang": clang.splitlines()[0] if clang else "?",
        "node": subprocess.run(["node", "--version"], capture_output=True,
                               text=True).stdout.strip(),
        "onnxruntime": f"onnxruntime-node {ort.ORT_VERSION}",
        "commit": git.stdout.strip() or "?",
        "changed_files": changed,
    }


def iters_for(t_ms, budget_s, lo=3, hi=5000):
    return int(min(hi, max(lo, round(budget_s * 1e3 / max(t_ms, 1e-3)))))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--budget", type=float, default=0.4,
                    help="seconds per measurement (default 0.4)")
    ap.add_argument("--cpu", type=int, default=None,
                    help="pin this process and onnxruntime's node to one CPU")
    ap.add_argument("--write", action="store_true",
                    help=f"write {DOC.relative_to(REPO)}")
    ap.add_argument("--json", type=Path, help="also write raw results")
    args = ap.parse_args()
    if args.rounds < 1 or args.budget <= 0:
        ap.error("--rounds must be >= 1 and --budget > 0")
    if not ort.ort_available():
        sys.exit(f"fp32.py: onnxruntime-node is not installed in "
                 f"{ort.ort_dir()}: run scripts/install-ort.sh")
    bf_model = blazeface.model_path()
    if not bf_model.exists():
        sys.exit(f"fp32.py: {bf_model} is missing: run "
                 f"scripts/fetch_blazeface.sh")
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    started = datetime.datetime.now().astimezone()
    info = machine_info()
    load_before = os.getloadavg()

    x, _ = datasets.evaluation_set()
    bx, names = photos.blazeface_inputs(names=["astronaut"])
    configs = [
        ("fmnist_mobilenet", FMNIST, 1, "input", x[:1]),
        ("fmnist_mobilenet", FMNIST, 64, "input", x[:64]),
        ("BlazeFace front 128", bf_model, 1, blazeface.INPUT_NAME, bx[:1]),
    ]
    variants = [("qnt", True), ("qnt scalar", False)]
    work = Path(tempfile.mkdtemp(prefix="qnt-bench-"))
    try:
        harness = Harness(work)
        compile_rows, runners = [], {}
        for ci, (name, path, batch, _, data) in enumerate(configs):
            for vname, vec in variants:
                so = work / f"c{ci}-{'vec' if vec else 'scalar'}.so"
                print(f"compiling {name} batch {batch} ({vname}) ...",
                      file=sys.stderr)
                _, t_imp, t_comp = compile_timed(
                    path, batch if path == FMNIST else None, vec, so)
                compile_rows.append((name, batch, vname, t_imp, t_comp))
                runners[(ci, vname)] = QntRunner(harness, so, [data])
            # scalar and vectorized code must compute the same thing
            a = runners[(ci, "qnt")].outputs()
            b = runners[(ci, "qnt scalar")].outputs()
            worst = max(float(relative_error(p, q).max())
                        for p, q in zip(a, b))
            if not worst <= 1e-4:
                sys.exit(f"fp32.py: {name} batch {batch}: scalar and "
                         f"vectorized outputs differ (relative {worst:.3g})")

        # Calibrate the iteration counts (also warms everything up).
        plan = {}
        for ci, (name, path, batch, iname, data) in enumerate(configs):
            for vname, _ in variants:
                r = runners[(ci, vname)]
                t = float(np.median(r.times_ms(1, 3)))
                n = iters_for(t, args.budget)
                plan[(ci, vname)] = (min(20, max(1, n // 5)), n)
            rb = ort.benchmark_onnxruntime(path, {iname: data}, threads=1,
                                           warmup=3, iters=5)
            n = iters_for(rb["median_ms"], args.budget)
            plan[(ci, "onnxruntime")] = (min(20, max(1, n // 5)), n)

        order = [v for v, _ in variants] + ["onnxruntime"]
        rounds = {(ci, v): [] for ci in range(len(configs)) for v in order}
        for rd in range(args.rounds):
            print(f"round {rd + 1}/{args.rounds}", file=sys.stderr)
            for ci, (name, path, batch, iname, data) in enumerate(configs):
                for v in order:
                    warm, n = plan[(ci, v)]
                    if v == "onnxruntime":
                        rb = ort.benchmark_onnxruntime(
                            path, {iname: data}, threads=1, warmup=warm,
                            iters=n)
                        med = rb["median_ms"]
                    else:
                        med = float(np.median(
                            runners[(ci, v)].times_ms(warm, n)))
                    rounds[(ci, v)].append(med)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    finished = datetime.datetime.now().astimezone()
    load_after = os.getloadavg()
    rows = []
    for ci, (name, path, batch, _, _) in enumerate(configs):
        ort_med = statistics.median(rounds[(ci, "onnxruntime")])
        for v in order:
            meds = rounds[(ci, v)]
            m = statistics.median(meds)
            rows.append({"model": name, "batch": batch, "runtime": v,
                         "median_ms": m, "min_round_ms": min(meds),
                         "max_round_ms": max(meds),
                         "images_per_s": batch / m * 1e3,
                         "vs_ort": m / ort_med,
                         "iters": plan[(ci, v)][1],
                         "round_medians_ms": meds})
    result = {"machine": info, "started": started.isoformat(timespec="seconds"),
              "finished": finished.isoformat(timespec="seconds"),
              "load_before": load_before, "load_after": load_after,
              "rounds": args.rounds, "budget_s": args.budget,
              "cpu_pinned": args.cpu, "results": rows,
              "compile": [{"model": n, "batch": b, "pipeline": v,
                           "import_s": ti, "compile_s": tc}
                          for n, b, v, ti, tc in compile_rows]}
    table = format_tables(result)
    write_outputs(result, table, args, DOC, format_doc)


def write_outputs(result, table, args, doc, format_doc):
    """The end of every bench script: the table on stdout, the raw results
    to ``--json``, the generated doc with ``--write``."""
    print(table)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if args.write:
        doc.write_text(format_doc(result, table))
        print(f"wrote {doc.relative_to(REPO)}", file=sys.stderr)


def _ms(v):
    return f"{v:.3f}" if v < 10 else f"{v:.1f}" if v < 1000 else f"{v:.0f}"


def format_tables(r):
    lines = ["| model | batch | runtime | median latency (ms) | range of "
             "round medians (ms) | images/s | latency / onnxruntime |",
             "|---|---:|---|---:|---:|---:|---:|"]
    for row in r["results"]:
        lines.append(
            f"| {row['model']} | {row['batch']} | {row['runtime']} | "
            f"{_ms(row['median_ms'])} | {_ms(row['min_round_ms'])} – "
            f"{_ms(row['max_round_ms'])} | {row['images_per_s']:.0f} | "
            f"{row['vs_ort']:.2f} |")
    lines += ["", "| model | batch | pipeline | import (s) | qnt-opt + "
              "mlir-translate + clang (s) |", "|---|---:|---|---:|---:|"]
    for c in r["compile"]:
        pipe = ("qnt-float-to-llvm" if c["pipeline"] == "qnt" else
                "qnt-float-to-llvm{vectorize=false}")
        lines.append(f"| {c['model']} | {c['batch']} | {pipe} | "
                     f"{c['import_s']:.2f} | {c['compile_s']:.1f} |")
    return "\n".join(lines)


def format_doc(r, table):
    m = r["machine"]
    pin = (f"pinned to CPU {r['cpu_pinned']}" if r["cpu_pinned"] is not None
           else "not pinned")
    return f"""# fp32 performance: qnt against onnxruntime

Generated by `/usr/bin/python3 bench/fp32.py --write` (do not edit by hand;
rerun it). Single thread everywhere.

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
| rounds | {r['rounds']}, about {r['budget_s']} s per measurement; process {pin} |

The machine is shared with other work; the range column shows how much the
per-round medians moved.

## Results

"latency / onnxruntime" is the median latency divided by onnxruntime's
median latency for the same model and batch (above 1: slower than
onnxruntime). images/s = batch / median latency.

{table}

## Method

* Models: `models/fmnist_mobilenet.onnx` (3.29 M multiply-adds per image),
  compiled with `--batch 1` and `--batch 64`; MediaPipe BlazeFace front
  128x128 (30.8 M multiply-adds), batch 1 only: its graph hard-codes batch 1
  in the Reshapes of its outputs, so it cannot be imported for another batch
  (`qnt import --batch 64` fails in the importer with a Reshape error, and
  onnxruntime rejects other input shapes).
* Inputs: the first 1 or 64 Fashion-MNIST t10k test images; the astronaut
  photo from `qnt.photos.blazeface_inputs()`.
* qnt fp32: `compiler.float_pipeline()` = `qnt-opt
  --pass-pipeline={compiler.float_pipeline()}` (tiled and vectorized; the
  vector width follows the host: 16 f32 with AVX-512F, else 8),
  then `mlir-translate` and `clang -O3 -march=native`. qnt fp32 scalar: the
  same with `float_pipeline(vectorize=False)`. Before timing, the outputs of
  the two qnt libraries are checked to agree within 1e-4 relative.
  Correctness against onnxruntime is checked by `python/tests/test_models.py`.
* Compile times: wall time of one fresh compile each (no cache), import
  (ONNX to TOSA, Python) and qnt-opt + mlir-translate + clang separately.
* qnt timing: a C harness (compiled by this script) calls the library's
  `qnt_invoke` in a loop and times each call with
  `clock_gettime(CLOCK_MONOTONIC)`; Python only starts the loop. The library
  is single-threaded; every call allocates and frees its temporaries.
* onnxruntime timing: `scripts/ort/run.js bench` — `intraOpNumThreads=1`,
  `interOpNumThreads=1`, sequential execution, graph optimization `all`;
  per call `process.hrtime` around `await session.run(...)`, which includes
  onnxruntime-node's JavaScript/N-API call overhead. Session creation and
  node start-up are not timed.
* Each measurement: warm-up calls (untimed), then enough timed calls for
  about {r['budget_s']} s (at least 3); its value is the median call time.
  Measurements are interleaved (each round runs every model/batch/runtime
  once, qnt, qnt scalar, onnxruntime, in turn); the table reports the median
  of the {r['rounds']} per-round medians and their range.
"""


if __name__ == "__main__":
    main()
