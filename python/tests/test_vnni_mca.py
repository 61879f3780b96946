"""bench/vnni_mca.py: the inner-loop finder, and the property its table
reports for the VNNI kernels (their GEMM inner loop runs at llvm-mca's
dot-product peak of the CPU model: a kernel change that adds loads or
shuffles to it shows here)."""

import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import vnni_mca  # noqa: E402

ASM = """\
f:
.LBB0_1:                                # =>This Loop Header: Depth=1
	movq	%rax, %rbx
.LBB0_2:                                #   Parent Loop BB0_1 Depth=1
                                        # =>  This Inner Loop Header: Depth=2
	vpbroadcastd	(%rax), %zmm1
	vpdpbusd	%zmm2, %zmm1, %zmm3
	vpdpbusd	%zmm4, %zmm1, %zmm5
	addq	$4, %rax
	jne	.LBB0_2
# %bb.3:
	vmovdqa64	%zmm3, (%rcx)
	jb	.LBB0_1
.LBB0_4:                                # =>This Inner Loop Header: Depth=1
	vpaddd	%ymm1, %ymm2, %ymm2
	jne	.LBB0_4
"""


def test_inner_loops_and_the_hottest():
    loops = vnni_mca.inner_loops(ASM)
    assert [len(b) for b in loops] == [5, 2]
    hot = vnni_mca.hottest_loop(ASM)
    assert hot[0].split()[0] == "vpbroadcastd" and hot[-1].split() == [
        "jne", ".LBB0_2"]


@pytest.mark.parametrize("kset,cpu", [("avx512vnni", "icelake-server"),
                                      ("avxvnni", "alderlake")])
def test_vnni_gemm_inner_loop_at_the_model_peak(tmp_path, kset, cpu):
    b = np.random.default_rng(0).integers(-128, 128, (1, 256, 256))
    text = vnni_mca.gemm_module(256, 256, 256, b.astype(np.int8), "int8")
    body = vnni_mca.hottest_loop(
        vnni_mca.compile_asm(text, kset, cpu, tmp_path, "g"))
    dots = sum(bool(vnni_mca.DOT.match(l)) for l in body)
    rate = dots / vnni_mca.mca_cycles(body, cpu, tmp_path, "g")
    assert dots >= 12
    assert rate >= 0.9 * vnni_mca.peak(kset, cpu, tmp_path)
