"""A few seeds of scripts/fuzz_int8.py in the test suite: random int8
convolutions, depthwise convolutions and matmuls with a requantization,
compiled and run, bit for bit against qnt.intref (the script's docstring
has the program space; run it with more seeds by hand)."""

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import fuzz_int8  # noqa: E402

PIPES = fuzz_int8.pipelines(["host", "none"])
VNNI_PLAIN = fuzz_int8.pipelines(["avxvnni-plain", "avx512vnni-plain"])


@pytest.mark.parametrize("seed", range(24))
def test_random_program_exact(tmp_path, seed):
    problems, _ = fuzz_int8.check(seed, PIPES, tmp_path)
    assert problems == [], problems


@pytest.mark.parametrize("seed", range(100, 106))
def test_random_program_exact_vnni_plain_form(tmp_path, seed):
    # The VNNI kernels' plain form (x86-intrinsics=false) runs on any x86
    # CPU: their packing, +128 offset and compensation on random shapes.
    problems, _ = fuzz_int8.check(seed, VNNI_PLAIN, tmp_path)
    assert problems == [], problems


def test_seed_reproduces_its_program():
    a, b = fuzz_int8.random_program(7), fuzz_int8.random_program(7)
    assert a[0] == b[0] and a[1] == b[1]


def test_depthwise_multiplier_two_takes_the_depthwise_kernel(tmp_path):
    # A channel multiplier of 2 (seed 16) goes through
    # qnt-int8-depthwise-kernels on a channel-repeated input; it used to go
    # through the generic loops, where LLVM scattered the stores on AVX-512
    # targets (vpscatterdd: 86 of them in seven such programs for tigerlake).
    import subprocess

    from qnt import compiler
    from qnt.tools import llvm_tool
    text, _, info = fuzz_int8.random_program(16)
    assert info["kind"] == "depthwise" and info["multiplier"] == 2
    so = compiler.compile_mlir(text, tmp_path / "m.so",
                               target_cpu="tigerlake")
    dis = subprocess.run([str(llvm_tool("llvm-objdump")), "-d", str(so)],
                         capture_output=True, text=True, check=True).stdout
    assert "vpmulld" in dis or "vpmaddwd" in dis
    assert "scatter" not in dis


@pytest.mark.parametrize("seed", [87, 45])
def test_k_split_takes_quads_and_a_tail_of_pairs(tmp_path, seed):
    # A matmul (seed 87, K = 235) and a MobileNet block (seed 45, its 1x1
    # convolutions) with 8-bit weights that pair up only in part: the AVX2
    # kernel takes the quads on the matched K codes and a tail of i16 pairs
    # on the rest (the copy loop writes an i8 and an i16 operand per row),
    # and the result stays exact.
    import re
    import subprocess

    from qnt import compiler
    from qnt.tools import qnt_tool
    text, _, info = fuzz_int8.random_program(seed)
    assert info["kind"] in ("matmul", "chain")
    ir = subprocess.run(
        [str(qnt_tool("qnt-opt")), "--pass-pipeline=" +
         compiler.float_pipeline(vector_width=8, int8_kernels="avx2"),
         "--mlir-print-ir-after=qnt-int8-matmul-kernels", "-o", "/dev/null"],
        input=text, capture_output=True, text=True, check=True).stderr
    assert re.search(r"-> \(tensor<[0-9x]+xi8>, tensor<[0-9x]+xi16>\)", ir)
    problems, _ = fuzz_int8.check(seed, PIPES, tmp_path)
    assert problems == [], problems
