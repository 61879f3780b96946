#!/usr/bin/python3
"""Int8 and fp32 GEMM speed: qnt against oneDNN, side by side, 1 and 2 threads.

    /usr/bin/python3 bench/gemm.py [--rounds 5] [--budget 0.3] [--quick]
                                   [--write] [--json F]

Shapes: M = N = K in {256, 1024, 2048}, and the bundled model's pointwise
convolutions as GEMMs at batch 64 (M = 64 H W, K = C_in, N = C_out).

Runtimes, each computing C = A B with B constant (weights):

* qnt int8: a TOSA ``tosa.matmul`` of i8 codes with an i32 result and a
  constant i8 B, compiled by ``compiler.compile_mlir`` (the pipeline every
  qnt model goes through);
* qnt fp32: the same with f32;
* oneDNN 2.6 (Debian ``libdnnl-dev``) ``matmul``: u8 x s8 -> s32 (oneDNN's
  x86 int8 kernels take unsigned activations) and f32, B reordered once
  into oneDNN's preferred layout outside the timed region (as constant
  weights are), ``OMP_NUM_THREADS=1``; ``bench/dnnl_gemm.cpp``, built by
  this script;
* int8 on 2 threads (square shapes): qnt compiled with
  ``compile_mlir(parallel=True)`` and run with 2 OpenMP threads, oneDNN with
  ``OMP_NUM_THREADS=2``.

Exactness: oneDNN's int8 result is checked by dnnl_gemm itself on a sample
of the output (every 7th row, every 5th column) against the exact integer
product of its (uniformly random) inputs; the table shows the share of
sampled outputs that are exact, and the same for activations drawn below
128 (``dnnl_gemm int8a7``). On CPUs without VNNI oneDNN's kernels sum
u8 x s8 products in saturating 16-bit pairs (``vpmaddubsw``), which is exact
only while activations stay below 128.

Before timing, qnt's int8 result is compared with numpy's exact integer
product (every element equal) and qnt's fp32 result with numpy's (relative
error); a mismatch stops the script.

Method: qnt is timed with bench/fp32.py's C harness (each call timed with
``clock_gettime`` around ``qnt_invoke``, no Python inside); oneDNN by its own
loop (``steady_clock`` around ``execute`` + ``wait``). A measurement is the
median over iterations lasting about ``--budget`` seconds; measurements are
interleaved (every shape and runtime once per round) and the table shows the
median over ``--rounds`` rounds. Gop/s counts 2 M N K operations.

Peak: the clock is estimated by timing a chain of dependent integer adds
(one per cycle). This CPU exposes AVX2 (no AVX-512, no VNNI) in this VM, so
the int8 peak is that of ``vpmaddubsw`` + ``vpmaddwd`` (32 multiply-adds per
two multiply-pipe instructions, two multiply pipes: 32 MAC = 64 ops per
cycle) and the fp32 peak that of two 256-bit FMA pipes (32 flops per cycle).

Instruction-mix ceilings: what each int8 form reaches on this core with no
memory traffic at all, timed on register operands (12 independent
accumulators, the best of 5 runs of 2e7 iterations, converted with the
estimated clock): the exact form qnt uses on AVX2 (``vpmaddwd`` on i16
operands + ``vpaddd``, 16 multiply-adds per unit) and the saturating form
of oneDNN's AVX2 kernels (``vpmaddubsw`` + ``vpmaddwd`` by ones +
``vpaddd``, 32 per unit). The column "% of its exact form's ceiling" is qnt
int8 against the first; the ratio of the two ceilings bounds qnt / oneDNN
for a kernel that stays exact for every 8-bit input.

7-bit weights: the same GEMMs with B drawn from [-64, 63] (what the
``w7a8-per-channel`` recipe produces, onnxruntime's ``reduce_range``), on
which qnt's AVX2 kernels take oneDNN's form (``vpmaddubsw`` cannot
saturate: 2 x 255 x 64 < 2^15); compared with oneDNN's int8 on 8-bit
inputs (its speed does not depend on the values) and with the saturating
form's ceiling.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402

from fp32 import Harness, QntRunner, iters_for, machine_info  # noqa: E402
from qnt import compiler  # noqa: E402
from qnt.tools import llvm_tool  # noqa: E402

DOC = REPO / "docs" / "performance.md"

SQUARE = [256, 1024, 2048]
# The bundled model's pointwise convolutions (H W, C_in, C_out) at batch 64.
MODEL_LAYERS = [(28 * 28, 16, 32), (14 * 14, 32, 64), (14 * 14, 64, 64),
                (7 * 7, 64, 128), (7 * 7, 128, 128)]
BATCH = 64
# The bundled model's depthwise 3x3 convolutions at batch 64: (padded input
# H = W, channels, stride).
DW_LAYERS = [(30, 16, 1), (29, 32, 2), (16, 64, 1), (15, 64, 2), (9, 128, 1)]

INT8_OPS_PER_CYCLE = 64
FP32_OPS_PER_CYCLE = 32

CLOCK_C = r"""
#include <stdint.h>
#include <time.h>
static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
/* Nanoseconds for n iterations of 8 dependent adds (8 n cycles). */
int64_t add_chain_ns(int64_t n) {
  int64_t x = 0, t0 = now_ns();
  for (int64_t i = 0; i < n; ++i)
    __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                     "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                     : "+r"(x));
  return now_ns() - t0;
}
"""


# Instruction-mix ceilings of the two AVX2 int8 dot-product forms, measured
# on register operands (no loads, no loop-carried chain but the
# accumulators'): n iterations of 12 independent multiply-add units each.
CEILING_C = r"""
#include <stdint.h>
#include <time.h>
static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}
#define EXACT(acc) "vpmaddwd %%ymm14, %%ymm13, %%ymm15\n\t" \
                   "vpaddd %%ymm15, " acc ", " acc "\n\t"
#define SATURATING(acc) "vpmaddubsw %%ymm14, %%ymm13, %%ymm15\n\t" \
                        "vpmaddwd %%ymm12, %%ymm15, %%ymm15\n\t" \
                        "vpaddd %%ymm15, " acc ", " acc "\n\t"
#define TWELVE(F) F("%%ymm0") F("%%ymm1") F("%%ymm2") F("%%ymm3") \
  F("%%ymm4") F("%%ymm5") F("%%ymm6") F("%%ymm7") F("%%ymm8") F("%%ymm9") \
  F("%%ymm10") F("%%ymm11")
/* vpmaddwd + vpaddd (16 exact i16 x i16 multiply-adds per unit). */
int64_t exact_ns(int64_t n) {
  int64_t t0 = now_ns();
  __asm__ volatile("1:\n\t" TWELVE(EXACT) "dec %0\n\tjnz 1b"
                   : "+r"(n) :: "memory");
  return now_ns() - t0;
}
/* vpmaddubsw + vpmaddwd (by ones) + vpaddd (32 u8 x s8 multiply-adds per
   unit, summed in saturating i16 pairs). */
int64_t saturating_ns(int64_t n) {
  int64_t t0 = now_ns();
  __asm__ volatile("1:\n\t" TWELVE(SATURATING) "dec %0\n\tjnz 1b"
                   : "+r"(n) :: "memory");
  return now_ns() - t0;
}
"""


def measure_ceilings(workdir: Path, ghz: float) -> dict:
    """int8 ops per cycle of the exact (vpmaddwd + vpaddd) and the
    saturating (vpmaddubsw + vpmaddwd + vpaddd) forms on register operands,
    the best of 5 runs each; {} unless the host has AVX2."""
    if "avx2" not in machine_info()["isa"]:
        return {}
    src = workdir / "ceiling.c"
    src.write_text(CEILING_C)
    so = workdir / "ceiling.so"
    subprocess.run([str(llvm_tool("clang")), "-O2", "-mavx2", "-shared",
                    "-fPIC", str(src), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    out = {}
    n = 20_000_000
    for name, macs in (("exact", 12 * 16), ("saturating", 12 * 32)):
        fn = getattr(lib, f"{name}_ns")
        fn.restype = ctypes.c_int64
        fn.argtypes = [ctypes.c_int64]
        best = min(fn(n) for _ in range(5))
        out[name] = 2 * macs * n / (best * ghz)
    return out


def estimate_ghz(workdir: Path) -> float:
    src = workdir / "clock.c"
    src.write_text(CLOCK_C)
    so = workdir / "clock.so"
    subprocess.run([str(llvm_tool("clang")), "-O2", "-shared", "-fPIC",
                    str(src), "-o", str(so)], check=True)
    lib = ctypes.CDLL(str(so))
    lib.add_chain_ns.restype = ctypes.c_int64
    lib.add_chain_ns.argtypes = [ctypes.c_int64]
    n = 50_000_000
    best = min(lib.add_chain_ns(n) for _ in range(5))
    return 8 * n / best


def gemm_module(m, n, k, b, dtype) -> str:
    """func @forward(A [1, M, K]) -> [1, M, N] = A B with B constant."""
    if dtype == "int8":
        et, rt, zt = "i8", "i32", "i8"
        zero = "dense<0> : tensor<1xi8>"
    else:
        et, rt, zt = "f32", "f32", "f32"
        zero = "dense<0.0> : tensor<1xf32>"
    hexdata = b.tobytes().hex().upper()
    return f"""func.func @forward(%a: tensor<1x{m}x{k}x{et}>) -> tensor<1x{m}x{n}x{rt}> {{
  %b = "tosa.const"() <{{values = dense<"0x{hexdata}"> : tensor<1x{k}x{n}x{et}>}}> : () -> tensor<1x{k}x{n}x{et}>
  %z = "tosa.const"() <{{values = {zero}}}> : () -> tensor<1x{zt}>
  %c = tosa.matmul %a, %b, %z, %z : (tensor<1x{m}x{k}x{et}>, tensor<1x{k}x{n}x{et}>, tensor<1x{zt}>, tensor<1x{zt}>) -> tensor<1x{m}x{n}x{rt}>
  return %c : tensor<1x{m}x{n}x{rt}>
}}
"""


def dw_module(h, c, stride, w) -> str:
    """func @forward(x [64, H, H, C] i8) -> i32: the depthwise 3x3 conv."""
    o = (h - 3) // stride + 1
    hexdata = w.tobytes().hex().upper()
    t_in, t_out = f"tensor<{BATCH}x{h}x{h}x{c}xi8>", f"tensor<{BATCH}x{o}x{o}x{c}xi32>"
    return f"""func.func @forward(%x: {t_in}) -> {t_out} {{
  %w = "tosa.const"() <{{values = dense<"0x{hexdata}"> : tensor<3x3x{c}x1xi8>}}> : () -> tensor<3x3x{c}x1xi8>
  %b = "tosa.const"() <{{values = dense<0> : tensor<{c}xi32>}}> : () -> tensor<{c}xi32>
  %z = "tosa.const"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>
  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {{acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: {stride}, {stride}>}} : ({t_in}, tensor<3x3x{c}x1xi8>, tensor<{c}xi32>, tensor<1xi8>, tensor<1xi8>) -> {t_out}
  return %y : {t_out}
}}
"""


class DnnlRunner:
    def __init__(self, exe: Path, kind, *dims, threads=1):
        self.exe, self.args = exe, [kind, *map(str, dims)]
        self.threads = threads
        # int8 GEMM: (wrong, sampled) outputs of the last run.
        self.exactness = None

    def median_ms(self, warmup, iters):
        env = dict(os.environ, OMP_NUM_THREADS=str(self.threads))
        out = subprocess.run([str(self.exe), *self.args, str(warmup),
                              str(iters)], check=True, capture_output=True,
                             text=True, env=env).stdout.split()
        if len(out) >= 4:
            self.exactness = (int(out[2]), int(out[3]))
        return float(out[0]) / 1e6


class QntMedian:
    def __init__(self, runner: QntRunner, threads=None):
        self.r, self.threads = runner, threads

    def median_ms(self, warmup, iters):
        if self.threads is not None:
            self.r.model.set_num_threads(self.threads)
        return float(np.median(self.r.times_ms(warmup, iters)))


def build_dnnl(workdir: Path) -> Path:
    exe = workdir / "dnnl_gemm"
    subprocess.run([str(llvm_tool("clang++")), "-O2", "-std=c++17",
                    str(REPO / "bench" / "dnnl_gemm.cpp"), "-ldnnl", "-o",
                    str(exe)], check=True)
    return exe


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--budget", type=float, default=0.3,
                    help="seconds per measurement (default 0.3)")
    ap.add_argument("--quick", action="store_true",
                    help="only M = N = K = 256 and one model layer")
    ap.add_argument("--write", action="store_true",
                    help="regenerate docs/performance.md")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not Path("/usr/include/oneapi/dnnl/dnnl.hpp").exists():
        sys.exit("bench/gemm.py: oneDNN is missing: run "
                 "scripts/install-bench-deps.sh")
    shapes = [(f"{s}^3", s, s, s) for s in (SQUARE[:1] if args.quick
                                            else SQUARE)]
    for hw, cin, cout in (MODEL_LAYERS[:1] if args.quick else MODEL_LAYERS):
        shapes.append((f"layer {BATCH}x{hw}: {cin}->{cout}", BATCH * hw, cout,
                       cin))
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="qnt-bench-gemm-") as tmp:
        tmp = Path(tmp)
        ghz = estimate_ghz(tmp)
        ceilings = measure_ceilings(tmp, ghz)
        harness = Harness(tmp)
        dnnl = build_dnnl(tmp)
        runners = {}   # (shape name, runtime) -> runner
        exact_a7 = {}  # shape name -> oneDNN (wrong, sampled), 7-bit A
        compile_s = {}
        for name, m, n, k in shapes:
            a8 = rng.integers(-128, 128, (1, m, k), dtype=np.int8)
            b8 = rng.integers(-127, 128, (1, k, n), dtype=np.int8)
            af = rng.standard_normal((1, m, k)).astype(np.float32)
            bf = rng.standard_normal((1, k, n)).astype(np.float32)
            for dtype, a, b in (("int8", a8, b8), ("f32", af, bf)):
                t0 = time.perf_counter()
                so = compiler.compile_mlir(gemm_module(m, n, k, b, dtype),
                                           tmp / f"{m}_{n}_{k}_{dtype}.so")
                compile_s[(name, dtype)] = time.perf_counter() - t0
                r = QntRunner(harness, so, [a])
                got = r.outputs()[0]
                if dtype == "int8":
                    want = a.astype(np.int64)[0] @ b.astype(np.int64)[0]
                    if not np.array_equal(got[0].astype(np.int64), want):
                        sys.exit(f"qnt int8 GEMM {name}: wrong result")
                else:
                    want = a[0].astype(np.float64) @ b[0].astype(np.float64)
                    err = np.abs(got[0] - want).max() / np.abs(want).max()
                    if err > 1e-4:
                        sys.exit(f"qnt fp32 GEMM {name}: relative error {err}")
                runners[(name, f"qnt {dtype}")] = QntMedian(r)
                runners[(name, f"oneDNN {dtype}")] = DnnlRunner(
                    dnnl, "int8" if dtype == "int8" else "f32", m, n, k)
            # 7-bit weights (the w7a8 recipe): qnt's AVX2 kernels take the
            # u8 x s8 quad form (vpmaddubsw, exact on them).
            b7 = rng.integers(-64, 64, (1, k, n), dtype=np.int8)
            want7 = a8.astype(np.int64)[0] @ b7.astype(np.int64)[0]
            for par in ((False, True) if m == n == k else (False,)):
                so = compiler.compile_mlir(
                    gemm_module(m, n, k, b7, "int8"),
                    tmp / f"{m}_{n}_{k}_int8w7_{int(par)}.so", parallel=par)
                r = QntRunner(harness, so, [a8])
                if par:
                    r.model.set_num_threads(2)
                if not np.array_equal(r.outputs()[0][0].astype(np.int64),
                                      want7):
                    sys.exit(f"qnt int8 GEMM {name}, 7-bit weights: wrong "
                             "result")
                runners[(name, "qnt int8 w7 2T" if par else "qnt int8 w7")] = \
                    QntMedian(r, threads=2 if par else None)
            if m == n == k:
                # int8 on 2 threads: the same GEMM compiled with OpenMP.
                so = compiler.compile_mlir(gemm_module(m, n, k, b8, "int8"),
                                           tmp / f"{m}_{n}_{k}_int8_par.so",
                                           parallel=True)
                r = QntRunner(harness, so, [a8])
                r.model.set_num_threads(2)
                got = r.outputs()[0]
                want = a8.astype(np.int64)[0] @ b8.astype(np.int64)[0]
                if not np.array_equal(got[0].astype(np.int64), want):
                    sys.exit(f"qnt int8 GEMM {name} (2 threads): wrong result")
                runners[(name, "qnt int8 2T")] = QntMedian(r, threads=2)
                runners[(name, "oneDNN int8 2T")] = DnnlRunner(
                    dnnl, "int8", m, n, k, threads=2)
            # oneDNN's exactness with 7-bit activations (one untimed run).
            a7 = DnnlRunner(dnnl, "int8a7", m, n, k)
            a7.median_ms(0, 1)
            exact_a7[name] = a7.exactness
            print(f"compiled and checked {name}", flush=True)
        dw_shapes = []
        for h, c, stride in (DW_LAYERS[:1] if args.quick else DW_LAYERS):
            o = (h - 3) // stride + 1
            name = f"dw 3x3/{stride} {BATCH}x{o}x{o}x{c}"
            dw_shapes.append((name, h, c, stride, o))
            x = rng.integers(-128, 128, (BATCH, h, h, c), dtype=np.int8)
            w = rng.integers(-127, 128, (3, 3, c, 1), dtype=np.int8)
            t0 = time.perf_counter()
            so = compiler.compile_mlir(dw_module(h, c, stride, w),
                                       tmp / f"dw_{h}_{c}_{stride}.so")
            compile_s[(name, "int8")] = time.perf_counter() - t0
            r = QntRunner(harness, so, [x])
            got = r.outputs()[0].astype(np.int64)
            want = np.zeros((BATCH, o, o, c), np.int64)
            for i in range(3):
                for j in range(3):
                    want += (x[:, i:i + stride * (o - 1) + 1:stride,
                               j:j + stride * (o - 1) + 1:stride, :]
                             .astype(np.int64) * w[i, j, :, 0])
            if not np.array_equal(got, want):
                sys.exit(f"qnt int8 depthwise {name}: wrong result")
            runners[(name, "qnt int8")] = QntMedian(r)
            runners[(name, "oneDNN int8")] = DnnlRunner(
                dnnl, "dw_int8", BATCH, h, h, c, 3, stride)
            print(f"compiled and checked {name}", flush=True)
        # Iteration counts from one probe call each.
        iters = {key: iters_for(r.median_ms(1, 3), args.budget)
                 for key, r in runners.items()}
        samples = {key: [] for key in runners}
        for rnd in range(args.rounds):
            for key, r in runners.items():
                samples[key].append(r.median_ms(2, iters[key]))
            print(f"round {rnd + 1}/{args.rounds}", flush=True)
    result = {"machine": machine_info(), "ghz_estimate": ghz,
              "int8_ceilings_ops_per_cycle": ceilings,
              "rounds": args.rounds, "budget_s": args.budget, "rows": []}
    for name, m, n, k in shapes:
        row = {"shape": name, "m": m, "n": n, "k": k}
        for rt in ("qnt int8", "oneDNN int8", "qnt f32", "oneDNN f32",
                   "qnt int8 2T", "oneDNN int8 2T", "qnt int8 w7",
                   "qnt int8 w7 2T"):
            if (name, rt) not in samples:
                continue
            ms = statistics.median(samples[(name, rt)])
            row[rt] = {"ms": ms, "min_ms": min(samples[(name, rt)]),
                       "max_ms": max(samples[(name, rt)]),
                       "gops": 2 * m * n * k / ms / 1e6}
        for dtype in ("int8", "f32"):
            row[f"compile_s {dtype}"] = compile_s[(name, dtype)]
        wrong, sampled = runners[(name, "oneDNN int8")].exactness
        row["oneDNN int8 wrong"] = wrong
        row["oneDNN int8 sampled"] = sampled
        row["oneDNN int8 a7 wrong"], row["oneDNN int8 a7 sampled"] = \
            exact_a7[name]
        result["rows"].append(row)
    result["dw_rows"] = []
    for name, h, c, stride, o in dw_shapes:
        macs = BATCH * o * o * c * 9
        row = {"shape": name, "macs": macs,
               "compile_s int8": compile_s[(name, "int8")]}
        for rt in ("qnt int8", "oneDNN int8"):
            ms = statistics.median(samples[(name, rt)])
            row[rt] = {"ms": ms, "min_ms": min(samples[(name, rt)]),
                       "max_ms": max(samples[(name, rt)]),
                       "gops": 2 * macs / ms / 1e6}
        result["dw_rows"].append(row)
    table = format_table(result)
    print(table)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    if args.write:
        DOC.write_text(format_doc(result, table))


def format_table(r) -> str:
    ghz = r["ghz_estimate"]
    p8, pf = INT8_OPS_PER_CYCLE * ghz, FP32_OPS_PER_CYCLE * ghz
    exact = r.get("int8_ceilings_ops_per_cycle", {}).get("exact")
    lines = ["| shape (M x N x K) | qnt int8 Gop/s (% peak) | qnt int8 % of "
             "its exact form's ceiling | oneDNN int8 "
             "Gop/s (% peak) | qnt / oneDNN int8 | oneDNN int8 outputs exact "
             "(activations < 128) | qnt fp32 Gflop/s (% peak) "
             "| oneDNN fp32 Gflop/s (% peak) | qnt int8 / qnt fp32 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in r["rows"]:
        g = {k: row[k]["gops"] for k in ("qnt int8", "oneDNN int8",
                                          "qnt f32", "oneDNN f32")}
        lines.append(
            f"| {row['shape']} ({row['m']} x {row['n']} x {row['k']}) | "
            f"{g['qnt int8']:.1f} ({100 * g['qnt int8'] / p8:.0f}%) | "
            + (f"{100 * g['qnt int8'] / (exact * ghz):.0f}% | " if exact
               else "- | ") +
            f"{g['oneDNN int8']:.1f} ({100 * g['oneDNN int8'] / p8:.0f}%) | "
            f"{g['qnt int8'] / g['oneDNN int8']:.3f} | "
            f"{100 * (1 - row['oneDNN int8 wrong'] / row['oneDNN int8 sampled']):.1f}% "
            f"({100 * (1 - row['oneDNN int8 a7 wrong'] / row['oneDNN int8 a7 sampled']):.0f}%) | "
            f"{g['qnt f32']:.1f} ({100 * g['qnt f32'] / pf:.0f}%) | "
            f"{g['oneDNN f32']:.1f} ({100 * g['oneDNN f32'] / pf:.0f}%) | "
            f"{g['qnt int8'] / g['qnt f32']:.2f} |")
    lines += ["", "Int8 on 2 threads (qnt: OpenMP build, 2 threads; oneDNN: "
              "OMP_NUM_THREADS=2):", "",
              "| shape | qnt int8 2T Gop/s | speed-up over 1T | oneDNN int8 2T "
              "Gop/s | speed-up over 1T | qnt / oneDNN int8 2T |",
              "|---|---:|---:|---:|---:|---:|"]
    for row in r["rows"]:
        if "qnt int8 2T" not in row:
            continue
        q2, d2 = row["qnt int8 2T"]["gops"], row["oneDNN int8 2T"]["gops"]
        lines.append(f"| {row['shape']} | {q2:.1f} | "
                     f"{q2 / row['qnt int8']['gops']:.2f}x | {d2:.1f} | "
                     f"{d2 / row['oneDNN int8']['gops']:.2f}x | "
                     f"{q2 / d2:.3f} |")
    sat = r.get("int8_ceilings_ops_per_cycle", {}).get("saturating")
    lines += ["", "7-bit weights (B in [-64, 63], the `w7a8-per-channel` "
              "recipe's): qnt's kernels take `vpmaddubsw` + `vpmaddwd` by "
              "ones, exact on them; same A, outputs checked exact:", "",
              "| shape | qnt int8 w7 Gop/s (% peak) | % of the vpmaddubsw "
              "form's ceiling | qnt w7 / oneDNN int8 | qnt w7 / qnt int8 "
              "(8-bit B) | qnt w7 2T Gop/s | qnt w7 / oneDNN int8 2T |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for row in r["rows"]:
        if "qnt int8 w7" not in row:
            continue
        w7 = row["qnt int8 w7"]["gops"]
        two = row.get("qnt int8 w7 2T")
        lines.append(
            f"| {row['shape']} | {w7:.1f} ({100 * w7 / p8:.0f}%) | "
            + (f"{100 * w7 / (sat * ghz):.0f}% | " if sat else "- | ") +
            f"{w7 / row['oneDNN int8']['gops']:.3f} | "
            f"{w7 / row['qnt int8']['gops']:.2f} | "
            + (f"{two['gops']:.1f} | "
               f"{two['gops'] / row['oneDNN int8 2T']['gops']:.3f} |"
               if two else "- | - |"))
    lines += ["", "Depthwise 3x3 convolutions of the bundled model (batch 64, "
              "input already padded, i32 output):", "",
              "| layer (N x OH x OW x C) | qnt int8 Gop/s | oneDNN int8 Gop/s "
              "| qnt / oneDNN int8 | qnt ms | oneDNN ms |",
              "|---|---:|---:|---:|---:|---:|"]
    for row in r.get("dw_rows", []):
        q, d = row["qnt int8"], row["oneDNN int8"]
        lines.append(f"| {row['shape']} | {q['gops']:.1f} | {d['gops']:.1f} | "
                     f"{q['gops'] / d['gops']:.3f} | {q['ms']:.3f} | "
                     f"{d['ms']:.3f} |")
    return "\n".join(lines)


def ceiling_rows(r) -> str:
    """The measured instruction-mix ceilings' rows of the machine table."""
    c = r.get("int8_ceilings_ops_per_cycle", {})
    if not c:
        return "| int8 instruction-mix ceilings | not measured (no AVX2) |"
    ghz = r["ghz_estimate"]
    return (f"| int8 instruction-mix ceilings (measured, register operands) | "
            f"exact `vpmaddwd` + `vpaddd` (qnt): {c['exact']:.1f} ops/cycle = "
            f"{c['exact'] * ghz:.0f} Gop/s; saturating `vpmaddubsw` + "
            f"`vpmaddwd` + `vpaddd` (oneDNN): {c['saturating']:.1f} ops/cycle "
            f"= {c['saturating'] * ghz:.0f} Gop/s; exact / saturating "
            f"{c['exact'] / c['saturating']:.2f} |")


def format_doc(r, table) -> str:
    m = r["machine"]
    ghz = r["ghz_estimate"]
    return f"""# Performance: int8 and fp32 GEMM, qnt against oneDNN

Generated by `/usr/bin/python3 bench/gemm.py --write` (do not edit by hand;
the method is in the script's docstring). One thread, {r['rounds']} interleaved
rounds, median per cell (2 threads in their own table). oneDNN needs
`scripts/install-bench-deps.sh`.

| | |
|---|---|
| CPU | {m['cpu']}, {m['cpus']} cores, ISA {', '.join(m['isa'])} |
| clock (estimated from a dependent add chain) | {ghz:.2f} GHz |
| peaks used | int8 AVX2 {INT8_OPS_PER_CYCLE} ops/cycle = {INT8_OPS_PER_CYCLE * ghz:.0f} Gop/s; fp32 {FP32_OPS_PER_CYCLE} flops/cycle = {FP32_OPS_PER_CYCLE * ghz:.0f} Gflop/s |
{ceiling_rows(r)}
| source | commit {m['commit']}{'; tracked files changed since: ' + ', '.join(m['changed_files']) if m['changed_files'] else ''} |
| compiler | {m['clang']} |

{table}

End to end (both models, int8 against fp32 and onnxruntime fp32 / int8, 1
and 2 threads): [performance-e2e.md](performance-e2e.md).

How qnt computes these (issue 7, in progress): an int8 matmul or
convolution with constant weights goes through `qnt-int8-matmul-kernels`
(weights packed at compile time into 8-column blocks of K pairs, sign-
extended to i16; activations widened to i16 (im2col patches for
convolutions other than 1x1); row chunks that fit in L2, then 16-column
weight panels, then 6 x 16 register tiles of i32 accumulators) and
`qnt-select-x86-intrinsics` (`vpmaddwd`), on targets with AVX2; int8
depthwise convolutions through `qnt-int8-depthwise-kernels` (channel
vectors of i32 accumulators, filter rows two at a time through `vpmaddwd`
on the two input rows' channels interleaved as i16, a row left over one
tap at a time, taps unrolled, column tiles of 8; in the models they read
through the zero-point padding of their input, which the table's already
padded inputs do not need); fp32 matmuls go
through the generic tiling and vectorization of `qnt-tile-and-vectorize`.
In the models the requantization runs in the kernels' epilogue; these
tables time the kernels with i32 results (oneDNN: s32 destination) so that
both sides do the same work. AVX2 has no int8 dot product that is exact for
all 8-bit inputs: `vpmaddubsw` sums two u8 x s8 products into a saturating
i16, so qnt widens the activations to i16 and uses `vpmaddwd` (16
multiply-adds per instruction plus a `vpaddd`; a `vpmaddubsw` + `vpmaddwd`
+ `vpaddd` sequence does 32 in three). oneDNN's results behave like the
saturating form: the "outputs exact" column counts the sampled outputs of
oneDNN that equal the exact product of its uniformly random u8 x s8 inputs
(in brackets: the same with activations below 128, where no pair can
saturate). qnt's outputs are all checked exact. The saturating form is
exact for a layer only if no adjacent pair of its weights can overflow
the i16 sum (per output channel, a pair's positive weights summing to at
most 128 and its negative ones to at least -128, for any u8 activations);
with per-channel weight scales every channel reaches +-127, and 11 %
(BlazeFace) and 19 % (the bundled model) of the convolution weights exceed
64 in magnitude. Reordering K pairs the rows safely only where few
channels share the order: in the 28 convolutions and matmuls of the two
int8 models a median 9 % of all pairs of rows are safe for every channel
at once (from 0 % up to 98 % for the 2-channel head), but with K codes
to choose from that is often enough for a maximum matching to pair
nearly all of them. qnt's kernels reorder each filter row of a
convolution larger than 1x1 when its codes pair up safely (the im2col
runs are shuffled to match), and the K codes of a 1x1 convolution or
matmul that a maximum matching pairs up (the copied activation rows are
shuffled to match), the codes left over taking a tail of exact
`vpmaddwd` pairs when a cost estimate prefers that to zero partners in
the quads: of the 28 layers, BlazeFace's first (5x5 from RGB, its
largest int8 layer) and 20 1x1 convolutions and matmuls then take the
saturating form exactly, 13 of them with a tail;
`bench/maddubs_pairs.py` prints these per layer.
The VNNI
form (`vpdpbusd`, K quads, exact) cannot run on this AVX2-only VM: its
outputs are checked under emulation ([vnni-emulation.md](vnni-emulation.md))
and its inner loops estimated by llvm-mca
([performance-vnni-mca.md](performance-vnni-mca.md)), not timed. With
weights in [-64, 63] (quantized with 7 bits: the `w7a8-per-channel`
recipe, onnxruntime's `reduce_range`) no pair can saturate, and qnt's
kernels take the same u8 x s8 quads as the VNNI form on 8 lanes
(`vpmaddubsw` + `vpmaddwd` by ones, the third table).
{ceiling_prose(r)}"""


def ceiling_prose(r) -> str:
    """What the measured ceilings say about the exact form (doc prose)."""
    c = r.get("int8_ceilings_ops_per_cycle", {})
    if not c:
        return ""
    ghz = r["ghz_estimate"]
    square = [row for row in r["rows"] if row["m"] == row["n"] == row["k"]]
    dnnl = max(row["oneDNN int8"]["gops"] for row in square)
    qnt = max(row["qnt int8"]["gops"] for row in square)
    ratio = c["exact"] / c["saturating"]
    w7 = [row for row in square if "qnt int8 w7" in row]
    w7_text = ""
    if w7:
        best = max(w7, key=lambda row: row["qnt int8 w7"]["gops"])
        g = best["qnt int8 w7"]["gops"]
        w7_text = f"""
With 7-bit weights qnt takes the saturating form where it cannot saturate:
on the square GEMMs it reaches {g:.0f} Gop/s at best ({best['shape']}),
{100 * g / (c["saturating"] * ghz):.0f}% of that form's ceiling and {g / best["oneDNN int8"]["gops"]:.2f}x oneDNN on the
same shape, exact for every 8-bit activation (oneDNN's 8-bit weights are
not: the "outputs exact" column)."""
    return f"""
The measured ceilings (machine table) put the exact form at {ratio:.2f} of
the saturating one on this core: an AVX2 int8 kernel that is exact for
every input cannot run faster than {ratio:.2f}x a saturating kernel that runs
at its own ceiling, however it tiles and packs. On the square GEMMs oneDNN
reaches {100 * dnnl / (c["saturating"] * ghz):.0f}% of its form's ceiling at best, qnt {100 * qnt / (c["exact"] * ghz):.0f}% of its own.
{w7_text}
"""


if __name__ == "__main__":
    main()
