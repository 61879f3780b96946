"""The real models compiled by qnt against onnxruntime (fp32).

* Bundled ``models/fmnist_mobilenet.onnx``, compiled for batch 64 (the
  ``qnt eval`` default), on all 10 000 Fashion-MNIST t10k images.
* MediaPipe BlazeFace front 128x128 (``scripts/fetch_blazeface.sh``) on the
  real photos of ``qnt.photos`` (at least 10; 17 with darknet installed).

Tolerances (``qnt.evaluate.relative_error``), per sample i and output:

    rel_i = max_j |qnt_ij - ort_ij| / max_j |ort_ij|      (j: all elements)
    require max_i rel_i <= 1e-4

i.e. for every image separately the largest absolute difference must be
below 1e-4 times the largest magnitude of ORT's output *for that image*.  This
is stricter than normalising once over the whole set (every per-image
denominator is <= the set's).  BlazeFace applies it to each of its four
outputs separately.  Top-1 of qnt and ORT on Fashion-MNIST must agree within
0.05 percentage points (5 of 10 000 images).

Every model is compiled once per module (module-scoped fixtures), through
``compiler.cached_compile`` (reused from ``$QNT_CACHE_DIR`` when set).

Missing prerequisites (onnxruntime-node, the BlazeFace model, the
Fashion-MNIST data, photos) skip the tests, or fail them when
``QNT_REQUIRE_ORT=1`` (set by scripts/test.sh, which installs them all).
"""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from qnt import compiler, datasets, photos
from qnt.evaluate import relative_error
from qnt.reference import blazeface, ort
from qnt.runtime import CompiledModel

REPO = Path(__file__).resolve().parents[2]
FMNIST_MODEL = REPO / "models" / "fmnist_mobilenet.onnx"
BATCH = 64
REL_TOL = 1e-4
TOP1_TOL = 0.0005          # 0.05 percentage points
REQUIRE = os.environ.get("QNT_REQUIRE_ORT") == "1"


def _missing(msg):
    if REQUIRE:
        pytest.fail(f"QNT_REQUIRE_ORT=1 but {msg}", pytrace=False)
    pytest.skip(msg)


def _need_ort():
    if not ort.ort_available():
        _missing(f"onnxruntime-node is not installed in {ort.ort_dir()} "
                 f"(scripts/install-ort.sh)")


def _compile(path, batch=None):
    text, sigs = compiler.load_source(path, batch=batch)
    return CompiledModel(compiler.cached_compile(text, sigs=sigs))


# ------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def fmnist_data():
    try:
        return datasets.evaluation_set()
    except datasets.DatasetNotFound as exc:
        _missing(str(exc))


@pytest.fixture(scope="module")
def fmnist_qnt(fmnist_data):
    x, _ = fmnist_data
    lib = _compile(FMNIST_MODEL, batch=BATCH)
    assert lib.forward.batch_size == BATCH
    (logits,) = lib.run_dataset(x)
    return logits


@pytest.fixture(scope="module")
def fmnist_ort(fmnist_data):
    _need_ort()
    x, _ = fmnist_data
    return ort.run_onnxruntime_dataset(FMNIST_MODEL, x, batch=256)["logits"]


@pytest.fixture(scope="module")
def bf():
    _need_ort()
    model = blazeface.model_path()
    if not model.exists():
        _missing(f"{model} is missing (scripts/fetch_blazeface.sh)")
    try:
        x, names = photos.blazeface_inputs()
    except photos.PhotosNotAvailable as exc:
        _missing(str(exc))
    assert len(names) >= 10
    lib = _compile(model)
    outs = dict(zip([n for n, _, _ in lib.outputs], lib.run_dataset(x)))
    ref = ort.run_onnxruntime_dataset(model, {blazeface.INPUT_NAME: x},
                                      batch=1)
    return SimpleNamespace(x=x, names=names, qnt=outs, ort=ref, lib=lib)


# ------------------------------------------------------------ Fashion-MNIST
def test_relative_error_definition():
    """The measure is per sample and catches a single bad element."""
    ref = np.array([[1.0, -10.0, 2.0], [0.5, 0.25, 0.0], [0, 0, 0]],
                   np.float32)
    got = ref.copy()
    got[1, 2] += 1e-4      # 1e-4 / 0.5 = 2e-4 relative on image 1
    rel = relative_error(got, ref)
    assert rel[0] == 0 and rel[2] == 0
    assert rel[1] == pytest.approx(2e-4, rel=1e-3)
    assert rel.max() > REL_TOL
    got[2, 0] = 1e-9       # any difference against an all-zero output
    assert np.isinf(relative_error(got, ref)[2])


def test_fmnist_top1_matches_ort(fmnist_data, fmnist_ort, fmnist_qnt,
                                 capsys):
    _, y = fmnist_data
    assert fmnist_qnt.shape == fmnist_ort.shape == (10000, 10)
    acc_q = datasets.top1(fmnist_qnt, y)
    acc_o = datasets.top1(fmnist_ort, y)
    differ = int((fmnist_qnt.argmax(1) != fmnist_ort.argmax(1)).sum())
    with capsys.disabled():
        print(f"\n[fmnist t10k] top-1 qnt {acc_q:.4f}, onnxruntime "
              f"{acc_o:.4f}, argmax differs on {differ} images")
    assert abs(acc_q - acc_o) <= TOP1_TOL
    # A third runtime: torch's top-1, recorded when the model was trained
    # (models/fmnist_mobilenet.json). Guards against both sides being wrong
    # the same way (e.g. bad input data).
    record = json.loads((Path(__file__).resolve().parents[2] / "models" /
                         "fmnist_mobilenet.json").read_text())
    assert acc_o == pytest.approx(record["torch_test_top1"], abs=0.002)


def test_fmnist_logits_match_ort(fmnist_ort, fmnist_qnt, capsys):
    rel = relative_error(fmnist_qnt, fmnist_ort)
    worst = int(rel.argmax())
    with capsys.disabled():
        print(f"\n[fmnist t10k] max per-image relative logit difference "
              f"{rel.max():.2e} (image {worst}), max absolute "
              f"{np.abs(fmnist_qnt - fmnist_ort).max():.2e}")
    assert np.isfinite(fmnist_qnt).all()
    assert rel.max() <= REL_TOL, (
        f"image {worst}: qnt {fmnist_qnt[worst]} vs ort {fmnist_ort[worst]}")


# ------------------------------------------------------------ BlazeFace
def test_blazeface_outputs_match_ort(bf, capsys):
    assert set(bf.qnt) == set(bf.ort) == {n for h in blazeface.HEADS
                                         for n in h[:2]}
    lines, bad = [], []
    for name in sorted(bf.qnt):
        q, o = bf.qnt[name], bf.ort[name]
        assert q.shape == o.shape == (len(bf.names),) + o.shape[1:]
        rel = relative_error(q, o)
        lines.append(f"{name} {list(o.shape[1:])}: max rel {rel.max():.2e} "
                     f"({bf.names[int(rel.argmax())]})")
        if not rel.max() <= REL_TOL:
            bad.append(f"{name}: photo {bf.names[int(rel.argmax())]} "
                       f"relative difference {rel.max():.3g}")
    with capsys.disabled():
        print(f"\n[blazeface, {len(bf.names)} photos] " + "; ".join(lines))
    assert not bad, "; ".join(bad)


def test_blazeface_detections_match_ort(bf):
    for i, n in enumerate(bf.names):
        dq = blazeface.decode(bf.qnt, i)
        do = blazeface.decode(bf.ort, i)
        assert len(dq) == len(do), n
        for a, b in zip(dq, do):
            assert np.allclose(a["box"], b["box"], atol=1e-4), n
    # docs/models.md: the astronaut's face is found with score 0.92.
    i = bf.names.index("astronaut")
    faces = blazeface.decode(bf.qnt, i)
    assert len(faces) == 1 and faces[0]["score"] == pytest.approx(0.92,
                                                                  abs=0.01)


# ------------------------------------------------------------ qnt eval
def test_eval_cli_report_and_json(fmnist_data, fmnist_qnt, tmp_path, capsys):
    """`qnt eval --limit 500 --json F` (the library is the fixture's,
    reused from the compile cache) reports the top-1 of those images."""
    from qnt.cli import main
    out = tmp_path / "eval.json"
    assert main(["eval", "--limit", "500", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    res = json.loads(out.read_text())
    _, y = fmnist_data
    want = float((fmnist_qnt[:500].argmax(1) == y[:500]).mean())
    assert res["images"] == 500 and res["batch"] == BATCH
    assert res["top1"] == pytest.approx(want)
    assert f"top-1       {want:.4f}" in text
    assert "images/s" in text and "compile" in text
    assert res["images_per_s"] > 0


@pytest.mark.parametrize("argv, message", [
    (["eval", "/nonexistent/model.onnx"], "no such file"),
    (["eval", "README.md"], "expected a .onnx, .mlir or .so file"),
    (["eval", "--limit", "0"], "--limit must be >= 1"),
    (["eval", "--batch", "0"], "--batch must be >= 1"),
    (["eval", "--json", "/nonexistent/dir/x.json"], "does not exist"),
])
def test_eval_cli_errors(argv, message, capsys):
    from qnt.cli import main
    argv = [a.replace("README.md", str(REPO / "README.md")) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("qnt eval: error: ") and message in err, err


def test_eval_unknown_model_kind(tmp_path, capsys):
    """A model that is neither a Fashion-MNIST classifier nor BlazeFace."""
    from qnt.cli import main
    m = tmp_path / "neg.mlir"
    m.write_text('func.func @forward(%a: tensor<2x3xf32>) -> tensor<2x3xf32> '
                 '{\n  %0 = "tosa.abs"(%a) : (tensor<2x3xf32>) -> '
                 'tensor<2x3xf32>\n  return %0 : tensor<2x3xf32>\n}\n')
    assert main(["eval", str(m)]) == 1
    err = capsys.readouterr().err
    assert "do not know how to evaluate" in err and "[2, 3]" in err, err


def test_eval_blazeface_fixed_batch_hint(capsys):
    model = blazeface.model_path()
    if not model.exists():
        _missing(f"{model} is missing (scripts/fetch_blazeface.sh)")
    from qnt.cli import main
    assert main(["eval", str(model), "--batch", "64"]) == 1
    err = capsys.readouterr().err
    assert "fixed batch of 1" in err, err
