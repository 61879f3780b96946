"""The C API through ctypes: in-process parsing, passes and diagnostics."""

import pytest

from qnt import capi

QNT_IR = """
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = qnt.clip %x min [0.0] max [6.0] method pact : tensor<4xf32>
  %b = qnt.clip %a min [1.0] max [4.0] method aciq_laplace bits 4 : tensor<4xf32>
  %q = qnt.quantize %b uniform<ui8, scale = 0.02, zero_point = 3> : tensor<4xf32> -> tensor<4xi8>
  %d = qnt.dequantize %q uniform<ui8, scale = 0.02, zero_point = 3> : tensor<4xi8> -> tensor<4xf32>
  return %d : tensor<4xf32>
}
"""


def test_version():
    assert capi.version() == "0.1.0"


def test_roundtrip_without_passes():
    result = capi.run_pipeline(QNT_IR)
    assert "qnt.clip %arg0 min [0.000000e+00] max [6.000000e+00] method pact" in result.output
    # The printed form parses again.
    assert capi.run_pipeline(result.output).output == result.output


def test_canonicalize_runs_qnt_patterns():
    out = capi.run_pipeline(QNT_IR, "builtin.module(canonicalize)").output
    # clip(clip) merged into the outer range; dequantize(quantize) -> fake_quant.
    assert out.count("qnt.clip") == 1
    assert "min [1.000000e+00] max [4.000000e+00] method aciq_laplace bits 4" in out
    assert "qnt.fake_quant" in out and "qnt.quantize" not in out


def test_verifier_error_has_location():
    bad = QNT_IR.replace("scale = 0.02, zero_point = 3> : tensor<4xf32>",
                         "scale = 0.02, zero_point = 300> : tensor<4xf32>")
    with pytest.raises(capi.QntError) as info:
        capi.run_pipeline(bad, name="model.mlir")
    assert "model.mlir:5:" in info.value.diagnostics
    assert "zero point #0 = 300 is outside the storage range [0, 255]" in info.value.diagnostics


def test_unknown_pass_is_reported():
    with pytest.raises(capi.QntError) as info:
        capi.run_pipeline(QNT_IR, "builtin.module(no-such-pass)")
    assert "no-such-pass" in str(info.value)


def test_pass_failure_is_reported():
    src = """
func.func @g(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8<-3:9>:f32, 0.1>> {
  %a = quant.qcast %x : tensor<4xf32> to tensor<4x!quant.uniform<i8<-3:9>:f32, 0.1>>
  return %a : tensor<4x!quant.uniform<i8<-3:9>:f32, 0.1>>
}
"""
    with pytest.raises(capi.QntError) as info:
        capi.run_pipeline(src, "builtin.module(qnt-import-quant)", name="q.mlir")
    assert "q.mlir:3:8: error: quantized type" in info.value.diagnostics
