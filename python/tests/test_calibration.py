"""Calibration with the compiled model: statistics match an independent
runtime, bad data is reported, and the statistics attach to the IR."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qnt import calibration, datasets
from qnt.calibration import CalibrationError
from qnt.importer import import_onnx

REPO = Path(__file__).resolve().parents[2]
MODEL = REPO / "models" / "fmnist_mobilenet.onnx"


@pytest.fixture(scope="module")
def model_text():
    return import_onnx(str(MODEL), batch=32).text


def qnt_cli(*args):
    return subprocess.run([sys.executable, "-m", "qnt", *map(str, args)],
                          capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO / "python")})


def test_logit_statistics_match_onnxruntime(model_text):
    ort = pytest.importorskip("qnt.reference.ort")
    x, _ = datasets.calibration_set(100)  # not a multiple of the batch
    try:
        ref = ort.run_onnxruntime(str(MODEL), {"input": x})["logits"]
    except Exception as exc:  # onnxruntime not installed
        pytest.skip(f"onnxruntime unavailable: {exc}")
    result = calibration.calibrate(model_text, x, batch=32, quiet=True)
    logits = result["activations"][-1]
    assert logits["op"] == "tosa.add"  # the classifier's bias add
    s = logits["stats"]
    assert s["count"] == ref.size  # padding rows of the last batch excluded
    assert s["min"] == pytest.approx(ref.min(), rel=1e-5, abs=1e-5)
    assert s["max"] == pytest.approx(ref.max(), rel=1e-5, abs=1e-5)
    assert s["mean"] == pytest.approx(ref.mean(), rel=1e-4, abs=1e-5)
    assert s["std"] == pytest.approx(ref.std(), rel=1e-4)
    assert sum(s["hist"]["bins"]) == s["count"]


def test_attach_puts_stats_on_every_producer(model_text, tmp_path):
    x, _ = datasets.calibration_set(64)
    result = calibration.calibrate(model_text, x, batch=32, quiet=True)
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(result))
    out = calibration.attach(model_text, path)
    # 11 ReLU6 clamps (the convolutions before them fold into their
    # requantization), the average pool, the classifier matmul and its bias
    # add; plus the model input, as an argument attribute, from the data.
    assert len(result["activations"]) == 14
    assert out.count("qnt.stats = #qnt.stats<") == 14 + 1
    start = out.index("func.func @forward(")
    header = out[start:out.index("{\n", start)]
    assert header.count("qnt.stats = #qnt.stats<") == 1
    arg = result["arguments"][0]["stats"]
    assert arg["count"] == x.size and arg["min"] == float(x.min()) and arg["max"] == float(x.max())


def test_nan_and_inf_are_counted_and_reported(model_text, tmp_path):
    x, _ = datasets.calibration_set(64)
    x = x.copy()
    x[3, 0, 5, 5] = np.nan
    x[7, 0, 1, 1] = np.inf
    result = calibration.calibrate(model_text, x, batch=32, quiet=True)
    assert result["inputs"] == {"nan": 1, "inf": 1}
    first = result["activations"][0]["stats"]
    assert first["nan"] > 0  # the NaN pixel reaches the first convolution
    assert np.isfinite([first["min"], first["max"], first["mean"]]).all()
    lines = calibration.nonfinite_report(result)
    assert lines[0] == "inputs: 1 NaN, 1 Inf"
    # The statistics stay valid IR.
    path = tmp_path / "s.json"
    path.write_text(json.dumps(result))
    assert "qnt.stats" in calibration.attach(model_text, path)


def test_constant_inputs_and_a_single_sample(model_text, tmp_path):
    x = np.zeros((1, 1, 28, 28), np.float32)
    result = calibration.calibrate(model_text, x, batch=32, quiet=True)
    for a in result["activations"]:
        s = a["stats"]
        assert s["count"] == int(np.prod(a["shape"])) // 32
        assert s["hist"]["lo"] < s["hist"]["hi"]
    path = tmp_path / "s.json"
    path.write_text(json.dumps(result))
    calibration.attach(model_text, path)  # verifier accepts every entry


def test_empty_set_is_an_error(model_text):
    with pytest.raises(CalibrationError, match="calibration set is empty"):
        calibration.calibrate(model_text, np.zeros((0, 1, 28, 28), np.float32),
                              batch=32, quiet=True)


def test_cli_empty_data_leaves_no_output(tmp_path):
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros((0, 1, 28, 28), np.float32))
    out = tmp_path / "stats.json"
    r = qnt_cli("calibrate", MODEL, "--data", empty, "-o", out, "--batch", 32)
    assert r.returncode == 1
    assert "qnt calibrate: error: the calibration set is empty" in r.stderr
    assert not out.exists()


def test_stats_of_another_model_are_rejected(model_text, tmp_path):
    x, _ = datasets.calibration_set(32)
    result = calibration.calibrate(model_text, x, batch=32, quiet=True)
    result["activations"][2]["op"] = "tosa.conv3d"
    path = tmp_path / "s.json"
    path.write_text(json.dumps(result))
    with pytest.raises(Exception, match="activation 2 was calibrated on 'tosa.conv3d'"):
        calibration.attach(model_text, path)
    result["activations"].pop()
    path.write_text(json.dumps(result))
    with pytest.raises(Exception, match="describes 13 activations, the function has 14"):
        calibration.attach(model_text, path)
