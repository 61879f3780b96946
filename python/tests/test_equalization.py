"""Weight equalization on the bundled model (issue 5, function
preservation): cross-layer equalization keeps the (ReLU) model's outputs
within 1e-5 relative on the whole test set, WESS pre-scaling is bit-exact in
float, and ReLU6 -> ReLU is the only change relu6-to-relu makes.
(BatchNorm folding has its own test: test_fold_batchnorm.py.)"""

from pathlib import Path

import numpy as np
import pytest

from qnt import capi, compiler, datasets, runtime
from qnt.importer import import_onnx

MODEL = Path(__file__).resolve().parents[2] / "models" / "fmnist_mobilenet.onnx"


def _run(text, pipeline):
    return capi.run_pipeline(text, f"builtin.module(func.func({pipeline}))").output


@pytest.fixture(scope="module")
def modules():
    # Printed by the same printer as the passes' outputs.
    folded = capi.run_pipeline(import_onnx(str(MODEL), batch=100).text,
                               "builtin.module()").output
    # The same ReLU model with and without equalization: max-iterations=0
    # only replaces the ReLU6 clamps.
    relu = _run(folded, "qnt-equalize{relu6-to-relu=true max-iterations=0}")
    cle = _run(folded, "qnt-equalize{relu6-to-relu=true}")
    wess = _run(folded, "qnt-wess")
    return {"folded": folded, "relu": relu, "cle": cle, "wess": wess}


@pytest.fixture(scope="module")
def outputs(modules, tmp_path_factory):
    x, _ = datasets.evaluation_set()
    tmp = tmp_path_factory.mktemp("eq")
    out = {}
    for name, text in modules.items():
        model = runtime.CompiledModel(compiler.compile_mlir(text, tmp / f"{name}.so"))
        o = model.run_dataset(x)
        out[name] = o[0] if isinstance(o, (list, tuple)) else o
    return out


def _rel(ref, got):
    """Per image: largest difference relative to the largest logit."""
    return (np.abs(got - ref).max(axis=1) / np.abs(ref).max(axis=1)).max()


def test_relu6_to_relu_only_changes_the_clamps(modules):
    f, r = modules["folded"], modules["relu"]
    assert f.count("max_val = 6.000000e+00") == 11
    assert "max_val = 6.000000e+00" not in r
    assert r.count("max_val = 3.40282347E+38") == 11
    # Nothing else moved: same text once the bounds are equal.
    assert r.replace("3.40282347E+38", "6.000000e+00") == f


def test_cle_changes_weights_but_not_the_function(modules, outputs):
    assert modules["cle"] != modules["relu"]
    rel = _rel(outputs["relu"], outputs["cle"])
    print(f"CLE vs the ReLU model: max relative difference {rel:.2e}")
    assert rel <= 1e-5
    assert (outputs["cle"].argmax(1) == outputs["relu"].argmax(1)).all()


def test_wess_is_exact_in_float(modules, outputs):
    # Layers whose channels are all within 2x of the largest need no shift.
    assert modules["wess"].count("qnt.pow2_scale") >= 10
    # Power-of-two scaling of every product and partial sum is exact.
    assert np.array_equal(outputs["wess"], outputs["folded"])


def test_empirical_bias_correction_round_trip(modules, tmp_path):
    """correct_bias_empirical: per-channel calibration, qnt-correct-bias
    {source=stats}, statistics stripped; its per-tensor statistics attach to
    the corrected model (same ops, only biases moved). The arithmetic of the
    correction is checked with exact constants in
    test/Dialect/Qnt/Transforms/qnt-correct-bias.mlir."""
    import json
    from qnt import calibration
    from qnt.quantize import correct_bias_empirical
    folded = modules["folded"]
    xc, _ = datasets.calibration_set(200)
    corrected, stats = correct_bias_empirical(folded, xc, bits=4,
                                              per_channel=False, batch=100)
    assert "qnt.stats" not in corrected
    assert corrected != folded
    assert all("channels" not in e for e in stats["activations"])
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(stats))
    attached = calibration.attach(corrected, path)
    assert attached.count("qnt.stats = #qnt.stats<") == (
        len(stats["activations"]) + len(stats["arguments"]))
