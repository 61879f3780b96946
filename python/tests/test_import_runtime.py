"""Compile driver and runtime: .mlir inputs, the C entry points, batching,
the CLI, memory behaviour across calls."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
FMNIST = REPO / "models" / "fmnist_mobilenet.onnx"

from qnt import compiler  # noqa: E402
from qnt.runtime import CompiledModel, RuntimeError_  # noqa: E402

RNG = np.random.RandomState(3)

TOSA = """
func.func @forward(%x: tensor<2x4xf32> {qnt.name = "x"},
                   %w: tensor<1x4x3xf32> {qnt.name = "w"})
    -> (tensor<2x3xf32> {qnt.name = "y"}, tensor<2x4xf32> {qnt.name = "s"}) {
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %s3 = tosa.const_shape {values = dense<[1, 2, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x3 = tosa.reshape %x, %s3 : (tensor<2x4xf32>, !tosa.shape<3>) -> tensor<1x2x4xf32>
  %m = tosa.matmul %x3, %w, %zp, %zp : (tensor<1x2x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x3xf32>
  %s2 = tosa.const_shape {values = dense<[2, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y = tosa.reshape %m, %s2 : (tensor<1x2x3xf32>, !tosa.shape<2>) -> tensor<2x3xf32>
  %s = tosa.sigmoid %x : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y, %s : tensor<2x3xf32>, tensor<2x4xf32>
}
"""

LINALG = """
func.func @forward(%a: tensor<4x8xf32>, %b: tensor<8x3xf32>) -> tensor<4x3xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x3xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>)
                     outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>
  %r = linalg.exp ins(%m : tensor<4x3xf32>) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}
func.func @twice(%a: tensor<5xf32>) -> tensor<5xf32> {
  %e = tensor.empty() : tensor<5xf32>
  %r = linalg.add ins(%a, %a : tensor<5xf32>, tensor<5xf32>) outs(%e : tensor<5xf32>) -> tensor<5xf32>
  return %r : tensor<5xf32>
}
"""


def qnt(*args):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    return subprocess.run([sys.executable, "-m", "qnt", *map(str, args)],
                          capture_output=True, text=True, env=env)


def test_tosa_mlir_input(tmp_path):
    src = tmp_path / "m.mlir"
    src.write_text(TOSA)
    so = compiler.compile_model(src, tmp_path / "m.so")
    lib = CompiledModel(so)
    assert [n for n, _, _ in lib.inputs] == ["x", "w"]
    assert [n for n, _, _ in lib.outputs] == ["y", "s"]
    x, w = RNG.rand(2, 4).astype(np.float32), RNG.rand(1, 4, 3).astype(
        np.float32)
    y, s = lib(x, w=w)
    np.testing.assert_allclose(y, x @ w[0], rtol=1e-5)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)), rtol=1e-5)
    with pytest.raises(RuntimeError_, match="shape"):
        lib(x[:1], w)


def test_linalg_mlir_input_and_multiple_functions(tmp_path):
    src = tmp_path / "l.mlir"
    src.write_text(LINALG)
    lib = CompiledModel(compiler.compile_model(src, tmp_path / "l.so"))
    a, b = RNG.rand(4, 8).astype(np.float32), RNG.rand(8, 3).astype(
        np.float32)
    (r,) = lib(a, b)
    np.testing.assert_allclose(r, np.exp(a @ b), rtol=1e-5)
    v = RNG.rand(5).astype(np.float32)
    np.testing.assert_array_equal(lib["twice"](v)[0], v + v)
    assert [f.name for f in lib.functions] == ["forward", "twice"]


def test_signature_parser_names_and_defaults():
    sigs = compiler.parse_signatures(TOSA + LINALG.replace("@forward",
                                                           "@other"))
    assert [s["name"] for s in sigs] == ["forward", "other", "twice"]
    assert sigs[0]["inputs"][1] == {"name": "w", "shape": [1, 4, 3],
                                    "dtype": "float32"}
    assert sigs[1]["inputs"][0]["name"] == "input_0"


def _conv_model(build, batch):
    m = build()
    m.input("x", [batch, 3, 32, 32])
    w = RNG.uniform(-1, 1, (16, 3, 3, 3)).astype(np.float32)
    c = m.node("Conv", ["x", m.const(w)], pads=[1, 1, 1, 1])
    r = m.node("Relu", [c])
    g = m.node("GlobalAveragePool", [r])
    m.output(m.node("Flatten", [g]))
    return m.model(), w


def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_no_memory_growth_across_calls(build, tmp_path, ref):
    model, w = _conv_model(build, 2)
    import onnx
    onnx.save(model, str(tmp_path / "c.onnx"))
    lib = CompiledModel(compiler.compile_model(tmp_path / "c.onnx",
                                               tmp_path / "c.so"))
    x = RNG.rand(2, 3, 32, 32).astype(np.float32)
    (y,) = lib(x)
    want = np.maximum(ref.conv(x, w, pads=(1, 1, 1, 1)), 0).mean(axis=(2, 3))
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)
    for _ in range(50):
        lib(x)
    before = _rss_mb()
    for _ in range(1500):     # each call allocates ~200 KB of temporaries
        lib(x)
    grew = _rss_mb() - before
    assert grew < 20, f"RSS grew by {grew:.1f} MB over 1500 calls"


def test_run_dataset_pads_last_batch_and_threads(build, tmp_path):
    model, _ = _conv_model(build, 4)
    import onnx
    onnx.save(model, str(tmp_path / "c4.onnx"))
    lib = CompiledModel(compiler.compile_model(tmp_path / "c4.onnx",
                                               tmp_path / "c4.so"))
    data = RNG.rand(10, 3, 32, 32).astype(np.float32)
    (all_out,) = lib.run_dataset(data)
    assert all_out.shape == (10, 16)
    one = CompiledModel(compiler.compile_model(tmp_path / "c4.onnx",
                                               tmp_path / "c1.so", batch=1))
    for i in (0, 5, 9):
        np.testing.assert_allclose(one(data[i:i + 1])[0][0], all_out[i],
                                   rtol=1e-5)
    # Concurrent calls (ctypes releases the GIL): results stay correct.
    results = [None] * 4

    def work(k):
        results[k] = lib.run_dataset(data)[0]
    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for r in results:
        np.testing.assert_array_equal(r, all_out)


def test_rebuilt_library_at_same_path_is_reloaded(tmp_path):
    src = tmp_path / "a.mlir"
    src.write_text(LINALG)
    so = tmp_path / "lib.so"
    compiler.compile_model(src, so)
    first = CompiledModel(so)
    src.write_text(TOSA)
    compiler.compile_model(src, so)
    second = CompiledModel(so)
    assert [f.name for f in first.functions] == ["forward", "twice"]
    assert [n for n, _, _ in second.inputs] == ["x", "w"]


def test_cli_compile_run_info(tmp_path):
    so = tmp_path / "fm.so"
    p = qnt("compile", FMNIST, "-o", so, "--batch", "4", "--emit-mlir",
            tmp_path / "fm.mlir")
    assert p.returncode == 0, p.stderr
    assert "tosa.depthwise_conv2d" in (tmp_path / "fm.mlir").read_text()
    p = qnt("info", so)
    assert "@forward(input: float32[4, 1, 28, 28]) -> (logits: " \
           "float32[4, 10])" in p.stdout
    x = RNG.rand(9, 1, 28, 28).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    p = qnt("run", so, tmp_path / "x.npy", "-o", tmp_path / "y.npy")
    assert p.returncode == 0, p.stderr
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (9, 10)
    lib = CompiledModel(so)
    np.testing.assert_allclose(lib(x[4:8])[0], y[4:8], rtol=1e-5)
    p = qnt("run", so, tmp_path / "x.npy", "-o", tmp_path / "y.npz")
    assert p.returncode == 0, p.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "y.npz")["logits"], y)
    np.save(tmp_path / "bad.npy", x[:, :, :5])
    p = qnt("run", so, tmp_path / "bad.npy", "-o", tmp_path / "z.npy")
    assert p.returncode != 0 and "do not match" in p.stderr
    assert not (tmp_path / "z.npy").exists()
    # Threads: a sequential library refuses 2; one compiled with --parallel
    # gives the same bits on 2 threads (--parallel-min-work 0: every kernel
    # loop of this small batch on the threads). --parallel-min-work needs
    # --parallel.
    p = qnt("run", so, tmp_path / "x.npy", "--threads", "2", "-o",
            tmp_path / "t.npy")
    assert p.returncode != 0 and "cannot use 2 threads" in p.stderr
    assert not (tmp_path / "t.npy").exists()
    par = tmp_path / "fm-par.so"
    emitted = tmp_path / "fm-par.mlir"
    for extra, msg in ((["--parallel-min-work", "0"], "needs --parallel"),
                       (["--parallel", "--parallel-min-work", "-1"],
                        "must be >= 0")):
        p = qnt("compile", FMNIST, "-o", par, "--batch", "4",
                "--emit-mlir", emitted, *extra)
        assert p.returncode != 0 and msg in p.stderr, p.stderr
        assert not par.exists() and not emitted.exists()
    p = qnt("compile", FMNIST, "-o", par, "--batch", "4", "--parallel",
            "--parallel-min-work", "0")
    assert p.returncode == 0, p.stderr
    p = qnt("run", par, tmp_path / "x.npy", "--threads", "2", "-o",
            tmp_path / "t.npy")
    assert p.returncode == 0, p.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), y)


def test_fmnist_matches_onnxruntime(tmp_path):
    from qnt.reference import ort
    if not ort.ort_available():
        pytest.skip("onnxruntime-node not installed (scripts/install-ort.sh)")
    lib = CompiledModel(compiler.compile_model(FMNIST, tmp_path / "f.so",
                                               batch=8))
    x = RNG.rand(20, 1, 28, 28).astype(np.float32)
    (ours,) = lib.run_dataset(x)
    theirs = list(ort.run_onnxruntime(FMNIST, {"input": x}).values())[0]
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)


def test_target_cpu_selection(tmp_path):
    """--target-cpu: the tile width follows the target's registers (asked of
    clang), an x86-64-v3 (AVX2) library runs here with the host build's
    results, an AVX-512 one is built with zmm code, and an unknown CPU is a
    clean error with no output."""
    assert compiler.target_vector_width("x86-64-v3") == 8
    assert compiler.target_vector_width("skylake-avx512") == 16
    assert compiler.target_vector_width("x86-64") == 4
    with pytest.raises(compiler.CompileError, match="unknown target CPU"):
        compiler.target_vector_width("no-such-cpu")
    v3 = tmp_path / "v3.so"
    p = qnt("compile", FMNIST, "-o", v3, "--batch", "4", "--target-cpu",
            "x86-64-v3")
    assert p.returncode == 0, p.stderr
    host = tmp_path / "host.so"
    assert qnt("compile", FMNIST, "-o", host, "--batch", "4").returncode == 0
    x = RNG.rand(4, 1, 28, 28).astype(np.float32)
    np.testing.assert_allclose(CompiledModel(v3)(x)[0],
                               CompiledModel(host)(x)[0], rtol=1e-5, atol=1e-5)
    avx512 = tmp_path / "avx512.so"
    p = qnt("compile", FMNIST, "-o", avx512, "--batch", "4", "--target-cpu",
            "skylake-avx512")
    assert p.returncode == 0, p.stderr
    dis = subprocess.run([str(compiler.llvm_tool("llvm-objdump")), "-d",
                          str(avx512)], capture_output=True, text=True).stdout
    assert "zmm" in dis
    bad = tmp_path / "bad.so"
    p = qnt("compile", FMNIST, "-o", bad, "--batch", "4", "--target-cpu",
            "no-such-cpu")
    assert p.returncode == 1 and "unknown target CPU 'no-such-cpu'" in p.stderr
    assert "Traceback" not in p.stderr and not bad.exists()


def test_x86_code_has_no_sse4a():
    """x86 libraries are built without AMD's SSE4A (LLVM otherwise lowers
    some byte shuffles of the AVX2 kernels to its legacy-SSE insertq, which
    halved one int8 layer's speed on this Zen 3 machine); other targets do
    not get the x86 flag."""
    assert "-mno-sse4a" in compiler.target_flags()
    assert "-mno-sse4a" in compiler.target_flags("znver3")
    assert "-mno-sse4a" in compiler.target_flags(None, "x86_64-linux-gnu")
    assert "-mno-sse4a" not in compiler.target_flags(None,
                                                     "aarch64-linux-gnu")
    macros = compiler._target_macros("znver3")
    assert "__SSE4A__" not in macros and "__AVX2__" in macros


def _foreign_cpu():
    """A CPU whose code this machine cannot run (features it lacks), or
    None when it has them all."""
    for cpu in ("skylake-avx512", "sapphirerapids", "graniterapids"):
        if compiler.missing_cpu_features(cpu):
            return cpu
    return None


def test_foreign_target_library_is_refused(tmp_path):
    """A library for a CPU with features this machine lacks (--target-cpu)
    loads (its entry points can be listed) but is never called: the
    runtime names the missing features, the library's own qnt_invoke /
    qnt_forward return -2 (its load-time check, compiled for the baseline
    x86-64), `qnt run` fails cleanly and writes nothing; this machine's
    own library has nothing missing."""
    import ctypes
    assert compiler.missing_cpu_features() is None
    assert compiler.missing_cpu_features("x86-64") is None
    assert compiler.missing_cpu_features(
        None, "aarch64-linux-gnu") == "the target is not x86-64"
    cpu = _foreign_cpu()
    if cpu is None:
        pytest.skip("this machine runs code for every candidate CPU")
    lib = tmp_path / "foreign.so"
    p = qnt("compile", FMNIST, "-o", lib, "--batch", "2", "--target-cpu", cpu)
    assert p.returncode == 0, p.stderr
    m = CompiledModel(lib)
    lacks = compiler.missing_cpu_features(cpu)
    assert m.missing_cpu_features and \
        lacks == f"this machine lacks {m.missing_cpu_features}"
    assert "avx512f" in m.missing_cpu_features.split()
    x = RNG.rand(2, 1, 28, 28).astype(np.float32)
    with pytest.raises(RuntimeError_, match="CPU features this machine lacks"):
        m(x)
    c = ctypes.CDLL(str(lib))
    ins, outs = (ctypes.c_void_p * 1)(), (ctypes.c_void_p * 1)()
    assert c.qnt_invoke(0, ins, outs) == -2
    assert c.qnt_forward(ins, outs) == -2
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "y.npy"
    p = qnt("run", lib, tmp_path / "x.npy", "-o", out)
    assert p.returncode == 1 and "lacks" in p.stderr
    assert "Traceback" not in p.stderr and not out.exists()
    p = qnt("info", lib)
    assert p.returncode == 0 and "cannot run here" in p.stdout
    host = tmp_path / "host.so"
    assert qnt("compile", FMNIST, "-o", host, "--batch", "2").returncode == 0
    assert CompiledModel(host).missing_cpu_features == ""


@pytest.mark.parametrize("vectorize", [True, False])
@pytest.mark.parametrize("axis,channels,extra", [
    (0, 5, 2), (1, 5, 2), (2, 5, 2), (3, 5, 2),
    # Channel slices whose rows take the short-row paths of memrefCopy:
    # 4..7 bytes (i8: 5 and 2+5; f32: 20 and 8) and 8..64 bytes with a
    # partial last word (i8: 13, 37, 11; f32: 52, 44), and above 64 bytes.
    (3, 13, 11), (3, 37, 6), (3, 3, 70), (2, 13, 2)])
def test_concat_strided_copies_exact(tmp_path, axis, channels, extra,
                                     vectorize):
    # NHWC concatenations along `axis`, i8 and f32, against numpy. The
    # default pipeline writes each part into its slice of the result with
    # vectorized loops (qnt-tile-and-vectorize; parts whose slices are not
    # a multiple of the vector width included); without vectorization
    # tosa.concat bufferizes to copies into strided slices, which the
    # library's memrefCopy performs (contiguous trailing dimensions as one
    # block, short rows by overlapping word moves).
    rng = np.random.default_rng(axis * 100 + channels)
    shape = [2, 3, 4, channels]
    a = rng.integers(-128, 128, shape, dtype=np.int8)
    bshape = list(shape)
    bshape[axis] = extra
    b = rng.integers(-128, 128, bshape, dtype=np.int8)
    oshape = list(shape)
    oshape[axis] += extra
    ts = lambda s, e: f"tensor<{'x'.join(map(str, s))}x{e}>"  # noqa: E731
    text = ""
    for e in ("i8", "f32"):
        text += f"""func.func @cat_{e}(%a: {ts(a.shape, e)}, %b: {ts(bshape, e)}) -> {ts(oshape, e)} {{
  %c = tosa.concat %a, %b {{axis = {axis} : i32}} : ({ts(a.shape, e)}, {ts(bshape, e)}) -> {ts(oshape, e)}
  return %c : {ts(oshape, e)}
}}
"""
    pipeline = compiler.float_pipeline(vectorize=vectorize)
    lowered = subprocess.run(
        [str(compiler.qnt_tool("qnt-opt")), f"--pass-pipeline={pipeline}"],
        input=text, capture_output=True, text=True, check=True).stdout
    # Axis 0 parts are contiguous: a plain memcpy either way.
    assert ("llvm.call @memrefCopy" in lowered) == (not vectorize and axis > 0)
    so = compiler.compile_mlir(text, tmp_path / "cat.so", pipeline=pipeline)
    lib = CompiledModel(so)
    want = np.concatenate([a, b], axis=axis)
    out = lib["cat_i8"](a, b)
    np.testing.assert_array_equal(out[0] if isinstance(out, (list, tuple)) else out, want)
    out = lib["cat_f32"](a.astype(np.float32), b.astype(np.float32))
    np.testing.assert_array_equal(out[0] if isinstance(out, (list, tuple)) else out,
                                  want.astype(np.float32))


@pytest.mark.parametrize("batch,low,high", [
    (1, (0, 1, 1, 0), (0, 1, 1, 0)),   # BlazeFace's 3x3 'same' padding
    (1, (0, 0, 0, 0), (0, 1, 1, 0)),   # stride-2 'same': high side only
    (2, (0, 1, 1, 0), (0, 1, 1, 0)),   # a batch: the whole tensor filled
    (2, (1, 2, 0, 3), (2, 0, 1, 5)),   # every dimension, asymmetric
    (1, (0, 2, 0, 0), (0, 1, 0, 0)),   # rows only: W and C collapsed into H
    (2, (1, 0, 0, 0), (0, 0, 0, 0)),   # the batch only: one flat dimension
    (2, (0, 0, 0, 0), (0, 0, 0, 0))])  # nothing to pad
def test_pad_exact(tmp_path, batch, low, high):
    # tosa.pad with a constant: qnt-tile-and-vectorize collapses the
    # unpadded trailing dimensions into the last padded one, fills the
    # border slabs of the result (the whole result when the dimensions
    # before the first padded one have more than one position) and copies
    # the source into the interior; every element must come from one of
    # them. i8 and f32 against numpy.
    rng = np.random.default_rng(sum(low) * 10 + sum(high))
    shape = (batch, 3, 5, 6)
    a = rng.integers(-128, 128, shape, dtype=np.int8)
    oshape = tuple(s + lo + hi for s, lo, hi in zip(shape, low, high))
    pads = ", ".join(str(v) for lh in zip(low, high) for v in lh)
    ts = lambda s, e: f"tensor<{'x'.join(map(str, s))}x{e}>"  # noqa: E731
    text = ""
    for e, value in (("i8", "-7"), ("f32", "2.5")):
        text += f"""func.func @pad_{e}(%a: {ts(shape, e)}) -> {ts(oshape, e)} {{
  %p = tosa.const_shape {{values = dense<[{pads}]> : tensor<8xindex>}} : () -> !tosa.shape<8>
  %v = "tosa.const"() <{{values = dense<{value}> : tensor<1x{e}>}}> : () -> tensor<1x{e}>
  %r = tosa.pad %a, %p, %v : ({ts(shape, e)}, !tosa.shape<8>, tensor<1x{e}>) -> {ts(oshape, e)}
  return %r : {ts(oshape, e)}
}}
"""
    lib = CompiledModel(compiler.compile_mlir(text, tmp_path / "pad.so"))
    width = list(zip(low, high))
    first = lambda out: out[0] if isinstance(out, (list, tuple)) else out  # noqa: E731
    np.testing.assert_array_equal(
        first(lib["pad_i8"](a)), np.pad(a, width, constant_values=-7))
    af = a.astype(np.float32) / 4
    np.testing.assert_array_equal(
        first(lib["pad_f32"](af)), np.pad(af, width, constant_values=2.5))


def test_qdq_export_runs_int8_in_onnxruntime(tmp_path):
    # qnt.reference.qdq (the onnxruntime int8 peer of bench/e2e.py): the QDQ
    # model of the bundled network is fused by onnxruntime into int8 ops
    # (QLinearConv, QGemm: no float Conv left), and its top-1 on real test
    # images stays close to the float model's.
    import onnx
    from qnt import datasets
    from qnt.reference import ort, qdq
    if not ort.ort_available():
        pytest.skip("onnxruntime-node not installed (scripts/install-ort.sh)")
    xc, _ = datasets.calibration_set(128)
    q = qdq.export_qdq(FMNIST, {"input": xc}, tmp_path / "q.onnx", batch=64)
    opt = ort.save_optimized_model(q, tmp_path / "opt.onnx")
    ops = [n.op_type for n in onnx.load(str(opt)).graph.node]
    assert ops.count("QLinearConv") == 11 and "QGemm" in ops, ops
    assert "Conv" not in ops
    x, y = datasets.evaluation_set()
    x, y = x[:1000], y[:1000]
    top1 = {}
    for name, m in (("fp32", FMNIST), ("int8", q)):
        out = list(ort.run_onnxruntime_dataset(m, {"input": x},
                                               batch=100).values())[0]
        top1[name] = float((out.argmax(1) == y).mean())
    assert top1["int8"] >= top1["fp32"] - 0.03, top1
