#!/usr/bin/python3
"""Run qnt's VNNI kernels under an x86 emulator and check them against intref.

    scripts/install-emu-deps.sh              # bochs, isolinux, xorriso (once)
    /usr/bin/python3 scripts/emulate_vnni.py [--seeds 0:40] [--write]

This machine has neither AVX512-VNNI nor AVX-VNNI, so the kernels that
`vpdpbusd` runs (``int8-kernels=avx512vnni`` for AVX-512 VNNI CPUs,
``avxvnni`` for AVX-VNNI ones) cannot run here. Bochs 2.7 (Debian's
``bochs``) emulates a Tiger Lake CPU, which has AVX-512 VNNI; its
instructions are Bochs's own implementation, independent of qnt and of
LLVM. QEMU 7.2's TCG (Debian 12) has neither AVX-512 nor AVX-VNNI, and
Debian's Linux 6.1 kernel hangs early in its boot under Bochs's Tiger Lake
model (XSAVE layout warnings), so the programs run on bare metal: a
multiboot image (scripts/emu/: a long-mode entry, a serial port, a bump
allocator, the few C library functions compiled models call) that
isolinux's mboot.c32 loads from a CD image.

Programs: the int8 fuzzer's random convolutions, depthwise convolutions,
matmuls and MobileNet blocks (scripts/fuzz_int8.py, ``--seeds``) and the
quantized models of bench/e2e.py (Fashion-MNIST MobileNet at batch 1 on the
first t10k image, w8a8 and w7a8 per-channel; BlazeFace at batch 1 on the
first photo, when scripts/fetch_blazeface.sh has fetched it). Their
expected outputs come from qnt.intref (numpy) on this machine.

Kernel sets, each with the pipeline qnt chooses for a real CPU of its kind
(and ``avx2-avx512``: skylake-avx512's, 16 lanes with the AVX2 int8
kernels, what AVX-512 CPUs without VNNI get, which cannot run here either):
``avx512vnni`` is tigerlake's (16 lanes, vpdpbusd on zmm), compiled with
``-march=tigerlake``; ``avxvnni`` is alderlake's (8 lanes,
``llvm.x86.avx512.vpdpbusd.256``), compiled for tigerlake too because
Bochs 2.7 has no AVX-VNNI CPU model: LLVM then encodes the same 256-bit
instruction with EVEX (AVX512-VL) instead of VEX, and its semantics are
the same (u8 x s8 quads, i32 accumulation, no saturation). That set is
compiled with ``-mno-avx512bw``: Bochs 2.7 inserts a wrong byte for the
EVEX form of ``vpinsrb`` with a memory source (into xmm16-31; the VEX
form, the register form and ``vpinsrw``/``vpinsrd`` are right: checked
on bare metal), which LLVM emits for 8-lane code on AVX-512 targets
(BlazeFace's int8 max pooling at 8 lanes for tigerlake or skylake-avx512
differed from intref under Bochs for that reason alone; without AVX512BW
LLVM cannot use it); likewise the EVEX form of ``vpextrw`` to memory
stores nothing. A program whose code has either form (found in the
disassembly) is compiled again with ``-mno-avx512bw``, and the report
says so in its cell. Bochs 2.7 also raises #UD on the AVX512-VL
scatters (``vpscatterdd`` on ymm) that LLVM emits for some generic loops
(a depthwise convolution with a channel multiplier of 2, whose int8 path
is not qnt's depthwise kernel), so every set is compiled with
``-mno-scatter`` (plain stores instead). The script counts both forms in
each image and fails the run if one appears; an exception in the image is
reported with its vector and address (boot.S installs handlers).

Every program is compiled as the libraries are (qnt-opt, mlir-translate,
clang -O3, the generated C wrapper, whose load-time CPU check runs too),
linked into one image, and each entry point's outputs are compared byte
for byte with intref's. The image also checks that its comparison catches a corrupted
expectation (one byte flipped), and the script counts the vpdpbusd
instructions in each set's code, so a set that silently lost its VNNI
kernels would show. Exit status 1 when any output differs, an entry
point fails, or the emulator does not finish.

``--write`` writes docs/vnni-emulation.md. Bochs runs at roughly 20-30
million instructions per second here: timing under it means nothing, only
the outputs are checked.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "bench"))

from qnt import compiler, intref  # noqa: E402
from qnt.tools import llvm_tool  # noqa: E402

EMU = REPO / "scripts" / "emu"
DOC = REPO / "docs" / "vnni-emulation.md"
# name -> (the CPU whose pipeline it is, clang's target flags, the int8
# kernel set that CPU gets)
SETS = {"avx512vnni": ("tigerlake", ["-march=tigerlake"], "avx512vnni"),
        "avxvnni": ("alderlake", ["-march=tigerlake", "-mno-avx512bw"],
                    "avxvnni"),
        "avx2-avx512": ("skylake-avx512", ["-march=skylake-avx512"], "avx2")}
VNNI_SETS = ("avx512vnni", "avxvnni")
# Bochs 2.7's broken instruction forms, both EVEX (only EVEX can name
# xmm16-31): vpinsrb with a memory source inserts a wrong byte, vpextrw to
# memory stores nothing.
BOCHS_BAD = re.compile(
    r"(?:vpinsrb\s+\$0x[0-9a-f]+, [^%\n]*\([^)\n]*\), %xmm\d+, "
    r"%xmm(?:1[6-9]|2\d|3[01])"
    r"|vpextrw\s+\$0x[0-9a-f]+, %xmm(?:1[6-9]|2\d|3[01]), "
    r"[^%\n]*\([^)\n]*\))$", re.M)
# A program whose code has one of them is compiled again with these.
FALLBACK = ["-mno-avx512bw"]
BOCHS_CPU = "tigerlake"
ISOLINUX = Path("/usr/lib/ISOLINUX/isolinux.bin")
SYSLINUX_MODULES = Path("/usr/lib/syslinux/modules/bios")
BIOS = Path("/usr/share/bochs/BIOS-bochs-latest")
VGABIOS = Path("/usr/share/bochs/VGABIOS-lgpl-latest")
FREESTANDING = ["-fno-pic", "-fno-pie", "-mno-red-zone",
                "-fno-stack-protector"]
# Bochs 2.7 has no AVX512-VL scatters (#UD): see the docstring.
EMU_ONLY = ["-mno-scatter"]


class EmuError(Exception):
    pass


def run(cmd, what, **kw):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       **kw)
    if p.returncode != 0:
        raise EmuError(f"{what} failed (exit {p.returncode}):\n"
                       f"{(p.stderr or p.stdout).strip()[:3000]}")
    return p


def check_tools():
    missing = [str(p) for p in (ISOLINUX, BIOS, VGABIOS,
                                SYSLINUX_MODULES / "mboot.c32")
               if not p.exists()]
    missing += [t for t in ("bochs", "xorriso") if not shutil.which(t)]
    if missing:
        raise SystemExit("emulate_vnni.py: missing " + ", ".join(missing) +
                         ": run scripts/install-emu-deps.sh")


# ------------------------------------------------------------- programs
def fuzz_cases(start, count):
    """(name, description, MLIR, inputs, expected outputs) of the fuzzer's
    seeds that make a program intref can run."""
    import fuzz_int8
    cases = []
    for seed in range(start, start + count):
        made = fuzz_int8.random_program(seed)
        if made is None:
            continue
        text, shape, info = made
        x = fuzz_int8.random_input(seed, shape)
        try:
            want = expected(text, [x])
        except intref.IntrefError:
            continue
        desc = ", ".join(f"{k} {v}" for k, v in info.items()
                         if k not in ("multiplier", "explicit_pad") or v)
        cases.append((f"fuzz seed {seed}", desc, text, [x], want))
    return cases


def expected(text, ins):
    """intref's outputs of @forward, in the entry point's dtypes (the cast
    is checked exact)."""
    sig = compiler.parse_signatures(text)[0]
    got = intref.load(text).run(*ins)
    out = []
    for w, t in zip(got, sig["outputs"]):
        w = np.asarray(w)
        c = w.astype(t["dtype"])
        if not np.array_equal(c, w):
            raise EmuError(f"intref's output is not exact in {t['dtype']}")
        out.append(np.ascontiguousarray(c))
    return out


def model_cases(names):
    import e2e
    from qnt import datasets, photos
    from qnt.reference import blazeface
    cases, notes = [], []
    if "fmnist" in names:
        x, _ = datasets.evaluation_set()
        xc, _ = datasets.calibration_set(e2e.CALIB_SAMPLES)
        text, _ = compiler.load_source(e2e.FMNIST, batch=1)
        progs, _ = e2e.build_int8_recipes(text, xc, 1, "fmnist_mobilenet",
                                          (e2e.RECIPE, e2e.RECIPE_W7))
        for recipe, prog in progs.items():
            cases.append((f"fmnist_mobilenet {recipe}",
                          "batch 1, first t10k image", prog, [x[:1]],
                          expected(prog, [x[:1]])))
    if "blazeface" in names:
        path = blazeface.model_path()
        if not path.exists():
            notes.append(f"BlazeFace skipped: {path} is missing "
                         f"(scripts/fetch_blazeface.sh)")
        else:
            bx, _ = photos.blazeface_inputs()
            text, _ = compiler.load_source(path)
            prog, _ = e2e.build_int8(text, bx, 1, "BlazeFace front 128")
            cases.append((f"BlazeFace front 128 {e2e.RECIPE}",
                          "batch 1, first photo", prog, [bx[:1]],
                          expected(prog, [bx[:1]])))
    return cases, notes


# ---------------------------------------------------------------- image
def compile_case(i, text, kset, work):
    """One program with one kernel set: an object whose only global
    definition is qnt_emu_case_<i>(inputs, outputs) (the wrapper's
    qnt_forward)."""
    pipe_cpu, target, want = SETS[kset]
    kernels = compiler.target_int8_kernels(pipe_cpu)
    if kernels != want:
        raise EmuError(f"{pipe_cpu}'s int8 kernels are {kernels}, not {want}")
    d = work / f"{kset}-{i}"
    d.mkdir()
    (d / "model.mlir").write_text(text)
    try:
        compiler.lower_to_llvm_dialect(d / "model.mlir",
                                       d / "model.llvm.mlir",
                                       compiler.target_pipeline(pipe_cpu))
        compiler.translate_to_llvm_ir(d / "model.llvm.mlir", d / "model.ll")
    except compiler.CompileError as exc:
        raise EmuError(f"case {i} ({kset}): {exc}") from None
    (d / "wrapper.c").write_text(
        compiler.generate_wrapper(compiler.parse_signatures(text)))
    flags = ["-O3", *target, *EMU_ONLY, *FREESTANDING]
    run([llvm_tool("clang"), *flags, "-Wno-override-module", "-c",
         d / "model.ll", "-o", d / "model.o"], f"case {i}: clang")
    fallback = False
    if BOCHS_BAD.search(disassemble(d / "model.o")):
        # Without AVX512BW LLVM has no EVEX byte or word inserts and
        # extracts (and splits 512-bit byte operations); qnt's program and
        # its vpdpbusd are the same.
        fallback = True
        flags += FALLBACK
        run([llvm_tool("clang"), *flags, "-Wno-override-module", "-c",
             d / "model.ll", "-o", d / "model.o"], f"case {i}: clang")
    run([llvm_tool("clang"), *flags, "-ffreestanding", "-c",
         d / "wrapper.c", "-o", d / "wrapper.o"], f"case {i}: clang wrapper")
    obj = work / f"{kset}-{i}.o"
    run([llvm_tool("ld.lld"), "-r", d / "model.o", d / "wrapper.o", "-o",
         obj], f"case {i}: ld.lld -r")
    objcopy = llvm_tool("llvm-objcopy")
    run([objcopy, "--keep-global-symbol=qnt_forward", obj],
        f"case {i}: llvm-objcopy")
    run([objcopy, f"--redefine-sym=qnt_forward=qnt_emu_case_{i}", obj],
        f"case {i}: llvm-objcopy")
    return obj, fallback


def disassemble(path):
    return run([llvm_tool("llvm-objdump"), "-d", "--no-show-raw-insn", path],
               "llvm-objdump").stdout


def _blob(name, data: bytes, work, asm):
    path = work / f"{name}.bin"
    path.write_bytes(data)
    asm += [f".globl {name}", ".balign 64", f"{name}:",
            f'.incbin "{path}"']


def write_cases_source(cases, work):
    """The data (.S, .incbin) and qnt_emu_cases() (.c) of one image."""
    asm = ['.section .rodata, "a"']
    c = ["#include <stdint.h>",
         "void qnt_emu_puts(const char *);", "void qnt_emu_putd(long);",
         "static long diff(const unsigned char *a, const unsigned char *b,"
         " long n) {",
         "  long d = 0;", "  for (long i = 0; i < n; ++i) d += a[i] != b[i];",
         "  return d;", "}"]
    body = []
    for i, (_, _, _, ins, outs) in enumerate(cases):
        c.append(f"int qnt_emu_case_{i}(void **, void **);")
        for k, x in enumerate(ins):
            _blob(f"qnt_emu_in_{i}_{k}", np.ascontiguousarray(x).tobytes(),
                  work, asm)
            c.append(f"extern unsigned char qnt_emu_in_{i}_{k}[];")
        for k, y in enumerate(outs):
            _blob(f"qnt_emu_want_{i}_{k}", np.ascontiguousarray(y).tobytes(),
                  work, asm)
            c.append(f"extern const unsigned char qnt_emu_want_{i}_{k}[];")
            c.append(f"static unsigned char qnt_emu_out_{i}_{k}"
                     f"[{max(y.nbytes, 1)}] __attribute__((aligned(64)));")
        ins_list = ", ".join(f"qnt_emu_in_{i}_{k}" for k in range(len(ins)))
        outs_list = ", ".join(f"qnt_emu_out_{i}_{k}" for k in range(len(outs)))
        body += [
            "  {",
            f"    void *in[] = {{{ins_list}}};",
            f"    void *out[] = {{{outs_list}}};",
            f'    qnt_emu_puts("QNT-EMU run {i}\\n");',
            f"    int rc = qnt_emu_case_{i}(in, out);",
            "    long d = 0;"]
        for k, y in enumerate(outs):
            body.append(f"    d += diff(qnt_emu_out_{i}_{k}, "
                        f"qnt_emu_want_{i}_{k}, {y.nbytes});")
        body += [f'    qnt_emu_puts("QNT-EMU case {i} rc ");',
                 "    qnt_emu_putd(rc);",
                 '    qnt_emu_puts(" differ ");', "    qnt_emu_putd(d);",
                 '    qnt_emu_puts("\\n");', "  }"]
    # The comparison must see a corrupted expectation: the first case's
    # output against itself with one byte flipped.
    y0 = cases[0][4][0]
    body += [
        "  {",
        f"    static unsigned char c[{y0.nbytes}];",
        f"    for (long i = 0; i < {y0.nbytes}; ++i) "
        f"c[i] = qnt_emu_out_0_0[i];",
        f"    c[{y0.nbytes // 2}] ^= 1;",
        '    qnt_emu_puts("QNT-EMU selfcheck differ ");',
        f"    qnt_emu_putd(diff(c, qnt_emu_out_0_0, {y0.nbytes}));",
        '    qnt_emu_puts("\\n");',
        "  }"]
    c += ["void qnt_emu_cases(void) {", *body, "}"]
    (work / "cases.S").write_text("\n".join(asm) + "\n")
    (work / "cases.c").write_text("\n".join(c) + "\n")


def build_image(cases, kset, work):
    built = [compile_case(i, text, kset, work)
             for i, (_, _, text, _, _) in enumerate(cases)]
    objs = [o for o, _ in built]
    fallbacks = [i for i, (_, f) in enumerate(built) if f]
    write_cases_source(cases, work)
    flags = ["-O2", "-ffreestanding", *FREESTANDING]
    clang = llvm_tool("clang")
    rt = []
    for src in (EMU / "boot.S", EMU / "rt.c", work / "cases.c",
                work / "cases.S"):
        o = work / f"{src.stem}-{src.suffix[1:]}.o"
        run([clang, *flags, "-c", src, "-o", o], f"clang {src.name}")
        rt.append(o)
    libgcc = run([clang, "-print-libgcc-file-name"], "clang").stdout.strip()
    elf = work / "qnt.elf"
    run([llvm_tool("ld.lld"), "-static", "-nostdlib", "-T",
         EMU / "link.ld", *rt, *objs, libgcc, "-o", elf], "ld.lld")
    dis = disassemble(elf)
    counts = {
        "vpdpbusd zmm": len(re.findall(r"vpdpbusd\s+%zmm", dis)),
        "vpdpbusd ymm": len(re.findall(r"vpdpbusd\s+%ymm", dis)),
        "vpmaddwd / vpmaddubsw": len(re.findall(r"vpmadd(?:wd|ubsw)\s", dis)),
        "EVEX vpinsrb / vpextrw with memory (Bochs bug)":
            len(BOCHS_BAD.findall(dis)),
        "scatters (no Bochs support)": len(re.findall(r"\tv\w*scatter", dis)),
    }
    binary = work / "qnt.bin"
    run([llvm_tool("llvm-objcopy"), "-O", "binary", elf, binary],
        "llvm-objcopy")
    return binary, counts, fallbacks


def make_iso(binary, work):
    iso_dir = work / "iso"
    (iso_dir / "isolinux").mkdir(parents=True)
    shutil.copy(ISOLINUX, iso_dir / "isolinux")
    for m in ("ldlinux.c32", "libcom32.c32", "mboot.c32"):
        shutil.copy(SYSLINUX_MODULES / m, iso_dir / "isolinux")
    shutil.copy(binary, iso_dir / "qnt.bin")
    (iso_dir / "isolinux" / "isolinux.cfg").write_text(
        "DEFAULT qnt\nPROMPT 0\nTIMEOUT 0\nLABEL qnt\n  KERNEL mboot.c32\n"
        "  APPEND /qnt.bin\n")
    iso = work / "qnt.iso"
    run(["xorriso", "-as", "mkisofs", "-quiet", "-o", iso, "-b",
         "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
         "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
         iso_dir], "xorriso")
    return iso


def run_bochs(iso, work, timeout):
    """The serial output of the image, and the seconds Bochs ran."""
    serial = work / "serial.txt"
    rc = work / "bochsrc"
    rc.write_text(
        f"megs: 1024\n"
        f"cpu: model={BOCHS_CPU}, count=1, ips=50000000, "
        f"reset_on_triple_fault=0\n"
        f"romimage: file={BIOS}\nvgaromimage: file={VGABIOS}\n"
        f"ata0-master: type=cdrom, path={iso}, status=inserted\n"
        f"boot: cdrom\ndisplay_library: term\n"
        f"com1: enabled=1, mode=file, dev={serial}\n"
        f"log: {work / 'bochs.log'}\npanic: action=fatal\n"
        f"error: action=report\ninfo: action=ignore\n"
        f"clock: sync=none, time0=local\n")
    # Debian's bochs is built with its debugger: "c" continues at once.
    (work / "dbg.rc").write_text("c\n")
    # The terminal front end needs a terminal: script(1) gives it one.
    cmd = ["script", "-qc", f"bochs -q -f {rc} -rc {work / 'dbg.rc'}",
           "/dev/null"]
    env = dict(os.environ, TERM="xterm")
    t0 = time.monotonic()
    with open(work / "bochs.out", "wb") as out:
        proc = subprocess.Popen(cmd, cwd=work, env=env,
                                stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        while time.monotonic() - t0 < timeout:
            text = serial.read_text(errors="replace") if serial.exists() else ""
            if "QNT-EMU DONE" in text or "QNT-EMU abort" in text:
                break
            if proc.poll() is not None:
                break
            time.sleep(2)
    finally:
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass
        proc.wait()
    text = serial.read_text(errors="replace") if serial.exists() else ""
    return text, time.monotonic() - t0


def parse(text, n):
    """Per case: (rc, differing bytes) or None when it did not finish."""
    res = [None] * n
    for m in re.finditer(r"QNT-EMU case (\d+) rc (-?\d+) differ (\d+)", text):
        res[int(m.group(1))] = (int(m.group(2)), int(m.group(3)))
    m = re.search(r"QNT-EMU selfcheck differ (\d+)", text)
    return res, (int(m.group(1)) if m else None), "QNT-EMU DONE" in text


# ---------------------------------------------------------------- report
def report(cases, results, notes, started, elapsed):
    bochs = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bochs"],
                           capture_output=True, text=True).stdout.strip()
    lines = [
        "# VNNI kernels under emulation",
        "",
        "Generated by `/usr/bin/python3 scripts/emulate_vnni.py --write` (do "
        "not edit by hand;",
        "the method is in the script's docstring). This machine has no "
        "VNNI: the programs ran",
        f"under Bochs {bochs} (`cpu: model={BOCHS_CPU}`), on bare metal "
        "(scripts/emu/), and",
        "each output was compared byte for byte with `qnt.intref`'s on this "
        "machine.",
        "",
        "| | |", "|---|---|",
        f"| date | {started.isoformat(timespec='seconds')} |",
        f"| source | commit {git_head()} |",
        f"| compiler | {clang_version()} |",
    ]
    for kset, (_, counts, secs, selfcheck, done, _) in results.items():
        pipe_cpu, target, kernels = SETS[kset]
        cnt = ", ".join(f"{k} {v}" for k, v in counts.items())
        lines.append(f"| `{kset}` | {pipe_cpu}'s pipeline (int8 kernels "
                     f"`{kernels}`, "
                     f"{compiler.target_vector_width(pipe_cpu)} lanes), "
                     f"`{' '.join(target + EMU_ONLY)}`;"
                     f" in the image: {cnt}; Bochs ran {secs:.0f} s"
                     f"{'' if done else ', did not finish'}; comparison "
                     f"self-check: a flipped byte counted as "
                     f"{selfcheck} differing |")
    lines += ["", "| program | what | outputs (bytes) | " +
              " | ".join(f"`{k}`" for k in results) + " |",
              "|---|---|---:|" + "---|" * len(results)]
    for i, (name, desc, _, _, outs) in enumerate(cases):
        cells = []
        for kset, (res, *_rest, fallbacks) in results.items():
            r = res[i]
            if r is None:
                cells.append("did not run")
            elif r[0] != 0:
                cells.append(f"entry point returned {r[0]}")
            elif r[1]:
                cells.append(f"**{r[1]} bytes differ**")
            else:
                cells.append("exact")
            if i in fallbacks:
                cells[-1] += f" (`{' '.join(FALLBACK)}`)"
        nbytes = sum(y.nbytes for y in outs)
        lines.append(f"| {name} | {desc} | {nbytes} | " + " | ".join(cells) +
                     " |")
    lines += [""] + [f"{n}" for n in notes] + (
        [""] if notes else []) + [
        f"Total time {elapsed:.0f} s (building the programs, "
        "the images and the Bochs runs).", ""]
    return "\n".join(lines)


def git_head():
    p = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short",
                        "HEAD"], capture_output=True, text=True)
    return p.stdout.strip() or "unknown"


def clang_version():
    p = subprocess.run([str(llvm_tool("clang")), "--version"],
                       capture_output=True, text=True)
    return p.stdout.splitlines()[0] if p.stdout else "unknown"


def main():
    ap = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0:40", metavar="START:COUNT",
                    help="fuzz_int8.py seeds (default 0:40)")
    ap.add_argument("--models", default="fmnist,blazeface",
                    help="fmnist, blazeface, or none (default both)")
    ap.add_argument("--sets", default=",".join(SETS),
                    help=f"kernel sets (default {','.join(SETS)})")
    ap.add_argument("--timeout", type=float, default=1800,
                    help="seconds per Bochs run (default 1800)")
    ap.add_argument("--keep", type=Path, metavar="DIR",
                    help="build in DIR and keep it")
    ap.add_argument("--write", action="store_true",
                    help=f"write {DOC.relative_to(REPO)}")
    args = ap.parse_args()
    try:
        start, count = (int(v) for v in args.seeds.split(":"))
    except ValueError:
        ap.error(f"--seeds {args.seeds}: expected START:COUNT")
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in SETS]
    if unknown or not sets:
        ap.error(f"--sets: unknown {unknown} (known: {', '.join(SETS)})")
    models = {m for m in args.models.split(",") if m and m != "none"}
    if models - {"fmnist", "blazeface"}:
        ap.error(f"--models: unknown {sorted(models - {'fmnist', 'blazeface'})}")
    check_tools()
    started = datetime.datetime.now().astimezone()
    t0 = time.monotonic()
    cases = fuzz_cases(start, count)
    mcases, notes = model_cases(models)
    cases += mcases
    if not cases:
        sys.exit("emulate_vnni.py: no programs to run")
    print(f"{len(cases)} programs", file=sys.stderr)
    base = args.keep or Path(tempfile.mkdtemp(prefix="qnt-emu-"))
    base.mkdir(parents=True, exist_ok=True)
    results, failed = {}, False
    try:
        for kset in sets:
            work = base / kset
            if work.exists():
                shutil.rmtree(work)
            work.mkdir()
            print(f"{kset}: building the image ...", file=sys.stderr)
            binary, counts, fallbacks = build_image(cases, kset, work)
            iso = make_iso(binary, work)
            print(f"{kset}: running it under Bochs ...", file=sys.stderr)
            text, secs = run_bochs(iso, work, args.timeout)
            res, selfcheck, done = parse(text, len(cases))
            results[kset] = (res, counts, secs, selfcheck, done, fallbacks)
            bad = [i for i, r in enumerate(res) if r is None or r != (0, 0)]
            for i in bad:
                print(f"{kset}: {cases[i][0]}: "
                      f"{'did not run' if res[i] is None else res[i]}",
                      file=sys.stderr)
            unsupported = (counts["EVEX vpinsrb / vpextrw with memory (Bochs bug)"] +
                           counts["scatters (no Bochs support)"])
            if unsupported:
                print(f"{kset}: the image has instructions Bochs 2.7 gets "
                      f"wrong or lacks: its results are not evidence",
                      file=sys.stderr)
            for m in re.finditer(r"QNT-EMU exception .*", text):
                print(f"{kset}: {m.group(0)[8:]} (in the case after the "
                      f"last one reported)", file=sys.stderr)
            if (bad or not done or not selfcheck or unsupported or
                    (kset in VNNI_SETS and
                     counts["vpdpbusd zmm"] + counts["vpdpbusd ymm"] == 0)):
                failed = True
    except EmuError as exc:
        sys.exit(f"emulate_vnni.py: {exc}")
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    text = report(cases, results, notes, started, time.monotonic() - t0)
    print(text)
    if args.write:
        DOC.write_text(text)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
