#!/usr/bin/python3
"""llvm-mca's estimate of qnt's int8 GEMM inner loops on CPUs this machine
is not: how close to the dot-product peak the VNNI kernels' code can run.

    /usr/bin/python3 bench/vnni_mca.py [--write]

This VM has neither AVX512-VNNI nor AVX-VNNI, so the VNNI kernels cannot be
timed here (scripts/emulate_vnni.py runs them under an emulator, for their
outputs only). What can be checked is the code: for each program (bench/
gemm.py's square GEMMs and the bundled model's layer GEMMs, random 8-bit
weights) and kernel set, qnt compiles it with the pipeline it chooses for
a CPU of that kind (qnt-opt, mlir-translate, clang -O3 -S -march=CPU),
takes the innermost loop with the most dot-product instructions (vpdpbusd;
vpmaddwd / vpmaddubsw for AVX2), and asks llvm-mca (LLVM 22's scheduling
models) for its cycles per iteration on each CPU model. The peak is
llvm-mca's own for the same CPU model: a loop of independent dot products
on register operands (vpdpbusd; for AVX2 the exact form qnt uses,
vpmaddwd + vpaddd). "% of peak" is the inner loop's dot products per cycle
over that peak.

This is a static estimate of the inner loop alone: it leaves out cache
misses, the packing of the activations, the tile epilogues (the stores
and the requantization) and the loop overheads outside the inner loop,
and it is only as good as LLVM's model of each CPU. As a check of the
method, the same estimate is made for this machine's CPU (znver3) and
set next to the rate bench/gemm.py measures here (docs/performance.md).
``--write`` writes docs/performance-vnni-mca.md.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

from gemm import MODEL_LAYERS, gemm_module  # noqa: E402
from qnt import compiler  # noqa: E402
from qnt.tools import llvm_tool  # noqa: E402

DOC = REPO / "docs" / "performance-vnni-mca.md"
# kernel set -> (the CPU whose pipeline it is, the CPU models estimated)
SETS = {
    "avx512vnni": ("icelake-server",
                   ["cascadelake", "icelake-server", "tigerlake",
                    "sapphirerapids", "znver4"]),
    "avxvnni": ("alderlake", ["alderlake"]),
    "avx2": ("znver3", ["znver3"]),
}
DOT = re.compile(r"^\s*(?:\{vex\}\s*)?(vpdpbusd|vpmaddwd|vpmaddubsw)\s")
ITERATIONS = 1000


def programs():
    """(name, M, N, K): bench/gemm.py's shapes but 2048^3 (the same
    inner loop as 1024^3; its 4 MB of weights take long to compile)."""
    out = [(f"{s}^3", s, s, s) for s in (256, 1024)]
    out += [(f"layer 64x{hw}: {cin}->{cout}", 64 * hw, cout, cin)
            for hw, cin, cout in MODEL_LAYERS]
    return out


def compile_asm(text, kset, cpu, work, tag):
    pipe_cpu, _ = SETS[kset]
    kernels = compiler.target_int8_kernels(pipe_cpu)
    if kernels != kset:
        sys.exit(f"vnni_mca.py: {pipe_cpu}'s int8 kernels are {kernels}")
    src, llvm_mlir = work / f"{tag}.mlir", work / f"{tag}.llvm.mlir"
    ll, asm = work / f"{tag}.ll", work / f"{tag}.{cpu}.s"
    src.write_text(text)
    compiler.lower_to_llvm_dialect(src, llvm_mlir,
                                   compiler.target_pipeline(pipe_cpu))
    compiler.translate_to_llvm_ir(llvm_mlir, ll)
    subprocess.run([str(llvm_tool("clang")), "-O3", f"-march={cpu}", "-S",
                    "-Wno-override-module", str(ll), "-o", str(asm)],
                   check=True, capture_output=True)
    return asm.read_text()


def inner_loops(asm: str):
    """The innermost loops of `asm` (llvm's "Inner Loop Header" blocks, to
    their back branch), as instruction lists."""
    lines = asm.splitlines()
    loops = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\.LBB\w+):", line)
        if not m or "Inner Loop Header" not in "\n".join(lines[i:i + 4]):
            continue
        body = []
        for l in lines[i + 1:]:
            s = l.strip()
            if not s or s.startswith(("#", ".")):
                continue
            body.append(l)
            if re.match(rf"j\w+\s+{re.escape(m.group(1))}$", s):
                loops.append(body)
                break
            if re.match(r"j\w+\s", s) or s.startswith(("ret", "call")):
                break
    return loops


def hottest_loop(asm: str):
    loops = inner_loops(asm)
    if not loops:
        return None
    return max(loops, key=lambda b: sum(bool(DOT.match(l)) for l in b))


def mca_cycles(body, cpu, work, tag) -> float:
    """llvm-mca's cycles per iteration of the loop `body` on `cpu`."""
    f = work / f"{tag}.mca.s"
    f.write_text("\n".join(body) + "\n")
    out = subprocess.run([str(llvm_tool("llvm-mca")), f"-mcpu={cpu}",
                          f"-iterations={ITERATIONS}", str(f)],
                         capture_output=True, text=True, check=True).stdout
    total = int(re.search(r"Total Cycles:\s+(\d+)", out).group(1))
    return total / ITERATIONS


def peak(kset, cpu, work) -> float:
    """llvm-mca's dot-product instructions per cycle on `cpu`: 12
    independent accumulators on register operands (AVX2: vpmaddwd +
    vpaddd, the exact form)."""
    if kset == "avx512vnni":
        body = [f"vpdpbusd %zmm30, %zmm31, %zmm{i}" for i in range(12)]
    elif kset == "avxvnni":
        body = [f"{{vex}} vpdpbusd %ymm14, %ymm15, %ymm{i}" for i in range(12)]
    else:
        body = []
        for i in range(6):
            body += [f"vpmaddwd %ymm14, %ymm15, %ymm{6 + i}",
                     f"vpaddd %ymm{6 + i}, %ymm{i}, %ymm{i}"]
    dots = sum(bool(DOT.match(l)) for l in body)
    return dots / mca_cycles(body, cpu, work, f"peak-{kset}-{cpu}")


def measured_znver3():
    """bench/gemm.py's qnt int8 Gop/s per shape from docs/performance.md
    (this machine), or {}."""
    doc = REPO / "docs" / "performance.md"
    out = {}
    if not doc.exists():
        return out
    for line in doc.read_text().splitlines():
        m = re.match(r"\| (\S+\^3|layer [^|]*?) \([^|]*\) \| ([\d.]+) \(", line)
        if m:
            out[m.group(1)] = float(m.group(2))
    return out


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--write", action="store_true",
                    help=f"write {DOC.relative_to(REPO)}")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    peaks = {}
    with tempfile.TemporaryDirectory(prefix="qnt-vnni-mca-") as tmp:
        work = Path(tmp)
        for kset, (_, cpus) in SETS.items():
            for cpu in cpus:
                peaks[(kset, cpu)] = peak(kset, cpu, work)
        for pi, (name, m, n, k) in enumerate(programs()):
            b = rng.integers(-128, 128, (1, k, n)).astype(np.int8)
            text = gemm_module(m, n, k, b, "int8")
            for kset, (_, cpus) in SETS.items():
                for cpu in cpus:
                    tag = f"p{pi}-{kset}"
                    asm = compile_asm(text, kset, cpu, work, tag)
                    body = hottest_loop(asm)
                    if body is None:
                        sys.exit(f"vnni_mca.py: {name} {kset} {cpu}: no "
                                 f"inner loop found")
                    dots = sum(bool(DOT.match(l)) for l in body)
                    cyc = mca_cycles(body, cpu, work, f"{tag}-{cpu}")
                    rows.append((name, f"{m} x {n} x {k}", kset, cpu, dots,
                                 len(body), cyc, dots / cyc,
                                 peaks[(kset, cpu)]))
                    print(f"{name} {kset} {cpu}: {dots} dot products, "
                          f"{cyc:.2f} cycles/iteration", file=sys.stderr)
    text = report(rows, peaks)
    print(text)
    if args.write:
        DOC.write_text(text)


def report(rows, peaks) -> str:
    clang = subprocess.run([str(llvm_tool("clang")), "--version"],
                           capture_output=True, text=True).stdout
    lines = [
        "# int8 GEMM inner loops under llvm-mca (VNNI CPUs this machine is "
        "not)",
        "",
        "Generated by `/usr/bin/python3 bench/vnni_mca.py --write` (do not "
        "edit by hand; the",
        "method and its limits are in the script's docstring). A static "
        "estimate of each",
        "kernel's innermost loop, not a measurement: no VNNI CPU was "
        "available. Outputs of the",
        "same kernels run under emulation: [vnni-emulation.md](vnni-emulation.md).",
        "",
        f"Compiler and llvm-mca: {clang.splitlines()[0] if clang else '?'}.",
        "",
        "Peaks (llvm-mca, independent dot products on register operands):",
        "",
        "| kernel set | CPU model | dot-product instructions per cycle | "
        "int8 multiply-adds per cycle |",
        "|---|---|---:|---:|",
    ]
    macs = {"avx512vnni": 64, "avxvnni": 32, "avx2": 16}
    for (kset, cpu), p in peaks.items():
        lines.append(f"| `{kset}` | {cpu} | {p:.2f} | {p * macs[kset]:.0f} |")
    lines += [
        "",
        "| program | M x N x K | kernel set | CPU model | dot products per "
        "iteration | instructions per iteration | cycles per iteration | "
        "dot products per cycle | % of peak |",
        "|---|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for name, dims, kset, cpu, dots, ins, cyc, rate, p in rows:
        lines.append(f"| {name} | {dims} | `{kset}` | {cpu} | {dots} | {ins} "
                     f"| {cyc:.2f} | {rate:.2f} | {100 * rate / p:.0f}% |")
    measured = measured_znver3()
    check = [(name, rate) for name, _, kset, cpu, *_, rate, p in rows
             if kset == "avx2"]
    ghz = clock_ghz()
    if measured and ghz:
        lines += [
            "",
            "The method on this machine (znver3, AVX2): the estimate as "
            "Gop/s at the clock",
            "bench/gemm.py estimated, next to what it measured "
            "(docs/performance.md, whole",
            "kernel: packing, epilogues and memory included):",
            "",
            "| program | llvm-mca inner loop, Gop/s | measured, Gop/s | "
            "measured / estimate |",
            "|---|---:|---:|---:|"]
        for name, rate in check:
            est = rate * 2 * macs["avx2"] * ghz
            got = measured.get(name)
            if got:
                lines.append(f"| {name} | {est:.1f} | {got:.1f} | "
                             f"{got / est:.2f} |")
    lines.append("")
    return "\n".join(lines)


def clock_ghz():
    doc = REPO / "docs" / "performance.md"
    m = re.search(r"\| clock \(estimated[^|]*\| ([\d.]+) GHz",
                  doc.read_text()) if doc.exists() else None
    return float(m.group(1)) if m else None


if __name__ == "__main__":
    main()
