"""qnt-fold-batchnorm on the bundled model: BatchNormalization imported as
multiply + add (--no-fold-bn), folded by the pass, preserves the function on
the whole Fashion-MNIST test set (issue 5: within 1e-5 relative)."""

from pathlib import Path

import numpy as np
import pytest

from qnt import capi, compiler, datasets, runtime
from qnt.importer import import_onnx

MODEL = Path(__file__).resolve().parents[2] / "models" / "fmnist_mobilenet.onnx"


@pytest.fixture(scope="module")
def modules():
    unfolded = import_onnx(str(MODEL), batch=64, fold_bn=False).text
    folded = capi.run_pipeline(
        unfolded, "builtin.module(func.func(qnt-fold-batchnorm))").output
    return unfolded, folded


def test_every_batchnorm_is_folded(modules):
    unfolded, folded = modules
    assert unfolded.count("tosa.mul") == 11  # one per BatchNormalization
    assert "tosa.mul" not in folded
    # Only the classifier's bias add is left.
    assert folded.count("tosa.add") == 1


def test_folding_preserves_the_function(modules, tmp_path):
    x, _ = datasets.evaluation_set()
    outs = []
    for name, text in zip(("unfolded", "folded"), modules):
        model = runtime.CompiledModel(compiler.compile_mlir(text, tmp_path / f"{name}.so"))
        out = model.run_dataset(x)
        outs.append(out[0] if isinstance(out, (list, tuple)) else out)
    ref, got = outs
    # Per image: largest difference relative to the largest logit.
    rel = np.abs(got - ref).max(axis=1) / np.abs(ref).max(axis=1)
    print(f"max relative difference over {len(x)} images: {rel.max():.2e}")
    assert rel.max() <= 1e-5
    assert (got.argmax(1) == ref.argmax(1)).all()


def test_folding_in_linalg_form_preserves_the_function(modules, tmp_path):
    """The same model lowered to linalg on tensors first (as another
    compiler would hand it over): the BatchNorm multiplies that directly
    follow a convolution fold into its filter and bias."""
    unfolded, _ = modules
    lower = ("builtin.module(func.func(tosa-to-linalg-named, tosa-to-linalg, "
             "tosa-to-arith), canonicalize)")
    linalg = capi.run_pipeline(unfolded, lower).output
    folded = capi.run_pipeline(
        linalg, "builtin.module(func.func(qnt-fold-batchnorm), canonicalize)").output
    before, after = linalg.count("arith.mulf"), folded.count("arith.mulf")
    print(f"arith.mulf: {before} before, {after} after")
    assert before == 11 and after == 0  # every BatchNorm follows a convolution
    x, _ = datasets.evaluation_set()
    outs = []
    for name, text in (("linalg", linalg), ("folded", folded)):
        model = runtime.CompiledModel(compiler.compile_mlir(text, tmp_path / f"{name}.so"))
        out = model.run_dataset(x)
        outs.append(out[0] if isinstance(out, (list, tuple)) else out)
    ref, got = outs
    rel = np.abs(got - ref).max(axis=1) / np.abs(ref).max(axis=1)
    assert rel.max() <= 1e-5
