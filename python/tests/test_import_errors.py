"""Importer/compiler errors: clear message, non-zero exit, no output file."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
FMNIST = REPO / "models" / "fmnist_mobilenet.onnx"


def qnt(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    return subprocess.run([sys.executable, "-m", "qnt", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=cwd)


def assert_fails(proc, *needles):
    assert proc.returncode != 0, proc.stdout + proc.stderr
    for n in needles:
        assert n in proc.stderr, (n, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr


def no_files_left(d: Path, *names):
    for n in names:
        assert not (d / n).exists(), n
    leftovers = [p.name for p in d.iterdir() if p.name.startswith(".qnt-")
                 or p.name.endswith(".tmp")]
    assert not leftovers, leftovers


def save(model, path):
    import onnx
    onnx.save(model, str(path))
    return path


def relu_model(build, shape=(1, 3, 4, 4)):
    m = build()
    m.input("x", list(shape))
    m.output(m.node("Relu", ["x"]))
    return m


def test_unsupported_operator(build, tmp_path):
    m = build()
    m.input("x", [2, 3])
    r = m.node("Relu", ["x"])
    m.output(m.node("Hardmax", [r], name="the_hardmax"))
    src = save(m.model(), tmp_path / "m.onnx")
    p = qnt("import", src, "-o", tmp_path / "m.mlir")
    assert_fails(p, "Hardmax", "the_hardmax", "operator not supported",
                 "supported:", "Conv", "Resize")
    p = qnt("compile", src, "-o", tmp_path / "m.so")
    assert_fails(p, "Hardmax", "the_hardmax")
    no_files_left(tmp_path, "m.mlir", "m.so")


def test_unsupported_attribute_and_value(build, tmp_path):
    m = build()
    m.input("x", [1, 2, 5, 5])
    m.output(m.node("AveragePool", ["x"], name="pool7", kernel_shape=[2, 2],
                    dilations=[2, 2]))
    p = qnt("import", save(m.model(), tmp_path / "a.onnx"), "-o",
            tmp_path / "a.mlir")
    assert_fails(p, "AveragePool", "pool7", "dilations")

    m = build()
    m.input("x", [1, 2, 5, 5])
    m.output(m.node("Relu", ["x"], name="r0", flavour=3))
    p = qnt("import", save(m.model(), tmp_path / "b.onnx"), "-o",
            tmp_path / "b.mlir")
    assert_fails(p, "Relu", "r0", "attribute(s) flavour not supported")

    m = build()
    m.input("x", [1, 2, 5, 5])
    m.output(m.node("Pad", ["x", m.const(np.zeros(8, np.int64))],
                    name="p0", mode="wrap"))
    p = qnt("import", save(m.model(), tmp_path / "c.onnx"), "-o",
            tmp_path / "c.mlir")
    assert_fails(p, "Pad", "p0", "mode='wrap'", "constant, reflect, edge")
    no_files_left(tmp_path, "a.mlir", "b.mlir", "c.mlir")


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.5, 0.97])
def test_truncated_file(tmp_path, fraction):
    data = FMNIST.read_bytes()
    bad = tmp_path / "cut.onnx"
    bad.write_bytes(data[:int(len(data) * fraction)])
    p = qnt("import", bad, "-o", tmp_path / "cut.mlir")
    assert_fails(p, "cut.onnx", "truncated or corrupt")
    p = qnt("compile", bad, "-o", tmp_path / "cut.so")
    assert_fails(p, "truncated or corrupt")
    no_files_left(tmp_path, "cut.mlir", "cut.so")


def test_corrupt_and_missing_files(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(np.random.RandomState(0).bytes(5000))
    p = qnt("import", junk, "-o", tmp_path / "junk.mlir")
    assert_fails(p, "junk.onnx")
    text = tmp_path / "text.onnx"
    text.write_text("this is not a model\n" * 50)
    p = qnt("import", text, "-o", tmp_path / "text.mlir")
    assert_fails(p, "text.onnx")
    p = qnt("import", tmp_path / "nope.onnx", "-o", tmp_path / "nope.mlir")
    assert_fails(p, "no such file")
    no_files_left(tmp_path, "junk.mlir", "text.mlir", "nope.mlir")


def test_dynamic_shapes(build, tmp_path):
    m = build()
    m.input("img", ["N", 3, "H", 8])
    m.output(m.node("Relu", ["img"]))
    src = save(m.model(), tmp_path / "dyn.onnx")
    out = tmp_path / "dyn.mlir"
    p = qnt("import", src, "-o", out)
    assert_fails(p, "img", "dimension 0 ('N') is dynamic", "--batch",
                 "--input-shape img=Nx3xNx8")
    p = qnt("import", src, "--batch", "2", "-o", out)
    assert_fails(p, "img", "dimension 2 ('H') is dynamic")
    no_files_left(tmp_path, "dyn.mlir")
    p = qnt("import", src, "--input-shape", "img=2x3x5x8", "-o", out)
    assert p.returncode == 0, p.stderr
    assert "tensor<2x3x5x8xf32>" in out.read_text()
    p = qnt("import", src, "--input-shape", "other=1x2", "-o",
            tmp_path / "x.mlir")
    assert_fails(p, "'other' is not an input")
    p = qnt("import", src, "--input-shape", "img=1x2", "-o",
            tmp_path / "x.mlir")
    assert_fails(p, "rank 2")
    no_files_left(tmp_path, "x.mlir")


def test_unsupported_dtype(build, tmp_path):
    m = build()
    m.input("x", [2, 3], np.uint8)
    m.output(m.node("Relu", ["x"]), np.uint8)
    p = qnt("import", save(m.model(), tmp_path / "u8.onnx"), "-o",
            tmp_path / "u8.mlir")
    assert_fails(p, "'x'", "UINT8", "not supported")
    no_files_left(tmp_path, "u8.mlir")


def test_api_raises_importer_error(build):
    from qnt.importer import UnsupportedError, import_onnx
    m = build()
    m.input("x", [2, 3])
    m.output(m.node("Einsum", ["x", "x"], name="e1", equation="ij,ij->i"))
    with pytest.raises(UnsupportedError) as info:
        import_onnx(m.model())
    assert info.value.op_type == "Einsum" and info.value.node_name == "e1"


def test_compile_error_leaves_no_library(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text("func.func @forward(%a: tensor<2xf32>) -> tensor<2xf32> {"
                   "\n  %0 = \"tosa.nonsense\"(%a) : (tensor<2xf32>) -> "
                   "tensor<2xf32>\n  return %0 : tensor<2xf32>\n}\n")
    p = qnt("compile", bad, "-o", tmp_path / "bad.so")
    assert_fails(p, "qnt-opt (lowering) failed", "tosa.nonsense")
    dyn = tmp_path / "dyn.mlir"
    dyn.write_text("func.func @forward(%a: tensor<?xf32>) -> tensor<?xf32> {"
                   "\n  return %a : tensor<?xf32>\n}\n")
    p = qnt("compile", dyn, "-o", tmp_path / "dyn.so")
    assert_fails(p, "dynamic shape")
    no_files_left(tmp_path, "bad.so", "dyn.so")


def test_output_directory_missing_is_a_clean_error(tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "no" / "such" / "dir" / "m.mlir"
    r = subprocess.run([sys.executable, "-m", "qnt", "import",
                        str(repo / "models" / "fmnist_mobilenet.onnx"),
                        "--batch", "1", "-o", str(out)],
                       capture_output=True, text=True,
                       env={"PYTHONPATH": str(repo / "python")})
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert (f"qnt import: error: output directory does not exist: "
            f"'{out.parent}'") in r.stderr
    assert not out.parent.exists()
