#!/usr/bin/python3
"""Per-op profile of a compiled model: where one inference's time goes.

    /usr/bin/python3 bench/layers.py [--model fmnist|blazeface|FILE.onnx]
                                     [--batch N] [--precision int8|fp32]
                                     [--recipe R] [--compare] [--seconds 4]
                                     [--top 20] [--json F]
    /usr/bin/python3 bench/layers.py --write      # docs/performance-layers.md

Needs ``perf`` (Debian's linux-perf, installed by
scripts/install-bench-deps.sh) and, for BlazeFace, scripts/fetch_blazeface.sh.

Method.  The model is imported with its ONNX node names as locations; for
int8 it is quantized with bench/e2e.py's recipe (w8a8-per-channel, 256
calibration images: Fashion-MNIST's calibration set, the BlazeFace photos).
The program is printed in generic form, one op per line, and its locations
are stripped, so that each op's location becomes its line in that text;
``compile_mlir(debug_lines=True)`` then gives the library a line table that
maps every instruction to the line of the op it was lowered from (the
passes keep the location of the op they rewrite; an int8 kernel's im2col
loop and its fused epilogue, i.e. the requantization it absorbed, count
for its convolution or matmul; elementwise ops fused into one loop keep
their own lines).  A child process loads
the library and runs it once; ``perf record -e cpu-clock`` then attaches
to it while it calls the model in a C loop (bench/fp32.py's harness) for
``--seconds``, so start-up is not sampled.  ``perf report --sort
dso,srcline`` sends each sample to its op.

Columns: ``share`` is the op's fraction of all samples taken during the
loop (every thread of the process, kernel included); ``us`` is share x the
median latency measured in the same loop (so it includes perf's small
sampling overhead); ``MMAC`` counts the multiply-accumulates of
convolutions and matmuls (one per weight per output element); ``GMAC/s``
is MMAC / us.  Samples that are not in an op's line are listed by where
they fell: the library's own code without a line (its C wrapper and
allocation hooks), libc (memset, memcpy), the kernel (page faults), and the
rest (the timing harness, Python).  ``--compare`` profiles fp32, then
int8, and sums per ONNX node the time of its ops in each (int8 adds
requantizations, named after the node they follow): the ratio per node
shows where int8 gains least.  Shares of one profile come from one
run and are firmer than single timings on a noisy machine; small shares
(< 1 %) move by a few tenths between runs.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))
sys.path.insert(0, str(REPO / "bench"))

import numpy as np  # noqa: E402

from e2e import CALIB_SAMPLES, FMNIST, RECIPE, build_int8  # noqa: E402
from fp32 import Harness, QntRunner, machine_info  # noqa: E402
from qnt import compiler, datasets, intref, layer_report, photos  # noqa: E402
from qnt import quantize as qz  # noqa: E402
from qnt.reference import blazeface  # noqa: E402

DOC = REPO / "docs" / "performance-layers.md"
SOURCE = "model.mlir"


class ProfileError(Exception):
    pass


# ------------------------------------------------------------ the program
def located_program(text: str, precision: str, calib, batch: int,
                    name: str, recipe: str = RECIPE) -> str:
    """The program to profile, printed with its locations (int8: bench/
    e2e.py's calibration, its recipe unless `recipe` is given)."""
    if precision == "fp32":
        return text
    return build_int8(text, calib, batch, name, locations=True,
                      recipe=recipe)[0]


def _strip_locs(line: str) -> str:
    """``line`` without its ``loc(...)`` (outside string literals)."""
    out, pos = [], 0
    for m in intref._TOK.finditer(line):
        if m.start() < pos:
            continue
        if m.group() == "(" and line[m.start() - 3:m.start()] == "loc":
            start = m.start() - 3
            while start > pos and line[start - 1] == " ":
                start -= 1
            out.append(line[pos:start])
            pos = intref._close(line, m.start()) + 1
    out.append(line[pos:])
    return "".join(out)


def op_lines(text: str, func: str = "forward"):
    """(compile text, {line: op info}) for ``text``: its generic form with
    the locations stripped (so each op's location is its own line of the
    compile text), and per op line its name, location name (ONNX node),
    result type and multiply-accumulate count."""
    lines = intref._normalize(text, func).split("\n")
    aliases = intref.alias_table(lines)
    ops, out = {}, []
    for n, line in enumerate(lines, start=1):
        if re.match(r"#loc\d*\s*=", line):
            out.append("")  # alias definitions: no longer used
            continue
        lp = intref._trailing_loc(line)
        loc = None
        if lp is not None:
            loc = line[lp + 1:len(line.rstrip()) - 1]
            line = line[:lp - 3].rstrip()
        # The other locations: region ends, block arguments.
        line = _strip_locs(line)
        out.append(line)
        m = re.match(r'\s*(?:%[^=]*=\s*)?"([\w.]+)"', line)
        if not m or m.group(1) in ("func.func", "func.return",
                                   "tosa.const", "tosa.const_shape",
                                   "builtin.module"):
            continue
        info = {"op": m.group(1), "node": None, "result": "", "macs": 0}
        if loc is not None:
            info["node"] = layer_report.location_name(loc, aliases)
        try:
            parsed = intref._parse_op(line, n)
        except intref.IntrefError:
            parsed = None
        if parsed is not None and parsed.out_types:
            t = parsed.out_types[0]
            info["result"] = str(t)
            info["macs"] = _macs(parsed)
        ops[n] = info
    return "\n".join(out), ops


def _macs(op) -> int:
    """Multiply-accumulates of a convolution or matmul (0 otherwise)."""
    try:
        out = op.out_types[0].shape
        w = op.in_types[1].shape
    except (AttributeError, IndexError):
        return 0
    elems = int(np.prod(out, dtype=np.int64))
    if op.name == "tosa.conv2d":        # weights [F, KH, KW, C]
        return elems * int(w[1] * w[2] * w[3])
    if op.name == "tosa.depthwise_conv2d":  # weights [KH, KW, C, M]
        return elems * int(w[0] * w[1])
    if op.name == "tosa.matmul":        # [B, M, K] x [B, K, N]
        return elems * int(op.in_types[0].shape[-1])
    return 0


# ------------------------------------------------------------- profiling
def _child(so: Path, data: Path, seconds: float, work: Path):
    """Runs in the profiled process: load, run once, wait for the parent's
    go (perf attached), then call the model for `seconds`."""
    harness = Harness(work)
    runner = QntRunner(harness, so, [np.load(data)])
    runner.times_ms(1, 1)
    t = float(np.median(runner.times_ms(0, 3)))
    iters = max(1, int(0.2 / max(t / 1e3, 1e-6)))
    print("ready", flush=True)
    sys.stdin.readline()
    times = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        times.extend(runner.times_ms(0, iters).tolist())
    print(json.dumps({"median_ms": float(np.median(times)),
                      "calls": len(times)}), flush=True)


def perf_available() -> str | None:
    """None if perf can sample this user's processes, else why not."""
    if not shutil.which("perf"):
        return ("perf is not installed: run scripts/install-bench-deps.sh "
                "(Debian package linux-perf)")
    p = subprocess.run(["perf", "record", "-e", "cpu-clock", "-o",
                        "/dev/null", "--", "true"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        return f"perf record fails here:\n{p.stderr.strip()}"
    return None


def profile(so: Path, data, seconds: float, work: Path):
    """(median ms, {(dso, srcline): samples}, total samples)."""
    inp = work / "input.npy"
    np.save(inp, np.ascontiguousarray(data))
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", str(so), str(inp),
         str(seconds), str(work)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        if child.stdout.readline().strip() != "ready":
            raise ProfileError("the profiled process failed to start")
        pdata = work / "perf.data"
        perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock",
                                 "-o", str(pdata), "-p", str(child.pid)],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)  # perf attaches
        child.stdin.write("go\n")
        child.stdin.flush()
        line = child.stdout.readline()
        if not line:
            raise ProfileError("the profiled process failed")
        result = json.loads(line)
        child.wait(timeout=60)
        _, err = perf.communicate(timeout=120)
        if perf.returncode not in (0, None) or not pdata.exists():
            raise ProfileError(f"perf record failed: {err.strip()}")
    finally:
        if child.poll() is None:
            child.kill()
    rep = subprocess.run(["perf", "report", "-i", str(pdata), "-n",
                          "--sort", "dso,srcline", "--stdio"],
                         capture_output=True, text=True)
    if rep.returncode != 0:
        raise ProfileError(f"perf report failed: {rep.stderr.strip()}")
    counts = parse_report(rep.stdout)
    return result["median_ms"], counts


_ROW = re.compile(r"^\s*[\d.]+%\s+(\d+)\s+(\S+)\s+(.*?)\s*$")


def parse_report(text: str) -> dict:
    """{(dso, srcline): samples} of ``perf report -n --sort dso,srcline``."""
    counts = collections.Counter()
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = _ROW.match(line)
        if m:
            counts[(m.group(2), m.group(3))] += int(m.group(1))
    return dict(counts)


def attribute(counts: dict, library: str, ops: dict):
    """Per op line: samples; plus the samples outside the ops by where they
    fell.  Returns (rows, other, total)."""
    total = sum(counts.values())
    per_line = collections.Counter()
    other = collections.Counter()
    for (dso, src), c in counts.items():
        m = re.fullmatch(re.escape(SOURCE) + r":(\d+)", src)
        if dso == library and m and int(m.group(1)) in ops:
            per_line[int(m.group(1))] += c
        elif dso == library:
            other["the library's code without an op line"] += c
        elif dso.startswith("libc") or dso.startswith("libm"):
            other["libc / libm"] += c
        elif dso.startswith("[kernel"):
            other["kernel"] += c
        else:
            other["other (harness, Python, loader)"] += c
    return per_line, other, total


# ---------------------------------------------------------------- tables
def profile_rows(per_line, ops, total, median_ms):
    rows = []
    for line, c in per_line.most_common():
        info = ops[line]
        share = c / total
        us = share * median_ms * 1e3
        rows.append({"line": line, **info, "samples": c, "share": share,
                     "us": us,
                     "gmacs": info["macs"] / us / 1e3 if info["macs"] else None})
    return rows


def format_profile(p, top: int) -> str:
    rows, other, total = p["rows"], p["other"], p["total"]
    out = [f"{p['title']}: median {p['median_ms']:.3f} ms per inference, "
           f"{total} samples",
           "",
           "| # | op | ONNX node | result | share | us | MMAC | GMAC/s |",
           "|---:|---|---|---|---:|---:|---:|---:|"]
    for i, r in enumerate(rows[:top], 1):
        node = (r["node"] or "").replace("|", "\\|")
        macs = f"{r['macs'] / 1e6:.3g}" if r["macs"] else ""
        gmacs = f"{r['gmacs']:.1f}" if r["gmacs"] else ""
        out.append(f"| {i} | {r['op']} | {node} | {r['result']} | "
                   f"{100 * r['share']:.1f}% | {r['us']:.1f} | {macs} | "
                   f"{gmacs} |")
    rest = rows[top:]
    if rest:
        s = sum(r["share"] for r in rest)
        out.append(f"| | {len(rest)} more ops | | | {100 * s:.1f}% | "
                   f"{s * p['median_ms'] * 1e3:.1f} | | |")
    for k, c in sorted(other.items(), key=lambda kv: -kv[1]):
        out.append(f"| | {k} | | | {100 * c / total:.1f}% | "
                   f"{c / total * p['median_ms'] * 1e3:.1f} | | |")
    out += ["", "By op kind:", "",
            "| op | ops | share | us | MMAC | GMAC/s |",
            "|---|---:|---:|---:|---:|---:|"]
    kinds = collections.defaultdict(lambda: [0, 0.0, 0])
    for r in rows:
        k = kinds[r["op"]]
        k[0] += 1
        k[1] += r["share"]
        k[2] += r["macs"]
    for op, (n, s, macs) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        us = s * p["median_ms"] * 1e3
        out.append(f"| {op} | {n} | {100 * s:.1f}% | {us:.1f} | "
                   f"{format(macs / 1e6, '.3g') if macs else ''} | "
                   f"{format(macs / us / 1e3, '.1f') if macs else ''} |")
    return "\n".join(out)


# ------------------------------------------------------------------ main
def model_config(model: str, batch):
    """(label, path, batch, calibration images, input) of --model."""
    if model == "fmnist":
        x, _ = datasets.evaluation_set()
        xc, _ = datasets.calibration_set(CALIB_SAMPLES)
        b = batch or 1
        return "fmnist_mobilenet", FMNIST, b, xc, x[:b]
    if model == "blazeface":
        path = blazeface.model_path()
        if not path.exists():
            raise ProfileError(f"{path} is missing: run "
                               "scripts/fetch_blazeface.sh")
        if batch not in (None, 1):
            raise ProfileError("BlazeFace's graph fixes batch 1")
        bx, _ = photos.blazeface_inputs()
        return "BlazeFace front 128", path, 1, bx, bx[:1]
    raise ProfileError(f"unknown model '{model}' (fmnist or blazeface)")


def run_profile(model: str, precision: str, batch, seconds: float,
                work: Path, recipe: str = RECIPE) -> dict:
    label, path, b, calib, data = model_config(model, batch)
    text, _ = compiler.load_source(path, batch=b if path == FMNIST else None)
    print(f"building {label} batch {b} {precision} ...", file=sys.stderr)
    prog = located_program(text, precision, calib, b, label, recipe)
    src, ops = op_lines(prog)
    so = work / f"{model}-{precision}-{b}.so"
    compiler.compile_mlir(src, so, sigs=compiler.parse_signatures(prog),
                          debug_lines=True)
    print(f"profiling {label} batch {b} {precision} for {seconds} s ...",
          file=sys.stderr)
    median_ms, counts = profile(so, data, seconds, work)
    per_line, other, total = attribute(counts, so.name, ops)
    if not per_line:
        raise ProfileError("no sample fell on an op's line: the library "
                           "has no usable line table")
    kind = precision if precision == "fp32" or recipe == RECIPE else \
        f"{precision} ({recipe})"
    return {"title": f"{label}, batch {b}, qnt {kind}, 1 thread",
            "model": label, "batch": b, "precision": precision,
            "median_ms": median_ms, "total": total,
            "rows": profile_rows(per_line, ops, total, median_ms),
            "other": dict(collections.Counter(other).most_common())}


DOC_CONFIGS = [("blazeface", "int8", None), ("blazeface", "fp32", None),
               ("fmnist", "int8", 1), ("fmnist", "fp32", 1),
               ("fmnist", "int8", 64)]


def _short(op: str) -> str:
    return op.split(".", 1)[-1]


def compare_nodes(fp32: dict, int8: dict) -> list:
    """Per ONNX node: the time of its ops in each profile (int8 adds
    requantizations named after the node they follow). Rows sorted by the
    fp32 time; ops without a name are grouped by kind."""
    nodes = collections.defaultdict(
        lambda: {"fp32_us": 0.0, "int8_us": 0.0, "fp32_ops": set(),
                 "int8_ops": set()})
    for tag, prof in (("fp32", fp32), ("int8", int8)):
        for r in prof["rows"]:
            key = r["node"] or f"(unnamed {_short(r['op'])})"
            nodes[key][f"{tag}_us"] += r["us"]
            nodes[key][f"{tag}_ops"].add(_short(r["op"]))
    rows = [{"node": k, **v} for k, v in nodes.items()]
    rows.sort(key=lambda r: -r["fp32_us"])
    return rows


def format_comparison(fp32: dict, int8: dict, top: int) -> str:
    rows = compare_nodes(fp32, int8)
    out = [f"{int8['model']}, batch {int8['batch']}: qnt fp32 "
           f"{fp32['median_ms']:.3f} ms, qnt int8 {int8['median_ms']:.3f} ms "
           f"({fp32['median_ms'] / int8['median_ms']:.2f}x) in these loops",
           "",
           "| ONNX node | fp32 ops | fp32 us | int8 ops | int8 us | "
           "fp32 / int8 |",
           "|---|---|---:|---|---:|---:|"]

    def ratio(a, b):
        # Below half a microsecond a few samples decide: no ratio.
        return f"{a / b:.2f}x" if a >= 0.5 and b >= 0.5 else ""

    for r in rows[:top]:
        node = r["node"].replace("|", "\\|")
        out.append(f"| {node} | {', '.join(sorted(r['fp32_ops']))} | "
                   f"{r['fp32_us']:.1f} | {', '.join(sorted(r['int8_ops']))} | "
                   f"{r['int8_us']:.1f} | {ratio(r['fp32_us'], r['int8_us'])} |")
    rest = rows[top:]
    if rest:
        a = sum(r["fp32_us"] for r in rest)
        b = sum(r["int8_us"] for r in rest)
        out.append(f"| {len(rest)} more nodes | | {a:.1f} | | {b:.1f} | "
                   f"{ratio(a, b)} |")
    oa = sum(fp32["other"].values()) / fp32["total"] * fp32["median_ms"] * 1e3
    ob = sum(int8["other"].values()) / int8["total"] * int8["median_ms"] * 1e3
    out.append(f"| outside the ops | | {oa:.1f} | | {ob:.1f} | "
               f"{ratio(oa, ob)} |")
    # By role: the nodes holding a (depthwise) convolution, the rest.
    roles = collections.defaultdict(lambda: [0.0, 0.0])
    for r in rows:
        ops = r["fp32_ops"] | r["int8_ops"]
        role = ("depthwise convolutions" if "depthwise_conv2d" in ops else
                "convolutions and matmuls" if ops & {"conv2d", "matmul"}
                else "other nodes")
        roles[role][0] += r["fp32_us"]
        roles[role][1] += r["int8_us"]
    out += ["", "| nodes | fp32 us | int8 us | fp32 / int8 | share of int8 |",
            "|---|---:|---:|---:|---:|"]
    total8 = int8["median_ms"] * 1e3
    for role in ("convolutions and matmuls", "depthwise convolutions",
                 "other nodes"):
        a, b = roles[role]
        out.append(f"| {role} | {a:.1f} | {b:.1f} | {ratio(a, b)} | "
                   f"{100 * b / total8:.1f}% |")
    return "\n".join(out)


def format_doc(profiles, info, top) -> str:
    head = f"""# Performance: per-op profiles

Generated by `/usr/bin/python3 bench/layers.py --write` (do not edit by
hand; the method is in the script's docstring). One thread; `perf record -e
cpu-clock` attached to a loop of inferences.

| | |
|---|---|
| CPU | {info['cpu']}, {info['cpus']} cores, ISA {', '.join(info['isa'])} |
| source | commit {info['commit']}{'; tracked files changed since: ' + ', '.join(info['changed_files']) if info['changed_files'] else ''} |
| compiler | {info['clang']} |

`share`: the op's fraction of the samples; `us`: share x the median
latency of the same loop; `MMAC`: multiply-accumulates of convolutions and
matmuls; `GMAC/s`: MMAC / us. An op's line counts every instruction lowered
from it: an int8 convolution's im2col, kernel and epilogue loops (the
requantization fused into the kernel counts for the convolution; a
requantization that is not fused has a row of its own). End-to-end latencies
side by side with onnxruntime: [performance-e2e.md](performance-e2e.md).
"""
    parts = [head]
    pairs = _pairs(profiles)
    if pairs:
        parts.append("""## int8 against fp32, per ONNX node

Each node's ops in the two profiles below (int8: its convolution with the
requantization fused into the kernel, and the separate requantizations
named after it, e.g. a residual add's). The two loops ran one after the
other, so their ratio moves with this VM's noise like any single timing
(bench/e2e.py interleaves rounds); the per-node ratios show where int8
gains least.
""")
        for fp, i8 in pairs:
            parts.append(f"### {i8['model']}, batch {i8['batch']}\n\n"
                         f"{format_comparison(fp, i8, top)}\n")
    for p in profiles:
        parts.append(f"## {p['title']}\n\n{format_profile(p, top)}\n")
    return "\n".join(parts)


def _pairs(profiles):
    """(fp32, int8) profiles of the same model and batch."""
    out = []
    for i8 in profiles:
        if i8["precision"] != "int8":
            continue
        for fp in profiles:
            if (fp["precision"] == "fp32" and fp["model"] == i8["model"]
                    and fp["batch"] == i8["batch"]):
                out.append((fp, i8))
    return out


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="fmnist",
                    help="fmnist (the bundled model) or blazeface")
    ap.add_argument("--batch", type=int, help="fmnist only (default 1)")
    ap.add_argument("--precision", choices=("int8", "fp32"), default="int8")
    ap.add_argument("--recipe", default=RECIPE,
                    help=f"int8 recipe (default {RECIPE}, bench/e2e.py's)")
    ap.add_argument("--seconds", type=float, default=4.0,
                    help="length of the sampled loop (default 4)")
    ap.add_argument("--top", type=int, default=20,
                    help="ops listed one by one (default 20)")
    ap.add_argument("--write", action="store_true",
                    help=f"profile {len(DOC_CONFIGS)} configurations and "
                    f"write {DOC.relative_to(REPO)}")
    ap.add_argument("--compare", action="store_true",
                    help="profile both int8 and fp32 and compare them per "
                    "ONNX node (--precision is ignored)")
    ap.add_argument("--json", type=Path, help="also write raw results")
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        so, data, seconds, work = args.child
        _child(Path(so), Path(data), float(seconds), Path(work))
        return 0
    if args.seconds <= 0 or args.top < 1 or (args.batch is not None
                                              and args.batch < 1):
        ap.error("--seconds must be > 0, --top and --batch >= 1")
    why = perf_available()
    if why:
        print(f"layers.py: {why}", file=sys.stderr)
        return 1
    if args.write:
        configs = DOC_CONFIGS
    elif args.compare:
        configs = [(args.model, "fp32", args.batch),
                   (args.model, "int8", args.batch)]
    else:
        configs = [(args.model, args.precision, args.batch)]
    work = Path(tempfile.mkdtemp(prefix="qnt-layers-"))
    try:
        profiles = [run_profile(m, p, b, args.seconds, work,
                                recipe=RECIPE if args.write else args.recipe)
                    for m, p, b in configs]
    except (ProfileError, compiler.CompileError, qz.QuantizeError,
            intref.IntrefError) as exc:
        print(f"layers.py: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for p in profiles:
        print(f"\n{format_profile(p, args.top)}")
    for fp, i8 in _pairs(profiles):
        print(f"\n{format_comparison(fp, i8, args.top)}")
    if args.json:
        args.json.write_text(json.dumps(profiles, indent=1))
    if args.write:
        info = machine_info()
        DOC.write_text(format_doc(profiles, info, min(args.top, 15)))
        print(f"wrote {DOC.relative_to(REPO)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
