"""ONNX node conformance: every test of a supported operator must pass.

Shares scripts/onnx_conformance.py (which also writes
docs/onnx-conformance.md).  Run with ``-s`` to see the table.
"""

import importlib.util
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = Path(os.environ.get("QNT_ONNX_NODE_TESTS",
                               "/usr/share/libonnx-testdata/data/node"))


def _script():
    spec = importlib.util.spec_from_file_location(
        "onnx_conformance", REPO / "scripts" / "onnx_conformance.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(not NODE_DIR.is_dir(),
                    reason="libonnx-testdata is not installed")
def test_onnx_node_conformance():
    conf = _script()
    cases, secs = conf.run(jobs=os.cpu_count() or 2)
    text, tot, failures = conf.table(cases)
    print("\n" + text)
    print(f"{tot['pass']} passed, {tot['fail']} failed, {tot['excluded']} "
          f"excluded in {secs:.1f} s")
    by_name = {c.name: c for c in cases}
    stale = [n for n in conf.EXCLUDED
             if n in by_name and by_name[n].status != "excluded"]
    assert not failures, "\n".join(failures)
    assert not stale, f"EXCLUDED entries that are not rejected: {stale}"
    # The required operator set is covered by real tests.
    labels = {c.label for c in cases if c.status == "pass"}
    required = {"Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu",
                "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh",
                "LeakyRelu", "BatchNormalization", "MaxPool", "AveragePool",
                "GlobalAveragePool", "Flatten", "Reshape", "Transpose",
                "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Pad",
                "Resize", "Softmax", "Constant", "ConstantOfShape", "Shape",
                "Gather", "Cast", "Equal", "Identity"}
    assert required <= labels, sorted(required - labels)
