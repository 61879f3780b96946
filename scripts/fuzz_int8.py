#!/usr/bin/python3
"""Differential fuzzing of the int8 kernels against the numpy reference.

    /usr/bin/python3 scripts/fuzz_int8.py [--seeds START:COUNT]
        [--pipelines host,none,avxvnni-plain,avx512vnni-plain]
        [--failures DIR]

Each seed makes one random integer program: a convolution (any kernel size
from 1 to 5, stride 1 to 3, dilation 1 or 2, TOSA's pad attribute or an
explicit ``tosa.pad`` with a random zero point), a 1x1 convolution, a
depthwise convolution (channel multiplier 1 or 2) or a matmul with a bias
add, each followed by a per-channel ``qnt.requantize`` (random multipliers,
shifts, output zero point, ReLU-like clamps, any of the three roundings);
or a MobileNet block (1x1, depthwise 3x3 through the first one's
zero-point padding, stride 1 or 2, 1x1; each requantized, the kernels
back to back).
Weights come in five kinds: 8-bit uniform, 7-bit, "pairable" (mostly
7-bit with some extremes: pairs that vpmaddubsw can and cannot take, the
reorderings' cases), extreme values only, and sparse. Shapes: 1 to 25
pixels a side, 1 to 64 channels (odd counts, non-multiples of 8), batch 1
or 2. The inputs are random codes (sometimes all -128 or all 127).

Every program is compiled with each pipeline and run on this machine; its
outputs must equal ``qnt.intref``'s bit for bit. Pipelines: ``host`` (the
host's int8 kernels, the default compile), ``none`` (the portable tiling),
``avxvnni-plain`` / ``avx512vnni-plain`` (the VNNI kernels with their dot
products left in plain vector form, ``x86-intrinsics=false``: they run on
any x86 CPU). A mismatch or a compile error is printed with the seed and
the program's parameters, and the program is written to ``DIR`` (default
``fuzz-failures/``); the exit status is 1 if there was any. A seed
reproduces its program exactly. python/tests/test_int8_fuzz.py runs a
few seeds in the test suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "python"))

from qnt import compiler, intref, runtime  # noqa: E402

WEIGHT_KINDS = ("w8", "w7", "pairable", "extreme", "sparse")


def pipelines(names):
    """Name -> pass pipeline."""
    table = {
        "host": lambda: compiler.float_pipeline(
            int8_kernels=compiler.host_int8_kernels()),
        "none": lambda: compiler.float_pipeline(int8_kernels="none"),
        "avxvnni-plain": lambda: (
            "builtin.module(qnt-float-to-llvm{vector-width=8 "
            "int8-kernels=avxvnni x86-intrinsics=false})"),
        "avx512vnni-plain": lambda: (
            "builtin.module(qnt-float-to-llvm{vector-width=16 "
            "int8-kernels=avx512vnni x86-intrinsics=false})"),
    }
    unknown = [n for n in names if n not in table]
    if unknown:
        raise SystemExit(f"fuzz_int8.py: unknown pipelines {unknown} "
                         f"(known: {', '.join(table)})")
    return {n: table[n]() for n in names}


def _const(name, arr, t):
    return _dense(name, f'"0x{arr.tobytes().hex().upper()}"', t)


def _dense(name, values, t):
    """A tosa.const of a literal: a number, a (nested) list, a hex string."""
    return (f'%{name} = "tosa.const"() <{{values = dense<{values}> : {t}}}> '
            f': () -> {t}')


ZERO = _dense("z", 0, "tensor<1xi8>")


def _attrs(dil, pads, stride):
    """A convolution's attributes (pads: top, bottom, left, right)."""
    return (f"{{acc_type = i32, dilation = array<i64: {dil}, {dil}>, pad = "
            f"array<i64: {', '.join(map(str, pads))}>, "
            f"stride = array<i64: {stride}, {stride}>}}")


def _pad(src, t_src, pads, t_pad):
    """%p: `src` padded by %pv (pads: top, bottom, left, right)."""
    return (f"%shape = tosa.const_shape {{values = dense<[0, 0, {pads[0]}, "
            f"{pads[1]}, {pads[2]}, {pads[3]}, 0, 0]> : tensor<8xindex>}} : "
            f"() -> !tosa.shape<8>\n"
            f"%p = tosa.pad %{src}, %shape, %pv : ({t_src}, !tosa.shape<8>, "
            f"tensor<1xi8>) -> {t_pad}")


def _conv(result, op, src, w, b, attrs, t_src, t_w, t_b, t_acc):
    """A tosa.conv2d / depthwise_conv2d with zero points %z."""
    return (f"%{result} = {op} %{src}, %{w}, %{b}, %z, %z {attrs} : "
            f"({t_src}, {t_w}, {t_b}, tensor<1xi8>, tensor<1xi8>) -> {t_acc}")


def _weights(rng, shape, kind):
    if kind == "w8":
        return rng.integers(-128, 128, shape, dtype=np.int8)
    if kind == "w7":
        return rng.integers(-64, 64, shape, dtype=np.int8)
    if kind == "pairable":
        w = rng.integers(-64, 64, shape).astype(np.int64)
        big = rng.random(shape) < 0.15
        w[big] = rng.choice([-128, -100, 90, 127], size=int(big.sum()))
        return w.astype(np.int8)
    if kind == "extreme":
        return rng.choice(np.array([-128, 127, -1, 0, 1, 64, -64, -65],
                                   np.int8), size=shape)
    w = rng.integers(-128, 128, shape).astype(np.int8)   # sparse
    w[rng.random(shape) < 0.7] = 0
    return w


def _requantize(rng, t_acc, t_out, channels, axis, src="acc", dst="y",
                ozp=None, shift_lo=None):
    mults = [int(v) for v in rng.integers(1 << 30, (1 << 31) - 1, channels,
                                          endpoint=True)]
    mode = str(rng.choice(["tflite", "single_round", "double_round"]))
    low = shift_lo if shift_lo is not None else -2 if mode == "tflite" else 0
    shifts = [int(v) for v in rng.integers(low, max(low + 1, 14), channels)]
    ozp = int(rng.integers(-20, 21)) if ozp is None else ozp
    lo, hi = (ozp, 127) if rng.random() < 0.3 else (-128, 127)
    return (f"%{dst} = qnt.requantize %{src} axis {axis} multiplier {mults} "
            f"shift {shifts} output_zp {ozp} clamp [{lo}, {hi}] rounding "
            f"{mode} : {t_acc} -> {t_out}")


def _chain(rng, wkind):
    """A MobileNet block: 1x1 convolution, depthwise 3x3 (stride 1 or 2)
    reading the first one's codes through a zero-point tosa.pad, 1x1
    convolution; each requantized, the kernels back to back (one kernel's
    fused epilogue is the next one's input)."""
    n = int(rng.choice([1, 1, 2]))
    h, w = int(rng.integers(3, 20)), int(rng.integers(3, 20))
    c0, c1, c2 = (int(rng.choice([3, 8, 16, 24, 17])),
                  int(rng.choice([8, 16, 24, 32, 40, 12])),
                  int(rng.integers(1, 40)))
    stride = int(rng.choice([1, 2]))
    zp1 = int(rng.integers(-128, 20))
    oh, ow = (h - 1) // stride + 1, (w - 1) // stride + 1
    # TF "same" padding: stride 2 pads only the bottom and right.
    pt, pb, pl, pr = (1, 1, 1, 1) if stride == 1 else (
        0, max(0, (oh - 1) * 2 + 3 - h), 0, max(0, (ow - 1) * 2 + 3 - w))
    t_x = f"tensor<{n}x{h}x{w}x{c0}xi8>"
    t_a1, t_y1 = f"tensor<{n}x{h}x{w}x{c1}xi32>", f"tensor<{n}x{h}x{w}x{c1}xi8>"
    t_p = f"tensor<{n}x{h + pt + pb}x{w + pl + pr}x{c1}xi8>"
    t_a2, t_y2 = (f"tensor<{n}x{oh}x{ow}x{c1}xi32>",
                  f"tensor<{n}x{oh}x{ow}x{c1}xi8>")
    t_a3, t_y3 = (f"tensor<{n}x{oh}x{ow}x{c2}xi32>",
                  f"tensor<{n}x{oh}x{ow}x{c2}xi8>")
    w1 = _weights(rng, (c1, 1, 1, c0), wkind)
    w2 = _weights(rng, (3, 3, c1, 1), wkind)
    w3 = _weights(rng, (c2, 1, 1, c1), wkind)
    b1, b2, b3 = (rng.integers(-(1 << 16), 1 << 16, k) for k in (c1, c1, c2))
    t_w1, t_w2, t_w3 = (f"tensor<{c1}x1x1x{c0}xi8>", f"tensor<3x3x{c1}x1xi8>",
                        f"tensor<{c2}x1x1x{c1}xi8>")
    t_b1, t_b3 = f"tensor<{c1}xi32>", f"tensor<{c2}xi32>"
    no_pad = [0, 0, 0, 0]
    lines = [
        f"func.func @forward(%x: {t_x}) -> {t_y3} {{", ZERO,
        _const("w1", w1, t_w1), _const("w2", w2, t_w2), _const("w3", w3, t_w3),
        _dense("b1", b1.tolist(), t_b1), _dense("b2", b2.tolist(), t_b1),
        _dense("b3", b3.tolist(), t_b3),
        _conv("a1", "tosa.conv2d", "x", "w1", "b1", _attrs(1, no_pad, 1),
              t_x, t_w1, t_b1, t_a1),
        _requantize(rng, t_a1, t_y1, c1, 3, "a1", "y1", ozp=zp1, shift_lo=6),
        _dense("pv", zp1, "tensor<1xi8>"),
        _pad("y1", t_y1, (pt, pb, pl, pr), t_p),
        _conv("a2", "tosa.depthwise_conv2d", "p", "w2", "b2",
              _attrs(1, no_pad, stride), t_p, t_w2, t_b1, t_a2),
        _requantize(rng, t_a2, t_y2, c1, 3, "a2", "y2", shift_lo=6),
        _conv("a3", "tosa.conv2d", "y2", "w3", "b3", _attrs(1, no_pad, 1),
              t_y2, t_w3, t_b3, t_a3),
        _requantize(rng, t_a3, t_y3, c2, 3, "a3", "y", shift_lo=6),
        f"return %y : {t_y3}", "}"]
    return "\n".join(lines), (n, h, w, c0), dict(
        kind="chain", n=n, h=h, w=w, channels=(c0, c1, c2), stride=stride,
        pad_value=zp1, weights=wkind)


def _out_dim(size, k, stride, dil, before, after):
    span = size - 1 + before + after - dil * (k - 1)
    return None if span < 0 or span % stride else span // stride + 1


def random_program(seed: int):
    """(MLIR text of @forward, input shape, description) for one seed, or
    None when the seed's shape draw found no valid output size."""
    rng = np.random.default_rng(seed)
    kind = str(rng.choice(["conv", "conv", "depthwise", "depthwise",
                           "matmul", "conv1x1", "chain"]))
    wkind = str(rng.choice(WEIGHT_KINDS))
    if kind == "chain":
        return _chain(rng, wkind)
    if kind == "matmul":
        m, k, n = (int(rng.integers(1, 70)), int(rng.integers(1, 300)),
                   int(rng.integers(1, 70)))
        w = _weights(rng, (1, k, n), wkind)
        bias = rng.integers(-(1 << 20), 1 << 20, n)
        t_in, t_w = f"tensor<1x{m}x{k}xi8>", f"tensor<1x{k}x{n}xi8>"
        t_acc, t_out = f"tensor<1x{m}x{n}xi32>", f"tensor<1x{m}x{n}xi8>"
        t_b = f"tensor<1x1x{n}xi32>"
        text = "\n".join([
            f"func.func @forward(%x: {t_in}) -> {t_out} {{",
            _const("w", w, t_w), ZERO,
            _dense("b", bias.reshape(1, 1, n).tolist(), t_b),
            f"%mm = tosa.matmul %x, %w, %z, %z : ({t_in}, {t_w}, "
            f"tensor<1xi8>, tensor<1xi8>) -> {t_acc}",
            f"%acc = tosa.add %mm, %b : ({t_acc}, {t_b}) -> {t_acc}",
            _requantize(rng, t_acc, t_out, n, 2),
            f"return %y : {t_out}", "}"])
        return text, (1, m, k), dict(kind=kind, m=m, k=k, n=n, weights=wkind)
    for _ in range(200):
        if kind == "conv1x1":
            kh = kw = stride = dil = 1
        else:
            kh, kw = (int(rng.choice([1, 2, 3, 3, 5])),
                      int(rng.choice([1, 2, 3, 3, 5])))
            stride = int(rng.choice([1, 1, 2, 3]))
            dil = int(rng.choice([1, 1, 1, 2]))
        h, w = int(rng.integers(1, 26)), int(rng.integers(1, 26))
        explicit = kind != "conv1x1" and rng.random() < 0.5
        pads = ([0, 0, 0, 0] if kind == "conv1x1" or rng.random() < 0.3
                else [int(v) for v in rng.integers(0, 3, 4)])
        oh = _out_dim(h, kh, stride, dil, pads[0], pads[1])
        ow = _out_dim(w, kw, stride, dil, pads[2], pads[3])
        if oh and ow:
            break
    else:
        return None
    c = int(rng.choice([1, 3, 5, 8, 12, 16, 17, 24, 32, 40, 64]))
    n = int(rng.choice([1, 1, 2]))
    pv = int(rng.integers(-128, 128)) if explicit else 0
    t_in = f"tensor<{n}x{h}x{w}x{c}xi8>"
    lines = [ZERO]
    src, t_src = "x", t_in
    if explicit:
        t_pad = f"tensor<{n}x{h + pads[0] + pads[1]}x{w + pads[2] + pads[3]}x{c}xi8>"
        lines += [_dense("pv", pv, "tensor<1xi8>"),
                  _pad("x", t_in, pads, t_pad)]
        src, t_src = "p", t_pad
    attrs = _attrs(dil, [0, 0, 0, 0] if explicit else pads, stride)
    if kind in ("conv", "conv1x1"):
        f = int(rng.integers(1, 50))
        wt = _weights(rng, (f, kh, kw, c), wkind)
        t_w, co, op = f"tensor<{f}x{kh}x{kw}x{c}xi8>", f, "tosa.conv2d"
        multiplier = None
    else:
        multiplier = 1 if rng.random() < 0.85 else 2
        wt = _weights(rng, (kh, kw, c, multiplier), wkind)
        t_w, co = f"tensor<{kh}x{kw}x{c}x{multiplier}xi8>", c * multiplier
        op = "tosa.depthwise_conv2d"
    bias = rng.integers(-(1 << 20), 1 << 20, co)
    t_b = f"tensor<{co}xi32>"
    t_acc, t_out = (f"tensor<{n}x{oh}x{ow}x{co}xi32>",
                    f"tensor<{n}x{oh}x{ow}x{co}xi8>")
    lines += [
        _const("w", wt, t_w), _dense("b", bias.tolist(), t_b),
        _conv("acc", op, src, "w", "b", attrs, t_src, t_w, t_b, t_acc),
        _requantize(rng, t_acc, t_out, co, 3)]
    text = "\n".join([f"func.func @forward(%x: {t_in}) -> {t_out} {{",
                      *lines, f"return %y : {t_out}", "}"])
    return text, (n, h, w, c), dict(
        kind=kind, n=n, h=h, w=w, c=c, k=(kh, kw), stride=stride,
        dilation=dil, pads=pads, explicit_pad=explicit, pad_value=pv,
        multiplier=multiplier, weights=wkind)


def random_input(seed: int, shape):
    rng = np.random.default_rng(seed + 10**6)
    x = rng.integers(-128, 128, shape, dtype=np.int8)
    if rng.random() < 0.2:
        x[...] = rng.choice([-128, 127])
    return x


def check(seed: int, pipes: dict, work: Path):
    """The seed's problems: a list of (pipeline, message); None when the
    seed makes no program or intref cannot run it (reported, not a
    failure of the kernels)."""
    made = random_program(seed)
    if made is None:
        return None, None
    text, shape, info = made
    x = random_input(seed, shape)
    want = intref.load(text).run(x)[0].astype(np.int64)
    problems = []
    for name, pipe in pipes.items():
        so = work / f"s{seed}_{name}.so"
        try:
            compiler.compile_mlir(text, so, pipeline=pipe)
            got = runtime.CompiledModel(so)["forward"](x)[0]
            bad = int((np.asarray(got).astype(np.int64) != want).sum())
            if bad:
                problems.append((name, f"{bad} of {want.size} outputs differ"))
        except (compiler.CompileError, runtime.RuntimeError_) as exc:
            problems.append((name, f"error: {str(exc)[:300]}"))
        finally:
            so.unlink(missing_ok=True)
    return problems, (text, info)


def main():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0:200", metavar="START:COUNT")
    ap.add_argument("--pipelines", default="host,none")
    ap.add_argument("--failures", default="fuzz-failures", metavar="DIR")
    args = ap.parse_args()
    try:
        start, count = (int(v) for v in args.seeds.split(":"))
    except ValueError:
        raise SystemExit(f"fuzz_int8.py: --seeds {args.seeds}: expected "
                         f"START:COUNT") from None
    pipes = pipelines(args.pipelines.split(","))
    work = Path(tempfile.mkdtemp(prefix="qnt-fuzz-"))
    failed = programs = 0
    for seed in range(start, start + count):
        try:
            problems, made = check(seed, pipes, work)
        except intref.IntrefError as exc:
            print(f"seed {seed}: intref cannot run it: {exc}", flush=True)
            continue
        if problems is None:
            continue
        programs += 1
        text, info = made
        for name, msg in problems:
            print(f"seed {seed} [{name}]: {msg}; {info}", flush=True)
        if problems:
            failed += 1
            out = Path(args.failures)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"seed{seed}.mlir").write_text(text + "\n")
    print(f"{programs} programs, {len(pipes)} pipelines "
          f"({', '.join(pipes)}): {failed} failed")
    work.rmdir()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
