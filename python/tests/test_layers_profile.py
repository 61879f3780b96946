"""bench/layers.py (per-op profiles) and compile_mlir(debug_lines=True).

The line table is checked without perf: every line it names must be an op
line of the stripped program, and the convolution's line must be there.
The perf run itself is exercised when perf can sample here."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import layers  # noqa: E402

from qnt import compiler  # noqa: E402
from qnt.tools import llvm_tool  # noqa: E402

# A float conv + ReLU (clamp) + a matmul-free tail, with node-name
# locations as the ONNX importer writes them.
PROGRAM = """
func.func @forward(%x: tensor<1x6x6x2xf32>) -> tensor<1x4x4x3xf32> {
  %w = "tosa.const"() <{values = dense<0.5> : tensor<3x3x3x2xf32>}> : () -> tensor<3x3x3x2xf32> loc("w")
  %b = "tosa.const"() <{values = dense<0.25> : tensor<3xf32>}> : () -> tensor<3xf32> loc("b")
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32> loc("z")
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x6x6x2xf32>, tensor<3x3x3x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x3xf32> loc("/conv/Conv")
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 3.4028235e38 : f32} : (tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32> loc(fused["/relu/Relu", "extra"])
  return %r : tensor<1x4x4x3xf32> loc("ret")
}
"""


def test_op_lines_strip_locations_keep_lines():
    src, ops = layers.op_lines(PROGRAM)
    assert "loc(" not in src and "#loc" not in src
    by_op = {info["op"]: (line, info) for line, info in ops.items()}
    assert set(by_op) == {"tosa.conv2d", "tosa.clamp"}
    line, conv = by_op["tosa.conv2d"]
    assert conv["node"] == "/conv/Conv"
    # 1x4x4x3 outputs x 3x3x2 weights each.
    assert conv["macs"] == 48 * 18
    assert conv["result"] == "tensor<1x4x4x3xf32>"
    assert '"tosa.conv2d"' in src.split("\n")[line - 1]
    line, relu = by_op["tosa.clamp"]
    assert relu["node"] == "/relu/Relu" and relu["macs"] == 0
    assert '"tosa.clamp"' in src.split("\n")[line - 1]


def _line_table_lines(so: Path) -> set:
    """The model.mlir lines of a library's line table (each compile unit
    has a line table of its own, with its own file numbers)."""
    out = subprocess.run([str(llvm_tool("llvm-dwarfdump")), "--debug-line",
                          str(so)], capture_output=True, text=True,
                         check=True).stdout
    lines = set()
    for table in re.split(r"^debug_line\[", out, flags=re.M)[1:]:
        files = {int(m.group(1)) for m in re.finditer(
            r'file_names\[\s*(\d+)\]:\s*\n\s*name:\s*"model\.mlir"',
            table)}
        for m in re.finditer(r"^0x[0-9a-f]+\s+(\d+)\s+\d+\s+(\d+)\s",
                             table, re.M):
            if int(m.group(2)) in files:
                lines.add(int(m.group(1)))
    return lines


def test_debug_lines_map_code_to_op_lines(tmp_path):
    src, ops = layers.op_lines(PROGRAM)
    sigs = compiler.parse_signatures(PROGRAM)
    so = compiler.compile_mlir(src, tmp_path / "m.so", sigs=sigs,
                               debug_lines=True)
    lines = _line_table_lines(so) - {0}
    conv = next(n for n, i in ops.items() if i["op"] == "tosa.conv2d")
    assert conv in lines
    # Every line the table names is an op of the program (or its func /
    # return, whose code is the function's entry and exit).
    body = src.split("\n")
    for n in lines:
        assert n in ops or re.search(r'"func\.(func|return)"', body[n - 1]), \
            body[n - 1][:80]
    # Without the option there is no line table for the program.
    plain = compiler.compile_mlir(src, tmp_path / "p.so", sigs=sigs)
    assert not _line_table_lines(plain)


def test_debug_lines_needs_the_pipeline_option(tmp_path):
    with pytest.raises(compiler.CompileError, match="debug-line-tables"):
        compiler.compile_mlir(PROGRAM, tmp_path / "m.so", debug_lines=True,
                              pipeline=compiler.float_pipeline())


REPORT = """\
# Samples: 20  of event 'cpu-clock'
#
# Overhead       Samples  Shared Object   Source:Line
# ........  ............  ..............  ...........
#
    50.00%            10  m.so            model.mlir:7
    20.00%             4  m.so            model.mlir:8
    10.00%             2  m.so            ??:0
     5.00%             1  libc.so.6       memset-vec-unaligned-erms.S:328
     5.00%             1  [kernel.kallsyms]  clear_page_erms+7
    10.00%             2  python3.11      ??:0
"""


def test_report_attribution():
    counts = layers.parse_report(REPORT)
    assert counts[("m.so", "model.mlir:7")] == 10
    assert sum(counts.values()) == 20
    ops = {7: {"op": "tosa.conv2d", "node": "c", "result": "", "macs": 1000},
           8: {"op": "tosa.clamp", "node": "r", "result": "", "macs": 0}}
    per_line, other, total = layers.attribute(counts, "m.so", ops)
    assert total == 20 and per_line == {7: 10, 8: 4}
    assert other == {"the library's code without an op line": 2,
                     "libc / libm": 1, "kernel": 1,
                     "other (harness, Python, loader)": 2}
    rows = layers.profile_rows(per_line, ops, total, median_ms=2.0)
    assert rows[0]["line"] == 7 and rows[0]["share"] == 0.5
    assert rows[0]["us"] == pytest.approx(1000.0)
    assert rows[0]["gmacs"] == pytest.approx(1000 / 1000.0 / 1e3)
    table = layers.format_profile(
        {"title": "t", "median_ms": 2.0, "total": total, "rows": rows,
         "other": dict(other)}, top=1)
    assert "| 1 | tosa.conv2d | c |" in table
    assert "| | 1 more ops | | | 20.0% |" in table


def test_missing_perf_is_a_clear_error(tmp_path):
    # A PATH with python but without perf.
    bindir = tmp_path / "bin"
    bindir.mkdir()
    env = dict(os.environ, PATH=str(bindir))
    p = subprocess.run(["/usr/bin/python3", str(REPO / "bench" / "layers.py"),
                        "--model", "fmnist"], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 1
    assert "perf is not installed" in p.stderr
    assert "install-bench-deps.sh" in p.stderr


@pytest.mark.skipif(layers.perf_available() is not None,
                    reason="perf cannot sample here (scripts/"
                    "install-bench-deps.sh installs it)")
def test_profile_bundled_model(tmp_path):
    out = tmp_path / "p.json"
    p = subprocess.run(["/usr/bin/python3", str(REPO / "bench" / "layers.py"),
                        "--model", "fmnist", "--precision", "fp32",
                        "--seconds", "1", "--json", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    import json
    prof, = json.loads(out.read_text())
    rows = prof["rows"]
    # The convolutions are named by their ONNX nodes and take most samples.
    convs = [r for r in rows if r["op"].startswith("tosa.")
             and "conv2d" in r["op"]]
    assert all(r["node"] and r["node"].endswith("/Conv") for r in convs)
    assert sum(r["share"] for r in convs) > 0.5
    assert sum(r["share"] for r in rows) <= 1.0
    assert prof["median_ms"] > 0


def _prof(precision, rows, other, ms):
    total = 100
    return {"model": "m", "batch": 1, "precision": precision,
            "median_ms": ms, "total": total, "other": other,
            "rows": [{"line": i, "op": op, "node": node, "result": "",
                      "macs": 0, "samples": c, "share": c / total,
                      "us": c / total * ms * 1e3, "gmacs": None}
                     for i, (op, node, c) in enumerate(rows)]}


def test_compare_per_node():
    fp = _prof("fp32", [("tosa.conv2d", "conv", 60), ("tosa.clamp", "relu", 20),
                        ("tosa.depthwise_conv2d", "dw", 10)], {"kernel": 10},
               ms=1.0)
    i8 = _prof("int8", [("tosa.conv2d", "conv", 40),
                        ("qnt.requantize", "relu", 30),
                        ("tosa.depthwise_conv2d", "dw", 10),
                        ("tosa.pad", "dw", 5), ("qnt.quantize", None, 10)],
               {"kernel": 5}, ms=0.5)
    rows = {r["node"]: r for r in layers.compare_nodes(fp, i8)}
    assert rows["conv"]["fp32_us"] == pytest.approx(600)
    assert rows["conv"]["int8_us"] == pytest.approx(200)
    # A node's ops are summed: the depthwise convolution and its pad.
    assert rows["dw"]["int8_us"] == pytest.approx(75)
    assert rows["dw"]["int8_ops"] == {"depthwise_conv2d", "pad"}
    assert rows["(unnamed quantize)"]["fp32_us"] == 0
    table = layers.format_comparison(fp, i8, top=10)
    assert "| conv | conv2d | 600.0 | conv2d | 200.0 | 3.00x |" in table
    assert "| relu | clamp | 200.0 | requantize | 150.0 | 1.33x |" in table
    assert "| outside the ops | | 100.0 | | 25.0 | 4.00x |" in table
    assert "| convolutions and matmuls | 600.0 | 200.0 | 3.00x | 40.0% |" \
        in table
    assert "| depthwise convolutions | 100.0 | 75.0 | 1.33x | 15.0% |" in table
    assert layers._pairs([fp, i8]) == [(fp, i8)]
