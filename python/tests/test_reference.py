"""Tests of qnt.reference.ort (ONNX Runtime through node) against numpy.

Every expected value here is computed independently with numpy: hand-made
ONNX models (onnx.helper) and the committed models/fmnist_mobilenet.onnx run
through a small numpy interpreter below.  torch is not needed.

Skipped when node / onnxruntime-node are missing, unless QNT_REQUIRE_ORT=1
(then they fail): install with scripts/install-ort.sh.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from qnt.reference import ort  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FMNIST_MODEL = REPO / "models" / "fmnist_mobilenet.onnx"

if not ort.ort_available():
    if os.environ.get("QNT_REQUIRE_ORT") == "1":
        raise RuntimeError("QNT_REQUIRE_ORT=1 but onnxruntime-node is not installed in "
                           f"{ort.ort_dir()}: run scripts/install-ort.sh")
    pytest.skip("onnxruntime-node not installed (scripts/install-ort.sh)",
                allow_module_level=True)


# ------------------------------------------------------------------ numpy reference ops

def np_conv(x, w, b=None, strides=(1, 1), pads=(0, 0, 0, 0), group=1):
    """ONNX Conv (NCHW, dilation 1) by explicit loops over the kernel window."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    assert c == cg * group
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - kh) // strides[0] + 1
    ow = (xp.shape[3] - kw) // strides[1] + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg].astype(np.float64)
        ws = w[g * mg:(g + 1) * mg].astype(np.float64)
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    if b is not None:
        out += b.astype(np.float64)[None, :, None, None]
    return out


def np_eval(model, feeds):
    """Evaluate an ONNX graph of Conv/BatchNormalization/Clip/Relu/Add/
    GlobalAveragePool/Flatten/Gemm/MatMul/Constant nodes in float64."""
    env = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    env.update(feeds)
    for node in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            r = numpy_helper.to_array(a["value"])
        elif op == "Conv":
            k = len(ins[1].shape) - 2
            r = np_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None,
                        tuple(a.get("strides", [1] * k)), tuple(a.get("pads", [0] * 2 * k)),
                        a.get("group", 1))
        elif op == "BatchNormalization":
            x, s, bias, mean, var = ins
            eps = a.get("epsilon", 1e-5)
            sh = (1, -1) + (1,) * (x.ndim - 2)
            r = (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * s.reshape(sh) + bias.reshape(sh)
        elif op == "Clip":
            lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
            hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
            r = np.clip(ins[0], lo, hi)
        elif op == "Relu":
            r = np.maximum(ins[0], 0)
        elif op == "Add":
            r = ins[0] + ins[1]
        elif op == "GlobalAveragePool":
            r = ins[0].mean(axis=tuple(range(2, ins[0].ndim)), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            r = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Gemm":
            A = ins[0].T if a.get("transA", 0) else ins[0]
            B = ins[1].T if a.get("transB", 0) else ins[1]
            r = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                r = r + a.get("beta", 1.0) * ins[2]
        elif op == "MatMul":
            r = ins[0] @ ins[1]
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = r
    return {o.name: env[o.name] for o in model.graph.output}


def save_model(graph, path, opset=13):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="qnt-tests")
    m.ir_version = 7
    onnx.checker.check_model(m)
    onnx.save(m, str(path))
    return m


# ------------------------------------------------------------------ a tiny CNN like the real one

def tiny_cnn(path, rng):
    """Conv(s2) -> BN -> Clip(0,6) -> depthwise Conv -> BN -> Clip -> 1x1 Conv
    -> GAP -> Flatten -> Gemm, batch dim symbolic."""
    c0, c1, k = 3, 4, 5
    init = {
        "w0": rng.normal(0, 0.5, (c1, c0, 3, 3)), "b0": rng.normal(0, 0.1, c1),
        "s0": rng.uniform(0.5, 1.5, c1), "t0": rng.normal(0, 0.1, c1),
        "m0": rng.normal(0, 0.1, c1), "v0": rng.uniform(0.5, 2.0, c1),
        "wd": rng.normal(0, 0.5, (c1, 1, 3, 3)),
        "s1": rng.uniform(0.5, 1.5, c1), "t1": rng.normal(0, 0.1, c1),
        "m1": rng.normal(0, 0.1, c1), "v1": rng.uniform(0.5, 2.0, c1),
        "wp": rng.normal(0, 0.5, (8, c1, 1, 1)),
        "fw": rng.normal(0, 0.5, (k, 8)), "fb": rng.normal(0, 0.1, k),
        "lo": np.array(0.0), "hi": np.array(6.0),
    }
    inits = [numpy_helper.from_array(np.asarray(v, np.float32), n) for n, v in init.items()]
    nodes = [
        helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c0", "s0", "t0", "m0", "v0"], ["n0"], epsilon=1e-5),
        helper.make_node("Clip", ["n0", "lo", "hi"], ["r0"]),
        helper.make_node("Conv", ["r0", "wd"], ["c1"], group=c1, pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "s1", "t1", "m1", "v1"], ["n1"]),
        helper.make_node("Clip", ["n1", "lo", "hi"], ["r1"]),
        helper.make_node("Conv", ["r1", "wp"], ["c2"]),
        helper.make_node("GlobalAveragePool", ["c2"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["logits"], transB=1),
    ]
    g = helper.make_graph(
        nodes, "tiny_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", c0, 9, 9])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", k])], inits)
    return save_model(g, path)


def test_tiny_cnn_matches_numpy(tmp_path):
    rng = np.random.default_rng(0)
    m = tiny_cnn(tmp_path / "cnn.onnx", rng)
    x = rng.normal(0, 1, (3, 3, 9, 9)).astype(np.float32)
    got = ort.run_onnxruntime(tmp_path / "cnn.onnx", {"x": x})
    want = np_eval(m, {"x": x.astype(np.float64)})
    assert list(got) == ["logits"]
    assert got["logits"].dtype == np.float32 and got["logits"].shape == (3, 5)
    np.testing.assert_allclose(got["logits"], want["logits"], rtol=1e-4, atol=1e-4)


def test_dataset_mode_batches_and_concatenates(tmp_path):
    rng = np.random.default_rng(1)
    m = tiny_cnn(tmp_path / "cnn.onnx", rng)
    x = rng.normal(0, 1, (11, 3, 9, 9)).astype(np.float32)
    want = np_eval(m, {"x": x.astype(np.float64)})["logits"]
    for batch in (1, 4, 11, 64):
        got = ort.run_onnxruntime_dataset(tmp_path / "cnn.onnx", x, batch=batch)["logits"]
        assert got.shape == (11, 5)
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_threads_and_opt_levels_agree(tmp_path):
    rng = np.random.default_rng(2)
    tiny_cnn(tmp_path / "cnn.onnx", rng)
    x = rng.normal(0, 1, (2, 3, 9, 9)).astype(np.float32)
    ref = ort.run_onnxruntime(tmp_path / "cnn.onnx", {"x": x}, opt_level="disabled")["logits"]
    for threads, level in ((1, "all"), (2, "basic"), (0, "extended")):
        got = ort.run_onnxruntime(tmp_path / "cnn.onnx", {"x": x}, threads=threads,
                                  opt_level=level)["logits"]
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        ort.run_onnxruntime(tmp_path / "cnn.onnx", {"x": x}, opt_level="max")


def test_model_info(tmp_path):
    tiny_cnn(tmp_path / "cnn.onnx", np.random.default_rng(3))
    info = ort.ort_model_info(tmp_path / "cnn.onnx")
    assert info["inputs"] == [{"name": "x", "type": "float32", "shape": ["batch", 3, 9, 9]}]
    assert info["outputs"] == [{"name": "logits", "type": "float32", "shape": ["batch", 5]}]


# ------------------------------------------------------------------ dtypes, names, .npy

DTYPES = [(np.float32, TensorProto.FLOAT), (np.float64, TensorProto.DOUBLE),
          (np.int8, TensorProto.INT8), (np.uint8, TensorProto.UINT8),
          (np.int32, TensorProto.INT32), (np.int64, TensorProto.INT64),
          (np.bool_, TensorProto.BOOL)]


def test_all_dtypes_roundtrip_and_colon_names(tmp_path):
    """Identity per dtype, with output names like BlazeFace's ('y:0')."""
    nodes, ins, outs = [], [], []
    for i, (_, tp) in enumerate(DTYPES):
        nodes.append(helper.make_node("Identity", [f"x{i}"], [f"y{i}:0"]))
        ins.append(helper.make_tensor_value_info(f"x{i}", tp, [2, 3]))
        outs.append(helper.make_tensor_value_info(f"y{i}:0", tp, [2, 3]))
    save_model(helper.make_graph(nodes, "ids", ins, outs), tmp_path / "ids.onnx")
    rng = np.random.default_rng(4)
    feeds = {}
    for i, (dt, _) in enumerate(DTYPES):
        if dt == np.bool_:
            feeds[f"x{i}"] = rng.integers(0, 2, (2, 3)).astype(bool)
        elif np.issubdtype(dt, np.integer):
            info = np.iinfo(dt)
            feeds[f"x{i}"] = rng.integers(info.min, info.max, (2, 3), dtype=dt, endpoint=True)
        else:
            feeds[f"x{i}"] = rng.normal(0, 1e3, (2, 3)).astype(dt)
    got = ort.run_onnxruntime(tmp_path / "ids.onnx", feeds)
    assert list(got) == [f"y{i}:0" for i in range(len(DTYPES))]
    for i, (dt, _) in enumerate(DTYPES):
        assert got[f"y{i}:0"].dtype == np.dtype(dt)
        np.testing.assert_array_equal(got[f"y{i}:0"], feeds[f"x{i}"])


def test_int64_arithmetic(tmp_path):
    """int64 inputs with values beyond 2**53 survive the trip through node."""
    g = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["c"])], "add64",
        [helper.make_tensor_value_info("a", TensorProto.INT64, [4]),
         helper.make_tensor_value_info("b", TensorProto.INT64, [4])],
        [helper.make_tensor_value_info("c", TensorProto.INT64, [4])])
    save_model(g, tmp_path / "add.onnx")
    a = np.array([2**62, -2**62, 2**53 + 1, 7], np.int64)
    b = np.array([1, -1, 2, -9], np.int64)
    got = ort.run_onnxruntime(tmp_path / "add.onnx", {"a": a, "b": b})["c"]
    np.testing.assert_array_equal(got, a + b)


def test_non_contiguous_and_big_endian_inputs(tmp_path):
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])])
    save_model(g, tmp_path / "relu.onnx")
    x = np.arange(-12, 12, dtype=np.float32).reshape(3, 8)[:, ::2]
    assert not x.flags.c_contiguous
    got = ort.run_onnxruntime(tmp_path / "relu.onnx", {"x": x})["y"]
    np.testing.assert_array_equal(got, np.maximum(x, 0))
    xbe = np.arange(-6, 6, dtype=">f4").reshape(3, 4)
    got = ort.run_onnxruntime(tmp_path / "relu.onnx", {"x": xbe})["y"]
    np.testing.assert_array_equal(got, np.maximum(xbe.astype(np.float32), 0))


def test_npy_version2_header_is_read(tmp_path):
    """run.js's .npy reader handles format 2.0 files too (via the CLI)."""
    g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["y"])], "neg",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])])
    save_model(g, tmp_path / "neg.onnx")
    x = np.array([[1.5, -2], [3, 0.25]], np.float32)
    with open(tmp_path / "x.npy", "wb") as f:
        np.lib.format.write_array(f, x, version=(2, 0))
    proc = subprocess.run(
        ["node", str(ort.RUN_JS), "run", "--model", str(tmp_path / "neg.onnx"),
         "--input", f"x={tmp_path / 'x.npy'}", "--out-dir", str(tmp_path / "o"),
         "--ort-dir", str(ort.ort_dir())], capture_output=True, text=True, check=True)
    out = json.loads(proc.stdout)["outputs"]["y"]
    np.testing.assert_array_equal(np.load(out), -x)


def test_errors(tmp_path):
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3])])
    save_model(g, tmp_path / "relu.onnx")
    x = np.zeros(3, np.float32)
    with pytest.raises(ort.OrtError, match="no input 'z'"):
        ort.run_onnxruntime(tmp_path / "relu.onnx", {"z": x})
    with pytest.raises(ort.OrtError):
        ort.run_onnxruntime(tmp_path / "missing.onnx", {"x": x})
    with pytest.raises(ort.OrtError):  # wrong rank
        ort.run_onnxruntime(tmp_path / "relu.onnx", {"x": np.zeros((2, 3), np.float32)})
    with pytest.raises(ValueError, match="float16"):
        ort.run_onnxruntime(tmp_path / "relu.onnx", {"x": x.astype(np.float16)})
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(ort.OrtError):
        ort.ort_model_info(tmp_path / "junk.onnx")


def test_benchmark(tmp_path):
    tiny_cnn(tmp_path / "cnn.onnx", np.random.default_rng(5))
    x = np.zeros((1, 3, 9, 9), np.float32)
    r = ort.benchmark_onnxruntime(tmp_path / "cnn.onnx", {"x": x}, warmup=2, iters=15)
    assert r["iters"] == 15 and r["warmup"] == 2 and r["threads"] == 1
    assert 0 < r["min_ms"] <= r["median_ms"] <= r["p90_ms"]
    assert r["median_ms"] < 1000
    with pytest.raises(ValueError):
        ort.benchmark_onnxruntime(tmp_path / "cnn.onnx", {"x": x}, iters=0)


# ------------------------------------------------------------------ the committed Fashion-MNIST model

@pytest.mark.skipif(not FMNIST_MODEL.exists(), reason="models/fmnist_mobilenet.onnx missing")
def test_fmnist_model_structure():
    m = onnx.load(str(FMNIST_MODEL))
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    assert {"Conv", "BatchNormalization", "Clip", "GlobalAveragePool", "Gemm"} <= set(ops)
    assert ops.count("BatchNormalization") == ops.count("Conv")
    assert [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] == [13]
    assert [i.name for i in m.graph.input] == ["input"]
    assert [o.name for o in m.graph.output] == ["logits"]
    dims = m.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["batch", 1, 28, 28]
    assert FMNIST_MODEL.stat().st_size < 512 * 1024
    depthwise = [n for n in m.graph.node if n.op_type == "Conv"
                 and any(a.name == "group" and a.i > 1 for a in n.attribute)]
    assert len(depthwise) >= 3


def _fmnist_test_images():
    from qnt import datasets
    try:
        return datasets.evaluation_set()
    except datasets.DatasetNotFound:
        pytest.skip("dataset-fashion-mnist not installed")


@pytest.mark.skipif(not FMNIST_MODEL.exists(), reason="models/fmnist_mobilenet.onnx missing")
def test_fmnist_model_matches_numpy_on_test_images():
    x, y = _fmnist_test_images()
    x = x[:16]
    m = onnx.load(str(FMNIST_MODEL))
    want = np_eval(m, {"input": x.astype(np.float64)})["logits"]
    got = ort.run_onnxruntime(FMNIST_MODEL, {"input": x})["logits"]
    assert got.shape == (16, 10)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert np.array_equal(got.argmax(1), want.argmax(1))


@pytest.mark.skipif(not FMNIST_MODEL.exists(), reason="models/fmnist_mobilenet.onnx missing")
def test_fmnist_model_accuracy_on_full_test_set():
    from qnt import datasets
    x, y = _fmnist_test_images()
    logits = ort.run_onnxruntime_dataset(FMNIST_MODEL, {"input": x}, batch=500)["logits"]
    acc = datasets.top1(logits, y)
    # recorded at training time: models/fmnist_mobilenet.json
    assert acc >= 0.89, acc


# ------------------------------------------------------------------ BlazeFace (third-party, fetched)

from qnt import photos  # noqa: E402
from qnt.reference import blazeface  # noqa: E402

BLAZEFACE = blazeface.model_path()


@pytest.mark.skipif(not BLAZEFACE.exists(), reason="run scripts/fetch_blazeface.sh")
@pytest.mark.skipif(not photos.photo_path("astronaut").exists(), reason="python3-skimage missing")
def test_blazeface_finds_the_astronauts_face():
    info = ort.ort_model_info(BLAZEFACE)
    assert info["inputs"] == [{"name": "input:0", "type": "float32", "shape": [1, 128, 128, 3]}]
    assert [o["name"] for o in info["outputs"]] == [
        "Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"]
    x, _ = photos.blazeface_inputs(names=["astronaut", "coins"])
    outs = ort.run_onnxruntime_dataset(BLAZEFACE, {"input:0": x}, batch=1)
    assert outs["Identity_2:0"].shape == (2, 512, 16)
    assert outs["Identity_3:0"].shape == (2, 384, 16)
    faces = blazeface.decode(outs, 0, threshold=0.75)
    assert len(faces) == 1
    cx, cy, w, h = faces[0]["box"]
    # Eileen Collins' face: upper middle of the 512x512 portrait
    assert 0.35 < cx < 0.52 and 0.17 < cy < 0.33 and 0.12 < w < 0.25
    assert blazeface.decode(outs, 1, threshold=0.5) == []          # no face among coins
